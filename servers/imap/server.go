// Package imap is mailscope's IMAP server: github.com/emersion/go-imap/v2's
// imapserver speaks the protocol, and this package is its backend over the
// store, so folders, flags, UIDVALIDITY and UIDs persist across sessions and
// restarts (the course's "state across sessions").
//
// It implements IMAP4rev1 (RFC 3501, with RFC 9051's clarifications) and the
// extensions IDLE (RFC 2177), NAMESPACE (RFC 2342), UIDPLUS (RFC 4315), MOVE
// (RFC 6851), CHILDREN (RFC 3348), SPECIAL-USE and CREATE-SPECIAL-USE
// (RFC 6154), LITERAL- (RFC 7888), UNSELECT (RFC 3691), STATUS=SIZE
// (RFC 8438), APPENDLIMIT (RFC 7889), STARTTLS and LOGINDISABLED (RFC 3501
// section 6.2.1), SASL PLAIN (RFC 4616) with SASL-IR (RFC 4959), and ID
// (RFC 2971, answered in front of imapserver: id.go). \Recent is kept as
// RFC 3501 section 2.3.2 asks (tracker.go). Dovecot's imaptest checks it
// (imaptest_test.go).
//
// Changes committed by anyone (an SMTP delivery, another IMAP session) reach
// every session that has the mailbox selected as untagged EXISTS, EXPUNGE and
// FETCH responses, at once while the client IDLEs.
//
// The lifecycle follows net/http: Serve, ListenAndServe, Close, Shutdown and
// ErrServerClosed.
package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
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
	// AppendLimit caps an APPEND literal in octets (default 10 MiB).
	AppendLimit uint32
	// Settings are the session limits (defaults in limits.Settings):
	//   - IdleTimeout is the silence that ends a session waiting for a
	//     command before login; after login the wait is imapserver's 35
	//     minutes if longer (RFC 9051 section 5.4: at least 30), in IDLE
	//     too; imapserver's shorter read deadlines within a command are
	//     stretched to it;
	//   - LineTimeout bounds a command line, or a line of a literal;
	//   - SessionTimeout bounds a session's whole life, IDLE included;
	//   - WriteTimeout replaces imapserver's write deadlines (30 seconds for
	//     a response, 5 minutes for a literal);
	//   - MaxConns, MaxConnsPerIP and MaxConnsLoopback: over one, a client
	//     gets * BYE [UNAVAILABLE] saying which, instead of the greeting;
	//   - BusyIdleTimeout: stress mode, as for SMTP and POP3 (limits.Counter.Busy):
	//     at 80% of MaxConns a wait for a command, IDLE included, lasts
	//     at most BusyIdleTimeout, and at MaxConns the session that has
	//     waited longest makes room for a new one (patientConn.awaitCommand).
	// A session past a time limit ends with * BYE saying so.
	limits.Settings

	Logger *slog.Logger

	initOnce sync.Once
	srv      *imapserver.Server
	hub      *hub

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	conns     limits.Counter  // accepted connections not yet closed
	life      lifecycle.Group // the sessions as stress mode sees them; imapserver serves and closes them, so only Join, AwaitCommand, Squeeze and MakeRoom are used
	wg        sync.WaitGroup  // sessions
	closing   atomic.Bool
	closeOnce sync.Once
}

// caps are the capabilities beyond what imapserver adds on its own (SASL-IR,
// LITERAL-, STARTTLS, AUTH=, LOGINDISABLED, and after login UNSELECT,
// ENABLE, IDLE, UTF8=ACCEPT). Not LITERAL+: with LITERAL- a client sends a
// literal of more than 4096 octets synchronizing, so the server can refuse
// it before its octets are sent (RFC 7888 section 5; framing.go).
var caps = imap.CapSet{
	imap.CapIMAP4rev1:        {},
	imap.CapNamespace:        {},
	imap.CapUIDPlus:          {},
	imap.CapMove:             {},
	imap.CapChildren:         {},
	imap.CapSpecialUse:       {},
	imap.CapCreateSpecialUse: {},
	imap.CapStatusSize:       {},
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.Settings = s.Settings.WithDefaults()
		if s.AppendLimit == 0 {
			s.AppendLimit = 10 << 20
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		s.listeners = make(map[net.Listener]struct{})
		s.sessions = make(map[*session]struct{})
		s.conns.Limit(s.Settings)
		s.hub = newHub(s.Store, s.Logger)
		s.srv = imapserver.New(&imapserver.Options{
			NewSession: s.newGuardedSession,
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
	pl := &patientListener{Listener: l, srv: s, min: s.IdleTimeout, tlsConfig: s.TLSConfig}
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

// patientListener hands out patientConns, and refuses connections over the
// server's limits itself, before imapserver sees them.
type patientListener struct {
	net.Listener
	srv       *Server
	min       time.Duration
	tlsConfig *tls.Config
}

func (l *patientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release, refusal := l.srv.admit(c.RemoteAddr())
		if refusal != "" {
			// RFC 9051 section 7.1.5: BYE instead of the greeting. A fresh
			// socket's send buffer is empty, so this write does not wait.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(c, "* BYE [UNAVAILABLE] "+ascii.Escape(refusal)+"\r\n")
			c.Close()
			continue
		}
		pc := &patientConn{Conn: c, min: l.min, tlsConfig: l.tlsConfig, release: release,
			line: l.srv.LineTimeout, write: l.srv.WriteTimeout, srv: l.srv}
		// The accepted conn, never replaced (STARTTLS wraps it): Squeeze
		// and Evict set its read deadline, which the TLS layer's reads obey.
		pc.member.Conn = c
		if leave, ok := l.srv.life.Join(&pc.member); ok {
			pc.leave = leave
		}
		pc.end = time.Now().Add(l.srv.SessionTimeout)
		pc.why = fmt.Sprintf("session open for %s, the longest allowed: closing the connection; connect again to go on", l.srv.SessionTimeout)
		return pc, nil
	}
}

// admit counts a new connection against the limits; refusal says which
// limit it is over. release uncounts it (once, however often it is called).
// A full server closes the session that has waited longest for a command
// (at least limits.EvictAfter) to admit this one, and a busy one shortens
// the waits under way (stress mode, as SMTP and POP3 do).
func (s *Server) admit(addr net.Addr) (release func(), refusal string) {
	release, why, ip, limit := s.conns.Admit(addr)
	if why == limits.TooMany {
		release, why, ip, limit = s.life.MakeRoom(&s.conns, addr)
	}
	if s.conns.Busy() {
		s.life.Squeeze(s.BusyIdleTimeout)
	}
	switch why {
	case limits.TooMany:
		return nil, fmt.Sprintf("mailscope server %s has too many IMAP connections open (%d, the limit); try again in a moment", s.Name, limit)
	case limits.TooManyFromIP:
		return nil, fmt.Sprintf("mailscope server %s has too many IMAP connections open from your address %s (%d, the limit); try again in a moment", s.Name, ip, limit)
	}
	return release, ""
}

// patientConn stretches every read deadline to at least min from now.
// imapserver gives a client 30 seconds to send a command before login and
// to finish a command line once begun, and has no option to change that; a
// student typing over telnet needs minutes. A line begun must end within
// line, and no deadline goes past end (the session's end). Zero values
// mean no such limit.
type patientConn struct {
	net.Conn
	// routeCarry is the start of a marked source route cut by the end of
	// a write (route.go); writes come one at a time (imapserver's encoder).
	routeCarry []byte
	min        time.Duration
	timedOut   atomic.Bool // a read ended by its idle deadline: the session says BYE

	line    time.Duration // LineTimeout
	write   time.Duration // WriteTimeout: each write's progress
	end     time.Time     // the session's end
	why     string        // the BYE text when end is reached
	release func()        // uncounts the connection (admit)

	// Stress mode: nil srv (a conn not accepted by Serve) has none.
	srv      *Server
	member   lifecycle.Member // in srv.life: Squeeze and Evict find the waits for a command
	leave    func()           // takes member out of srv.life
	busyWait atomic.Bool      // the wait for a command under way, or the last one timed out, had BusyIdleTimeout
	readErr  error            // a read that hit its deadline: every later read fails alike
	sayBye   func()           // says the autologout BYE and closes (session.autologout), set by newSession
	byeSaid  bool             // sayBye was called

	// Read deadline state, used by the connection's goroutine only.
	idleAt    time.Time // the deadline imapserver asked for, stretched to min
	mid       bool      // a line has begun and not ended
	lineStart time.Time
	limit     timeoutKind // which limit the deadline now set is
	rearmed   bool        // the deadline was set again after STARTTLS
	byeSent   bool

	// STARTTLS, handled below imapserver (starttls.go).
	tlsConfig *tls.Config
	tlsUp     atomic.Bool // the handshake is done
	authed    atomic.Bool // someone logged in: STARTTLS is over

	fr      frame       // how the client's octets are cut into lines and literals (framing.go)
	capsCmd atomic.Bool // the command under way answers with a capability list (Write)

	// A diagnostic to publish after the next tagged response (diagnose.go).
	pendingDiag atomic.Pointer[tracer.Event]
}

func (c *patientConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() {
		if floor := time.Now().Add(c.min); t.Before(floor) {
			t = floor
		}
	}
	c.idleAt = t
	return c.armRead()
}

// timeoutKind says which limit a read deadline is.
type timeoutKind int

const (
	timeoutIdle timeoutKind = iota
	timeoutLine
	timeoutSession
)

// armRead sets the connection's read deadline: the one imapserver asked
// for (stretched), or the line's end while a line is under way, and never
// past the session's end.
func (c *patientConn) armRead() error {
	t, kind := c.idleAt, timeoutIdle
	if c.mid && c.line > 0 {
		t, kind = c.lineStart.Add(c.line), timeoutLine
	}
	if !c.end.IsZero() && (t.IsZero() || t.After(c.end)) {
		t, kind = c.end, timeoutSession
	}
	c.limit = kind
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline replaces imapserver's write deadlines with WriteTimeout
// when that is set.
func (c *patientConn) SetWriteDeadline(t time.Time) error {
	if c.write > 0 && !t.IsZero() {
		t = time.Now().Add(c.write)
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *patientConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// Close closes the connection, uncounts it and takes it out of the group.
func (c *patientConn) Close() error {
	err := c.Conn.Close()
	if c.release != nil {
		c.release()
	}
	if c.leave != nil {
		c.leave()
	}
	return err
}

// noteRead follows where lines begin and end in what was read, so that a
// line begun gets LineTimeout to end.
func (c *patientConn) noteRead(b []byte) {
	nl := bytes.LastIndexByte(b, '\n')
	switch {
	case nl == len(b)-1:
		if c.mid {
			c.mid = false
			c.armRead()
		}
	case nl >= 0 || !c.mid:
		c.mid, c.lineStart = true, time.Now()
		c.armRead()
	}
}

// timedOutBye says BYE for a read that hit the line or the session limit
// (an idle timeout is the session's autologout, session.Close) and closes
// the connection, so that nothing follows the BYE. The write goes under
// imapserver, which is reading, not writing, just now.
func (c *patientConn) timedOutBye() {
	if c.byeSent {
		return
	}
	c.byeSent = true
	text := c.why
	if c.limit == timeoutLine {
		text = fmt.Sprintf("line not finished within %s of its first octet: closing the connection", c.line)
	}
	c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c.Conn, "* BYE "+ascii.Escape(text)+"\r\n")
	c.Conn.Close()
}

// readConn reads the connection and notes a read ended by its deadline.
// After such a read every later one fails at once with the same error:
// imapserver's check for the end of input (Decoder.EOF, before each
// command) takes a timeout for "not the end", sets a new deadline and reads
// again, so the idle BYE came only after a second wait (60 s in all before
// login, whatever IdleTimeout was: imapserver's 30 s twice).
func (c *patientConn) readConn(p []byte) (int, error) {
	if c.readErr != nil {
		return 0, c.readErr
	}
	if !c.rearmed && c.tlsUp.Load() {
		// The TLS handshake cleared the deadlines.
		c.rearmed = true
		c.armRead()
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.noteRead(p[:n])
	}
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		c.readErr = err
		// A wait ended to make room is that, whatever limit its deadline
		// stood for (the session's end may have been the nearer).
		if c.limit == timeoutIdle || c.member.Cut() == lifecycle.CutFull {
			c.timedOut.Store(true)
		} else {
			c.timedOutBye()
		}
	}
	return n, err
}

// printfLogger adapts slog to imapserver.Logger.
type printfLogger struct {
	l      *slog.Logger
	server string
}

func (p printfLogger) Printf(format string, args ...any) {
	if strings.HasPrefix(format, "panic") {
		// imapserver recovered a panic of its own; the text holds the stack.
		p.l.Error("imap: "+fmt.Sprintf(format, args...), "server", p.server)
		return
	}
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, net.ErrClosed) {
			// The server closed the connection under a command on purpose
			// (an autologout in IDLE says BYE and closes): no warning.
			p.l.Debug("imap: "+fmt.Sprintf(format, args...), "server", p.server)
			return
		}
	}
	p.l.Warn("imap: "+fmt.Sprintf(format, args...), "server", p.server)
}

// guarded wraps a session so that a panic in any command ends that session
// only: it is logged with its stack, the trace is told, and the client gets
// * BYE (RFC 9051 section 7.1.5) before the connection closes. imapserver
// recovers panics too, but closes without a word.
type guarded struct {
	*session
}

var (
	_ imapserver.SessionIMAP4rev2   = guarded{}
	_ imapserver.SessionSASL        = guarded{}
	_ imapserver.SessionAppendLimit = guarded{}
)

// errPanicked is what a command that panicked returns to imapserver; its
// connection is closed already.
var errPanicked = errors.New("imap: internal error (a panic); the session was ended")

// newGuardedSession is imapserver's NewSession hook.
func (s *Server) newGuardedSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	sess, greeting, err := s.newSession(c)
	if err != nil {
		return nil, nil, err
	}
	return guarded{sess.(*session)}, greeting, nil
}

// guard is deferred by every command: it turns a panic into errPanicked
// after logging it and saying BYE, and keeps a NO or BAD 7-bit (asciiText).
func (g guarded) guard(err *error) {
	r := recover()
	if r == nil {
		*err = asciiText(*err)
		return
	}
	s := g.session
	s.srv.Logger.Error("imap: panic in session; closing it", "server", s.srv.Name, "panic", r, "stack", string(debug.Stack()))
	p := fmt.Sprint(r)
	s.trace.Note(tracer.KindNote, tracer.M("note.panic", "server", s.srv.Name, "panic", p), map[string]string{"panic": p})
	// Straight to the socket: imapserver may hold its writer (a panic in the
	// middle of a FETCH response), and Bye would wait for it forever.
	s.closeWith("[SERVERBUG] internal error in the server: closing the connection")
	*err = errPanicked
}

func (g guarded) Login(username, password string) (err error) {
	defer g.guard(&err)
	return g.session.Login(username, password)
}

func (g guarded) Authenticate(mech string) (_ sasl.Server, err error) {
	defer g.guard(&err)
	srv, err := g.session.Authenticate(mech)
	if err != nil || srv == nil {
		return srv, err
	}
	return guardedSASL{srv, g}, nil
}

// guardedSASL guards the SASL exchange, which checks the credentials.
type guardedSASL struct {
	sasl.Server
	g guarded
}

func (x guardedSASL) Next(response []byte) (challenge []byte, done bool, err error) {
	defer x.g.guard(&err)
	return x.Server.Next(response)
}

func (g guarded) Namespace() (_ *imap.NamespaceData, err error) {
	defer g.guard(&err)
	return g.session.Namespace()
}

func (g guarded) Select(name string, options *imap.SelectOptions) (_ *imap.SelectData, err error) {
	defer g.guard(&err)
	return g.session.Select(name, options)
}

func (g guarded) Create(name string, options *imap.CreateOptions) (err error) {
	defer g.guard(&err)
	return g.session.Create(name, options)
}

func (g guarded) Delete(name string) (err error) {
	defer g.guard(&err)
	return g.session.Delete(name)
}

func (g guarded) Rename(name, newName string, options *imap.RenameOptions) (err error) {
	defer g.guard(&err)
	return g.session.Rename(name, newName, options)
}

func (g guarded) Subscribe(name string) (err error) {
	defer g.guard(&err)
	return g.session.Subscribe(name)
}

func (g guarded) Unsubscribe(name string) (err error) {
	defer g.guard(&err)
	return g.session.Unsubscribe(name)
}

func (g guarded) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) (err error) {
	defer g.guard(&err)
	return g.session.List(w, ref, patterns, options)
}

func (g guarded) Status(name string, options *imap.StatusOptions) (_ *imap.StatusData, err error) {
	defer g.guard(&err)
	return g.session.Status(name, options)
}

func (g guarded) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (_ *imap.AppendData, err error) {
	defer g.guard(&err)
	return g.session.Append(name, r, options)
}

func (g guarded) Poll(w *imapserver.UpdateWriter, allowExpunge bool) (err error) {
	defer g.guard(&err)
	return g.session.Poll(w, allowExpunge)
}

func (g guarded) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) (err error) {
	defer g.guard(&err)
	return g.session.Idle(w, stop)
}

func (g guarded) Unselect() (err error) {
	defer g.guard(&err)
	return g.session.Unselect()
}

func (g guarded) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) (err error) {
	defer g.guard(&err)
	return g.session.Expunge(w, uids)
}

func (g guarded) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (_ *imap.SearchData, err error) {
	defer g.guard(&err)
	return g.session.Search(kind, criteria, options)
}

func (g guarded) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) (err error) {
	defer g.guard(&err)
	return g.session.Fetch(w, numSet, options)
}

func (g guarded) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) (err error) {
	defer g.guard(&err)
	return g.session.Store(w, numSet, flags, options)
}

func (g guarded) Copy(numSet imap.NumSet, dest string) (_ *imap.CopyData, err error) {
	defer g.guard(&err)
	return g.session.Copy(numSet, dest)
}

func (g guarded) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) (err error) {
	defer g.guard(&err)
	return g.session.Move(w, numSet, dest)
}
