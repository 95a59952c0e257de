// Package wiretest is a line client for tests of the line protocols (SMTP,
// POP3, IMAP): it dials a server over a real TCP connection, sends lines,
// matches the lines that come back against patterns and keeps a
// transcript of the conversation for failure messages. Only _test.go files
// import it; maddy's tests/conn.go is the model.
package wiretest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"testing"
	"time"
)

// Timeout bounds a whole conversation: Dial sets it as the connection's
// deadline, so a test that waits for a reply that never comes fails
// instead of hanging.
const Timeout = 30 * time.Second

// keep is how many transcript lines a failure message shows.
const keep = 20

// Conn is one client connection to a server under test. A Conn belongs to
// one goroutine, like the test that made it.
type Conn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader

	// RequireCRLF makes a line that does not end in CRLF a failure
	// (POP3's tests check the server's line endings on every read).
	RequireCRLF bool

	log        []string // "C: line" and "S: line", quoted
	nextSecret bool     // the server asked for a SASL response (334, "+ ")
}

// Dial connects to addr, sets the Timeout deadline and closes the
// connection when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(Timeout))
	return &Conn{t: t, conn: nc, r: bufio.NewReader(nc)}
}

// Wrap is Dial for a connection the test made itself (from a chosen
// local address, say).
func Wrap(t testing.TB, nc net.Conn) *Conn {
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(Timeout))
	return &Conn{t: t, conn: nc, r: bufio.NewReader(nc)}
}

// T is the test the connection belongs to, for helpers built on a Conn
// (c.T().Helper()).
func (c *Conn) T() testing.TB { return c.t }

// Close closes the connection before the test ends (a helper that opens
// one session per call); Dial's cleanup closes it again harmlessly.
func (c *Conn) Close() error { return c.conn.Close() }

// NetConn is the connection underneath, for a test that sets its own
// deadline, writes without the transcript or closes it half-way.
func (c *Conn) NetConn() net.Conn { return c.conn }

// Reader is the buffered reader the lines come from, for a test that reads
// octets (an IMAP literal, a POP3 multi-line response).
func (c *Conn) Reader() *bufio.Reader { return c.r }

// StartTLS runs a TLS client handshake over the connection once the server
// has said to go ahead (RFC 3207 STARTTLS, RFC 2595 STLS, RFC 9051
// STARTTLS); whatever the client had buffered from before is dropped, as
// a client must.
func (c *Conn) StartTLS(cfg *tls.Config) {
	c.t.Helper()
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.fatalf("TLS handshake: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	c.note("-- TLS --")
}

// Send writes line and CRLF.
func (c *Conn) Send(line string) {
	c.t.Helper()
	c.sent(line)
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.fatalf("sending %q: %v", c.log[len(c.log)-1], err)
	}
}

// SendRaw writes s as it is: pipelined commands, bare CR or LF, a line cut
// in two.
func (c *Conn) SendRaw(s string) {
	c.t.Helper()
	c.note(fmt.Sprintf("C~ %q", c.maskRaw(s)))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.fatalf("sending raw bytes: %v", err)
	}
}

// SendRawSecret writes s as it is and puts only its length in the
// transcript: for a credential a test sends blindly, where no command or
// challenge before it says it is one.
func (c *Conn) SendRawSecret(s string) {
	c.t.Helper()
	c.nextSecret = false
	c.note(fmt.Sprintf("C~ (secret, %d octets)", len(s)))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.fatalf("sending raw bytes: %v", err)
	}
}

// ReadLine reads one line and returns it without its line ending.
func (c *Conn) ReadLine() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.fatalf("reading: %v (got %q)", err, l)
	}
	if c.RequireCRLF && !strings.HasSuffix(l, "\r\n") {
		c.fatalf("line %q does not end in CRLF", l)
	}
	l = strings.TrimRight(l, "\r\n")
	c.received(l)
	return l
}

// Expect reads one line and matches it against a glob pattern (see Match).
func (c *Conn) Expect(pattern string) string {
	c.t.Helper()
	l := c.ReadLine()
	if !Match(pattern, l) {
		c.fatalf("got %q, want %q", l, pattern)
	}
	return l
}

// ExpectPrefix reads one line and fails unless it starts with prefix
// (POP3's "+OK" and "-ERR", a reply code), where a glob would read a * in
// the prefix ("* OK") as a wildcard.
func (c *Conn) ExpectPrefix(prefix string) string {
	c.t.Helper()
	l := c.ReadLine()
	if !strings.HasPrefix(l, prefix) {
		c.fatalf("got %q, want it to start with %q", l, prefix)
	}
	return l
}

// ExpectClosed fails unless the server closes the connection before it
// sends another line.
func (c *Conn) ExpectClosed() {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err == nil {
		c.fatalf("expected the server to close, got %q", l)
	}
	c.note("-- closed --")
}

// Closed reports whether the next read ends at the end of the stream: the
// server closed the connection cleanly and sent nothing more.
func (c *Conn) Closed() bool {
	_, err := c.r.ReadByte()
	return errors.Is(err, io.EOF)
}

// Transcript is the conversation so far, one quoted line per line sent or
// received ("C: ..." and "S: ..."); SASL responses and passwords are
// masked.
func (c *Conn) Transcript() string { return strings.Join(c.log, "\n") }

// Fatalf fails the test with the end of the transcript after the message.
func (c *Conn) Fatalf(format string, args ...any) {
	c.t.Helper()
	c.fatalf(format, args...)
}

func (c *Conn) fatalf(format string, args ...any) {
	c.t.Helper()
	log := c.log
	if len(log) > keep {
		log = log[len(log)-keep:]
	}
	c.t.Fatalf("%s\ntranscript (last %d lines):\n%s", fmt.Sprintf(format, args...), len(log), strings.Join(log, "\n"))
}

func (c *Conn) note(s string) { c.log = append(c.log, s) }

func (c *Conn) sent(line string) {
	shown := line
	if c.nextSecret {
		shown = "(SASL response)"
	} else {
		shown = maskSecret(line)
	}
	c.nextSecret = false
	c.note(fmt.Sprintf("C: %q", shown))
}

// maskRaw masks each line of raw bytes as Send would; a whole write sent
// in answer to a SASL challenge is masked.
func (c *Conn) maskRaw(s string) string {
	if c.nextSecret {
		c.nextSecret = false
		return "(SASL response)"
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		text := strings.TrimRight(l, "\r\n")
		b.WriteString(maskSecret(text) + l[len(text):])
	}
	return b.String()
}

func (c *Conn) received(line string) {
	c.nextSecret = strings.HasPrefix(line, "334") || strings.HasPrefix(line, "+ ") || line == "+"
	c.note(fmt.Sprintf("S: %q", line))
}

// maskSecret hides what follows the commands that carry a password or a
// SASL initial response (POP3 PASS and AUTH, SMTP AUTH, IMAP LOGIN and
// AUTHENTICATE), so a transcript in a failure message holds no
// credentials.
func maskSecret(line string) string {
	f := strings.Fields(line)
	for i, w := range f {
		if i > 1 {
			break
		}
		switch strings.ToUpper(w) {
		case "PASS", "APOP", "AUTH", "AUTHENTICATE":
			n := i + 1
			if strings.ToUpper(w) != "PASS" {
				n = i + 2 // keep the user or the mechanism
			}
			return mask(f, n)
		case "LOGIN":
			return mask(f, i+2) // keep the user name
		}
	}
	return line
}

func mask(f []string, n int) string {
	if n >= len(f) {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:n], " ") + " ***"
}

// Match reports whether s matches pattern, where * matches any run of
// characters (slashes included) and every other character only itself.
func Match(pattern, s string) bool {
	// path.Match treats / specially and [ ? \ as syntax; escape those.
	p := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "?", `\?`).Replace(pattern)
	p = strings.ReplaceAll(p, "/", "\x00")
	ok, err := path.Match(p, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}
