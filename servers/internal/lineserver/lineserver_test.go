package lineserver

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
)

// pair is a session core on the server end of a real TCP connection, and
// the client end.
func pair(t *testing.T, srv *Server, lim limits.Settings) (*Session, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cli, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close(); c.Close() })
	return srv.NewSession(c, bufio.NewReader(c), lim.WithDefaults(), func() error { return nil }), cli
}

// TestReadLine: a line over the limit is read to its end and dropped, the
// next line is read whole, and the line ending is reported.
func TestReadLine(t *testing.T) {
	s, cli := pair(t, &Server{}, limits.Settings{})
	cli.Write([]byte(strings.Repeat("x", 100) + "\r\nNOOP\r\nbare\n"))
	if _, crlf, err := s.ReadLine(20, true); !errors.Is(err, ErrLineTooLong) || !crlf {
		t.Fatalf("long line: crlf %v, err %v; want ErrLineTooLong and crlf", crlf, err)
	}
	if line, crlf, err := s.ReadLine(20, true); string(line) != "NOOP" || !crlf || err != nil {
		t.Fatalf("got %q %v %v, want NOOP with CRLF", line, crlf, err)
	}
	if line, crlf, err := s.ReadLine(20, true); string(line) != "bare" || crlf || err != nil {
		t.Fatalf("got %q %v %v, want bare without CRLF", line, crlf, err)
	}
}

// TestEnded: an idle client's read ends as Idle, a closed connection as
// Gone, a read during shutdown as Closing.
func TestEnded(t *testing.T) {
	srv := &Server{}
	s, _ := pair(t, srv, limits.Settings{IdleTimeout: 50 * time.Millisecond})
	_, _, err := s.ReadLine(100, true)
	if got := s.Ended(err); got != Idle {
		t.Errorf("idle client: %v, want Idle", got)
	}
	s, cli := pair(t, srv, limits.Settings{})
	cli.Close()
	_, _, err = s.ReadLine(100, true)
	if got := s.Ended(err); got != Gone {
		t.Errorf("closed client: %v, want Gone", got)
	}
	srv.Close()
	_, _, err = s.ReadLine(100, true)
	if got := s.Ended(err); got != Closing {
		t.Errorf("after Close: %v, want Closing", got)
	}
}

// TestServeConnRefuses: over MaxConns, with no session waiting long enough
// to make room, the connection is refused as TooMany and not served.
func TestServeConnRefuses(t *testing.T) {
	srv := &Server{}
	srv.conns.Limit(limits.Settings{MaxConns: 1}.WithDefaults())
	first, _ := pair(t, srv, limits.Settings{})
	in := make(chan struct{})
	out := make(chan struct{})
	go srv.ServeConn(first, func(Refusal, string, int) { t.Error("first refused") }, func() { close(in); <-out })
	<-in
	second, _ := pair(t, srv, limits.Settings{})
	var why Refusal
	srv.ServeConn(second, func(w Refusal, _ string, limit int) { why = w }, func() { t.Error("second served") })
	close(out)
	if why != TooMany {
		t.Errorf("refusal %v, want TooMany", why)
	}
}
