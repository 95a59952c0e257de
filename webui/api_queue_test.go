package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// post sends a POST with no body and returns the status and the body.
func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// queueStep waits for the queue event of step about message id whose
// sequence number is past after.
func queueStep(t *testing.T, bus *tracer.Bus, id, step string, after uint64) *tracer.Event {
	t.Helper()
	return waitFor(t, bus, "queue step "+step+" of "+id, func(e *tracer.Event) bool {
		return e.Seq > after && e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs[tracer.AttrStep] == step
	})
}

// TestQueueHistoryRetryBounce: with B down, alice's message to bob waits
// in A's queue; /api/queue shows its attempt (time, error, hop), its coming
// attempts and its give-up time; "retry now" makes a second attempt at once
// (traced, and in the history); "bounce now" bounces it with the DSN a
// give-up sends, and the row stays, marked bounced, with when.
func TestQueueHistoryRetryBounce(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: waiting\n\nfor B\n")
	queued := waitFor(t, inst.Bus, "queued", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepQueued
	})
	id := queued.MsgID
	first := queueStep(t, inst.Bus, id, tracer.StepDeferred, 0)

	var q queueView
	getJSON(t, base+"/api/queue", &q)
	if len(q.Entries) != 1 || q.GiveUp != "10m0s" || len(q.Retry) != 5 || len(q.About) != 7 || q.About[0].Word != "up" || q.About[0].Does == "" {
		t.Fatalf("/api/queue = %+v", q)
	}
	e := q.Entries[0]
	if len(e.History) != 1 {
		t.Fatalf("history after one attempt: %+v", e.History)
	}
	h := e.History[0]
	if h.Kind != store.HistAttempt || h.Outcome != store.StatusQueued || h.Code != 0 || !strings.Contains(h.Reply, "refused") ||
		!strings.HasPrefix(h.Hop, "A → B 127.0.0.1:") || h.At.IsZero() {
		t.Errorf("the attempt: %+v", h)
	}
	if !e.GiveUp.Equal(e.Created.Add(10*time.Minute)) || len(e.Schedule) < 3 || !e.Schedule[0].Equal(e.NextAttempt) ||
		!e.Schedule[len(e.Schedule)-1].Equal(e.GiveUp) {
		t.Errorf("give-up %v, schedule %v (next %v)", e.GiveUp, e.Schedule, e.NextAttempt)
	}
	// The waits after attempts 1 and 2 are the world's first two: 15s, 30s.
	if d := e.Schedule[1].Sub(e.Schedule[0]); d != 30*time.Second {
		t.Errorf("wait between the coming attempts 2 and 3: %v, want 30s", d)
	}

	// Retry now: the second attempt comes at once, not in 15 s.
	if code, body := post(t, base+"/api/queue/"+id+"/retry"); code != 200 || !strings.Contains(body, `"n":1`) {
		t.Fatalf("retry now: %d %s", code, body)
	}
	rn := queueStep(t, inst.Bus, id, tracer.StepRetryNow, first.Seq)
	if rn.Text == "" || !strings.Contains(rn.Text, "retry now") {
		t.Errorf("retry-now event text %q", rn.Text)
	}
	second := queueStep(t, inst.Bus, id, tracer.StepDeferred, rn.Seq)
	if second.Attrs[tracer.AttrAttempt] != "2" {
		t.Errorf("the attempt after retry now: %v", second.Attrs)
	}
	getJSON(t, base+"/api/queue", &q)
	if len(q.Entries) != 1 || len(q.Entries[0].History) != 3 || q.Entries[0].History[1].Kind != store.HistRetryNow {
		t.Fatalf("history after retry now: %+v", q.Entries)
	}

	// Bounce now: the sender gets the give-up's DSN (4.4.7, "gave up").
	if code, body := post(t, base+"/api/queue/"+id+"/bounce"); code != 200 || !strings.Contains(body, `"n":1`) {
		t.Fatalf("bounce now: %d %s", code, body)
	}
	queueStep(t, inst.Bus, id, tracer.StepBounceNow, second.Seq)
	b := queueStep(t, inst.Bus, id, tracer.StepBounced, second.Seq)
	if !strings.Contains(b.Text, "gave up after 2 attempts") || !strings.Contains(b.Text, "mailbox of alice@a.example") {
		t.Errorf("bounced event: %q", b.Text)
	}
	var ml mailboxList
	getJSON(t, base+"/api/mailboxes?server=A&user=alice", &ml)
	if len(ml.Mailboxes[0].Messages) != 1 || ml.Mailboxes[0].Messages[0].Subject != "Undelivered Mail Returned to Sender" {
		t.Fatalf("alice's INBOX: %+v", ml.Mailboxes[0].Messages)
	}
	var dsn MessageView
	getJSON(t, base+"/api/messages/"+ml.Mailboxes[0].Messages[0].ID, &dsn)
	for _, want := range []string{"Action: failed", "Status: 4.4.7", "Final-Recipient: rfc822; bob@b.example", "gave up after 2 attempts"} {
		if !strings.Contains(dsn.Raw, want) {
			t.Errorf("the DSN lacks %q", want)
		}
	}
	getJSON(t, base+"/api/queue", &q)
	if len(q.Entries) != 0 || len(q.Done) != 1 {
		t.Fatalf("after bounce now: entries %+v, done %+v", q.Entries, q.Done)
	}
	d := q.Done[0]
	last := d.History[len(d.History)-1]
	if d.Status != store.StatusBounced || d.Done.IsZero() || last.Kind != store.HistBounceNow || d.Attempts != 2 || len(d.Schedule) != 0 {
		t.Errorf("the bounced row: %+v, last %+v", d, last)
	}

	// Not queued any more: 409; unknown: 404.
	if code, _ := post(t, base+"/api/queue/"+id+"/bounce"); code != http.StatusConflict {
		t.Errorf("bounce of a bounced message: HTTP %d, want 409", code)
	}
	if code, _ := post(t, base+"/api/queue/999999/retry"); code != http.StatusNotFound {
		t.Errorf("retry of no recipient: HTTP %d, want 404", code)
	}
}

// TestQueueActionsGuarded: retry and bounce are control actions, guarded
// as faults and flush are: a remote client without the token is refused,
// a foreign page's origin is refused, a foreign Host gets 421.
func TestQueueActionsGuarded(t *testing.T) {
	inst, srv, _ := newWorld(t, Options{})
	withToken := New(inst, Options{Token: "s3cret", Logger: quietLogger()})
	for _, action := range []string{"retry", "bounce"} {
		path := "/api/queue/1/" + action
		do := func(s *Server, remote, host, auth, origin string) int {
			req := httptest.NewRequest("POST", path, nil)
			req.RemoteAddr = remote
			req.Host = host
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			return rec.Code
		}
		if code := do(srv, "192.0.2.7:4000", "127.0.0.1:8025", "", ""); code != http.StatusForbidden {
			t.Errorf("%s from elsewhere, no token configured: HTTP %d, want 403", action, code)
		}
		if code := do(withToken, "192.0.2.7:4000", "127.0.0.1:8025", "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s from elsewhere without the token: HTTP %d, want 401", action, code)
		}
		if code := do(withToken, "192.0.2.7:4000", "127.0.0.1:8025", "Bearer s3cret", ""); code != http.StatusNotFound {
			t.Errorf("%s with the token (no such recipient): HTTP %d, want 404", action, code)
		}
		if code := do(srv, "127.0.0.1:4000", "127.0.0.1:8025", "", "http://evil.example"); code != http.StatusForbidden {
			t.Errorf("%s from a foreign page: HTTP %d, want 403", action, code)
		}
		if code := do(srv, "127.0.0.1:4000", "rebind.evil.example", "", ""); code != http.StatusMisdirectedRequest {
			t.Errorf("%s with a foreign Host: HTTP %d, want 421", action, code)
		}
	}
	// On a public listener (mailscope up --host 0.0.0.0), even loopback
	// needs the token.
	_, _, pbase := newWorldOn(t, Options{Token: "s3cret"}, "0.0.0.0:0")
	if code, _ := post(t, pbase+"/api/queue/1/retry"); code != http.StatusUnauthorized {
		t.Errorf("retry on a public listener without the token: HTTP %d, want 401", code)
	}
}
