package imap_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// penAuth is testAuth with a penalty Box (imap.Penalizer).
type penAuth struct{ box *penalty.Box }

func (a penAuth) Authenticate(login, password string) (string, bool) {
	return testAuth(login, password)
}
func (a penAuth) Penalty() *penalty.Box { return a.box }

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
// ones wait longer and longer, across sessions and commands, for an unknown
// user as for a wrong password; the third failure in a session is answered
// * BYE and closes it; the trace says what happens; a correct login clears
// the count.
func TestAuthPenalty(t *testing.T) {
	box := &penalty.Box{Base: 40 * time.Millisecond, Max: 160 * time.Millisecond}
	addr, _, sub := limServer(t, func(s *imap.Server) { s.Auth = penAuth{box} })
	c := greeted(t, addr)
	c.Send("a1 LOGIN alice wrong")
	c.Expect("a1 NO [AUTHENTICATIONFAILED] wrong user name or password")
	if e := authNote(t, sub); e.Attrs["wait_ms"] != "0" || e.Explain == nil || e.Explain.Key != "auth.fail.free" {
		t.Errorf("first failure noted as %q %v %+v", e.Text, e.Attrs, e.Explain)
	}
	c.Send("a2 LOGIN nobody nobody")
	c.Expect("a2 NO [AUTHENTICATIONFAILED] wrong user name or password (answered after 40ms: repeated failed logins from your address or for this user; the next failure waits 80ms)")
	authNote(t, sub)
	c.Send("a3 AUTHENTICATE PLAIN AGFsaWNlAHdyb25n") // \0alice\0wrong
	c.Expect("* BYE wrong user name or password (answered after 80ms*); 3 failed logins in this session: closing the connection")
	c.ExpectClosed()
	if e := authNote(t, sub); e.Explain == nil || e.Explain.Key != "auth.fail.close" || !strings.Contains(e.Explain.Text, "3 failed logins") {
		t.Errorf("third failure noted as %q %+v", e.Text, e.Explain)
	}
	// A new session does not start from zero.
	c = greeted(t, addr)
	c.Send("b1 LOGIN alice wrong")
	c.Expect("b1 NO [AUTHENTICATIONFAILED] wrong user name or password (answered after 160ms*")
	c.Send("b2 LOGIN alice alice")
	c.untilTagged("b2", "b2 OK *")
	if d := box.Pending("127.0.0.1", "alice"); d != 0 {
		t.Errorf("after a correct login the next failure would wait %v", d)
	}
}

// TestAuthPenaltyShutdown: a failed login waiting for its delay (in
// AUTHENTICATE, which holds imapserver's writer) does not hold up the
// server's shutdown; the client hears why the session ends.
func TestAuthPenaltyShutdown(t *testing.T) {
	var srv *imap.Server
	addr, _, sub := limServer(t, func(s *imap.Server) {
		s.Auth = penAuth{&penalty.Box{Base: time.Hour, Max: time.Hour}}
		srv = s
	})
	c := greeted(t, addr)
	c.Send("a1 LOGIN alice wrong")
	c.Expect("a1 NO *")
	authNote(t, sub)
	c.Send("a2 AUTHENTICATE PLAIN AGFsaWNlAHdyb25n")
	authNote(t, sub) // the second failure is waiting now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The tagged NO and Shutdown's BYE race for imapserver's writer once
	// the delay ends; the BYE must come, the NO may.
	if l := c.ReadLine(); l == "a2 NO [UNAVAILABLE] mailscope server A is shutting down" {
		c.Expect("* BYE mailscope server A is shutting down")
	} else if l != "* BYE mailscope server A is shutting down" {
		t.Fatalf("got %q, want the BYE of the shutdown", l)
	}
}
