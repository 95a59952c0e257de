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
// Like a teaching assistant, it also says in the trace what a student
// likely did wrong (diag.go): a body without the blank line after the
// header lines, text typed after the message ended or before DATA was
// accepted, keys a terminal sent as control characters, an address without
// a domain, a recipient for another server, a mistyped user name.
//
// The lifecycle follows net/http: Serve, ListenAndServe, Close, Shutdown and
// ErrServerClosed.
package smtp

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/lineserver"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = errors.New("smtp: server closed")

// Message is what a session hands the backend when DATA ends.
type Message struct {
	ID         string   // this server's queue id, also in its Received: header
	TraceID    string   // the id that follows the message across the world's servers (the trace's MsgID)
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
	FromRelay  bool // the client is a relay of the world (Envelope.FromRelay)
	// DSN parameters (RFC 3461): the envelope id, RET=FULL or HDRS, and the
	// recipients that asked for no failure notice (NOTIFY=NEVER).
	EnvID       string
	Ret         string
	NotifyNever []string
	// Rcpts are the accepted recipients, local and remote, in order, each
	// with what its RCPT TO asked of notifications (NOTIFY, ORCPT).
	Rcpts []Rcpt
}

// Rcpt is one accepted recipient and its DSN parameters (RFC 3461
// sections 4.1 and 4.2).
type Rcpt struct {
	Addr   string // as the client gave it
	User   string // the local mailbox owner; "" for a remote recipient
	Notify string // NOTIFY= in upper case ("NEVER", "SUCCESS,FAILURE"); "" when not given
	ORCPT  string // ORCPT= as given: addr-type ";" xtext; "" when not given
}

// Has reports whether the recipient's NOTIFY= lists what ("SUCCESS",
// "FAILURE", "DELAY" or "NEVER").
func (r Rcpt) Has(what string) bool {
	for _, n := range strings.Split(r.Notify, ",") {
		if n == what {
			return true
		}
	}
	return false
}

// TraceKeyword is the EHLO keyword, and the MAIL FROM parameter, of
// mailscope's private extension that carries a message's trace id from
// one server of the world to the next (see Server.CarryTrace).
const TraceKeyword = "X-MAILSCOPE-TRACE"

// Envelope is what a Policy sees of a recipient being added.
type Envelope struct {
	From       string
	Rcpt       string
	Local      bool // the recipient is a user of this server
	ClientAddr net.Addr
	Helo       string
	AuthUser   string // who logged in, "" for nobody
	// FromRelay: the client is a relay of the world (the trace labelled
	// the session as a hop), not a person.
	FromRelay bool
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

// ETRN outcomes and the reply each gives. RFC 1985's 252 and 253 also say
// "started" (252 "OK, pending messages for node <x> started", 253 the same
// with a count): none of them fits mail that cannot be started now.
const (
	FlushStarted   FlushResult = iota // 250: queuing for the node started
	FlushNone                         // 251: no messages waiting for the node
	FlushHeld                         // 458: only held mail (FUTURERELEASE): it cannot be started before its time
	FlushFailed                       // 458: unable to queue
	FlushForbidden                    // 459: not a domain this node may ask for
)

// Flusher is implemented by backends that can start queue runs (ETRN).
type Flusher interface {
	Flush(ctx context.Context, domain string) (FlushResult, int, error)
}

// FlushNamer is implemented by Flushers that can say, before an ETRN runs,
// which message it will deliver, so that the trace shows the ETRN line and
// its reply as part of that message.
type FlushNamer interface {
	// FlushMsgID returns the trace id of the one message an ETRN for
	// domain would start delivering now, or "" for none or several.
	FlushMsgID(ctx context.Context, domain string) string
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
	// CarryTrace offers TraceKeyword in EHLO and accepts its MAIL FROM
	// parameter: a relay of the same world says there under which id the
	// trace already follows the message, so the message keeps it on this
	// hop. It is a private extension (RFC 5321 section 2.2.2: keywords
	// beginning with X are used by bilateral agreement), so a relay sends
	// it only to a server that offers it, and the client's own ENVID
	// (RFC 3461 section 4.4) travels untouched. On a traced server only
	// the world's own relays are offered it (a session the trace labelled
	// as a relay hop, tracer.Session.Hop): a student who sent another's
	// trace id would file their message under the other's name.
	CarryTrace bool
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

	core   lineserver.Server // listeners, sessions, the connection counter, Close and Shutdown
	budget struct {
		once sync.Once
		b    *limits.Budget // DataBudget's default
	}
}

// Defaults of the Server's fields, for a field left zero; mailscope's
// default world (servers/world) takes its SMTP policy from them.
const (
	DefaultMaxMessageSize = 10 << 20
	DefaultMaxRecipients  = 100
	DefaultMaxErrors      = 10
)

// The getters below give a field's value or its default, as net/http's
// do: the fields are never written, so that sessions may read them while
// Serve, Close or Shutdown run.

func (s *Server) hostname() string { return cmp.Or(s.Hostname, s.Domain) }

func (s *Server) maxMessageSize() int64 {
	return lineserver.Or(s.MaxMessageSize, DefaultMaxMessageSize)
}

func (s *Server) maxRecipients() int { return lineserver.Or(s.MaxRecipients, DefaultMaxRecipients) }

func (s *Server) maxErrors() int { return lineserver.Or(s.MaxErrors, DefaultMaxErrors) }

func (s *Server) maxAuthFailures() int {
	return lineserver.Or(s.MaxAuthFailures, penalty.DefaultMaxPerSession)
}

// dataBudget is DataBudget, or the server's own budget of
// DefaultDataBudget octets.
func (s *Server) dataBudget() *limits.Budget {
	if s.DataBudget != nil {
		return s.DataBudget
	}
	s.budget.once.Do(func() { s.budget.b = limits.NewBudget(DefaultDataBudget) })
	return s.budget.b
}

// settings are the session limits with their defaults.
func (s *Server) settings() limits.Settings { return s.Settings.WithDefaults() }

func (s *Server) logger() *slog.Logger { return cmp.Or(s.Logger, slog.Default()) }

// ListenAndServe listens on the TCP address addr and serves SMTP there.
func (s *Server) ListenAndServe(addr string) error { return lineserver.ListenAndServe(addr, s.Serve) }

// Serve accepts connections on l and serves each in its own goroutine: the
// 220 greeting, or a 421 saying which connection limit it is over. It
// always returns a non-nil error; after Close or Shutdown, ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	return s.core.Serve(l, s.settings(), s.serveConn, ErrServerClosed, s.logger().With("server", s.Name), "smtp")
}

func (s *Server) serveConn(c net.Conn) {
	sess := newSession(s, c)
	s.core.ServeConn(sess.line, sess.refuse, sess.serve)
	lineserver.Release(sess.r, sess.w)
}

// Close closes the listeners and every session at once.
func (s *Server) Close() error { return s.core.Close() }

// Shutdown stops accepting, says 421 to sessions waiting for a command and
// lets sessions in the middle of a message finish, until ctx ends; then it
// closes what is left.
func (s *Server) Shutdown(ctx context.Context) error { return s.core.Shutdown(ctx) }

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

// endReply is the 421's enhanced code and text for a session that a read
// ended (not Gone); for a busy or full server the trace gets a note that
// says why.
func (s *session) endReply(end lineserver.End) (enh, text string) {
	h, lim := s.srv.hostname(), s.line.Limits
	switch end {
	case lineserver.Closing:
		return "4.3.2", h + " Service shutting down, closing the connection"
	case lineserver.Full:
		s.noteStress("conn.full", tracer.M("note.conn.full", "server", s.srv.Name, "max", strconv.Itoa(lim.MaxConns), "proto", "SMTP"))
		return "4.7.0", fmt.Sprintf("%s Server full (%d connections, the limit): this session waited longest for a command and is closed to make room; connect again later", h, lim.MaxConns)
	case lineserver.Busy:
		s.noteStress("conn.busy", tracer.M("note.conn.busy", "server", s.srv.Name, "max", strconv.Itoa(lim.MaxConns), "proto", "SMTP", "wait", lim.BusyIdleTimeout.String(), "wait_zh", tracer.DurationZH(lim.BusyIdleTimeout)))
		return "4.4.2", fmt.Sprintf("%s Idle for %s while the server is busy (80%% or more of its %d connections in use): closing the connection; connect again later", h, lim.BusyIdleTimeout, lim.MaxConns)
	case lineserver.LineTimeout:
		return "4.4.2", fmt.Sprintf("%s Line not finished within %s of its first octet: closing the connection", h, lim.LineTimeout)
	case lineserver.SessionOver:
		return "4.4.2", fmt.Sprintf("%s Session open for %s, the longest allowed: closing the connection; connect again to go on", h, lim.SessionTimeout)
	}
	return "4.4.2", fmt.Sprintf("%s Idle for %s: closing the connection (RFC 5321 section 4.5.3.2.7)", h, lim.IdleTimeout)
}

// noteStress tells the trace why a busy or full server ended the session:
// msg, explained by the catalog's key.
func (s *session) noteStress(key string, msg *tracer.Msg) {
	s.trace.Emit(&tracer.Event{Kind: tracer.KindNote, Msg: msg, Explain: &tracer.Explanation{Key: key}, Attrs: map[string]string{"step": key}})
}
