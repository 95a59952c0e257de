package pop3

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// authNote waits for the trace note about a failed login.
func authNote(t *testing.T, ts *testServer) *tracer.Event {
	t.Helper()
	for {
		select {
		case e := <-ts.sub.C():
			if e.Kind == tracer.KindNote && e.Attrs["step"] == "auth-failed" {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no trace note about the failed login")
		}
	}
}

// TestAuthPenalty: the first wrong password is answered at once; the next
// ones wait longer and longer, across sessions and login commands, for an
// unknown user as for a wrong password; a successful USER does not reset
// the count, and the third failure in a session closes it; the trace says
// what happens; a correct login clears the count.
func TestAuthPenalty(t *testing.T) {
	box := &penalty.Box{Base: 40 * time.Millisecond, Max: 160 * time.Millisecond}
	ts := newServer(t, func(s *Server) { s.Penalty = box })
	c := ts.greeted(t)
	c.ok("USER alice")
	if r := c.err("PASS wrong", "-ERR [AUTH] authentication failed"); strings.Contains(r, "answered after") {
		t.Errorf("the first failure waited: %q", r)
	}
	if e := authNote(t, ts); e.Attrs["wait_ms"] != "0" || e.Explain == nil || e.Explain.Key != "auth.fail.free" {
		t.Errorf("first failure noted as %q %v %+v", e.Text, e.Attrs, e.Explain)
	}
	c.ok("USER nobody")
	c.err("PASS nobody", "-ERR [AUTH] authentication failed", "(answered after 40ms: repeated failed logins from your address or for this user; the next failure waits 80ms)")
	authNote(t, ts)
	c.ok("USER alice")
	c.err("PASS wrong", "-ERR [AUTH] authentication failed (answered after 80ms", "3 failed logins in this session: closing the connection")
	if e := authNote(t, ts); e.Explain == nil || e.Explain.Key != "auth.fail.close" {
		t.Errorf("third failure noted as %q %+v", e.Text, e.Explain)
	}
	if !c.Closed() {
		t.Fatal("the session stays open after 3 failed logins")
	}
	// A new session and another command do not start from zero.
	c = ts.greeted(t)
	c.err("APOP alice 0123456789abcdef0123456789abcdef", "-ERR [AUTH] APOP failed", "(answered after 160ms")
	c.ok("USER alice")
	c.ok("PASS alice")
	if d := box.Pending("127.0.0.1", "alice"); d != 0 {
		t.Errorf("after a correct login the next failure would wait %v", d)
	}
}

// TestAuthPenaltyShutdown: a failed login waiting for its delay does not
// hold up the server's shutdown; the client hears why the session ends.
func TestAuthPenaltyShutdown(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.Penalty = &penalty.Box{Base: time.Hour, Max: time.Hour} })
	c := ts.greeted(t)
	c.err("AUTH PLAIN AGFsaWNlAHdyb25n", "[AUTH]") // \0alice\0wrong
	authNote(t, ts)
	c.Send("AUTH PLAIN AGFsaWNlAHdyb25n")
	authNote(t, ts) // the second failure is waiting now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if r := c.line(); !strings.HasPrefix(r, errShuttingDown.line()) {
		t.Errorf("reply %q, want %q", r, errShuttingDown.line())
	}
}

// TestAuthPenaltyNotesInChinese: in a zh trace the notes about failed
// logins say their waits as Chinese does (40 毫秒), not Go's 40ms.
func TestAuthPenaltyNotesInChinese(t *testing.T) {
	box := &penalty.Box{Base: 40 * time.Millisecond, Max: 160 * time.Millisecond}
	ts := newServerOn(t, tracer.NewBus(tracer.WithLang("zh")), func(s *Server) { s.Penalty = box })
	c := ts.greeted(t)
	c.ok("USER alice")
	c.err("PASS wrong")
	if e := authNote(t, ts); !strings.Contains(e.Text, "再次失败将等待 40 毫秒") {
		t.Errorf("first failure noted as %q", e.Text)
	}
	c.ok("USER alice")
	c.err("PASS wrong")
	if e := authNote(t, ts); !strings.Contains(e.Text, "响应要等待 40 毫秒；下一次将等待 80 毫秒") {
		t.Errorf("second failure noted as %q", e.Text)
	}
}
