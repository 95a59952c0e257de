package imap_test

import (
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/tracer"
)

// stressNote waits for the trace note of a busy or full server (step key).
func stressNote(t *testing.T, sub *tracer.Subscription, key string) {
	t.Helper()
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindNote && e.Attrs["step"] == key {
				if e.Explain == nil || e.Explain.Key != key {
					t.Errorf("note %q explained by %+v, want the catalog's %s", e.Text, e.Explain, key)
				}
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no trace note %s", key)
		}
	}
}

// TestBusyServerShortensIdle: once 80% of MaxConns are in use, sessions
// waiting for a command get BusyIdleTimeout, those that began waiting while
// the server was quiet too, and an IDLE as well, and are closed with
// * BYE [UNAVAILABLE] saying why (the IMAP side of servers'
// TestBusyServerShortensIdle).
func TestBusyServerShortensIdle(t *testing.T) {
	addr, _, sub := limServer(t, func(s *imap.Server) {
		s.MaxConns, s.BusyIdleTimeout = 5, 300*time.Millisecond
	})
	var open []*client
	for range 3 {
		open = append(open, greeted(t, addr))
	}
	idle := selectedBox(t, addr, "INBOX") // the fourth makes the server busy
	idle.Send("i1 IDLE")
	idle.Expect("+ *")
	open = append(open, idle)
	for _, c := range open {
		c.Expect("* BYE [UNAVAILABLE] autologout: idle for 300ms while the server is busy (80% or more of its 5 connections in use): closing the connection; connect again later")
		c.ExpectClosed()
	}
	stressNote(t, sub, "conn.busy")
}

// TestFullServerMakesRoom: at MaxConns a new client is greeted, and the
// session that has waited longest for a command, an IDLE one too, is
// closed with * BYE [UNAVAILABLE] saying why, instead of the new client
// being refused (the IMAP side of servers' TestFullServerMakesRoom).
func TestFullServerMakesRoom(t *testing.T) {
	for _, idle := range []bool{false, true} {
		name := map[bool]string{false: "greeted", true: "idle"}[idle]
		t.Run(name, func(t *testing.T) {
			addr, _, sub := limServer(t, func(s *imap.Server) { s.MaxConns = 3 })
			var first *client
			if idle {
				first = selectedBox(t, addr, "INBOX")
				first.Send("i1 IDLE")
				first.Expect("+ *")
			} else {
				first = greeted(t, addr)
			}
			// A session is closed to make room only after waiting
			// limits.EvictAfter (1 s) for a command: only the first has,
			// when the fourth client comes. (A wait begins just after the
			// server's reply, which the client may read first, so sessions
			// opened one after the other may begin their waits in another
			// order.)
			time.Sleep(600 * time.Millisecond)
			greeted(t, addr)
			greeted(t, addr)
			time.Sleep(600 * time.Millisecond)
			greeted(t, addr)
			first.Expect("* BYE [UNAVAILABLE] mailscope server A is full (3 connections, the limit): this session waited longest for a command and is closed to make room; connect again later")
			first.ExpectClosed()
			stressNote(t, sub, "conn.full")
		})
	}
}

// TestIdleTimeoutOnce: a session that sends nothing gets its autologout
// BYE after IdleTimeout, once: it came after 60 s whatever IdleTimeout was
// (imapserver's 30 s, twice, as its end-of-input check read again after
// the timeout). 3x the timeout bounds a hang; it is no measure of speed.
func TestIdleTimeoutOnce(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.IdleTimeout = 500 * time.Millisecond })
	c := greeted(t, addr)
	c.NetConn().SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	c.Expect("* BYE autologout: nothing was sent for too long")
	c.ExpectClosed()
}

// TestIdleByeAfterWriteTimeout: the autologout BYE is written under a
// fresh write deadline, so a WriteTimeout far shorter than the silence
// does not lose it (the IMAP side of servers'
// TestIdleReplyAfterWriteTimeout).
func TestIdleByeAfterWriteTimeout(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) {
		s.WriteTimeout, s.IdleTimeout = 100*time.Millisecond, 500*time.Millisecond
	})
	c := greeted(t, addr)
	c.Send("a1 NOOP") // a write, then silence longer than WriteTimeout
	c.untilTagged("a1", "a1 OK *")
	c.Expect("* BYE autologout: nothing was sent for too long")
	c.ExpectClosed()
}

// TestFullServerMakesRoomNearSessionEnd: a session closed to make room is
// told so even when the session's end, not the idle timeout, was the
// deadline of its wait.
func TestFullServerMakesRoomNearSessionEnd(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.MaxConns, s.SessionTimeout = 3, 2*time.Second })
	first := greeted(t, addr)
	time.Sleep(600 * time.Millisecond) // only the first has waited limits.EvictAfter when the fourth comes
	greeted(t, addr)
	greeted(t, addr)
	time.Sleep(600 * time.Millisecond)
	greeted(t, addr)
	first.Expect("* BYE [UNAVAILABLE] mailscope server A is full (3 connections, the limit): *")
	first.ExpectClosed()
}
