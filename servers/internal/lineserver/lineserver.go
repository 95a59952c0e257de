// Package lineserver is the core the SMTP and POP3 servers share: a server
// of sessions that read one command line at a time. It admits a connection
// or refuses it (over a connection limit, or shutting down), keeps its
// session in the server's lifecycle.Group, reads bounded lines under the
// session's deadlines (idle, line, session; a shorter idle wait while the
// server is busy), lets Shutdown wake a session waiting for a command, says
// why a read ended, upgrades a connection to TLS and recovers a session's
// panic. What a session says, in each of these cases, is its protocol's.
package lineserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/tracer"
)

// Server is a line server's listeners and sessions and its connection
// counter. The zero value is ready.
type Server struct {
	life  lifecycle.Group
	conns limits.Counter
}

// Serve sets the connection limits from lim and accepts connections on l,
// each handled in its own goroutine, until Close or Shutdown; then it
// returns closed. what names the protocol in log lines.
func (s *Server) Serve(l net.Listener, lim limits.Settings, handle func(net.Conn), closed error, log *slog.Logger, what string) error {
	s.conns.Limit(lim)
	return s.life.Serve(l, handle, closed, log, what)
}

// Close closes the listeners and every session at once, and waits for the
// sessions to end. It returns nil, as net/http's Close may not.
func (s *Server) Close() error {
	s.life.Close()
	return nil
}

// Shutdown stops accepting, wakes the sessions waiting for a command and
// lets the others finish, until ctx ends; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error { return s.life.Shutdown(ctx) }

// Closing reports whether Close or Shutdown has begun.
func (s *Server) Closing() bool { return s.life.Closing() }

// Done is closed when Close or Shutdown begins (see lifecycle.Group.Done).
func (s *Server) Done() <-chan struct{} { return s.life.Done() }

// Refusal says why a connection gets a refusal instead of a greeting.
type Refusal int

// The refusals.
const (
	ShuttingDown  Refusal = iota + 1 // Close or Shutdown has begun
	TooMany                          // the server's total (MaxConns), and no session could make room
	TooManyFromIP                    // the client address's own limit
)

// ServeConn serves sess: it refuses it when the server is closing or the
// connection is over a limit (when the server is full, the session that has
// waited longest for a command makes room first: stress mode, see
// limits.Counter.Busy), else it runs serve with the session counted and in
// the group. refuse gets the reason, the client's address and the limit it
// hit, and words the protocol's refusal.
func (s *Server) ServeConn(sess *Session, refuse func(why Refusal, ip string, limit int), serve func()) {
	sess.clock.End = time.Now().Add(sess.Limits.SessionTimeout)
	if s.life.Closing() {
		refuse(ShuttingDown, "", 0)
		return
	}
	addr := sess.conn.RemoteAddr()
	release, why, ip, limit := s.conns.Admit(addr)
	if why == limits.TooMany {
		release, why, ip, limit = s.life.MakeRoom(&s.conns, addr)
	}
	if s.conns.Busy() {
		s.life.Squeeze(sess.Limits.BusyIdleTimeout)
	}
	switch why {
	case limits.TooMany:
		refuse(TooMany, ip, limit)
		return
	case limits.TooManyFromIP:
		refuse(TooManyFromIP, ip, limit)
		return
	}
	defer release()
	sess.member.Conn = sess.conn
	leave, ok := s.life.Join(&sess.member)
	if !ok {
		refuse(ShuttingDown, "", 0)
		return
	}
	defer leave()
	serve()
}

// Session is what the core knows of one session: its connection as
// accepted, the reader of its lines, its place in the group and its read
// deadlines.
type Session struct {
	// Limits are the server's settings with their defaults, taken when the
	// session began: its timeouts.
	Limits limits.Settings

	srv      *Server
	conn     net.Conn // as accepted, never replaced: other goroutines close it and set its deadlines
	r        *bufio.Reader
	flush    func() error
	member   lifecycle.Member
	clock    limits.Clock
	busyWait bool // the wait armed last had the busy server's short idle timeout
}

// NewSession makes the core of a session on conn, whose lines r reads;
// flush writes the session's queued replies (before a read that must wait).
func (s *Server) NewSession(conn net.Conn, r *bufio.Reader, lim limits.Settings, flush func() error) *Session {
	return &Session{Limits: lim, srv: s, conn: conn, r: r, flush: flush}
}

// ErrLineTooLong is ReadLine's error for a line over its limit; the line
// was read to its end and dropped.
var ErrLineTooLong = errors.New("line too long")

// ReadLine reads a line of at most limit octets including the line ending
// and returns it without the ending, and whether that ending was CRLF rather
// than a bare LF (for a line too long as well). Replies are flushed first
// unless another complete line is already buffered (pipelining). A longer
// line is read to its end and dropped, and ErrLineTooLong returned. idle
// marks a wait for a command, which Shutdown may wake (the error is then
// lifecycle.ErrClosing) and a busy or full server may cut short.
func (s *Session) ReadLine(limit int, idle bool) (line []byte, crlf bool, err error) {
	if !limits.LineBuffered(s.r) {
		if err := s.flush(); err != nil {
			return nil, false, err
		}
	}
	var tooLong bool
	read := func() (err error) {
		if err = s.ArmRead(); err == nil {
			line, crlf, tooLong, err = limits.ReadLineEnd(s.r, limit)
		}
		return err
	}
	if idle {
		err = s.srv.life.AwaitCommand(&s.member, read)
	} else {
		err = read()
	}
	if err != nil {
		return nil, false, err
	}
	if tooLong {
		return nil, crlf, ErrLineTooLong
	}
	return line, crlf, nil
}

// ArmRead sets the read deadline for the next line: IdleTimeout for its
// first octet, LineTimeout for the rest, never past the session's end; none
// for a line already buffered (pipelining). A busy server (80% of MaxConns or
// more) waits only BusyIdleTimeout.
func (s *Session) ArmRead() error {
	idle := s.Limits.IdleTimeout
	s.busyWait = false
	if idle > s.Limits.BusyIdleTimeout && s.srv.conns.Busy() {
		idle, s.busyWait = s.Limits.BusyIdleTimeout, true
	}
	return s.clock.ArmRead(s.conn, s.r, idle, s.Limits.LineTimeout)
}

// End says why a read ended a session.
type End int

// The ends.
const (
	Gone        End = iota // the connection closed or broke: nobody to answer
	Closing                // the server is shutting down
	Full                   // the server is full: this session waited longest for a command and makes room
	Busy                   // the server is busy: the wait for a command was cut to BusyIdleTimeout
	Idle                   // no command within IdleTimeout
	LineTimeout            // a line not finished within LineTimeout of its first octet
	SessionOver            // the session reached SessionTimeout
)

// Ended says why err, a read's error, ends the session.
func (s *Session) Ended(err error) End {
	var ne net.Error
	switch {
	case s.srv.life.Closing():
		return Closing
	case !errors.As(err, &ne) || !ne.Timeout():
		return Gone
	case s.member.Cut() == lifecycle.CutFull:
		return Full
	case s.member.Cut() == lifecycle.CutBusy && s.clock.Why != limits.Session, s.busyWait && s.clock.Why == limits.Idle:
		return Busy
	}
	switch s.clock.Why {
	case limits.Line:
		return LineTimeout
	case limits.Session:
		return SessionOver
	}
	return Idle
}

// StartTLS turns rw, the session's connection, into a TLS server
// connection and points the line reader at it. What the client sent before
// the handshake is discarded and the trace told so, citing RFC rfc section
// section (the protocol's STARTTLS rule): it must not
// be read as if it came over TLS (CVE-2011-0411). A traced connection
// handshakes in place, so the trace goes on; it returns the connection to
// use from now on.
func (s *Session) StartTLS(rw net.Conn, cfg *tls.Config, trace *tracer.Session, rfc, section string) (net.Conn, error) {
	if n := s.r.Buffered(); n > 0 {
		s.r.Discard(n)
		trace.Note(tracer.KindNote, tracer.M("note.tls.discarded", "n", strconv.Itoa(n), "rfc", rfc, "sec", section), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rw.SetDeadline(time.Time{})
	if tc, ok := rw.(*tracer.Conn); ok {
		if err := tc.StartTLS(ctx, cfg); err != nil {
			return nil, err
		}
	} else {
		tc := tls.Server(rw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		rw = tc
	}
	s.r.Reset(rw)
	return rw, nil
}

// Recover is deferred by a session's loop: after a panic it logs it with
// its stack, tells the trace (key names the catalog's note, which says how
// the session ends, with the server and the panic as {server} and {panic})
// and calls reply for the session's last words; the server goes on.
func Recover(log *slog.Logger, proto, server string, trace *tracer.Session, key string, reply func()) {
	r := recover()
	if r == nil {
		return
	}
	log.Error(proto+": panic in session; closing it", "server", server, "panic", r, "stack", string(debug.Stack()))
	p := fmt.Sprint(r)
	trace.Note(tracer.KindNote, tracer.M(key, "server", server, "panic", p), map[string]string{"panic": p})
	reply()
}

// ListenAndServe listens on the TCP address addr and hands the listener to
// serve.
func ListenAndServe(addr string, serve func(net.Listener) error) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return serve(l)
}

// CommandError is the reply a command's handler error stands for: err
// itself when it is a reply (E, the protocol's reply error type), else
// internal, and the unexpected error is logged, never shown to the client.
func CommandError[E error](err error, internal E, log *slog.Logger, proto, server, verb string) E {
	var e E
	if errors.As(err, &e) {
		return e
	}
	log.Error(proto+": command failed", "server", server, "verb", verb, "err", err)
	return internal
}

// Commands is a session's command loop: read gets the next command line and
// handle runs it and reports whether the session ends. A line over the
// limit (ErrLineTooLong) goes to tooLong, which reports whether the session
// ends; another read error goes to ended, for the goodbye, and ends the loop.
func Commands(read func() ([]byte, error), handle func(line string) (end bool), tooLong func() (end bool), ended func(error)) {
	for {
		line, err := read()
		switch {
		case errors.Is(err, ErrLineTooLong):
			if tooLong() {
				return
			}
		case err != nil:
			ended(err)
			return
		case handle(string(line)):
			return
		}
	}
}

// Or is v when it is set (above zero), else def: the getter of a server's
// field whose zero, or a negative value, means its default.
func Or[T int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
