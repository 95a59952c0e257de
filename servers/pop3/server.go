// Package pop3 is mailscope's POP3 server, written by hand because its
// wording is the lesson: every reply says what happened and why.
//
// It implements RFC 1939 (USER, PASS, APOP, STAT, LIST, RETR, DELE, NOOP,
// RSET, QUIT, TOP, UIDL) with the AUTHORIZATION, TRANSACTION and UPDATE
// states and the exclusive maildrop lock (section 4); RFC 2449 CAPA with the
// capabilities USER, TOP, UIDL, PIPELINING, RESP-CODES and IMPLEMENTATION and
// the response codes [IN-USE]; RFC 3206 AUTH-RESP-CODE ([AUTH], [SYS/TEMP],
// [SYS/PERM]); RFC 2595 STLS; and AUTH PLAIN (RFC 5034, RFC 4616).
//
// The maildrop is the user's INBOX in the store. Message numbers are fixed
// for the session; DELE only marks, and the marked messages are removed in
// one store transaction when the client says QUIT (the UPDATE state). A
// session that ends any other way removes nothing (RFC 1939 section 6).
//
// The lifecycle follows net/http: Serve, ListenAndServe, Close, Shutdown and
// ErrServerClosed.
package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("pop3: server closed")

// Backend is what a POP3 server needs to log users in. Mail itself comes
// from Server.Store.
type Backend interface {
	// Authenticate checks a login name ("alice" or "alice@a.example") and a
	// password and returns the canonical user name.
	Authenticate(login, password string) (user string, ok bool)
	// APOPSecret returns the canonical user name for a login and the secret
	// it shares with the server, the key of APOP's MD5 digest (RFC 1939
	// section 7).
	APOPSecret(login string) (user, secret string, ok bool)
}

// Server is a POP3 server for one mail domain.
type Server struct {
	Name     string // the world's server name, "A"; also the store's server key
	Domain   string // the mail domain, "a.example"
	Hostname string // the name in the greeting and the APOP banner; defaults to Domain
	Backend  Backend
	Store    *store.Store

	TLSConfig *tls.Config // nil: no STLS

	MaxErrors int // errors in a row before -ERR and close; default 10
	// MaxAuthFailures is how many failed logins (PASS, APOP, AUTH) one
	// session may have: the last is answered -ERR [AUTH] and the
	// connection closed (default 3). A successful USER does not reset it.
	MaxAuthFailures int
	// Penalty slows down password guessing: each failed login's -ERR
	// waits longer the more failures came from the client's address or for
	// the user name, across sessions and protocols. Nil: no delay.
	Penalty *penalty.Box
	// Settings are the session limits: IdleTimeout (the autologout timer
	// of RFC 1939 section 3), LineTimeout, SessionTimeout, WriteTimeout,
	// MaxConns, MaxConnsPerIP and MaxConnsLoopback (defaults in
	// limits.Settings). Over a connection limit a client gets -ERR
	// [SYS/TEMP] saying which, instead of the greeting; a session past a
	// time limit ends with -ERR, and nothing is deleted.
	limits.Settings

	Logger *slog.Logger

	mu    sync.Mutex
	life  lifecycle.Group // listeners, sessions, Close and Shutdown
	conns limits.Counter

	lockMu sync.Mutex
	locks  map[string]*session // maildrop locks: lower-cased user -> the session holding it
}

func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Hostname == "" {
		s.Hostname = s.Domain
	}
	if s.Hostname == "" {
		s.Hostname = "localhost"
	}
	if s.MaxErrors <= 0 {
		s.MaxErrors = 10
	}
	if s.MaxAuthFailures <= 0 {
		s.MaxAuthFailures = penalty.DefaultMaxPerSession
	}
	// init runs again at each Serve and at Shutdown, while sessions read
	// the settings: only a change is written.
	if d := s.Settings.WithDefaults(); d != s.Settings {
		s.Settings = d
	}
	s.conns.Limit(s.Settings)
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
}

// ListenAndServe listens on addr and serves.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine. It
// always returns a non-nil error; after Close or Shutdown, ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	return s.life.Serve(l, s.serveConn, ErrServerClosed, s.Logger.With("server", s.Name), "pop3")
}

func (s *Server) serveConn(c net.Conn) {
	sess := newSession(s, c)
	sess.clock.End = time.Now().Add(s.SessionTimeout)
	if s.life.Closing() {
		sess.refuse(errShuttingDown)
		return
	}
	release, why, ip, limit := s.conns.Admit(c.RemoteAddr())
	if why == limits.TooMany {
		// Full: the session that has waited longest for a command closes
		// and makes room for this one (stress mode, limits.Counter.Busy).
		release, why, ip, limit = s.life.MakeRoom(&s.conns, c.RemoteAddr())
	}
	if s.conns.Busy() {
		s.life.Squeeze(s.BusyIdleTimeout)
	}
	switch why {
	case limits.TooMany:
		sess.refuse(errorf(codeSysTemp, "%s has too many POP3 connections open (%d); try again in a moment", s.Hostname, limit))
		return
	case limits.TooManyFromIP:
		sess.refuse(errorf(codeSysTemp, "%s has too many POP3 connections open from your address %s (%d); try again in a moment", s.Hostname, ip, limit))
		return
	}
	defer release()
	sess.member.Conn = sess.conn
	leave, ok := s.life.Join(&sess.member)
	if !ok {
		sess.refuse(errShuttingDown)
		return
	}
	defer leave()
	sess.serve()
}

// Close closes the listeners and every session at once. Sessions that did
// not reach QUIT delete nothing.
func (s *Server) Close() error {
	s.init()
	s.life.Close()
	return nil
}

// Shutdown stops accepting, tells sessions waiting for a command that the
// server is going away and lets commands in progress (a QUIT applying its
// deletions, a RETR being sent) finish, until ctx ends; then it closes what
// is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	return s.life.Shutdown(ctx)
}

// lockMaildrop takes user's exclusive maildrop lock for sess (RFC 1939
// section 4). It reports false when another session holds it.
func (s *Server) lockMaildrop(user string, sess *session) bool {
	key := strings.ToLower(user)
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.locks == nil {
		s.locks = make(map[string]*session)
	}
	if holder, ok := s.locks[key]; ok && holder != sess {
		return false
	}
	s.locks[key] = sess
	return true
}

// unlockMaildrop releases user's lock if sess holds it.
func (s *Server) unlockMaildrop(user string, sess *session) {
	key := strings.ToLower(user)
	s.lockMu.Lock()
	if s.locks[key] == sess {
		delete(s.locks, key)
	}
	s.lockMu.Unlock()
}

// armRead sets the read deadline for the next line: IdleTimeout for its
// first octet (the autologout timer, RFC 1939 section 3), LineTimeout for the
// rest, never past the session's end; none for a line already buffered.
// A busy server (80% of MaxConns or more) waits only BusyIdleTimeout.
func (s *session) armRead() error {
	idle := s.srv.IdleTimeout
	s.busyWait = false
	if idle > s.srv.BusyIdleTimeout && s.srv.conns.Busy() {
		idle, s.busyWait = s.srv.BusyIdleTimeout, true
	}
	return s.clock.ArmRead(s.rw, s.r, idle, s.srv.LineTimeout)
}

// timeoutReply is the response to a read that hit its deadline or was cut
// short by a busy or full server; for the last two the trace gets a note
// that says why.
func (s *session) timeoutReply() string {
	switch {
	case s.member.Cut() == lifecycle.CutFull:
		s.note("conn.full", fmt.Sprintf("server %s is full (%d POP3 connections, the limit): this session had waited longest for a command, so it is closed to admit a new connection", s.srv.Name, s.srv.MaxConns), map[string]string{"step": "conn.full"})
		return fmt.Sprintf("-ERR [SYS/TEMP] %s is full (%d connections, the limit): this session waited longest for a command and is closed to make room; nothing was deleted, connect again later", s.srv.Hostname, s.srv.MaxConns)
	case s.member.Cut() == lifecycle.CutBusy && s.clock.Why != limits.Session, s.busyWait && s.clock.Why == limits.Idle:
		s.note("conn.busy", fmt.Sprintf("server %s is busy (80%% or more of its %d POP3 connections in use): a session may wait only %s for a command, and this one waited that long", s.srv.Name, s.srv.MaxConns, s.srv.BusyIdleTimeout), map[string]string{"step": "conn.busy"})
		return fmt.Sprintf("-ERR [SYS/TEMP] autologout: idle for %s while the server is busy (80%% or more of its %d connections in use), closing the connection; nothing was deleted, connect again later", s.srv.BusyIdleTimeout, s.srv.MaxConns)
	}
	return s.timeoutText()
}

// timeoutText is the response to a read that hit its own deadline.
func (s *session) timeoutText() string {
	switch s.clock.Why {
	case limits.Line:
		return fmt.Sprintf("-ERR line not finished within %s of its first octet: closing the connection; nothing was deleted", s.srv.LineTimeout)
	case limits.Session:
		return fmt.Sprintf("-ERR [SYS/TEMP] session open for %s, the longest allowed: closing the connection; nothing was deleted, connect again to go on", s.srv.SessionTimeout)
	}
	return fmt.Sprintf("-ERR autologout: idle for %s, closing the connection; nothing was deleted (RFC 1939 section 3)", s.srv.IdleTimeout)
}

// recovered handles a panic in the session: it logs it with its stack,
// tells the trace and answers -ERR; the deferred release and close end the
// session without deleting anything.
func (s *session) recovered(r any) {
	s.srv.Logger.Error("pop3: panic in session; closing it", "server", s.srv.Name, "panic", r, "stack", string(debug.Stack()))
	s.trace.Note(tracer.KindNote, fmt.Sprintf("internal error in server %s (a panic: %v); this session ends, nothing was deleted, the server goes on", s.srv.Name, r), map[string]string{"panic": fmt.Sprint(r)})
	s.reply("-ERR [SYS/TEMP] internal error in the server: closing the connection")
}
