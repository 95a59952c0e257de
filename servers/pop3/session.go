package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/lineserver"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// state is where a session is in RFC 1939's state machine (section 3).
type state int

const (
	stateAuthorization state = iota // greeting sent: the client must identify itself
	stateTransaction                // logged in, maildrop locked: list, read, mark
	stateUpdate                     // QUIT in TRANSACTION: marked messages are removed
)

// String is the state's name as RFC 1939 writes it; the trace shows it.
func (s state) String() string {
	switch s {
	case stateAuthorization:
		return "AUTHORIZATION"
	case stateTransaction:
		return "TRANSACTION"
	case stateUpdate:
		return "UPDATE"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// errConnGone ends a session whose connection broke in the middle of a
// command; there is nobody left to answer.
var errConnGone = errors.New("pop3: connection gone")

// errLong reports a line over its limit; the line was read and dropped.
var errLong = lineserver.ErrLineTooLong

// session is one POP3 connection.
type session struct {
	srv *Server
	// conn is the connection as accepted: the server closes it and sets its
	// deadlines from other goroutines, so it never changes. rw is what the
	// session reads and writes: conn, or a TLS conn over it after STLS.
	conn  net.Conn
	rw    net.Conn
	line  *lineserver.Session // conn's line reader, deadlines and place in the server's group
	trace *tracer.Session
	r     *bufio.Reader
	w     *bufio.Writer

	state    state
	banner   string // the APOP timestamp of the greeting, "<...@host>"
	tls      bool
	user     string // given with USER, waiting for PASS
	userUsed bool   // the last USER was used up by a PASS (diagnostics)
	authUser string // logged in as
	account  func() // uncounts the login's session (limits.AccountGate); nil before login
	drop     *maildrop
	errors   int
	authFail int           // failed logins in this session, never reset (MaxAuthFailures)
	gated    time.Duration // the wait at the penalty's gate before the current login's check
	quit     bool
	quitCmd  bool            // the session ended with the QUIT command
	diags    []*tracer.Event // diagnostics waiting for their reply to be written (flush)
}

func newSession(srv *Server, c net.Conn) *session {
	s := &session{srv: srv, conn: c, rw: c, trace: tracer.SessionOf(c)}
	s.r = lineserver.NewReader(c)
	s.w = lineserver.NewWriter(deadlineWriter{s})
	s.line = srv.core.NewSession(c, s.r, srv.settings(), s.flush)
	return s
}

// deadlineWriter gives every write to the connection a fresh deadline, so a
// long RETR may take as long as it makes progress, and a stalled client is
// dropped after WriteTimeout.
type deadlineWriter struct{ s *session }

func (d deadlineWriter) Write(p []byte) (int, error) {
	d.s.rw.SetWriteDeadline(time.Now().Add(d.s.line.Limits.WriteTimeout))
	return d.s.rw.Write(p)
}

// refuse answers with an error instead of the greeting and closes (too many
// connections, shutdown).
func (s *session) refuse(why lineserver.Refusal, ip string, limit int) {
	e := errShuttingDown
	switch why {
	case lineserver.TooMany:
		e = errorf(codeSysTemp, "%s has too many POP3 connections open (%d); try again in a moment", s.srv.hostname(), limit)
	case lineserver.TooManyFromIP:
		e = errorf(codeSysTemp, "%s has too many POP3 connections open from your address %s (%d); try again in a moment", s.srv.hostname(), ip, limit)
	}
	s.reply(e.line())
	s.w.Flush()
	s.conn.Close()
}

func (s *session) serve() {
	defer s.conn.Close()
	defer s.flush()   // the last response must reach the client before the close
	defer s.release() // before the flush: a client that saw +OK to QUIT may log in again at once
	// A panic answers -ERR; the deferred release and close end the session
	// without deleting anything, and the server goes on.
	defer lineserver.Recover(s.srv.logger(), "pop3", s.srv.Name, s.trace, "pop3.note.panic", func() {
		s.reply("-ERR [SYS/TEMP] internal error in the server: closing the connection")
	})
	s.banner = newBanner(s.srv.hostname())
	s.setState(stateAuthorization, "pop3.state.AUTHORIZATION")
	s.replyf("+OK mailscope POP3 server %s for %s ready %s", s.srv.Name, s.srv.hostname(), s.banner)
	lineserver.Commands(
		func() ([]byte, error) { return s.readLine(maxCommandLine, true) },
		func(line string) bool { return s.handle(line) || s.quit },
		func() bool { return s.fail(errLineTooLong) },
		s.endOnReadError)
	if s.quitCmd {
		s.afterQuit()
	}
}

// newBanner makes the greeting's timestamp, RFC 1939 section 7: different
// for every greeting, so an APOP digest cannot be replayed.
func newBanner(host string) string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("<%d.%d@%s>", binary.BigEndian.Uint32(b[:]), time.Now().UnixNano(), host)
}

// endOnReadError says goodbye after the autologout timer or at shutdown; a
// closed connection gets no response.
func (s *session) endOnReadError(err error) {
	if end := s.line.Ended(err); end != lineserver.Gone {
		s.reply(s.endReply(end))
	}
}

// release ends the session's hold on the maildrop. A session still in
// TRANSACTION never reached UPDATE: nothing it marked is deleted, and the
// trace says so.
func (s *session) release() {
	if s.drop == nil {
		return
	}
	if s.state == stateTransaction {
		marked := len(s.drop.marked())
		s.note("pop3.note.dropped", tracer.M("pop3.note.quitless", "marked", strconv.Itoa(marked), "user", s.authUser),
			map[string]string{"user": s.authUser, "marked": strconv.Itoa(marked), "deleted": "0"})
	}
	s.srv.unlockMaildrop(s.authUser, s)
	s.drop = nil
	if s.account != nil {
		s.account()
		s.account = nil
	}
}

// handle runs one command line and reports whether the session must end.
func (s *session) handle(line string) (end bool) {
	cmd := parseCommand(line)
	var err error
	switch cmd.verb {
	case "USER":
		err = s.handleUser(cmd)
	case "PASS":
		err = s.handlePass(cmd)
	case "APOP":
		err = s.handleApop(cmd)
	case "AUTH":
		err = s.handleAuth(cmd)
	case "STLS":
		err = s.handleStls(cmd)
	case "CAPA":
		err = s.handleCapa(cmd)
	case "STAT":
		err = s.handleStat(cmd)
	case "LIST":
		err = s.handleList(cmd)
	case "UIDL":
		err = s.handleUidl(cmd)
	case "RETR":
		err = s.handleRetr(cmd)
	case "TOP":
		err = s.handleTop(cmd)
	case "DELE":
		err = s.handleDele(cmd)
	case "NOOP":
		err = s.handleNoop(cmd)
	case "RSET":
		err = s.handleRset(cmd)
	case "QUIT":
		err = s.handleQuit(cmd)
	case "LAST":
		// RFC 1081 and RFC 1460 had LAST; RFC 1725 removed it and added
		// UIDL, which this server offers instead.
		err = errorf("", "LAST is not offered: RFC 1725 removed it from POP3 in 1994; UIDL tells which messages you already have")
	case "":
		err = errorf("", "empty line: type a command, like USER yourname (CAPA lists what this server offers)")
	default:
		err = errorf("", "unknown command \"%s\": POP3 commands are USER, PASS, APOP, STAT, LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, QUIT (CAPA lists the extensions)", safe(cmd.verb, 16))
	}
	if err != nil {
		if errors.Is(err, errConnGone) {
			return true
		}
		return s.fail(lineserver.CommandError(err, errInternal, s.srv.logger(), "pop3", s.srv.Name, cmd.verb))
	}
	s.errors = 0
	return s.quit
}

// fail writes a -ERR response, counts it, and reports whether to close.
func (s *session) fail(e *Error) bool {
	s.reply(e.line())
	if e.Close {
		return true
	}
	s.errors++
	if s.errors >= s.srv.maxErrors() {
		s.reply(errTooManyErrors.line())
		return true
	}
	return false
}

// setState moves the session and tells the trace why, in the trace's
// language (the catalog key names the explanation).
func (s *session) setState(to state, key string) {
	s.state = to
	s.trace.State(to.String(), tracer.M(key))
}

// note publishes a note event that says msg, explained by a catalog key.
func (s *session) note(key string, msg *tracer.Msg, attrs map[string]string) {
	s.trace.Emit(&tracer.Event{Kind: tracer.KindNote, Msg: msg, Attrs: attrs, Explain: &tracer.Explanation{Key: key}})
}

// reply queues one response line, escaped to printable ASCII (see safe:
// the one place every status line passes, whatever it quotes); replies are flushed before the next
// blocking read, so pipelined commands get their responses in one write
// (RFC 2449 section 6.6).
func (s *session) reply(line string) {
	s.w.WriteString(ascii.Escape(line))
	s.w.WriteString("\r\n")
}

func (s *session) replyf(format string, args ...any) {
	s.reply(fmt.Sprintf(format, args...))
}

// flush writes queued responses, then publishes the diagnostics about
// them, so that the trace shows a reply before the remark on it.
func (s *session) flush() error {
	var err error
	if s.w.Buffered() > 0 {
		err = s.w.Flush()
	}
	for _, e := range s.diags {
		s.trace.Emit(e)
	}
	s.diags = s.diags[:0]
	return err
}

// readLine reads a line of at most limit octets including the line ending
// and returns it without the ending, flushing the responses first unless
// another command is already buffered (pipelining); a longer line is read
// and dropped, and errLong returned. idle marks a wait for a command, which
// Shutdown may interrupt.
func (s *session) readLine(limit int, idle bool) ([]byte, error) {
	line, _, err := s.line.ReadLine(limit, idle)
	return line, err
}

// ctx bounds one store call.
func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// --- AUTHORIZATION state: RFC 1939 section 4 and 7, RFC 5034, RFC 2595 ---

func (s *session) handleUser(cmd command) error {
	if s.state != stateAuthorization {
		return alreadyIn("USER", s.authUser)
	}
	if len(cmd.args) != 1 {
		return errorf("", "syntax: USER name, one argument, for example USER alice")
	}
	s.user, s.userUsed = cmd.args[0], false
	how := "it crosses the wire in clear text; STLS first would encrypt it"
	switch {
	case s.tls:
		how = "this connection is encrypted with TLS"
	case s.srv.TLSConfig == nil:
		how = "it crosses the wire in clear text"
	}
	s.replyf("+OK user %s: now send PASS with the password (%s)", safe(s.user, maxArg), how)
	return nil
}

func (s *session) handlePass(cmd command) error {
	if s.state != stateAuthorization {
		return alreadyIn("PASS", s.authUser)
	}
	if s.user == "" {
		s.passWithoutUser()
		return errorf("", "PASS needs USER first: send USER name, then PASS password")
	}
	// RFC 1939 section 7: PASS has one argument, which may contain spaces.
	pass := cmd.rest
	if pass == "" {
		return errorf("", "syntax: PASS password (the password of %s)", safe(s.user, maxArg))
	}
	login := s.user
	s.user, s.userUsed = "", true
	if err := s.gate(login); err != nil {
		return err
	}
	user, ok := s.srv.Backend.Authenticate(login, pass)
	if !ok {
		return s.authFailed(login, errAuthFailed)
	}
	return s.login(user, "USER/PASS")
}

func (s *session) handleApop(cmd command) error {
	if s.state != stateAuthorization {
		return alreadyIn("APOP", s.authUser)
	}
	if len(cmd.args) != 2 || !isHexDigest(cmd.args[1]) {
		return errorf("", "syntax: APOP name digest, where digest is the MD5 of the greeting's timestamp %s followed by the password, as 32 hex digits", s.banner)
	}
	s.user = ""
	if err := s.gate(cmd.args[0]); err != nil {
		return err
	}
	user, secret, ok := s.srv.Backend.APOPSecret(cmd.args[0])
	sum := md5.Sum([]byte(s.banner + secret))
	want := hex.EncodeToString(sum[:])
	got := strings.ToLower(cmd.args[1])
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 || !ok {
		return s.authFailed(cmd.args[0], errorf(codeAuth, "APOP failed: wrong user name, or the digest is not the MD5 of %s followed by the password; still in AUTHORIZATION state", s.banner))
	}
	return s.login(user, "APOP (the password itself never crossed the wire)")
}

func isHexDigest(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// handleAuth runs AUTH PLAIN, RFC 5034 section 4 with RFC 4616: an optional
// initial response, else an empty "+ " challenge and the response on the
// next line; "*" cancels.
func (s *session) handleAuth(cmd command) error {
	if s.state != stateAuthorization {
		return alreadyIn("AUTH", s.authUser)
	}
	if len(cmd.args) == 0 || len(cmd.args) > 2 {
		return errorf("", "syntax: AUTH PLAIN [initial-response]; CAPA lists the mechanisms (SASL PLAIN)")
	}
	if mech := upperASCII(cmd.args[0]); mech != "PLAIN" {
		return errorf("", "AUTH mechanism %s not available here: use AUTH PLAIN (RFC 5034)", safe(mech, 20))
	}
	s.user = ""
	var resp string
	if len(cmd.args) == 2 {
		resp = cmd.args[1]
	} else {
		var err error
		if resp, err = s.challenge(); err != nil {
			return err
		}
	}
	if resp == "=" { // RFC 5034 section 4: an empty initial response
		resp = ""
	}
	b, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return errorf("", "AUTH PLAIN: the response is not valid base64; still in AUTHORIZATION state")
	}
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 {
		return errorf("", "AUTH PLAIN: expected the base64 of authzid NUL user NUL password (RFC 4616 section 2)")
	}
	login, pass := string(parts[1]), string(parts[2])
	if err := s.gate(login); err != nil {
		return err
	}
	user, ok := s.srv.Backend.Authenticate(login, pass)
	if !ok {
		return s.authFailed(login, errAuthFailed)
	}
	if authz := string(parts[0]); authz != "" && !strings.EqualFold(authz, login) && !strings.EqualFold(authz, user) {
		return errorf(codeAuth, "AUTH PLAIN: %s may not act as %s (authorization identity refused)", user, safe(authz, maxArg))
	}
	return s.login(user, "AUTH PLAIN")
}

// authFailed answers a failed login with e, an unknown user like a wrong
// password, after the penalty's delay (none for a first mistake, then
// doubling per failure from this address or for this user, across
// sessions). The session's last allowed failure closes the connection. The
// trace says which and why before the delay runs.
func (s *session) authFailed(login string, e *Error) error {
	s.authFail++
	f := s.srv.Penalty.FailedAfter(limits.HostOf(s.conn.RemoteAddr()), login, s.authFail, s.srv.maxAuthFailures(), s.gated)
	s.gated = 0
	f.Trace(s.trace)
	if !penalty.Wait(f.Wait, s.srv.core.Done()) {
		return errShuttingDown
	}
	if f.Closes() {
		return &Error{Code: codeAuth, Close: true,
			Msg: fmt.Sprintf("authentication failed%s; %d failed logins in this session: closing the connection (connect again to retry)", f.Why(), f.Count)}
	}
	return &Error{Code: e.Code, Msg: e.Msg + f.Why()}
}

// gate waits at the penalty's gate before the password of login is checked
// (penalty.Box.Gate: after repeated failures from this address a right
// password waits like a wrong one, and the address's logins pass one at a
// time). A login the gate refuses is not checked: -ERR [SYS/TEMP], and the close.
func (s *session) gate(login string) error {
	ip := limits.HostOf(s.conn.RemoteAddr())
	w, ok := s.srv.Penalty.Enter(s.trace, ip)
	if !ok {
		return &Error{Code: codeSysTemp, Close: true, Msg: fmt.Sprintf("too many logins from your address are waiting after repeated failures: this one was not checked; try again in %s", s.srv.Penalty.QueueLimit())}
	}
	if !penalty.Wait(w, s.srv.core.Done()) {
		return errShuttingDown
	}
	s.gated = w
	return nil
}

// challenge sends an empty SASL challenge and reads the client's response.
func (s *session) challenge() (string, error) {
	s.reply("+ ")
	b, err := s.readLine(maxAuthLine, false)
	if errors.Is(err, errLong) {
		return "", errorf("", "AUTH response longer than %d octets: authentication cancelled", maxAuthLine)
	}
	if err != nil {
		s.quit = true
		return "", errConnGone
	}
	if string(b) == "*" {
		return "", errorf("", "AUTH cancelled by the client (*); still in AUTHORIZATION state")
	}
	return string(b), nil
}

// login takes the maildrop lock and opens the maildrop, RFC 1939 section 4;
// when both work the session enters TRANSACTION.
func (s *session) login(user, how string) error {
	s.srv.Penalty.Succeed(limits.HostOf(s.conn.RemoteAddr()), user)
	release, limit, ok := limits.EnterAccount(s.srv.Backend, user)
	if !ok {
		s.trace.Note(tracer.KindNote, tracer.M("class.limit.sessions", "user", user, "n", strconv.Itoa(limit)), map[string]string{"user": user, "limit": "sessions"})
		return errorf(codeInUse, "%s already has %d sessions logged in (the class limit): QUIT one of them, then log in again; still in AUTHORIZATION state", user, limit)
	}
	if !s.srv.lockMaildrop(user, s) {
		release()
		return errorf(codeInUse, "%s's maildrop is in use: another POP3 session holds its lock (RFC 1939 section 4); QUIT that session, then log in again", user)
	}
	ctx, cancel := storeCtx()
	defer cancel()
	d, err := s.srv.openMaildrop(ctx, user)
	if err != nil {
		s.srv.unlockMaildrop(user, s)
		release()
		s.srv.logger().Error("pop3: cannot open maildrop", "server", s.srv.Name, "user", user, "err", err)
		return errorf(codeSysTemp, "cannot open %s's maildrop right now; try again", user)
	}
	s.authUser, s.drop, s.account = user, d, release
	s.trace.Label(user, "", "")
	n, size := d.stat()
	s.setState(stateTransaction, "pop3.state.TRANSACTION")
	s.replyf("+OK %s's maildrop has %s (%d octets); logged in with %s, the maildrop is locked for this session", user, plural(n, "message"), size, how)
	return nil
}

// handleStls upgrades the connection to TLS, RFC 2595 section 4.
func (s *session) handleStls(cmd command) error {
	switch {
	case s.srv.TLSConfig == nil:
		return errorf("", "STLS not available: this server has no TLS certificate")
	case s.tls:
		return errorf("", "already using TLS")
	case s.state != stateAuthorization:
		return errorf("", "STLS is only allowed before login, in AUTHORIZATION state (RFC 2595 section 4)")
	case len(cmd.args) > 0:
		return noArgs("STLS")
	}
	s.reply("+OK begin TLS negotiation: the next bytes are a TLS handshake")
	if err := s.flush(); err != nil {
		s.quit = true
		return errConnGone
	}
	// RFC 2595 section 4: anything sent before the handshake is dropped.
	rw, err := s.line.StartTLS(s.rw, s.srv.TLSConfig, s.trace, "2595", "4")
	if err != nil {
		s.quit = true
		return errConnGone
	}
	s.rw = rw
	s.tls = true
	s.user = "" // RFC 2595 section 4: forget what was said before TLS
	return nil
}

// handleCapa lists the capabilities, RFC 2449 section 5; valid in every state.
func (s *session) handleCapa(cmd command) error {
	if len(cmd.args) > 0 {
		return noArgs("CAPA")
	}
	s.reply("+OK capability list follows, one per line, ending with a dot")
	for _, c := range []string{"USER", "TOP", "UIDL", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE", "SASL PLAIN"} {
		s.reply(c)
	}
	if s.srv.TLSConfig != nil && !s.tls && s.state == stateAuthorization {
		s.reply("STLS")
	}
	s.reply("IMPLEMENTATION mailscope")
	s.reply(".")
	return nil
}

// --- TRANSACTION state: RFC 1939 section 5 and 7 ---

func (s *session) handleStat(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("STAT")
	}
	if len(cmd.args) > 0 {
		return noArgs("STAT")
	}
	n, size := s.drop.stat()
	s.replyf("+OK %d %d (%s, %d octets; messages marked with DELE are not counted)", n, size, plural(n, "message"), size)
	return nil
}

func (s *session) handleList(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("LIST")
	}
	switch len(cmd.args) {
	case 0:
	case 1:
		m, n, err := s.message("LIST", cmd.args[0], false)
		if err != nil {
			return err
		}
		s.replyf("+OK %d %d", n, m.size)
		return nil
	default:
		return errorf("", "syntax: LIST, or LIST msg for one message, for example LIST 1")
	}
	n, size := s.drop.stat()
	s.replyf("+OK %s (%d octets)", plural(n, "message"), size)
	for i, m := range s.drop.msgs {
		if !m.deleted {
			s.replyf("%d %d", i+1, m.size)
		}
	}
	s.reply(".")
	return nil
}

func (s *session) handleUidl(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("UIDL")
	}
	switch len(cmd.args) {
	case 0:
	case 1:
		m, n, err := s.message("UIDL", cmd.args[0], false)
		if err != nil {
			return err
		}
		s.replyf("+OK %d %s", n, s.drop.uidl(m))
		return nil
	default:
		return errorf("", "syntax: UIDL, or UIDL msg for one message, for example UIDL 1")
	}
	s.reply("+OK unique-id listing follows: the ids never change, across sessions")
	for i, m := range s.drop.msgs {
		if !m.deleted {
			s.replyf("%d %s", i+1, s.drop.uidl(m))
		}
	}
	s.reply(".")
	return nil
}

// body reads a message from the store.
func (s *session) body(m *dropMsg, n int) ([]byte, error) {
	ctx, cancel := storeCtx()
	defer cancel()
	b, err := s.srv.Store.Body(ctx, m.id)
	if errors.Is(err, store.ErrNoMessage) {
		return nil, errorf(codeSysPerm, "message %d is gone: another client (IMAP?) removed it during this session", n)
	}
	if err != nil {
		s.srv.logger().Error("pop3: reading message", "server", s.srv.Name, "user", s.authUser, "uid", m.uid, "err", err)
		return nil, errorf(codeSysTemp, "cannot read message %d right now; try again", n)
	}
	return b, nil
}

func (s *session) handleRetr(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("RETR")
	}
	if len(cmd.args) != 1 {
		return errorf("", "syntax: RETR msg, for example RETR 1")
	}
	m, n, err := s.message("RETR", cmd.args[0], false)
	if err != nil {
		return err
	}
	b, err := s.body(m, n)
	if err != nil {
		return err
	}
	s.replyf("+OK %d octets follow (message %d); it stays on the server unless you DELE it", m.size, n)
	s.writeBody(b, -1)
	s.reply(".")
	return nil
}

func (s *session) handleTop(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("TOP")
	}
	if len(cmd.args) != 2 {
		return errorf("", "syntax: TOP msg lines, for example TOP 1 0 (headers only) or TOP 1 5 (headers and 5 body lines)")
	}
	m, n, err := s.message("TOP", cmd.args[0], false)
	if err != nil {
		return err
	}
	k, ok := parseNumber(cmd.args[1])
	if !ok {
		return errorf("", "syntax: TOP msg lines: \"%s\" is not a number of lines (0 or more)", safe(cmd.args[1], 20))
	}
	b, err := s.body(m, n)
	if err != nil {
		return err
	}
	if k == 0 {
		s.replyf("+OK top of message %d follows: the headers and the blank line, no body lines", n)
	} else {
		s.replyf("+OK top of message %d follows: the headers, the blank line and at most %s of the body", n, plural(k, "line"))
	}
	s.writeBody(b, k)
	s.reply(".")
	return nil
}

// writeBody sends a message dot-stuffed, RFC 1939 section 3: a line that
// begins with a dot gets one more, so that only the terminating line is a
// lone dot. bodyLines >= 0 stops after the header section, the blank line
// and that many body lines (TOP); < 0 sends everything (RETR). Line endings
// go out as stored (CRLF); a last line without one gets CRLF, so the
// terminator stands on its own line.
func (s *session) writeBody(b []byte, bodyLines int) {
	// A whole message (RETR) with no line to dot-stuff and a final line
	// end goes out as it is stored: no copy.
	if bodyLines < 0 && len(b) > 0 && b[0] != '.' && b[len(b)-1] == '\n' && !bytes.Contains(b, []byte("\n.")) {
		s.w.Write(b)
		return
	}
	// Otherwise it is built in one buffer and written at once: a big write
	// goes past the session's small bufio buffer in a few system calls, not
	// one per 4 KiB.
	out := make([]byte, 0, len(b)+len(b)/64+2)
	inHeader := true
	sent := 0
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			line, b = b, nil
		}
		if !inHeader && bodyLines >= 0 {
			if sent >= bodyLines {
				break
			}
			sent++
		}
		if inHeader && (string(line) == "\r\n" || string(line) == "\n") {
			inHeader = false
		}
		if line[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, line...)
		if line[len(line)-1] != '\n' {
			out = append(out, '\r', '\n')
		}
	}
	s.w.Write(out)
}

func (s *session) handleDele(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("DELE")
	}
	if len(cmd.args) != 1 {
		return errorf("", "syntax: DELE msg, for example DELE 1")
	}
	m, n, err := s.message("DELE", cmd.args[0], true)
	if err != nil {
		return err
	}
	if m.deleted {
		return errorf("", "message %d is already marked for deletion", n)
	}
	m.deleted = true
	s.replyf("+OK message %d marked for deletion: it is removed only when you QUIT (RSET unmarks it; a dropped connection keeps it)", n)
	return nil
}

func (s *session) handleNoop(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("NOOP")
	}
	if len(cmd.args) > 0 {
		return noArgs("NOOP")
	}
	s.reply("+OK nothing done; the server is still here")
	return nil
}

func (s *session) handleRset(cmd command) error {
	if s.state != stateTransaction {
		return needLogin("RSET")
	}
	if len(cmd.args) > 0 {
		return noArgs("RSET")
	}
	unmarked := 0
	for _, m := range s.drop.msgs {
		if m.deleted {
			m.deleted = false
			unmarked++
		}
	}
	n, size := s.drop.stat()
	s.replyf("+OK %s unmarked; the maildrop has %s (%d octets)", plural(unmarked, "message"), plural(n, "message"), size)
	return nil
}

// --- QUIT and the UPDATE state: RFC 1939 section 4 and 6 ---

func (s *session) handleQuit(cmd command) error {
	if len(cmd.args) > 0 {
		return noArgs("QUIT")
	}
	s.quit, s.quitCmd = true, true
	if s.state != stateTransaction {
		// RFC 1939 section 4: QUIT before login does not enter UPDATE.
		s.replyf("+OK mailscope POP3 server %s signing off (not logged in: nothing to update)", s.srv.Name)
		return nil
	}
	return s.update()
}

// update is the UPDATE state: the marked messages are removed in one store
// transaction, then the lock is released. Either all marked messages go or
// none do.
func (s *session) update() error {
	ids := s.drop.marked()
	kept := len(s.drop.msgs) - len(ids)
	mode, key, say := "download-and-keep", "pop3.mode.keep", "pop3.note.update.keep"
	if len(ids) > 0 {
		mode, key, say = "download-and-delete", "pop3.mode.delete", "pop3.note.update.delete"
		s.setState(stateUpdate, "pop3.state.UPDATE.delete")
	} else {
		s.setState(stateUpdate, "pop3.state.UPDATE.keep")
	}
	if len(ids) > 0 {
		ctx, cancel := storeCtx()
		err := s.srv.Store.Write(ctx, func(tx *store.Tx) error { return tx.DeleteMessages(ids) })
		cancel()
		if err != nil {
			s.srv.logger().Error("pop3: UPDATE failed", "server", s.srv.Name, "user", s.authUser, "err", err)
			s.release()
			return &Error{Code: codeSysTemp, Msg: "some deleted messages not removed: the store failed, so none were deleted; log in and try again", Close: true}
		}
	}
	user := s.authUser
	s.note(key, tracer.M(say, "deleted", strconv.Itoa(len(ids)), "kept", strconv.Itoa(kept), "user", user),
		map[string]string{"mode": mode, "user": user, "deleted": strconv.Itoa(len(ids)), "kept": strconv.Itoa(kept)})
	s.release()
	s.replyf("+OK mailscope POP3 server %s signing off: %s deleted, %s kept (%s)", s.srv.Name, plural(len(ids), "message"), plural(kept, "message"), mode)
	return nil
}
