// Package smtp is mailscope's SMTP server, written by hand because its
// wording is the lesson: every reply says what happened and why.
//
// It implements RFC 5321 (HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
// VRFY, HELP) with the extensions PIPELINING (RFC 2920), SIZE (RFC 1870),
// 8BITMIME (RFC 6152), ENHANCEDSTATUSCODES (RFC 2034, codes from RFC 3463),
// STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), ETRN
// (RFC 1985) and FUTURERELEASE (RFC 4865); it adds Received: trace headers
// (RFC 5321 section 4.4) and Message-ID and Date when a message lacks them.
//
// The lifecycle follows net/http: Serve, ListenAndServe, Close, Shutdown and
// ErrServerClosed.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("smtp: server closed")

// Message is what a session hands the backend when DATA ends.
type Message struct {
	ID         string   // the mailscope id, also in the Received: header
	From       string   // envelope sender, "" for <>
	LocalUsers []string // local mailbox owners
	Remote     []string // recipients in other domains (already allowed to relay)
	// Body is the message with the Received: header and any added
	// headers, CRLF line endings only. It is the server's buffer: valid
	// until Deliver returns, so a backend that keeps it must copy it.
	Body       []byte
	Received   time.Time
	HoldUntil  time.Time // FUTURERELEASE, zero for none
	EightBit   bool      // BODY=8BITMIME was declared
	AuthUser   string    // who logged in, "" for nobody
	ClientAddr net.Addr
	Helo       string
	// DSN parameters (RFC 3461): the envelope id, RET=FULL or HDRS, and the
	// recipients that asked for no failure notice (NOTIFY=NEVER).
	EnvID       string
	Ret         string
	NotifyNever []string
}

// Envelope is what a Policy sees of a recipient being added.
type Envelope struct {
	From       string
	Rcpt       string
	Local      bool // the recipient is a user of this server
	ClientAddr net.Addr
	Helo       string
}

// Policy is implemented by backends that refuse or slow down on purpose:
// mailscope's switchable faults (greylisting, over quota, rejecting, slow).
type Policy interface {
	// CheckRcpt may refuse a recipient the server would otherwise accept;
	// an *Error becomes the reply.
	CheckRcpt(ctx context.Context, e *Envelope) error
	// ReplyDelay is how long to wait before sending replies.
	ReplyDelay() time.Duration
}

// Backend is what an SMTP server needs from the rest of mailscope.
type Backend interface {
	// Authenticate checks a login name ("alice" or "alice@a.example") and
	// password and returns the canonical user name.
	Authenticate(login, password string) (user string, ok bool)
	// LocalUser resolves the local part of an address at the server's own
	// domain to a mailbox owner ("postmaster" must resolve, RFC 5321
	// section 4.5.1).
	LocalUser(local string) (user string, ok bool)
	// Deliver stores the message durably; the server says 250 only after it
	// returned nil.
	Deliver(ctx context.Context, m *Message) error
}

// FlushResult is the outcome of an ETRN request, RFC 1985 section 5.
type FlushResult int

// ETRN outcomes and the reply each gives.
const (
	FlushStarted   FlushResult = iota // 250: delivery started
	FlushNone                         // 251: nothing queued for the domain
	FlushPending                      // 252: queued, but cannot start now (held messages)
	FlushFailed                       // 458: unable to queue
	FlushForbidden                    // 459: not a domain this node may ask for
)

// Flusher is implemented by backends that can start queue runs (ETRN).
type Flusher interface {
	Flush(ctx context.Context, domain string) (FlushResult, int, error)
}

// DataAnnouncer is implemented by backends that want to know a message is
// on its way: DataStarted is called when the 354 has gone out, and done
// once the message is about to be handed to Deliver or was abandoned. The
// store uses it to let messages still arriving share a commit (group commit).
type DataAnnouncer interface {
	DataStarted() (done func())
}

// FutureReleaser is implemented by backends that hold messages for later
// release (FUTURERELEASE, RFC 4865).
type FutureReleaser interface {
	// MaxHold is the longest a message may be held.
	MaxHold() time.Duration
}

// Server is an SMTP server for one mail domain.
type Server struct {
	Name     string // the world's server name: "A"
	Domain   string // the mail domain: "a.example"
	Hostname string // the name in the greeting; defaults to Domain
	Backend  Backend

	TLSConfig *tls.Config // nil: no STARTTLS

	MaxMessageSize int64 // default 10 MiB
	MaxRecipients  int   // default 100
	MaxErrors      int   // errors in a row before 421; default 10
	// MaxAuthFailures is how many failed AUTHs one session may have: the
	// last gets its 535, then 421 and the close (default 3).
	MaxAuthFailures int
	// Penalty slows down password guessing: each failed AUTH's 535 waits
	// longer the more failures came from the client's address or for the
	// user name, across sessions and protocols. Nil: no delay.
	Penalty *penalty.Box
	// StrictLineEndings refuses a bare LF or a lone CR in the message of
	// a client that ends its lines with CRLF: 521 5.5.2, and the
	// connection is closed. Otherwise they are stored as CRLF line ends.
	StrictLineEndings bool
	// DataBudget bounds the memory all sessions hold together for the
	// messages they are receiving; the servers of a world share one. Once
	// it is spent, a message is read to its end and answered 452 4.3.1
	// (RFC 3463: insufficient system storage), for the client to try
	// again later. nil: a budget of DefaultDataBudget octets per server.
	DataBudget *limits.Budget
	// Trusted networks may relay without logging in.
	Trusted []netip.Prefix
	// AllowInsecureAuth offers AUTH on unencrypted connections from anywhere;
	// loopback clients may always use it.
	AllowInsecureAuth bool
	// Settings are the session limits: IdleTimeout, LineTimeout,
	// SessionTimeout, WriteTimeout, MaxConns, MaxConnsPerIP and
	// MaxConnsLoopback (defaults in limits.Settings). Over a connection
	// limit a client gets 421 4.7.0 saying which, instead of the greeting;
	// a session past a time limit ends with 421 4.4.2.
	limits.Settings

	Logger *slog.Logger

	mu    sync.Mutex
	life  lifecycle.Group // listeners, sessions, Close and Shutdown
	conns limits.Counter
}

func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Hostname == "" {
		s.Hostname = s.Domain
	}
	if s.MaxMessageSize <= 0 {
		s.MaxMessageSize = 10 << 20
	}
	if s.MaxRecipients <= 0 {
		s.MaxRecipients = 100
	}
	if s.MaxErrors <= 0 {
		s.MaxErrors = 10
	}
	if s.DataBudget == nil {
		s.DataBudget = limits.NewBudget(DefaultDataBudget)
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
	return s.life.Serve(l, s.serveConn, ErrServerClosed, s.Logger.With("server", s.Name), "smtp")
}

func (s *Server) serveConn(c net.Conn) {
	sess := newSession(s, c)
	sess.clock.End = time.Now().Add(s.SessionTimeout)
	if s.life.Closing() {
		sess.refuse(&Error{Code: 421, Enh: "4.3.2", Msg: s.Hostname + " Service shutting down, try again later"})
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
		sess.refuse(&Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many connections in total (%d are open, the limit), try again later", s.Hostname, limit)})
		return
	case limits.TooManyFromIP:
		sess.refuse(&Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many connections from your address %s (%d are open, the limit), try again later", s.Hostname, ip, limit)})
		return
	}
	defer release()
	sess.member.Conn = sess.raw
	leave, ok := s.life.Join(&sess.member)
	if !ok {
		sess.refuse(&Error{Code: 421, Enh: "4.3.2", Msg: s.Hostname + " Service shutting down, try again later"})
		return
	}
	defer leave()
	sess.serve()
}

// Close closes the listeners and every session at once.
func (s *Server) Close() error {
	s.init()
	s.life.Close()
	return nil
}

// Shutdown stops accepting, says 421 to sessions waiting for a command and
// lets sessions in the middle of a message finish, until ctx ends; then it
// closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	return s.life.Shutdown(ctx)
}

// trusted reports whether addr is in a trusted network.
func (s *Server) trusted(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// armRead sets the read deadline for the next line (RFC 5321 section
// 4.5.3.2): IdleTimeout for its first octet, LineTimeout for the rest, never
// past the session's end; none for a line already buffered (pipelining).
// A busy server (80% of MaxConns or more) waits only BusyIdleTimeout.
func (s *session) armRead() error {
	idle := s.srv.IdleTimeout
	s.busyWait = false
	if idle > s.srv.BusyIdleTimeout && s.srv.conns.Busy() {
		idle, s.busyWait = s.srv.BusyIdleTimeout, true
	}
	return s.clock.ArmRead(s.conn, s.r, idle, s.srv.LineTimeout)
}

// timeoutReply is the 421's enhanced code and text for a read that hit its
// deadline or was cut short by a busy or full server; for the last two the
// trace gets a note that says why.
func (s *session) timeoutReply() (enh, text string) {
	switch {
	case s.member.Cut() == lifecycle.CutFull:
		s.noteStress("conn.full", fmt.Sprintf("server %s is full (%d connections, the limit): this session had waited longest for a command, so it is closed to admit a new connection", s.srv.Name, s.srv.MaxConns))
		return "4.7.0", fmt.Sprintf("%s Server full (%d connections, the limit): this session waited longest for a command and is closed to make room; connect again later", s.srv.Hostname, s.srv.MaxConns)
	case s.member.Cut() == lifecycle.CutBusy && s.clock.Why != limits.Session, s.busyWait && s.clock.Why == limits.Idle:
		s.noteStress("conn.busy", fmt.Sprintf("server %s is busy (80%% or more of its %d connections in use): a session may wait only %s for a command, and this one waited that long", s.srv.Name, s.srv.MaxConns, s.srv.BusyIdleTimeout))
		return "4.4.2", fmt.Sprintf("%s Idle for %s while the server is busy (80%% or more of its %d connections in use): closing the connection; connect again later", s.srv.Hostname, s.srv.BusyIdleTimeout, s.srv.MaxConns)
	}
	return "4.4.2", s.timeoutText()
}

// noteStress tells the trace why a busy or full server ended the session.
func (s *session) noteStress(key, text string) {
	var ex *tracer.Explanation
	if b := s.trace.Bus(); b != nil && b.Explainer != nil {
		ex = b.Explainer.Key(key)
	}
	s.trace.Emit(&tracer.Event{Kind: tracer.KindNote, Text: text, Explain: ex, Attrs: map[string]string{"step": key}})
}

// timeoutText is the 421 text for a read that hit its own deadline.
func (s *session) timeoutText() string {
	switch s.clock.Why {
	case limits.Line:
		return fmt.Sprintf("%s Line not finished within %s of its first octet: closing the connection", s.srv.Hostname, s.srv.LineTimeout)
	case limits.Session:
		return fmt.Sprintf("%s Session open for %s, the longest allowed: closing the connection; connect again to go on", s.srv.Hostname, s.srv.SessionTimeout)
	}
	return fmt.Sprintf("%s Idle for %s: closing the connection (RFC 5321 section 4.5.3.2.7)", s.srv.Hostname, s.srv.IdleTimeout)
}

// recovered handles a panic in the session: it logs it with its stack,
// tells the trace and says 421, the only reply that may end a session
// (RFC 5321 section 3.8).
func (s *session) recovered(r any) {
	s.srv.Logger.Error("smtp: panic in session; closing it", "server", s.srv.Name, "panic", r, "stack", string(debug.Stack()))
	s.trace.Note(tracer.KindNote, fmt.Sprintf("internal error in server %s (a panic: %v); this session ends, the server goes on", s.srv.Name, r), map[string]string{"panic": fmt.Sprint(r)})
	s.reply(421, "4.3.0", s.srv.Hostname+" Internal error, closing the connection")
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	s.w.Flush()
}
