// Package imap is mailscope's IMAP server: github.com/emersion/go-imap/v2's
// imapserver speaks the protocol, and this package is its backend over the
// store, so folders, flags, UIDVALIDITY and UIDs persist across sessions and
// restarts (the course's "state across sessions").
//
// It implements IMAP4rev1 (RFC 3501, with RFC 9051's clarifications) and the
// extensions IDLE (RFC 2177), NAMESPACE (RFC 2342), UIDPLUS (RFC 4315), MOVE
// (RFC 6851), CHILDREN (RFC 3348), SPECIAL-USE and CREATE-SPECIAL-USE
// (RFC 6154), LITERAL+ (RFC 7888), UNSELECT (RFC 3691), STATUS=SIZE
// (RFC 8438), APPENDLIMIT (RFC 7889), STARTTLS and LOGINDISABLED (RFC 3501
// section 6.2.1) and SASL PLAIN (RFC 4616) with SASL-IR (RFC 4959).
//
// Changes committed by anyone (an SMTP delivery, another IMAP session) reach
// every session that has the mailbox selected as untagged EXISTS, EXPUNGE and
// FETCH responses, at once while the client IDLEs.
//
// The lifecycle follows net/http: Serve, ListenAndServe, Close, Shutdown and
// ErrServerClosed.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/mailscope/mailscope/servers/store"
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("imap: server closed")

// Authenticator checks credentials.
type Authenticator interface {
	// Authenticate checks a login name ("alice" or "alice@a.example") and a
	// password and returns the canonical user name.
	Authenticate(login, password string) (user string, ok bool)
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(login, password string) (string, bool)

// Authenticate calls f.
func (f AuthFunc) Authenticate(login, password string) (string, bool) { return f(login, password) }

// Server is the IMAP server of one world server.
type Server struct {
	Name   string // the world's server name, the store's key: "A"
	Domain string // the mail domain, for the greeting: "a.example"
	Store  *store.Store
	Auth   Authenticator

	// TLSConfig enables STARTTLS; nil disables it.
	TLSConfig *tls.Config
	// AllowInsecureAuth lets clients that are not on the loopback log in
	// without TLS. Loopback clients always may: the classroom watches
	// plaintext passwords cross the wire on purpose.
	AllowInsecureAuth bool
	// IdleTimeout is the least silence that ends a session, before or after
	// login (default 10 minutes: students type slowly). imapserver's own
	// shorter read deadlines are stretched to it; its 35 minute IDLE and
	// post-login limits stay.
	IdleTimeout time.Duration
	// AppendLimit caps an APPEND literal in octets (default 10 MiB).
	AppendLimit uint32

	Logger *slog.Logger

	initOnce sync.Once
	srv      *imapserver.Server
	hub      *hub

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	wg        sync.WaitGroup // sessions
	closing   atomic.Bool
	closeOnce sync.Once
}

// caps are the capabilities beyond what imapserver adds on its own (SASL-IR,
// LITERAL-, STARTTLS, AUTH=, LOGINDISABLED, and after login UNSELECT,
// ENABLE, IDLE, UTF8=ACCEPT).
var caps = imap.CapSet{
	imap.CapIMAP4rev1:        {},
	imap.CapNamespace:        {},
	imap.CapUIDPlus:          {},
	imap.CapMove:             {},
	imap.CapChildren:         {},
	imap.CapSpecialUse:       {},
	imap.CapCreateSpecialUse: {},
	imap.CapLiteralPlus:      {},
	imap.CapStatusSize:       {},
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.IdleTimeout <= 0 {
			s.IdleTimeout = 10 * time.Minute
		}
		if s.AppendLimit == 0 {
			s.AppendLimit = 10 << 20
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		s.listeners = make(map[net.Listener]struct{})
		s.sessions = make(map[*session]struct{})
		s.hub = newHub(s.Store, s.Logger)
		s.srv = imapserver.New(&imapserver.Options{
			NewSession: s.newSession,
			Caps:       caps,
			Logger:     printfLogger{s.Logger, s.Name},
			// No TLSConfig: STARTTLS is handled under imapserver, in the
			// tapped conn, so the trace stays readable (starttls.go).
			// Who may log in without TLS is decided per connection in
			// session.Login (loopback, or AllowInsecureAuth).
			InsecureAuth: true,
		})
	})
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
	if s.closing.Load() {
		l.Close()
		return ErrServerClosed
	}
	pl := &patientListener{Listener: l, min: s.IdleTimeout, tlsConfig: s.TLSConfig}
	s.mu.Lock()
	s.listeners[pl] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, pl)
		s.mu.Unlock()
	}()
	err := s.srv.Serve(pl)
	if s.closing.Load() {
		return ErrServerClosed
	}
	if err == nil {
		// imapserver returns nil when the listener was closed under it.
		err = net.ErrClosed
	}
	return err
}

// Close closes the listeners and every session at once.
func (s *Server) Close() error {
	s.init()
	s.closing.Store(true)
	s.closeOnce.Do(func() {
		s.closeListeners()
		s.srv.Close() // closes its listeners (ours, already closed) and every conn
		s.wg.Wait()
		s.hub.close()
	})
	return nil
}

// Shutdown stops accepting, says BYE to every session (RFC 9051 section
// 7.1.5: the server is shutting down) and waits for them to end until ctx
// ends; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closing.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for sess := range s.sessions {
		go sess.bye("mailscope server " + s.Name + " is shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.Close()
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		l.Close()
	}
}

// loopback reports whether addr is a loopback address.
func loopback(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// patientListener hands out patientConns.
type patientListener struct {
	net.Listener
	min       time.Duration
	tlsConfig *tls.Config
}

func (l *patientListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &patientConn{Conn: c, min: l.min, tlsConfig: l.tlsConfig}, nil
}

// patientConn stretches every read deadline to at least min from now.
// imapserver gives a client 30 seconds to send a command before login and
// to finish a command line once begun, and has no option to change that; a
// student typing over telnet needs minutes.
type patientConn struct {
	net.Conn
	min      time.Duration
	timedOut atomic.Bool // a read ended by its deadline

	// STARTTLS, handled below imapserver (starttls.go).
	tlsConfig *tls.Config
	tlsUp     atomic.Bool // the handshake is done
	authed    atomic.Bool // someone logged in: STARTTLS is over
	pending   []byte      // read but not yet handed to imapserver
}

func (c *patientConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() {
		if floor := time.Now().Add(c.min); t.Before(floor) {
			t = floor
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *patientConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *patientConn) Read(p []byte) (int, error) {
	if c.watching() {
		return c.readLine(p)
	}
	return c.read(p)
}

// readConn reads the connection and notes a read ended by its deadline.
func (c *patientConn) readConn(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		c.timedOut.Store(true)
	}
	return n, err
}

// printfLogger adapts slog to imapserver.Logger.
type printfLogger struct {
	l      *slog.Logger
	server string
}

func (p printfLogger) Printf(format string, args ...any) {
	p.l.Warn("imap: "+fmt.Sprintf(format, args...), "server", p.server)
}
