package servers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// pendingOf returns the one pending recipient of message id in inst's
// queue, or nil.
func pendingOf(t *testing.T, inst *servers.Instance, id string) *servers.QueueEntry {
	t.Helper()
	q, err := inst.Queue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if q[i].MsgID == id {
			return &q[i]
		}
	}
	return nil
}

// stillWaiting checks for a while (several retry intervals of the test
// world) that message id stays queued with attempts attempts, and that
// bob's inbox keeps n messages.
func stillWaiting(t *testing.T, inst *servers.Instance, id string, attempts, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second) // five retry intervals
	for time.Now().Before(deadline) {
		e := pendingOf(t, inst, id)
		if e == nil || e.Attempts != attempts || e.Status != "hold" {
			t.Fatalf("held queue: message %s is %+v, want it waiting with %d attempt(s)", id, e, attempts)
		}
		if got := len(inboxOf(t, inst.Store, "B", "bob")); got != n {
			t.Fatalf("held queue: bob has %d message(s), want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHoldQueueReleasedByETRN: with A's queue held (mailscope fault A
// hold, Postfix's defer_transports), A makes no scheduled attempt even
// when B is back, still accepts and queues new mail, and ETRN b.example
// (RFC 1985) delivers the waiting mail at once; clearing the hold lets the
// schedule resume. Nothing is delivered twice.
func TestHoldQueueReleasedByETRN(t *testing.T) {
	inst := start(t, t.TempDir(), nil) // retries every 200ms
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	first := mailTo(t, inst, "bob@b.example", "while B is down", "")
	waitFor(t, "the first deferral", func() bool {
		e := pendingOf(t, inst, first)
		return e != nil && e.Status == "deferred"
	})
	if err := inst.SetFault("A", servers.FaultHold); err != nil {
		t.Fatal(err)
	}
	if f := inst.FaultOf("A"); f != servers.FaultHold {
		t.Fatalf("A's fault is %q, want hold", f)
	}
	// An attempt under way when the hold began may still end.
	var attempts int
	waitFor(t, "no attempt under way", func() bool {
		e := pendingOf(t, inst, first)
		if e != nil && e.Status != "delivering" {
			attempts = e.Attempts
			return true
		}
		return false
	})
	if err := inst.SetFault("B", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	stillWaiting(t, inst, first, attempts, 0)

	smtpSend(t, inst.Addr("A", world.SMTP), "EHLO x => 250", "ETRN b.example => 250 2.0.0 Queuing for node b.example started")
	waitFor(t, "the delivery ETRN started", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })

	// Still held: new mail is accepted and queued, and waits.
	second := mailTo(t, inst, "bob@b.example", "while A holds", "")
	stillWaiting(t, inst, second, 0, 1)

	if err := inst.SetFault("A", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery after the hold", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 2 })
	// B files the message before its 250 reaches A: A's queue empties
	// when A has read it.
	waitFor(t, "an empty queue after both deliveries", func() bool {
		q, err := inst.Queue(context.Background())
		return err == nil && len(q) == 0
	})

	// The trace: the hold said, then for the first message only the
	// flush, the attempt and the delivery, in that order (an attempt under
	// way when the hold began ends deferred).
	var steps []string
	var held string
	for e := range sub.C() {
		if e.Kind == tracer.KindFault && e.Attrs["fault"] == "hold" {
			held = e.Text
		}
		if held != "" && e.Kind == tracer.KindQueue && e.MsgID == first && e.Attrs["step"] != "deferred" {
			steps = append(steps, e.Attrs["step"])
		}
		if e.Kind == tracer.KindQueue && e.MsgID == second && e.Attrs["step"] == "delivered" {
			break
		}
	}
	if !strings.Contains(held, "holds its queue") || !strings.Contains(held, "ETRN") {
		t.Errorf("hold fault event: %q", held)
	}
	if got := strings.Join(steps, ","); got != "flush,attempt,delivered-local,delivered" {
		t.Errorf("queue steps of the held message: %s", got)
	}
}
