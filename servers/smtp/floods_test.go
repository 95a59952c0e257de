package smtp_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/tracer"
)

// TestHoldForBounds: FUTURERELEASE values beyond what the server holds are
// refused, however big: HOLDFOR=9223372037 seconds once overflowed
// time.Duration and was accepted as a hold "until 1734".
func TestHoldForBounds(t *testing.T) {
	w := newWorld(t, nil)
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO test
		S*: 250 HELP
		C: MAIL FROM:<alice@a.example> HOLDFOR=9223372037
		S: 501 5.5.4 HOLDFOR=9223372037 is not a number of seconds of at most 9 digits (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDFOR=999999999
		S: 554 5.3.4 HOLDFOR=999999999 is longer than the 86400 seconds this server holds mail (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDUNTIL=9999-12-31T23:59:59Z
		S: 554 5.3.4 HOLDUNTIL is later than this server holds mail*
		C: MAIL FROM:<alice@a.example> HOLDFOR=60
		S: 250 2.1.0 Sender <alice@a.example> OK; will be held until *
	`)
}

// TestPipelinedExcessRecipients: 150 pipelined RCPTs get 250 for the first
// 100 and 452 for the rest (RFC 5321 section 4.5.3.1.10), which are not
// errors of the client: the session goes on to DATA, and the first 100
// recipients get the message.
func TestPipelinedExcessRecipients(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := ehloed(t, addr)
	var batch strings.Builder
	batch.WriteString("MAIL FROM:<alice@a.example>\r\n")
	for i := range 150 {
		fmt.Fprintf(&batch, "RCPT TO:<u%d@b.example>\r\n", i)
	}
	batch.WriteString("DATA\r\n")
	c.SendRaw(batch.String())
	c.Expect("250 2.1.0 *")
	for i := range 150 {
		if i < 100 {
			c.Expect("250 2.1.5 *")
		} else {
			c.Expect("452 4.5.3 Too many recipients: at most 100 per message*")
		}
	}
	c.Expect("354 *")
	c.Send("Subject: many\r\n\r\nhello\r\n.")
	c.Expect("250 2.0.0 OK*")
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.delivered) != 1 || len(b.delivered[0].Remote) != 100 || b.delivered[0].Remote[99] != "u99@b.example" {
		t.Fatalf("delivered %d messages, want 1 to u0..u99", len(b.delivered))
	}
}

// TestIdleReplyAfterWriteTimeout: the 421 for an idle timeout longer than
// WriteTimeout reaches the client: the write deadline set for the last
// reply has long passed when it is written.
func TestIdleReplyAfterWriteTimeout(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) {
		s.WriteTimeout = 100 * time.Millisecond
		s.IdleTimeout = 400 * time.Millisecond
	})
	c := greeted(t, addr)
	c.Expect("421 4.4.2 a.example Idle for 400ms: closing the connection*")
	c.ExpectClosed()
}

// authPlain is AUTH PLAIN's initial response for user and pass.
func authPlain(user, pass string) string {
	return "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass))
}

// authNote waits for the trace note about a failed login.
func authNote(t *testing.T, sub *tracer.Subscription) *tracer.Event {
	t.Helper()
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindNote && e.Attrs["step"] == "auth-failed" {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no trace note about the failed login")
		}
	}
}

// TestAuthPenalty: the first wrong password is answered at once; the next
// ones wait longer and longer, across sessions, for an unknown user as for
// a wrong password; the third failure in a session ends it with 421; the
// trace says what happens and why; a correct login clears the count.
func TestAuthPenalty(t *testing.T) {
	box := &penalty.Box{Base: 40 * time.Millisecond, Max: 160 * time.Millisecond}
	addr, _, _, sub := fakeServer(t, func(s *smtp.Server) { s.Penalty = box })
	c := ehloed(t, addr)
	c.Send(authPlain("alice", "wrong"))
	c.Expect("535 5.7.8 Authentication credentials invalid")
	if e := authNote(t, sub); e.Attrs["wait_ms"] != "0" || e.Attrs["failures"] != "1" || !strings.Contains(e.Text, "answered at once") {
		t.Errorf("first failure noted as %q %v", e.Text, e.Attrs)
	}
	c.Send("NOOP") // a success in between does not reset the count
	c.Expect("250 *")
	c.Send(authPlain("nobody", "nobody"))
	c.Expect("535 5.7.8 Authentication credentials invalid (answered after 40ms: repeated failed logins from your address or for this user; the next failure waits 80ms)")
	if e := authNote(t, sub); e.Attrs["wait_ms"] != "40" || e.Explain == nil || e.Explain.Key != "auth.fail.wait" {
		t.Errorf("second failure noted as %q %v %+v", e.Text, e.Attrs, e.Explain)
	}
	c.Send(authPlain("alice", "wrong"))
	c.Expect("535 5.7.8 Authentication credentials invalid (answered after 80ms*")
	c.Expect("421 4.7.0 a.example Too many failed logins (3 in this session): closing the connection")
	c.ExpectClosed()
	if e := authNote(t, sub); e.Explain == nil || e.Explain.Key != "auth.fail.close" || !strings.Contains(e.Explain.Text, "3 failed logins in one session") {
		t.Errorf("third failure noted as %q %+v", e.Text, e.Explain)
	}
	// A new session does not start from zero.
	c = ehloed(t, addr)
	c.Send(authPlain("alice", "wrong"))
	c.Expect("535 5.7.8 Authentication credentials invalid (answered after 160ms*")
	c.Send(authPlain("alice", "alice"))
	c.Expect("235 *")
	if d := box.Pending("127.0.0.1", "alice"); d != 0 {
		t.Errorf("after a correct login the next failure would wait %v", d)
	}
}

// TestAuthPenaltyShutdown: a failed login waiting for its delay does not
// hold up the server's shutdown; the client hears why the session ends.
func TestAuthPenaltyShutdown(t *testing.T) {
	var srv *smtp.Server
	addr, _, _, sub := fakeServer(t, func(s *smtp.Server) {
		s.Penalty = &penalty.Box{Base: time.Hour, Max: time.Hour}
		srv = s
	})
	c := ehloed(t, addr)
	c.Send(authPlain("alice", "wrong"))
	c.Expect("535 *")
	c.Send(authPlain("alice", "wrong"))
	authNote(t, sub)
	authNote(t, sub) // the second failure is waiting now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.Expect("421 4.3.2 a.example Service shutting down, closing the connection")
}

// gateNote returns the next trace note of a login waiting at the gate.
func gateNote(t *testing.T, sub *tracer.Subscription) *tracer.Event {
	t.Helper()
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindNote && e.Attrs["step"] == "auth-gate" {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no trace note about a login waiting at the gate")
		}
	}
}

// TestAuthGate: once an address has failed twice, every login from it
// waits before its password is checked, a right one too (else a guesser
// that does not wait for the answer learns "wrong" from the silence and
// "right" from a quick 235), and parallel logins from it pass one after
// another (else 30 connections guess 30 times as fast). A first mistake
// still costs nothing.
func TestAuthGate(t *testing.T) {
	box := &penalty.Box{Base: 300 * time.Millisecond, Max: 300 * time.Millisecond, MaxQueue: 1600 * time.Millisecond}
	addr, _, _, sub := fakeServer(t, func(s *smtp.Server) { s.Penalty = box })
	c := ehloed(t, addr)
	c.Send(authPlain("alice", "wrong"))
	c.Expect("535 *")
	c.Send(authPlain("alice", "alice")) // one typo: the right password is not held up
	c.Expect("235 *")
	for drained := false; !drained; {
		select {
		case e := <-sub.C():
			if e.Attrs["step"] == "auth-gate" {
				t.Fatalf("a login after one typo waited at the gate: %q", e.Text)
			}
		default:
			drained = true
		}
	}
	// Two failures from this address (bob's, so alice's count is not it).
	for range 2 {
		c := ehloed(t, addr)
		c.Send(authPlain("bob", "wrong"))
		c.Expect("535 *")
	}
	c = ehloed(t, addr)
	c.Send(authPlain("alice", "alice"))
	if e := gateNote(t, sub); e.Attrs["wait_ms"] == "0" {
		t.Fatalf("the right password after two failures did not wait: %q", e.Text)
	}
	c.Expect("235 *")
	// The right password cleared the address: build it up again, then
	// five logins at once wait one after another.
	for range 2 {
		c := ehloed(t, addr)
		c.Send(authPlain("bob", "wrong"))
		c.Expect("535 *")
	}
	var cs []*client
	for range 5 {
		cs = append(cs, ehloed(t, addr))
	}
	for _, c := range cs {
		c.Send(authPlain("bob", "wrong"))
	}
	waits := map[string]bool{}
	for range 5 {
		e := gateNote(t, sub)
		if waits[e.Attrs["wait_ms"]] {
			t.Fatalf("two parallel logins got the same gate wait %sms: they were not queued one after another", e.Attrs["wait_ms"])
		}
		waits[e.Attrs["wait_ms"]] = true
	}
	for _, c := range cs {
		c.Expect("535 *")
	}
	// More logins at once than the gate queues (1.6 s: five of 300 ms):
	// the rest are refused unchecked, and say so, rather than answered like
	// a wrong password.
	cs = cs[:0]
	for range 8 {
		cs = append(cs, ehloed(t, addr))
	}
	for _, c := range cs {
		c.Send(authPlain("bob", "wrong"))
	}
	refused := 0
	for _, c := range cs {
		if line := c.ReadLine(); strings.HasPrefix(line, "421 4.7.0 a.example Too many logins from your address are waiting") {
			refused++
		} else if !strings.HasPrefix(line, "535 ") {
			t.Fatalf("a login behind a full gate got %q", line)
		}
	}
	if refused == 0 || refused == len(cs) {
		t.Fatalf("%d of %d logins refused at the gate: want some queued and the rest refused", refused, len(cs))
	}
}
