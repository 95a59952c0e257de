package smtp

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// memBackend keeps delivered messages in memory; fuzzing needs thousands of
// sessions a second, which a disk store would only slow down.
type memBackend struct {
	mu   sync.Mutex
	msgs []*Message
}

func (b *memBackend) Authenticate(login, pass string) (string, bool) {
	return "alice", login == "alice" && pass == "alice"
}
func (b *memBackend) LocalUser(local string) (string, bool) {
	if strings.EqualFold(local, "alice") || strings.EqualFold(local, "postmaster") {
		return "alice", true
	}
	return "", false
}
func (b *memBackend) Deliver(ctx context.Context, m *Message) error {
	c := *m
	c.Body = append([]byte(nil), m.Body...) // m.Body is the server's buffer
	b.mu.Lock()
	b.msgs = append(b.msgs, &c)
	b.mu.Unlock()
	return nil
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"FROM:<alice@a.example>", "FROM:<> SIZE=10 BODY=8BITMIME", "TO:<@relay:bob@b.example>", "FROM: alice@a.example", "FROM:<a@b", "FROM:<\"quoted local\"@a.example>", "TO:<x@[127.0.0.1]>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, prefix := range []string{"FROM:", "TO:"} {
			p, err := parsePath(arg, prefix, "MAIL")
			if (p == nil) == (err == nil) {
				t.Fatalf("parsePath(%q) = %v, %v: exactly one must be nil", arg, p, err)
			}
			if err != nil && (err.Code < 500 || err.Code > 599) {
				t.Fatalf("syntax error with code %d", err.Code)
			}
			if p != nil {
				splitAddress(p.addr)
			}
		}
		// Verbs are upper-cased in ASCII only (a reply quotes the octets
		// that were sent, never a Unicode case mapping of them).
		c := parseCommand(arg)
		if strings.IndexFunc(c.verb, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0 {
			t.Fatalf("verb %q not upper case", c.verb)
		}
	})
}

// session runs one server session over a pipe, feeding it input, and
// returns what the server wrote.
func fuzzSession(t *testing.T, srv *Server, input []byte) []byte {
	cli, sc := net.Pipe()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&out, cli)
		close(copied)
	}()
	served := make(chan struct{})
	go func() {
		srv.serveConn(sc)
		close(served)
	}()
	// Write the input, then close: the server must finish without hanging.
	cli.SetWriteDeadline(time.Now().Add(5 * time.Second))
	cli.Write(input)
	cli.Close()
	for _, ch := range []chan struct{}{served, copied} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("session hung on input %q", input)
		}
	}
	return out.Bytes()
}

func newFuzzServer() *Server {
	s := &Server{Name: "A", Domain: "a.example", Backend: &memBackend{}, MaxMessageSize: 4096, MaxRecipients: 5,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.IdleTimeout = 2 * time.Second
	return s
}

// FuzzSession throws arbitrary bytes at a whole session (commands and DATA):
// the server must not panic or hang, and every reply line must be
// well-formed: three digits, then a space or a dash (RFC 5321 section 4.2).
func FuzzSession(f *testing.F) {
	f.Add([]byte("EHLO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\nSubject: a\r\n\r\n..x\r\n.\r\nQUIT\r\n"))
	f.Add([]byte("HELO x\nMAIL FROM:<>\nRCPT TO:<postmaster>\nDATA\nbare\n.\n"))
	f.Add([]byte("EHLO x\r\nAUTH LOGIN\r\nYWxpY2U=\r\nYWxpY2U=\r\nAUTH PLAIN\r\n*\r\n"))
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@a.example> SIZE=99999999\r\nVRFY alice\r\nHELP DATA\r\n\x00\xff\r\n"))
	srv := newFuzzServer()
	f.Fuzz(func(t *testing.T, input []byte) {
		out := fuzzSession(t, srv, input)
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			l := strings.TrimSuffix(sc.Text(), "\r")
			if len(l) < 4 || l[0] < '2' || l[0] > '5' || (l[3] != ' ' && l[3] != '-') {
				t.Fatalf("malformed reply line %q for input %q", l, input)
			}
		}
	})
}

// FuzzDataReader checks the DATA reader: whatever the body a client that
// ends its lines with CRLF sends, it makes at most one message (nothing in it
// ends the data early: SMTP smuggling), and a 250 means the stored message
// has CRLF line endings only.
func FuzzDataReader(f *testing.F) {
	f.Add([]byte("Subject: a\r\n\r\nhello\r\n"))
	f.Add([]byte("..\r\n.x\r\n\r\n"))
	f.Add([]byte("a\nb\rc\r\n"))
	for _, end := range []string{"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r"} {
		f.Add([]byte("x" + end + "MAIL FROM:<a@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\ny"))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := newFuzzServer()
		b := srv.Backend.(*memBackend)
		input := append([]byte("EHLO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n"), body...)
		input = append(input, "\r\n.\r\nQUIT\r\n"...)
		out := fuzzSession(t, srv, input)
		b.mu.Lock()
		defer b.mu.Unlock()
		// Every acknowledged message must be stored (the converse need not
		// hold: the client may leave before reading the 250).
		for _, l := range strings.Split(string(out), "\r\n") {
			if i := strings.Index(l, "queued as "); strings.HasPrefix(l, "250 ") && i >= 0 {
				id := strings.Fields(l[i+len("queued as "):])[0]
				found := false
				for _, m := range b.msgs {
					found = found || m.ID == id
				}
				if !found {
					t.Fatalf("message %s acknowledged but not stored", id)
				}
			}
		}
		if len(b.msgs) > 1 {
			t.Fatalf("one DATA made %d messages", len(b.msgs))
		}
		for _, m := range b.msgs {
			if bytes.Contains(m.Body, []byte("\r\n.\r\n")) && !bytes.Contains(body, []byte("..")) && !bytes.ContainsAny(body, "\r\n") {
				// A stored lone-dot line can only come from a stuffed one,
				// or from a bare LF or CR around a dot (stored as CRLF).
				t.Fatalf("stored body has a lone dot line the client did not stuff: %q", m.Body)
			}
			for i := 0; i < len(m.Body); i++ {
				if m.Body[i] == '\n' && (i == 0 || m.Body[i-1] != '\r') {
					t.Fatalf("stored body has a bare LF: %q", m.Body)
				}
				if m.Body[i] == '\r' && (i+1 == len(m.Body) || m.Body[i+1] != '\n') {
					t.Fatalf("stored body has a lone CR: %q", m.Body)
				}
			}
		}
	})
}

// FuzzFramerFollowsServer runs whole sessions through a traced connection
// and checks that the tracer's framer ends a message body exactly as often
// as the server ends one: a framer that ended it elsewhere would show a
// smuggled transaction as commands, or hide real ones in a body.
func FuzzFramerFollowsServer(f *testing.F) {
	head := "EHLO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n"
	tail := "MAIL FROM:<a@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n"
	for _, end := range []string{"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r\n.\r\n"} {
		f.Add([]byte(head + "x" + end + tail))
		f.Add([]byte(strings.ReplaceAll(head, "\r\n", "\n") + "x" + end + tail))
	}
	f.Add([]byte(head + strings.Repeat("y", 1200) + "\n.\r\nz\r\n.\r\nQUIT\r\n"))
	f.Add([]byte("EHLO x\nAUTH PLAIN AGFsaWNlAGFsaWNl\r\nMAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\nx\n.\ny\r\n.\r\n"))
	srv := newFuzzServer()
	f.Fuzz(func(t *testing.T, input []byte) {
		if bytes.Contains(bytes.ToUpper(input), []byte("AUTH")) {
			// The input is sent at once, and a SASL response sent before
			// its 334 is a command to the framer: a client must wait.
			t.Skip()
		}
		// TCP rather than a pipe: the client half-closes, so the server
		// reads the whole input and every reply reaches the client.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		bus := tracer.NewBus()
		served := make(chan struct{})
		go func() {
			defer close(served)
			if c, err := l.Accept(); err == nil {
				srv.serveConn(bus.Wrap(c, "A", "smtp"))
			}
		}()
		cli, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		cli.SetDeadline(time.Now().Add(10 * time.Second))
		cli.Write(input)
		cli.(*net.TCPConn).CloseWrite()
		out, err := io.ReadAll(cli)
		if err != nil {
			t.Fatalf("session hung on input %q: %v", input, err)
		}
		<-served
		ends := 0
		for _, l := range strings.Split(string(out), "\r\n") {
			for _, r := range []string{" queued as ", "552 5.3.4 Message too big", "500 5.5.2 Message refused", "452 4.3.1 "} {
				if strings.Contains(l, r) {
					ends++
				}
			}
		}
		dots := 0
		for _, e := range bus.History(0) {
			if e.Kind == tracer.KindLine && e.Dir == tracer.C2S && e.Explain != nil && strings.HasPrefix(e.Explain.Key, "data.smtp.end") {
				dots++
			}
		}
		if dots != ends {
			t.Fatalf("the server ended %d messages, the trace %d, for %q:\n%s", ends, dots, input, out)
		}
	})
}
