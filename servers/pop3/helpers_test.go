package pop3

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// testBackend knows alice and bob of a.example; their passwords are their
// names. The login "panic" makes Authenticate panic.
type testBackend struct{}

func (testBackend) user(login string) (string, bool) {
	name := strings.ToLower(login)
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		if name[i+1:] != "a.example" {
			return "", false
		}
		name = name[:i]
	}
	switch name {
	case "alice", "bob":
		return name, true
	case "panic":
		panic("test backend: asked to panic")
	}
	return "", false
}

func (b testBackend) Authenticate(login, password string) (string, bool) {
	u, ok := b.user(login)
	return u, ok && password == u
}

func (b testBackend) APOPSecret(login string) (string, string, bool) {
	u, ok := b.user(login)
	return u, u, ok
}

var _ Backend = testBackend{}

// logRecorder keeps the error records a server logs, so that a test can
// tell that nothing went wrong inside it.
type logRecorder struct {
	mu   sync.Mutex
	errs []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.errs = append(l.errs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// testServer is a POP3 server on 127.0.0.1:0 over a real store, traced on
// a real bus.
type testServer struct {
	srv    *Server
	addr   string
	st     *store.Store
	bus    *tracer.Bus
	sub    *tracer.Subscription // every event since the server started
	logs   *logRecorder
	served chan error // what Serve returned

	allowLogErrors bool

	peers     map[string]string // client address -> session id, from open events
	closedIDs map[string]bool   // sessions whose close event was seen
}

// newServer starts a server traced on a new English, masking bus;
// configure changes it before it serves.
func newServer(t testing.TB, configure ...func(*Server)) *testServer {
	t.Helper()
	return newServerOn(t, tracer.NewBus(), configure...)
}

// newServerOn starts a server traced on bus.
func newServerOn(t testing.TB, bus *tracer.Bus, configure ...func(*Server)) *testServer {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if err := st.EnsureUser(context.Background(), "A", u); err != nil {
			t.Fatal(err)
		}
	}
	sub := bus.Subscribe(1 << 16)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	ts := &testServer{st: st, bus: bus, sub: sub, logs: logs, addr: l.Addr().String(), served: make(chan error, 1),
		peers: map[string]string{}, closedIDs: map[string]bool{}}
	ts.srv = &Server{
		Name: "A", Domain: "a.example",
		Backend:   testBackend{},
		Store:     st,
		TLSConfig: testTLSConfig(t),
		Logger:    slog.New(logs),
	}
	for _, c := range configure {
		c(ts.srv)
	}
	go func() { ts.served <- ts.srv.Serve(bus.Listen(l, "A", "pop3")) }()
	t.Cleanup(func() {
		ts.srv.Close()
		st.Close()
		sub.Close()
		if errs := logs.errors(); len(errs) > 0 && !ts.allowLogErrors {
			t.Errorf("server logged errors: %q", errs)
		}
	})
	return ts
}

// testTLSConfig returns a config with a self-signed certificate for
// 127.0.0.1.
func testTLSConfig(t testing.TB) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{wiretest.ServerCert(t)}, MinVersion: tls.VersionTLS12}
}

// deliver puts a message into user's INBOX, as SMTP would, and returns its UID.
func (ts *testServer) deliver(t testing.TB, user, body string) uint32 {
	t.Helper()
	res, err := ts.st.Deliver(context.Background(), &store.Delivery{Server: "A", Local: []string{user}, Body: []byte(body), Received: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return res.Local[user]
}

// inbox lists user's INBOX from the store.
func (ts *testServer) inbox(t testing.TB, user string) []*store.Message {
	t.Helper()
	mb, err := ts.st.Mailbox(context.Background(), "A", user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ts.st.Messages(context.Background(), mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// waitClose waits until the server side of c's session has closed; a
// session releases its maildrop lock before it closes.
func (ts *testServer) waitClose(t testing.TB, c *client) {
	t.Helper()
	peer := c.NetConn().LocalAddr().String()
	timeout := time.After(10 * time.Second)
	for {
		if id, ok := ts.peers[peer]; ok && ts.closedIDs[id] {
			return
		}
		select {
		case e := <-ts.sub.C():
			switch e.Kind {
			case tracer.KindOpen:
				ts.peers[e.Peer] = e.Session
			case tracer.KindClose:
				ts.closedIDs[e.Session] = true
			}
		case <-timeout:
			t.Fatal("timed out waiting for the session to close")
		}
	}
}

// client is a line client with POP3's status lines and multi-line
// responses; every line it reads must end in CRLF.
type client struct{ *wiretest.Conn }

func (ts *testServer) dial(t testing.TB) *client { return newClient(wiretest.Dial(t, ts.addr)) }

func newClient(c *wiretest.Conn) *client {
	c.RequireCRLF = true
	return &client{c}
}

// greeted dials and reads the greeting.
func (ts *testServer) greeted(t testing.TB) *client {
	t.Helper()
	c := ts.dial(t)
	if g := c.line(); !strings.HasPrefix(g, "+OK ") {
		t.Fatalf("greeting %q", g)
	}
	return c
}

// authenticated logs user in with USER and PASS.
func (ts *testServer) authenticated(t testing.TB, user string) *client {
	t.Helper()
	c := ts.greeted(t)
	c.ok("USER " + user)
	c.ok("PASS " + user)
	return c
}

// line reads one line without CRLF.
func (c *client) line() string {
	c.T().Helper()
	return c.ReadLine()
}

// cmd sends a command and returns its status line.
func (c *client) cmd(line string) string {
	c.T().Helper()
	c.Send(line)
	return c.line()
}

// ok sends a command and wants +OK.
func (c *client) ok(line string) string {
	c.T().Helper()
	r := c.cmd(line)
	if !strings.HasPrefix(r, "+OK") {
		c.Fatalf("%s: %q, want +OK", line, r)
	}
	return r
}

// err sends a command and wants a -ERR containing every want.
func (c *client) err(line string, want ...string) string {
	c.T().Helper()
	r := c.cmd(line)
	if !strings.HasPrefix(r, "-ERR ") {
		c.Fatalf("%s: %q, want -ERR", line, r)
	}
	for _, w := range want {
		if !strings.Contains(r, w) {
			c.Fatalf("%s: %q does not say %q", line, r, w)
		}
	}
	return r
}

// multi sends a command that answers with a multi-line response and
// returns the status line and the raw bytes up to the terminating dot line
// (dot-stuffed, as on the wire).
func (c *client) multi(line string) (string, []byte) {
	c.T().Helper()
	st := c.ok(line)
	return st, c.rawBody()
}

// rawBody reads up to and including the line holding only a dot and
// returns what came before it.
func (c *client) rawBody() []byte {
	c.T().Helper()
	var b []byte
	for {
		l, err := c.Reader().ReadBytes('\n')
		if err != nil {
			c.Fatalf("reading a multi-line response: %v after %q", err, b)
		}
		if string(l) == ".\r\n" {
			return b
		}
		b = append(b, l...)
	}
}

// lines splits a raw listing into lines.
func lines(raw []byte) []string {
	s := strings.TrimSuffix(string(raw), "\r\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\r\n")
}

// unstuff undoes dot-stuffing, RFC 1939 section 3.
func unstuff(raw []byte) []byte {
	var out []byte
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		l := raw
		if i >= 0 {
			l, raw = raw[:i+1], raw[i+1:]
		} else {
			raw = nil
		}
		if len(l) > 0 && l[0] == '.' {
			l = l[1:]
		}
		out = append(out, l...)
	}
	return out
}
