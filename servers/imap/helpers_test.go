package imap_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
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
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for u := range users {
		if err := st.EnsureUser(context.Background(), "A", u); err != nil {
			t.Fatal(err)
		}
	}
	cert := testCert(t)
	e := &env{t: t, dir: dir, st: st, bus: tracer.NewBus(), done: make(chan error, 1)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = l.Addr().String()
	e.srv = &imap.Server{
		Name: "A", Domain: "a.example", Store: st, Auth: imap.AuthFunc(testAuth),
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

// client is a raw IMAP client for transcripts.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// greeted dials and reads the greeting.
func greeted(t testing.TB, addr string) *client {
	t.Helper()
	c := dial(t, addr)
	c.expect("* OK [CAPABILITY IMAP4rev1 *] *")
	return c
}

// loggedIn logs in as user.
func loggedIn(t testing.TB, addr, user string) *client {
	t.Helper()
	c := greeted(t, addr)
	c.send("L1 LOGIN " + user + " " + users[user])
	c.untilTagged("L1", "L1 OK *")
	return c
}

// selectedBox logs in as alice and selects a mailbox.
func selectedBox(t testing.TB, addr, mailbox string) *client {
	t.Helper()
	c := loggedIn(t, addr, "alice")
	c.send("S1 SELECT " + mailbox)
	c.untilTagged("S1", "S1 OK [READ-WRITE] *")
	return c
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) readLine() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// expect reads one line and matches it against a glob pattern.
func (c *client) expect(pattern string) string {
	c.t.Helper()
	l := c.readLine()
	if !globMatch(pattern, l) {
		c.t.Fatalf("got %q, want %q", l, pattern)
	}
	return l
}

// untilTagged reads lines up to the tagged response of tag, checks it
// against pattern, and returns the untagged lines before it. Literal data
// is returned as lines too.
func (c *client) untilTagged(tag, pattern string) []string {
	c.t.Helper()
	var out []string
	for {
		l := c.readLine()
		if strings.HasPrefix(l, tag+" ") {
			if !globMatch(pattern, l) {
				c.t.Fatalf("tagged response %q does not match %q (before it: %q)", l, pattern, out)
			}
			return out
		}
		out = append(out, l)
	}
}

// literal reads a response line ending in {n} and the n octets after it.
func (c *client) literal() (line string, data []byte) {
	c.t.Helper()
	line = c.readLine()
	i := strings.LastIndexByte(line, '{')
	if i < 0 || !strings.HasSuffix(line, "}") {
		c.t.Fatalf("no literal in %q", line)
	}
	n, err := strconv.Atoi(line[i+1 : len(line)-1])
	if err != nil {
		c.t.Fatalf("bad literal in %q", line)
	}
	data = make([]byte, n)
	if _, err := io.ReadFull(c.r, data); err != nil {
		c.t.Fatal(err)
	}
	return line, data
}

// closed checks the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err == nil {
		c.t.Fatalf("expected the server to close, got %q", l)
	}
}

func globMatch(pattern, s string) bool {
	p := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "?", `\?`).Replace(pattern)
	p = strings.ReplaceAll(p, "/", "\x00")
	ok, err := path.Match(p, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// runTranscript plays a transcript on c: "C: line" is sent, "S: pattern"
// must match the next line ("S:" an empty one), "R: raw" sends raw bytes with \r \n escapes,
// "# ..." and blank lines are comments, "CLOSED" expects the server to
// close. Transcripts are test data: the lessons quote them.
func runTranscript(t *testing.T, c *client, script string) {
	t.Helper()
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimLeft(line, "\t ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "C: "):
			c.send(line[3:])
		case strings.HasPrefix(line, "R: "):
			c.sendRaw(strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(line[3:]))
		case line == "S:" || strings.HasPrefix(line, "S: "):
			want := strings.TrimPrefix(strings.TrimPrefix(line, "S:"), " ")
			got := c.readLine()
			if !globMatch(want, got) {
				t.Fatalf("transcript line %d: got %q, want %q", n+1, got, want)
			}
		case line == "CLOSED":
			c.closed()
		default:
			t.Fatalf("transcript line %d: cannot read %q", n+1, line)
		}
	}
}

// transcriptFile plays testdata/name on c.
func transcriptFile(t *testing.T, c *client, name string) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	runTranscript(t, c, string(b))
}

// testCert makes a self-signed certificate for 127.0.0.1 and a.example.
func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "a.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"a.example", "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
