package imap_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// env is one IMAP server for server "A" (a.example, users alice and bob
// with password = name, and carol) over a real store in a temporary directory, on a traced
// 127.0.0.1:0 listener.
type env struct {
	t    testing.TB
	dir  string
	st   *store.Store
	bus  *tracer.Bus
	srv  *imap.Server
	addr string
	done chan error
}

var users = map[string]string{"alice": "alice", "bob": "bob", "carol": "Pa55-w0rd"}

func testAuth(login, password string) (string, bool) {
	name := login
	if i := strings.LastIndexByte(login, '@'); i >= 0 {
		if !strings.EqualFold(login[i+1:], "a.example") {
			return "", false
		}
		name = login[:i]
	}
	name = strings.ToLower(name)
	if p, ok := users[name]; ok && p == password {
		return name, true
	}
	return "", false
}

// newEnv starts a server over a fresh store.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvIn(t, t.TempDir())
}

// newEnvIn starts a server over the store in dir (a restart when the
// directory was used before).
func newEnvIn(t testing.TB, dir string) *env {
	t.Helper()
	return newEnvOn(t, dir, tracer.NewBus())
}

// newEnvOn starts a server over the store in dir, traced on bus.
func newEnvOn(t testing.TB, dir string, bus *tracer.Bus) *env {
	t.Helper()
	return newEnvAuth(t, dir, bus, imap.AuthFunc(testAuth))
}

// newEnvAuth starts a server over the store in dir, traced on bus, that
// checks logins with auth.
func newEnvAuth(t testing.TB, dir string, bus *tracer.Bus, auth imap.Authenticator) *env {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for u := range users {
		if err := st.EnsureUser(context.Background(), "A", u); err != nil {
			t.Fatal(err)
		}
	}
	cert := wiretest.ServerCert(t)
	e := &env{t: t, dir: dir, st: st, bus: bus, done: make(chan error, 1)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = l.Addr().String()
	e.srv = &imap.Server{
		Name: "A", Domain: "a.example", Store: st, Auth: auth,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	tl := e.bus.Listen(l, "A", "imap")
	go func() { e.done <- e.srv.Serve(tl) }()
	t.Cleanup(e.stop)
	return e
}

// stop closes the server and the store (idempotent).
func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	<-e.done
	e.st.Close()
	e.srv = nil
}

// deliver puts a message into a user's INBOX the way SMTP does.
func (e *env) deliver(user, body string) uint32 {
	e.t.Helper()
	res, err := e.st.Deliver(context.Background(), &store.Delivery{
		Server: "A", Local: []string{user}, Body: []byte(body), Received: time.Now(), TraceID: "test",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Local[user]
}

// msg builds a small message with CRLF line endings.
func msg(subject, text string) string {
	return "From: Bob <bob@b.example>\r\nTo: Alice <alice@a.example>\r\nSubject: " + subject +
		"\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@b.example>\r\n\r\n" + text + "\r\n"
}

// client is a line client with IMAP's tagged responses and literals.
type client struct{ *wiretest.Conn }

func dial(t testing.TB, addr string) *client { return &client{wiretest.Dial(t, addr)} }

// greeted dials and reads the greeting.
func greeted(t testing.TB, addr string) *client {
	t.Helper()
	c := dial(t, addr)
	c.Expect("* OK [CAPABILITY IMAP4rev1 *] *")
	return c
}

// loggedIn logs in as user.
func loggedIn(t testing.TB, addr, user string) *client {
	t.Helper()
	c := greeted(t, addr)
	c.Send("L1 LOGIN " + user + " " + users[user])
	c.untilTagged("L1", "L1 OK *")
	return c
}

// selectedBox logs in as alice and selects a mailbox. The messages in it
// are not \Recent in the session: a first SELECT claims them (RFC 3501
// section 2.3.2), and the second is the one the test goes on with
// (TestRecent tests \Recent itself).
func selectedBox(t testing.TB, addr, mailbox string) *client {
	t.Helper()
	c := loggedIn(t, addr, "alice")
	c.Send("S0 SELECT " + mailbox)
	c.untilTagged("S0", "S0 OK [READ-WRITE] *")
	c.Send("S1 SELECT " + mailbox)
	c.untilTagged("S1", "S1 OK [READ-WRITE] *")
	return c
}

// untilTagged reads lines up to the tagged response of tag, checks it
// against pattern, and returns the untagged lines before it. Literal data
// is returned as lines too.
func (c *client) untilTagged(tag, pattern string) []string {
	c.T().Helper()
	var out []string
	for {
		l := c.ReadLine()
		if strings.HasPrefix(l, tag+" ") {
			if !wiretest.Match(pattern, l) {
				c.Fatalf("tagged response %q does not match %q (before it: %q)", l, pattern, out)
			}
			return out
		}
		out = append(out, l)
	}
}

// literal reads a response line ending in {n} and the n octets after it.
func (c *client) literal() (line string, data []byte) {
	c.T().Helper()
	line = c.ReadLine()
	i := strings.LastIndexByte(line, '{')
	if i < 0 || !strings.HasSuffix(line, "}") {
		c.Fatalf("no literal in %q", line)
	}
	n, err := strconv.Atoi(line[i+1 : len(line)-1])
	if err != nil {
		c.Fatalf("bad literal in %q", line)
	}
	data = make([]byte, n)
	if _, err := io.ReadFull(c.Reader(), data); err != nil {
		c.Fatalf("reading a literal: %v", err)
	}
	return line, data
}

// runTranscript plays a transcript on c (see wiretest.Conn.Run).
func runTranscript(t *testing.T, c *client, script string) {
	t.Helper()
	c.Run(script)
}

// transcriptFile plays testdata/name on c.
func transcriptFile(t *testing.T, c *client, name string) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	c.Run(string(b))
}
