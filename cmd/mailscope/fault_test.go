package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
)

// TestQueueListsHoldWithoutNextAttempt: mail of a held queue (mailscope
// fault A hold) is listed as hold, with no next attempt: none is scheduled
// until ETRN or the hold's end.
func TestQueueListsHoldWithoutNextAttempt(t *testing.T) {
	var b strings.Builder
	now := time.Now()
	printQueue(&b, "en", now, []servers.QueueEntry{{Server: "A", MsgID: "A-1", Sender: "alice@a.example", Rcpt: "bob@b.example",
		Status: "hold", Attempts: 1, NextAttempt: now.Add(-time.Minute)}}, map[string]servers.Fault{"A": servers.FaultHold})
	out := b.String()
	if !strings.Contains(out, "hold") || strings.Contains(out, "due") {
		t.Errorf("queue listing of held mail:\n%s", out)
	}
}
