package imap_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// panicAuth is testAuth, except that the login "panic" panics, the way a
// bug in the backend would.
func panicAuth(login, password string) (string, bool) {
	if login == "panic" {
		panic("panicAuth: asked to panic")
	}
	return testAuth(login, password)
}

// limServer serves an IMAP server without TLS (imapserver reads the
// socket itself) on a traced 127.0.0.1:0 listener, over a fresh store.
func limServer(t *testing.T, configure func(*imap.Server)) (string, *wiretest.LogBuffer, *tracer.Subscription) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for u := range users {
		if err := st.EnsureUser(context.Background(), "A", u); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &wiretest.LogBuffer{}
	srv := &imap.Server{Name: "A", Domain: "a.example", Store: st, Auth: imap.AuthFunc(panicAuth),
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if configure != nil {
		configure(srv)
	}
	bus := tracer.NewBus()
	sub := bus.Subscribe(1 << 12)
	done := make(chan struct{})
	go func() { srv.Serve(bus.Listen(l, "A", "imap")); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done; st.Close() })
	return l.Addr().String(), logs, sub
}

// TestPanicSaysBye: a panic in a command (LOGIN, or the SASL exchange of
// AUTHENTICATE) ends that session with * BYE, is logged with its stack and
// noted in the trace, and the next client is served.
func TestPanicSaysBye(t *testing.T) {
	addr, logs, sub := limServer(t, nil)
	plain := base64.StdEncoding.EncodeToString([]byte("\x00panic\x00x"))
	for _, cmd := range []string{"a1 LOGIN panic x", "a1 AUTHENTICATE PLAIN " + plain} {
		c := greeted(t, addr)
		c.Send(cmd)
		c.Expect("* BYE [SERVERBUG] internal error in the server: closing the connection")
		c.ExpectClosed()
		log := logs.String()
		for _, want := range []string{"panic in session", "panicAuth: asked to panic", "goroutine ", "imap_test.panicAuth"} {
			if !strings.Contains(log, want) {
				t.Errorf("%s: the log lacks %q:\n%s", cmd, want, log)
			}
		}
		for noted := false; !noted; {
			select {
			case e := <-sub.C():
				noted = e.Kind == tracer.KindNote && strings.Contains(e.Text, "internal error in server A")
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no trace note about the panic", cmd)
			}
		}
		c = loggedIn(t, addr, "alice")
		c.Send("a2 NOOP")
		c.untilTagged("a2", "a2 OK *")
	}
}

// TestSessionTimeoutInIdle: SessionTimeout ends even an IDLE session, with
// * BYE saying why.
func TestSessionTimeoutInIdle(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.SessionTimeout = 500 * time.Millisecond })
	c := selectedBox(t, addr, "INBOX")
	c.Send("i1 IDLE")
	c.Expect("+ *")
	c.Expect("* BYE session open for 500ms, the longest allowed: closing the connection; connect again to go on")
	c.ExpectClosed()
}

// TestSlowLineAfterLogin: after login (imapserver reading the socket
// itself) a command line begun and never finished is cut off after
// LineTimeout with * BYE, though the idle timeout is far away.
func TestSlowLineAfterLogin(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.LineTimeout = 300 * time.Millisecond })
	c := loggedIn(t, addr, "alice")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			if _, err := io.WriteString(c.NetConn(), "x"); err != nil {
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
	}()
	c.Expect("* BYE line not finished within 300ms of its first octet: closing the connection")
	c.ExpectClosed()
	c.NetConn().Close()
	<-done
	greeted(t, addr)
}

// TestLongLiteralIsNotALongLine: an APPEND literal sent in pieces, each
// ending its line, is not cut off by LineTimeout however long it takes.
func TestLongLiteralIsNotALongLine(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.LineTimeout = 300 * time.Millisecond })
	c := loggedIn(t, addr, "alice")
	body := "Subject: slow\r\n\r\n" + strings.Repeat("a line of the body\r\n", 10)
	c.SendRaw("p1 APPEND INBOX {" + strconv.Itoa(len(body)) + "}\r\n")
	c.Expect("+ *")
	for _, l := range strings.SplitAfter(body, "\r\n") {
		c.SendRaw(l)
		time.Sleep(50 * time.Millisecond) // 550 ms in all, each line at once
	}
	c.Send("")
	c.untilTagged("p1", "p1 OK *")
}

// TestPerAddressLimit: over MaxConnsLoopback a client gets * BYE
// [UNAVAILABLE] naming its address instead of the greeting.
func TestPerAddressLimit(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.MaxConnsLoopback = 1 })
	greeted(t, addr)
	c := dial(t, addr)
	c.Expect("* BYE [UNAVAILABLE] mailscope server A has too many IMAP connections open from your address 127.0.0.1 (1, the limit); try again in a moment")
	c.ExpectClosed()
}
