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
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/lineserver"
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

	core lineserver.Server // listeners, sessions, the connection counter, Close and Shutdown

	lockMu sync.Mutex
	locks  map[string]*session // maildrop locks: lower-cased user -> the session holding it
}

// DefaultMaxErrors is the Server's MaxErrors when it is left zero.
const DefaultMaxErrors = 10

// The getters below give a field's value or its default, as net/http's
// do: the fields are never written, so that sessions may read them while
// Serve, Close or Shutdown run.

func (s *Server) hostname() string { return cmp.Or(s.Hostname, s.Domain, "localhost") }

func (s *Server) maxErrors() int { return lineserver.Or(s.MaxErrors, DefaultMaxErrors) }

func (s *Server) maxAuthFailures() int {
	return lineserver.Or(s.MaxAuthFailures, penalty.DefaultMaxPerSession)
}

// settings are the session limits with their defaults.
func (s *Server) settings() limits.Settings { return s.Settings.WithDefaults() }

func (s *Server) logger() *slog.Logger { return cmp.Or(s.Logger, slog.Default()) }

// ListenAndServe listens on the TCP address addr and serves POP3 there.
func (s *Server) ListenAndServe(addr string) error { return lineserver.ListenAndServe(addr, s.Serve) }

// Serve accepts connections on l and serves each in its own goroutine: the
// +OK greeting, or -ERR [SYS/TEMP] saying which connection limit it is over. It
// always returns a non-nil error; after Close or Shutdown, ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	return s.core.Serve(l, s.settings(), s.serveConn, ErrServerClosed, s.logger().With("server", s.Name), "pop3")
}

func (s *Server) serveConn(c net.Conn) {
	sess := newSession(s, c)
	s.core.ServeConn(sess.line, sess.refuse, sess.serve)
	lineserver.Release(sess.r, sess.w)
}

// Close closes the listeners and every session at once. Sessions that did
// not reach QUIT delete nothing.
func (s *Server) Close() error { return s.core.Close() }

// Shutdown stops accepting, tells sessions waiting for a command that the
// server is going away and lets commands in progress (a QUIT applying its
// deletions, a RETR being sent) finish, until ctx ends; then it closes what
// is left.
func (s *Server) Shutdown(ctx context.Context) error { return s.core.Shutdown(ctx) }

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

// endReply is the response to a session that a read ended (not Gone); for
// a busy or full server the trace gets a note that says why.
func (s *session) endReply(end lineserver.End) string {
	lim := s.line.Limits
	switch end {
	case lineserver.Closing:
		return errShuttingDown.line()
	case lineserver.Full:
		s.note("conn.full", tracer.M("note.conn.full", "server", s.srv.Name, "max", strconv.Itoa(lim.MaxConns), "proto", "POP3"), map[string]string{"step": "conn.full"})
		return fmt.Sprintf("-ERR [SYS/TEMP] %s is full (%d connections, the limit): this session waited longest for a command and is closed to make room; nothing was deleted, connect again later", s.srv.hostname(), lim.MaxConns)
	case lineserver.Busy:
		s.note("conn.busy", tracer.M("note.conn.busy", "server", s.srv.Name, "max", strconv.Itoa(lim.MaxConns), "proto", "POP3", "wait", lim.BusyIdleTimeout.String(), "wait_zh", tracer.DurationZH(lim.BusyIdleTimeout)), map[string]string{"step": "conn.busy"})
		return fmt.Sprintf("-ERR [SYS/TEMP] autologout: idle for %s while the server is busy (80%% or more of its %d connections in use), closing the connection; nothing was deleted, connect again later", lim.BusyIdleTimeout, lim.MaxConns)
	case lineserver.LineTimeout:
		return fmt.Sprintf("-ERR line not finished within %s of its first octet: closing the connection; nothing was deleted", lim.LineTimeout)
	case lineserver.SessionOver:
		return fmt.Sprintf("-ERR [SYS/TEMP] session open for %s, the longest allowed: closing the connection; nothing was deleted, connect again to go on", lim.SessionTimeout)
	}
	return fmt.Sprintf("-ERR autologout: idle for %s, closing the connection; nothing was deleted (RFC 1939 section 3)", lim.IdleTimeout)
}
