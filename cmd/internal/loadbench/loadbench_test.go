package loadbench

import (
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/world"
)

// TestWorldParses checks that the world file idle starts mailscope with is
// one mailscope accepts, with alice, bob and idleUsers more users on each
// server (idle needs one user per logged-in POP3 session).
func TestWorldParses(t *testing.T) {
	w, err := world.Parse("loadbench world", []byte(World()))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Servers) != 2 {
		t.Fatalf("%d servers, want 2", len(w.Servers))
	}
	for _, s := range w.Servers {
		if len(s.Users) != idleUsers+1 {
			t.Errorf("server %s has %d users, want %d", s.Name, len(s.Users), idleUsers+1)
		}
	}
}

// TestParseTime checks the fast path of parseTime against time.Parse on
// the forms encoding/json writes.
func TestParseTime(t *testing.T) {
	for _, s := range []string{
		"2026-11-25T23:01:11.142737297Z",
		"2026-11-25T23:01:11.1427Z",
		"2026-11-25T23:01:11Z",
		"2026-11-25T23:01:11.5+08:00",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseTime([]byte(s))
		if !ok || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	if _, ok := parseTime([]byte("not a time")); ok {
		t.Error("parseTime accepted garbage")
	}
}

// TestPercentiles checks the nearest-rank percentiles of a list and of the
// histogram (whose answer is the upper edge of a bucket) and the median.
func TestPercentiles(t *testing.T) {
	var d []time.Duration
	var h hist
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
		h.add(time.Duration(i) * time.Millisecond)
	}
	h.add(6 * time.Second) // beyond histMax: kept exactly
	if got := percentile(d, 99); got != 99*time.Millisecond {
		t.Errorf("percentile(1..100 ms, 99) = %v", got)
	}
	if got := h.percentile(50); got != 51*time.Millisecond+histStep {
		t.Errorf("hist p50 = %v", got)
	}
	if got := h.percentile(100); got != 6*time.Second {
		t.Errorf("hist p100 = %v", got)
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median = %v", got)
	}
}
