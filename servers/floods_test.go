package servers_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
)

// TestIdleReplyAfterWriteTimeout: a session idle for longer than
// WriteTimeout still gets the reply that says why it is closed: the write
// deadline of its last reply passed long before.
func TestIdleReplyAfterWriteTimeout(t *testing.T) {
	inst := startLimited(t, servers.Limits{WriteTimeout: 100 * time.Millisecond, IdleTimeout: 500 * time.Millisecond})
	want := map[world.Protocol]string{
		world.SMTP: "421 4.4.2 a.example Idle for 500ms: closing the connection",
		world.POP3: "-ERR autologout: idle for 500ms",
		world.IMAP: "* BYE autologout: nothing was sent for too long",
	}
	for _, pc := range protoCases {
		t.Run(string(pc.proto), func(t *testing.T) {
			l, c := firstLine(t, inst.Addr("A", pc.proto))
			if !strings.HasPrefix(l, pc.greeting) {
				t.Fatalf("greeting %q", l)
			}
			if ok, got := untilLine(c, bufio.NewReader(c), want[pc.proto]); !ok {
				t.Errorf("no %q; got:\n%s", want[pc.proto], got)
			}
		})
	}
}

// TestBusyServerShortensIdle: once 80% of MaxConns are in use, sessions
// waiting for a command get BusyIdleTimeout, those that began waiting while
// the server was quiet too, and are closed with a reply that says why: one
// client cannot hold the places for the whole idle timeout.
func TestBusyServerShortensIdle(t *testing.T) {
	inst := startLimited(t, servers.Limits{MaxConns: 5, BusyIdleTimeout: 300 * time.Millisecond})
	want := map[world.Protocol]string{
		world.SMTP: "421 4.4.2 a.example Idle for 300ms while the server is busy (80% or more of its 5 connections in use)",
		world.POP3: "-ERR [SYS/TEMP] autologout: idle for 300ms while the server is busy (80% or more of its 5 connections in use)",
		world.IMAP: "* BYE [UNAVAILABLE] autologout: idle for 300ms while the server is busy (80% or more of its 5 connections in use)",
	}
	for _, pc := range protoCases {
		t.Run(string(pc.proto), func(t *testing.T) {
			var open []net.Conn
			for range 4 { // the fourth makes the server busy
				l, c := firstLine(t, inst.Addr("A", pc.proto))
				if !strings.HasPrefix(l, pc.greeting) {
					t.Fatalf("greeting %q", l)
				}
				open = append(open, c)
			}
			for i, c := range open {
				if ok, got := untilLine(c, bufio.NewReader(c), want[pc.proto]); !ok {
					t.Errorf("session %d: no %q; got:\n%s", i+1, want[pc.proto], got)
				}
			}
		})
	}
}

// TestFullServerMakesRoom: at MaxConns, a new client is admitted and the
// session that has waited longest for a command is closed with a reply
// that says why, instead of the new client being refused.
func TestFullServerMakesRoom(t *testing.T) {
	inst := startLimited(t, servers.Limits{MaxConns: 3})
	want := map[world.Protocol]string{
		world.SMTP: "421 4.7.0 a.example Server full (3 connections, the limit): this session waited longest for a command and is closed to make room",
		world.POP3: "-ERR [SYS/TEMP] a.example is full (3 connections, the limit): this session waited longest for a command and is closed to make room",
		world.IMAP: "* BYE [UNAVAILABLE] mailscope server A is full (3 connections, the limit): this session waited longest for a command and is closed to make room",
	}
	for _, pc := range protoCases {
		t.Run(string(pc.proto), func(t *testing.T) {
			// A session is closed to make room only after waiting
			// limits.EvictAfter (1 s) for a command: only the first has,
			// when the fourth client comes. (A wait begins just after the
			// greeting, which the client may read first, so sessions
			// opened one after the other may begin their waits in another
			// order; seen with IMAP under -race.)
			var open []net.Conn
			for i := range 3 {
				l, c := firstLine(t, inst.Addr("A", pc.proto))
				if !strings.HasPrefix(l, pc.greeting) {
					t.Fatalf("greeting %q", l)
				}
				open = append(open, c)
				if i == 0 {
					time.Sleep(600 * time.Millisecond)
				}
			}
			time.Sleep(600 * time.Millisecond)
			if l, _ := firstLine(t, inst.Addr("A", pc.proto)); !strings.HasPrefix(l, pc.greeting) {
				t.Fatalf("a new client at the limit: %q", l)
			}
			if ok, got := untilLine(open[0], bufio.NewReader(open[0]), want[pc.proto]); !ok {
				t.Errorf("the longest waiting session: no %q; got:\n%s", want[pc.proto], got)
			}
			if !closedByServer(open[0]) {
				t.Error("the session that made room is still open")
			}
		})
	}
}
