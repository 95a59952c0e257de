package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// state is where a session is in RFC 9051 section 3's state diagram; its
// String is what the trace shows.
type state int

const (
	stateNotAuthenticated state = iota
	stateAuthenticated
	stateSelected
	stateLogout
)

func (s state) String() string {
	switch s {
	case stateNotAuthenticated:
		return "not authenticated"
	case stateAuthenticated:
		return "authenticated"
	case stateSelected:
		return "selected"
	case stateLogout:
		return "logout"
	}
	return "unknown"
}

// opTimeout bounds one store operation of a command.
const opTimeout = time.Minute

// session is one IMAP connection's backend. imapserver calls one method per
// command, always from the connection's goroutine, except Idle, which runs
// while that goroutine waits for DONE.
type session struct {
	srv    *Server
	conn   *imapserver.Conn
	pc     *patientConn // nil when the conn did not come through Serve
	trace  *tracer.Session
	remote net.Addr

	state state
	user  string // canonical user name once logged in
	// account uncounts the login's session (limits.AccountGate); nil
	// before login.
	account func()
	sel     *selected // the selected mailbox, nil outside the selected state

	authFail int           // failed logins in this session (maxAuthFailures)
	gated    time.Duration // the wait at the penalty's gate before the current login's check
	done     chan struct{} // closed by bye and Close: ends a failed login's delay
	doneOnce sync.Once
}

// maxAuthFailures is how many failed logins one session may have: the last
// is answered * BYE and the connection closed.
const maxAuthFailures = penalty.DefaultMaxPerSession

// Penalizer is implemented by Authenticators that slow down password
// guessing: each failed LOGIN or AUTHENTICATE is answered after the Box's
// delay, which grows with the failures from the client's address or for the
// user name, across sessions and protocols.
type Penalizer interface {
	Penalty() *penalty.Box
}

// selected is the mailbox a session has open.
type selected struct {
	id       int64
	readOnly bool
	view     *view
}

var (
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionSASL        = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*session)(nil)
)

// newSession is imapserver's NewSession hook.
func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	nc := c.NetConn()
	pc, _ := nc.(*patientConn)
	inner := nc
	if pc != nil {
		inner = pc.Conn
	}
	sess := &session{srv: s, conn: c, pc: pc, trace: tracer.SessionOf(inner), remote: nc.RemoteAddr(), done: make(chan struct{})}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "mailscope server " + s.Name + " is shutting down"}
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	if pc != nil {
		pc.sayBye = sess.sayAutologout
	}
	sess.setState(stateNotAuthenticated, "imap.state.greeting")
	return sess, nil, nil
}

// ctx is the context of one command's store work.
func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// setState moves the session and tells the trace why, in the trace's
// language; detail is appended as is.
func (s *session) setState(to state, key string, kv ...string) {
	s.state = to
	if s.trace == nil {
		return
	}
	s.trace.State(to.String(), tracer.M(key, kv...))
}

// Close ends the session: the client logged out, the connection broke or
// the server is closing.
func (s *session) Close() error {
	s.stop()
	if s.account != nil {
		s.account()
		s.account = nil
	}
	if s.sel != nil {
		s.srv.hub.release(s.sel.view)
		s.sel = nil
	}
	if s.pc != nil && s.pc.timedOut.Load() && !s.pc.byeSaid {
		// A read within a command timed out (a wait for a command says
		// its BYE at once: patientConn.awaitCommand).
		s.pc.byeSaid = true
		s.sayAutologout()
	}
	s.setState(stateLogout, "imap.state.logout")
	s.srv.mu.Lock()
	if _, ok := s.srv.sessions[s]; ok {
		delete(s.srv.sessions, s)
		s.srv.wg.Done()
	}
	s.srv.mu.Unlock()
	return nil
}

// sayAutologout ends a session whose read timed out with * BYE (RFC 9051
// section 7.1.5: BYE before an autologout) saying why. Bye writes under a
// fresh write deadline (patientConn.Write), however long the session
// waited, and closes the connection.
func (s *session) sayAutologout() { s.conn.Bye(s.autologout()) }

// bye ends the session from outside (Shutdown). A failed login's delay
// stops first: AUTHENTICATE holds imapserver's writer while it runs.
func (s *session) bye(text string) {
	s.stop()
	s.conn.Bye(text)
}

// stop ends a failed login's delay, if one is running (once).
func (s *session) stop() { s.doneOnce.Do(func() { close(s.done) }) }

// mayAuth says whether credentials may cross this connection: under TLS,
// from the loopback, or anywhere when the server allows it.
func (s *session) mayAuth() bool {
	if s.pc != nil && s.pc.tlsUp.Load() {
		return true
	}
	return s.srv.AllowInsecureAuth || limits.IsLoopback(s.remote)
}

// Login handles LOGIN (RFC 9051 section 6.2.3) and the end of
// AUTHENTICATE PLAIN.
func (s *session) Login(username, password string) error {
	user, err := s.check(username, password)
	if err != nil {
		return err
	}
	return s.loggedIn(user)
}

// check verifies credentials and returns the canonical user.
func (s *session) check(username, password string) (string, error) {
	if !s.mayAuth() {
		return "", no(imap.ResponseCodePrivacyRequired, "use STARTTLS first: passwords in the clear are only accepted from this machine")
	}
	if s.srv.Auth == nil {
		return "", errNoAuth
	}
	ip := limits.HostOf(s.remote)
	w, ok := s.penalty().Enter(s.trace, ip)
	if !ok {
		return "", no(imap.ResponseCodeUnavailable, "too many logins from your address are waiting after repeated failures: this one was not checked; try again in %s", s.penalty().QueueLimit())
	}
	if !s.sleep(w) {
		return "", no(imap.ResponseCodeUnavailable, "mailscope server %s is shutting down", s.srv.Name)
	}
	s.gated = w
	user, ok := s.srv.Auth.Authenticate(username, password)
	if !ok {
		return "", s.authFailed(username)
	}
	s.penalty().Succeed(limits.HostOf(s.remote), user)
	release, limit, ok := limits.EnterAccount(s.srv.Auth, user)
	if !ok {
		s.trace.Note(tracer.KindNote, tracer.M("class.limit.sessions", "user", user, "n", strconv.Itoa(limit)), map[string]string{"user": user, "limit": "sessions"})
		// RFC 9051 section 7.1: LIMIT, a server-defined limit such as
		// concurrent connections.
		return "", no(imap.ResponseCodeLimit, "%s already has %d sessions logged in (the class limit): LOGOUT of one, then log in again", user, limit)
	}
	s.account = release
	return user, nil
}

// penalty is the Authenticator's penalty Box, nil for none.
func (s *session) penalty() *penalty.Box {
	if p, ok := s.srv.Auth.(Penalizer); ok {
		return p.Penalty()
	}
	return nil
}

// authFailed answers a failed login, an unknown user like a wrong
// password, after the penalty's delay (none for a first mistake, then
// doubling per failure from this address or for this user, across
// sessions). The trace says which and why before the delay runs. The
// session's last allowed failure is answered * BYE, and the connection
// closed (RFC 9051 section 7.1.5).
func (s *session) authFailed(login string) error {
	s.authFail++
	f := s.penalty().FailedAfter(limits.HostOf(s.remote), login, s.authFail, maxAuthFailures, s.gated)
	s.gated = 0
	f.Trace(s.trace)
	if !s.sleep(f.Wait) {
		return no(imap.ResponseCodeUnavailable, "mailscope server %s is shutting down", s.srv.Name)
	}
	if f.Closes() {
		s.closeWith(fmt.Sprintf("wrong user name or password%s; %d failed logins in this session: closing the connection", f.Why(), f.Count))
	}
	return no(imap.ResponseCodeAuthenticationFailed, "wrong user name or password%s", f.Why())
}

// sleep waits d unless the session is ended or the server closes first;
// it reports whether the whole delay passed. A hard Close does not end the
// session (imapserver closes the connection under it), so the wait looks
// at the server's closing flag as well, every 100 ms.
func (s *session) sleep(d time.Duration) bool {
	end := time.Now().Add(d)
	for !s.srv.closing.Load() {
		left := time.Until(end)
		if left <= 0 {
			return true
		}
		if !penalty.Wait(min(left, 100*time.Millisecond), s.done) {
			return false
		}
	}
	return false
}

// closeWith writes * BYE text straight to the socket and closes it. It
// runs where imapserver holds its writer, so Bye would wait for ever: inside
// LOGIN or AUTHENTICATE (which flushed everything before; the tagged NO that
// imapserver then tries to write finds the connection closed) and after a
// panic in a command.
func (s *session) closeWith(text string) {
	var nc net.Conn
	if s.pc != nil {
		nc = s.pc.Conn
	} else {
		nc = s.conn.NetConn()
	}
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, "* BYE "+ascii.Escape(text)+"\r\n")
	if s.pc != nil {
		s.pc.Close()
	} else {
		nc.Close()
	}
}

// loggedIn makes sure the user's folders exist and enters the
// authenticated state.
func (s *session) loggedIn(user string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.srv.Store.Mailbox(ctx, s.srv.Name, user, "INBOX"); errors.Is(err, store.ErrNoMailbox) {
		if err := s.srv.Store.EnsureUser(ctx, s.srv.Name, user); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	s.user = user
	if s.pc != nil {
		s.pc.authed.Store(true) // STARTTLS is no longer on offer
	}
	s.setState(stateAuthenticated, "imap.state.authenticated", "user", user)
	return nil
}

// AuthenticateMechanisms lists the SASL mechanisms (RFC 9051 section 6.2.2).
func (s *session) AuthenticateMechanisms() []string { return []string{sasl.Plain} }

// Authenticate handles AUTHENTICATE PLAIN (RFC 4616). An authorization
// identity is accepted when it names the same user.
func (s *session) Authenticate(mech string) (sasl.Server, error) {
	if !strings.EqualFold(mech, sasl.Plain) {
		return nil, no("", "unsupported SASL mechanism %s: this server offers PLAIN", mech)
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		user, err := s.check(username, password)
		if err != nil {
			return err
		}
		if identity != "" && !strings.EqualFold(identity, username) && !strings.EqualFold(identity, user) &&
			!strings.EqualFold(identity, user+"@"+s.srv.Domain) {
			return no(imap.ResponseCodeAuthorizationFailed, "%s may not act as %s", username, identity)
		}
		return s.loggedIn(user)
	}), nil
}

// Namespace handles NAMESPACE (RFC 2342): one personal namespace, folders
// separated by "/".
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: delim}}}, nil
}

// AppendLimit is the APPENDLIMIT (RFC 7889).
func (s *session) AppendLimit() uint32 { return s.srv.AppendLimit }

// Select handles SELECT and EXAMINE (RFC 9051 sections 6.3.2 and 6.3.3).
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	if s.sel != nil {
		s.Unselect()
	}
	ctx, cancel := s.ctx()
	defer cancel()
	mb, err := s.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	v, mb, msgs, err := s.srv.hub.open(ctx, mb.ID, options.ReadOnly)
	if err != nil {
		return nil, storeErr(err, name)
	}
	s.sel = &selected{id: mb.ID, readOnly: options.ReadOnly, view: v}
	data := &imap.SelectData{
		Flags:       mailboxFlags(msgs),
		NumMessages: uint32(len(msgs)),
		NumRecent:   uint32(v.numRecent()),
		UIDNext:     imap.UID(mb.UIDNext),
		UIDValidity: mb.UIDValidity,
	}
	if !options.ReadOnly {
		data.PermanentFlags = append(append([]imap.Flag(nil), data.Flags...), imap.FlagWildcard)
	}
	for i, m := range msgs {
		if !m.HasFlag(string(imap.FlagSeen)) {
			data.FirstUnseenSeqNum = uint32(i + 1)
			break
		}
	}
	mode := "[READ-WRITE]"
	if options.ReadOnly {
		mode = "[READ-ONLY]"
	}
	s.setState(stateSelected, "imap.state.selected", "mailbox", mb.Name, "mode", mode)
	return data, nil
}

// Unselect handles UNSELECT and CLOSE (RFC 3691, RFC 9051 section 6.4.1),
// and a SELECT that replaces the selected mailbox.
func (s *session) Unselect() error {
	if s.sel != nil {
		s.srv.hub.release(s.sel.view)
		s.sel = nil
	}
	s.setState(stateAuthenticated, "imap.state.unselected")
	return nil
}

// Poll writes the updates owed to the client after a command (RFC 9051
// section 7.4).
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	return s.sel.view.flush(s.srv.hub, w, allowExpunge)
}

// Idle handles IDLE (RFC 2177): updates are written the moment they are
// committed, until the client says DONE.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if s.sel == nil {
		<-stop
		return nil
	}
	return s.sel.view.idle(s.srv.hub, w, stop)
}

// mailboxFlags lists the system flags and every keyword in use
// (RFC 9051 section 7.3.5, FLAGS).
func mailboxFlags(msgs []*store.Message) []imap.Flag {
	flags := []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft}
	seen := map[string]bool{}
	for _, f := range flags {
		seen[strings.ToLower(string(f))] = true
	}
	for _, m := range msgs {
		for _, f := range m.Flags {
			k := strings.ToLower(f)
			if seen[k] || !validFlag(f) {
				continue
			}
			seen[k] = true
			flags = append(flags, imap.Flag(f))
		}
	}
	return flags
}
