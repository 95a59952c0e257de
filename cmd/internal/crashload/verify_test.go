package crashload

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeLog writes one load log into dir and returns its path.
func writeLog(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadLogs checks that the logs of several load runs are read into one
// set: sent, then ack with the trace id or fail, a message sent but never
// answered stays unacknowledged, and blank lines are allowed.
func TestReadLogs(t *testing.T) {
	dir := t.TempDir()
	a := writeLog(t, dir, "a.log", "sent r1-1-1 a\nack r1-1-1 a m1\nsent r1-1-2 ab\n\nsent r1-1-3 b\nfail r1-1-3 550\n")
	b := writeLog(t, dir, "b.log", "sent r2-1-1 b\nack r2-1-1 b m2\n")
	msgs, err := readLogs([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]sentMsg{
		"r1-1-1": {rcpts: "a", acked: true, traceID: "m1"},
		"r1-1-2": {rcpts: "ab"},
		"r1-1-3": {rcpts: "b", refused: true},
		"r2-1-1": {rcpts: "b", acked: true, traceID: "m2"},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for tok, w := range want {
		if m := msgs[tok]; m == nil || *m != w {
			t.Errorf("%s: %+v, want %+v", tok, m, w)
		}
	}
}

// TestReadLogsRefusesNonsense checks that a log the verifier cannot trust
// is an error, not a guess: a token sent twice (a reused prefix), an ack
// of a token never sent, a line of unknown shape.
func TestReadLogsRefusesNonsense(t *testing.T) {
	for name, text := range map[string]string{
		"sent twice":     "sent r1-1-1 a\nsent r1-1-1 a\n",
		"ack before":     "ack r1-1-1 a m1\n",
		"torn line":      "sent r1-1-1 a\nack r1-1\n",
		"unknown record": "sent r1-1-1 a\nlost r1-1-1 a\n",
	} {
		p := writeLog(t, t.TempDir(), "x.log", text)
		if _, err := readLogs([]string{p}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRcptKeys checks that a message's copies are named per recipient.
func TestRcptKeys(t *testing.T) {
	got := rcptKeys("t1", "ab")
	want := []string{"t1 " + LocalRcpt, "t1 " + RemoteRcpt}
	if !slices.Equal(got, want) {
		t.Errorf("rcptKeys(ab) = %q, want %q", got, want)
	}
	if got := rcptKeys("t1", "b"); len(got) != 1 || !strings.HasSuffix(got[0], RemoteRcpt) {
		t.Errorf("rcptKeys(b) = %q", got)
	}
}
