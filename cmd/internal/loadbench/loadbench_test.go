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

// TestClassMatch checks the class scenario's matching on a made-up view
// of student s001: its session found by the client's port, a line the
// view lacks, a session of s002 in it (a leak), an event naming s002, a
// session whose open event the view lacks (paired by time), and the delay
// of a greeting counted from the HELO that claimed the session.
func TestClassMatch(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ci := &connIndex{byPort: map[int][]*wireConn{}}
	mine := &wireConn{student: "s001", proto: "smtp", port: 5000, dialed: at(0), claimAt: at(2000), lines: []wireLine{
		{dir: 's', text: "220 ready", at: at(10)},
		{dir: 'c', text: "HELO s001", at: at(2000)},
		{dir: 's', text: "250 hello", at: at(2001)},
		{dir: 'c', text: "Subject: x", at: at(3000), body: true},
		{dir: 'c', text: "QUIT", at: at(4000)},
	}}
	later := &wireConn{student: "s001", proto: "smtp", port: 5002, dialed: at(5000), lines: []wireLine{
		{dir: 'c', text: "HELO s001", at: at(7000)},
	}}
	other := &wireConn{student: "s002", proto: "smtp", port: 5001, dialed: at(0)}
	for _, w := range []*wireConn{mine, later, other} {
		ci.add(w)
	}
	v := &classViewer{user: "s001", names: map[string]bool{"s001": true, "s002": true}}
	take := func(read int, e wsEvent) {
		e.Time = at(read - 1)
		v.take(&e, at(read))
	}
	take(2003, wsEvent{Seq: 1, Kind: "open", Session: "A-smtp-1", Peer: "127.0.0.1:5000"})
	take(2003, wsEvent{Seq: 2, Kind: "line", Session: "A-smtp-1", Dir: "s2c", Text: "220 ready"})
	take(2003, wsEvent{Seq: 3, Kind: "line", Session: "A-smtp-1", Dir: "c2s", Text: "HELO s001"})
	take(2005, wsEvent{Seq: 4, Kind: "line", Session: "A-smtp-1", Dir: "s2c", Text: "250 hello"})
	take(2500, wsEvent{Seq: 5, Kind: "open", Session: "A-smtp-2", Peer: "127.0.0.1:5001"})
	take(2600, wsEvent{Seq: 6, Kind: "queue", Text: "queued for s002@a.example"})
	take(7004, wsEvent{Seq: 9, Kind: "line", Session: "A-smtp-3", Dir: "c2s", Text: "HELO s001"})
	r := v.match(ci, []*wireConn{mine, later})
	if r.matched != 4 || r.missing != 1 || r.mismatched != 0 {
		t.Errorf("matched %d, missing %d, never seen %d; want 4, 1 (QUIT), 0 (%s)", r.matched, r.missing, r.mismatched, r.example)
	}
	if r.foreign != 1 || r.leaks != 1 || r.noOpen != 1 || r.before != 1 {
		t.Errorf("foreign %d, leaks %d, without open %d, before the claim %d; want 1 each", r.foreign, r.leaks, r.noOpen, r.before)
	}
	// The greeting's delay runs from the claim (2000) to the read (2003).
	if got := r.s2c.percentile(0); got != 3*time.Millisecond+histStep {
		t.Errorf("greeting delay bucket %v, want 3.1ms", got)
	}
}
