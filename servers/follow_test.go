package servers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestFollowMessageHasWholeTransaction follows one message by its trace
// id, as the page's "follow message" does: the MAIL FROM line, the final
// "250 ... queued as", and the ETRN that delivers it (its line, its reply,
// the flush and the attempt it causes) belong to it; the sessions' lines
// outside the transaction and the ETRN do not.
func TestFollowMessageHasWholeTransaction(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) {
		w.Queue.Retry = []time.Duration{time.Hour} // only ETRN delivers
	})
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	id := mailTo(t, inst, "bob@b.example", "follow me", "")
	var events []*tracer.Event
	collect := func(until func(e *tracer.Event) bool) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case e := <-sub.C():
				events = append(events, e)
				if until(e) {
					return
				}
			case <-timeout:
				t.Fatalf("timed out; events so far: %d", len(events))
			}
		}
	}
	collect(func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})
	if err := inst.SetFault("B", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	smtpSend(t, inst.Addr("A", world.SMTP), "EHLO laptop => 250", "ETRN b.example => 250 2.0.0 Queuing for node b.example started", "QUIT => 221")
	collect(func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs[tracer.AttrStep] == tracer.StepDelivered
	})

	var followed []string
	flushAt := -1
	attemptAfterFlush := false
	for _, e := range events {
		if e.MsgID != id {
			continue
		}
		switch e.Kind {
		case tracer.KindLine:
			followed = append(followed, string(e.Dir)+" "+e.Text)
		case tracer.KindQueue:
			step := e.Attrs[tracer.AttrStep]
			followed = append(followed, "queue "+step)
			if step == tracer.StepFlush {
				flushAt = len(followed)
			}
			if step == tracer.StepAttempt && flushAt >= 0 {
				attemptAfterFlush = true
			}
		}
	}
	all := strings.Join(followed, "\n")
	for _, want := range []string{"c2s MAIL FROM:<alice@a.example>", "s2c 250 2.1.0 Sender <alice@a.example> OK",
		"c2s RCPT TO:<bob@b.example>", "s2c 250 2.0.0 OK:", "queued as " + id,
		"c2s ETRN b.example", "s2c 250 2.0.0 Queuing for node b.example started"} {
		if !strings.Contains(all, want) {
			t.Errorf("following %s lacks %q:\n%s", id, want, all)
		}
	}
	if flushAt < 0 || !attemptAfterFlush {
		t.Errorf("following %s lacks the ETRN flush and the attempt it caused:\n%s", id, all)
	}
	for _, not := range []string{"QUIT", "221 ", "EHLO", "250-"} {
		for _, l := range followed {
			if strings.HasPrefix(l, "c2s "+not) || strings.HasPrefix(l, "s2c "+not) {
				t.Errorf("following %s includes %q, which is outside the transaction", id, l)
			}
		}
	}
}
