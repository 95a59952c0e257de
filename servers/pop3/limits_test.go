package pop3

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/tracer"
)

// serverClosed reports whether the server closed c: a read ends with EOF,
// or with a reset when the client had sent something the server never read.
func serverClosed(c *client) bool {
	_, err := c.Reader().ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestPanicLoggedWithStack: a panic ends its session with -ERR [SYS/TEMP],
// the log holds its stack, the trace a note, and the next client is served.
func TestPanicLoggedWithStack(t *testing.T) {
	logs := &wiretest.LogBuffer{}
	ts := newServer(t, func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	c := ts.greeted(t)
	c.ok("USER panic")
	if r := c.cmd("PASS panic"); r != "-ERR [SYS/TEMP] internal error in the server: closing the connection" {
		t.Errorf("after a panic: %q", r)
	}
	if !c.Closed() {
		t.Error("session open after a panic")
	}
	log := logs.String()
	for _, want := range []string{"panic in session", "test backend: asked to panic", "goroutine ", "testBackend"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	for noted := false; !noted; {
		select {
		case e := <-ts.sub.C():
			noted = e.Kind == tracer.KindNote && strings.Contains(e.Text, "internal error in server A")
		case <-time.After(5 * time.Second):
			t.Fatal("no trace note about the panic")
		}
	}
	ts.authenticated(t, "alice").ok("QUIT")
}

// TestSessionTimeoutDeletesNothing: a session busy past SessionTimeout ends
// with -ERR saying so, and its DELE marks are forgotten (no UPDATE state).
func TestSessionTimeoutDeletesNothing(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.SessionTimeout = 500 * time.Millisecond })
	ts.deliver(t, "alice", msg1)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	for {
		c.Send("NOOP")
		r := c.line()
		if strings.HasPrefix(r, "-ERR") {
			if !strings.HasPrefix(r, "-ERR [SYS/TEMP] session open for 500ms, the longest allowed") || !strings.Contains(r, "nothing was deleted") {
				t.Errorf("session end %q", r)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !serverClosed(c) {
		t.Error("connection open after the session timeout")
	}
	ts.authenticated(t, "alice").ok("QUIT") // the maildrop lock is free again
	if n := len(ts.inbox(t, "alice")); n != 1 {
		t.Errorf("%d messages left, want 1 (nothing deleted)", n)
	}
}

// TestSlowCommandLine: a command trickled an octet at a time and never
// finished is cut off after LineTimeout.
func TestSlowCommandLine(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.LineTimeout = 300 * time.Millisecond })
	c := ts.greeted(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			if _, err := io.WriteString(c.NetConn(), "U"); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
	}()
	if r := c.line(); r != "-ERR line not finished within 300ms of its first octet: closing the connection; nothing was deleted" {
		t.Errorf("slow line answered %q", r)
	}
	if !serverClosed(c) {
		t.Error("connection open after the line timeout")
	}
	c.NetConn().Close()
	<-done
	ts.greeted(t)
}

// TestPerAddressLimit: over MaxConnsLoopback a client gets -ERR [SYS/TEMP]
// naming its address instead of the greeting.
func TestPerAddressLimit(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.MaxConnsLoopback = 1 })
	ts.greeted(t)
	c := ts.dial(t)
	if r := c.line(); r != "-ERR [SYS/TEMP] a.example has too many POP3 connections open from your address 127.0.0.1 (1); try again in a moment" {
		t.Errorf("second connection %q", r)
	}
	if !c.Closed() {
		t.Error("refused connection left open")
	}
}
