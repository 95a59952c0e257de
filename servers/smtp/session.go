package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// state is where a session is in RFC 5321's command sequence (section 4.1.4).
type state int

const (
	stateConnected state = iota // greeting sent, waiting for HELO/EHLO
	stateGreeted                // HELO/EHLO done, no transaction
	stateMail                   // MAIL FROM accepted
	stateRcpt                   // at least one RCPT TO accepted
	stateData                   // receiving the message
)

func (s state) String() string {
	switch s {
	case stateConnected:
		return "connected"
	case stateGreeted:
		return "greeted"
	case stateMail:
		return "mail"
	case stateRcpt:
		return "rcpt"
	case stateData:
		return "data"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Limits from RFC 5321 section 4.5.3.1.
const (
	maxCommandLine = 512   // section 4.5.3.1.4, including CRLF
	maxTextLine    = 1000  // section 4.5.3.1.6, including CRLF
	maxAuthLine    = 12288 // RFC 4954 section 4
)

// session is one SMTP connection.
type session struct {
	srv   *Server
	raw   net.Conn // the accepted conn, never replaced: other goroutines may close it
	conn  net.Conn // raw, or a TLS conn over it after STARTTLS (untraced servers)
	trace *tracer.Session
	r     *bufio.Reader
	w     *bufio.Writer

	member   lifecycle.Member // in the server's group: Shutdown, Squeeze and Evict reach the session through it
	clock    limits.Clock     // idle, line and session time limits (armRead)
	busyWait bool             // the wait armed last had the busy server's short idle timeout

	state    state
	helo     string
	esmtp    bool
	tls      bool
	authUser string
	errors   int
	authFail int // failed AUTHs in this session, never reset (MaxAuthFailures)
	quit     bool
	// crlf is set once the client ends a command line (or an AUTH
	// exchange line) with CRLF, and stays set: its message then ends only
	// at CRLF.CRLF (see readData).
	crlf bool

	// The current transaction.
	id        string
	from      string
	eightBit  bool
	holdUntil time.Time
	local     []string // local users
	remote    []string // remote addresses
	rcptSeen  map[string]bool
	lenient   []string // notes about lenient parsing for the reply
	envID     string
	ret       string
	never     []string // recipients with NOTIFY=NEVER
}

func newSession(srv *Server, c net.Conn) *session {
	return &session{
		srv:   srv,
		raw:   c,
		conn:  c,
		trace: tracer.SessionOf(c),
		r:     bufio.NewReaderSize(c, 4096),
		w:     bufio.NewWriterSize(c, 4096),
	}
}

// refuse greets with an error and closes (too many connections, shutdown).
func (s *session) refuse(e *Error) {
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	s.w.WriteString(replyLines(e.Code, e.Enh, e.Msg))
	s.w.Flush()
	s.conn.Close()
}

func (s *session) serve() {
	defer s.conn.Close()
	defer s.flush() // the last reply (221, 421) must reach the client before the close
	defer func() {
		if r := recover(); r != nil {
			s.recovered(r)
		}
	}()
	s.setState(stateConnected, "TCP connection open; the server speaks first")
	s.reply(220, "", s.srv.Hostname+" ESMTP mailscope server "+s.srv.Name+" ready (type HELP for help)")
	for !s.quit {
		line, err := s.readCommand()
		if err != nil {
			if errors.Is(err, errLong) {
				if s.fail(errLineTooLong) {
					return
				}
				continue
			}
			s.endOnReadError(err)
			return
		}
		if s.handle(line) {
			return
		}
	}
}

// endOnReadError says goodbye after a timeout or shutdown; a closed
// connection gets no reply.
func (s *session) endOnReadError(err error) {
	var ne net.Error
	switch {
	case s.srv.life.Closing():
		s.reply(421, "4.3.2", s.srv.Hostname+" Service shutting down, closing the connection")
	case errors.As(err, &ne) && ne.Timeout():
		enh, text := s.timeoutReply()
		s.reply(421, enh, text)
	default:
		return
	}
	// A fresh write deadline: the one set for the last reply passed long
	// ago when the idle timeout is longer than WriteTimeout.
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.WriteTimeout))
	s.w.Flush()
}

// handle runs one command line and reports whether the session must end.
func (s *session) handle(line string) (end bool) {
	cmd := parseCommand(line)
	if len(line)+2 > maxCommandLine && cmd.verb != "AUTH" {
		return s.fail(errLineTooLong)
	}
	var err error
	switch cmd.verb {
	case "HELO":
		err = s.handleHelo(cmd, false)
	case "EHLO":
		err = s.handleHelo(cmd, true)
	case "MAIL":
		err = s.handleMail(cmd)
	case "RCPT":
		err = s.handleRcpt(cmd)
	case "DATA":
		err = s.handleData(cmd)
	case "RSET":
		err = s.handleRset(cmd)
	case "NOOP":
		s.reply(250, "2.0.0", "OK, nothing done")
	case "QUIT":
		s.reply(221, "2.0.0", s.srv.Hostname+" Bye: closing connection")
		s.quit = true
	case "VRFY":
		err = s.handleVrfy(cmd)
	case "EXPN":
		err = errorf(502, "5.5.1", "EXPN not available: this server has no mailing lists")
	case "HELP":
		err = s.handleHelp(cmd)
	case "STARTTLS":
		err = s.handleStartTLS(cmd)
	case "AUTH":
		err = s.handleAuth(cmd)
	case "ETRN":
		err = s.handleEtrn(cmd)
	case "BDAT":
		err = errorf(502, "5.5.1", "BDAT not implemented: CHUNKING is not offered here, use DATA")
	case "":
		err = errorf(500, "5.5.2", "Empty line: type a command, like HELO yourname (HELP lists them)")
	default:
		if looksLikeHeader(line) {
			err = errorf(500, "5.5.2", "Syntax error: %q looks like a header line; headers go after DATA and its 354 reply", cmd.verb)
		} else {
			err = errorf(500, "5.5.2", "Syntax error: command \"%s\" not recognized (HELP lists the commands)", tracer.Printable(truncate(cmd.verb, 32)))
		}
	}
	if err != nil {
		var re *Error
		if !errors.As(err, &re) {
			s.srv.Logger.Error("smtp: command failed", "server", s.srv.Name, "verb", cmd.verb, "err", err)
			re = errInternal
		}
		return s.fail(re)
	}
	s.errors = 0
	return s.quit
}

// fail writes an error reply, counts it, and reports whether to close.
func (s *session) fail(e *Error) bool {
	s.reply(e.Code, e.Enh, e.Msg)
	if e.Close {
		return true
	}
	if e.NotCounted {
		return false
	}
	s.errors++
	if s.errors >= s.srv.MaxErrors {
		s.reply(errTooManyErrors.Code, errTooManyErrors.Enh, errTooManyErrors.Msg)
		return true
	}
	return false
}

func looksLikeHeader(line string) bool {
	i := strings.IndexByte(line, ':')
	return i > 0 && !strings.ContainsAny(line[:i], " \t") && i < len(line)-1 && line[i+1] == ' '
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// setState moves the session and tells the trace why.
func (s *session) setState(to state, why string) {
	s.state = to
	s.trace.State(to.String(), why)
}

// reply queues a reply; it is flushed before the next blocking read
// (PIPELINING, RFC 2920 section 3.2).
func (s *session) reply(code int, enh string, lines ...string) {
	s.w.WriteString(replyLines(code, enh, lines...))
}

// flush writes queued replies under a write deadline.
func (s *session) flush() error {
	if s.w.Buffered() == 0 {
		return nil
	}
	if p, ok := s.srv.Backend.(Policy); ok {
		if d := p.ReplyDelay(); d > 0 {
			time.Sleep(d)
		}
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.WriteTimeout))
	return s.w.Flush()
}

var errLong = errors.New("line too long")

// readCommand reads one command line (without its line ending).
func (s *session) readCommand() (string, error) {
	b, err := s.readLine(maxAuthLine, true)
	return string(b), err
}

// readLine reads a line of at most limit octets including the line ending
// and returns it without the ending. Replies are flushed first unless another
// complete command is already buffered (pipelining). A longer line is read to
// its end and discarded, and errLong returned. idle marks a wait for a
// command, which Shutdown may interrupt.
func (s *session) readLine(limit int, idle bool) ([]byte, error) {
	if !s.completeLineBuffered() {
		if err := s.flush(); err != nil {
			return nil, err
		}
	}
	var (
		line    []byte
		tooLong bool
	)
	read := func() (err error) {
		if err = s.armRead(); err == nil {
			var crlf bool
			line, crlf, tooLong, err = limits.ReadLineEnd(s.r, limit)
			s.crlf = s.crlf || crlf
		}
		return err
	}
	var err error
	if idle {
		err = s.srv.life.AwaitCommand(&s.member, read)
	} else {
		err = read()
	}
	if errors.Is(err, lifecycle.ErrClosing) {
		return nil, ErrServerClosed
	}
	if err != nil {
		return nil, err
	}
	if tooLong {
		return nil, errLong
	}
	return line, nil
}

// completeLineBuffered reports whether a whole line is already buffered.
func (s *session) completeLineBuffered() bool { return limits.LineBuffered(s.r) }

func (s *session) handleHelo(cmd command, ehlo bool) error {
	verb := "HELO"
	if ehlo {
		verb = "EHLO"
	}
	if cmd.arg == "" || strings.ContainsAny(cmd.arg, " \t") {
		return errorf(501, "5.5.4", "Syntax: %s yourname (your host's name, for example %s laptop)", verb, verb)
	}
	s.resetTransaction()
	s.helo = cmd.arg
	s.esmtp = ehlo
	s.setState(stateGreeted, verb+" "+cmd.arg+": the client introduced itself")
	greet := fmt.Sprintf("%s Hello %s [%s], pleased to meet you", s.srv.Hostname, cmd.arg, limits.HostOf(s.conn.RemoteAddr()))
	if !ehlo {
		s.reply(250, "", greet)
		return nil
	}
	lines := []string{greet, "PIPELINING", fmt.Sprintf("SIZE %d", s.srv.MaxMessageSize), "8BITMIME", "ENHANCEDSTATUSCODES", "DSN"}
	if s.srv.TLSConfig != nil && !s.tls {
		lines = append(lines, "STARTTLS")
	}
	if s.authAllowed() && s.authUser == "" {
		lines = append(lines, "AUTH PLAIN LOGIN")
	}
	if _, ok := s.srv.Backend.(Flusher); ok {
		lines = append(lines, "ETRN")
	}
	if fr, ok := s.srv.Backend.(FutureReleaser); ok {
		max := fr.MaxHold()
		lines = append(lines, fmt.Sprintf("FUTURERELEASE %d %s", int64(max/time.Second), time.Now().Add(max).UTC().Format(time.RFC3339)))
	}
	lines = append(lines, "HELP")
	s.reply(250, "", lines...)
	return nil
}

// authAllowed says whether AUTH is offered: over TLS, from loopback (the
// lesson is what the wire shows), or when the operator allows it.
func (s *session) authAllowed() bool {
	return s.tls || s.srv.AllowInsecureAuth || limits.IsLoopback(s.conn.RemoteAddr())
}

func (s *session) resetTransaction() {
	s.id, s.from, s.eightBit, s.holdUntil = "", "", false, time.Time{}
	s.local, s.remote, s.rcptSeen, s.lenient = nil, nil, nil, nil
	s.envID, s.ret, s.never = "", "", nil
	s.trace.SetMsgID("")
	if s.state > stateGreeted {
		s.setState(stateGreeted, "transaction reset")
	}
}

func newID(server string) string {
	var b [5]byte
	rand.Read(b[:])
	return server + "-" + base32.StdEncoding.EncodeToString(b[:])
}

func (s *session) handleMail(cmd command) error {
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.state >= stateMail:
		return errNestedMail
	}
	p, perr := parsePath(cmd.arg, "FROM:", "MAIL")
	if perr != nil {
		return perr
	}
	if p.addr != "" {
		if _, _, ok := splitAddress(p.addr); !ok {
			return errorf(553, "5.1.7", "<%s>: sender address is not valid: write it as user@domain", tracer.Printable(truncate(p.addr, 80)))
		}
	}
	s.lenient = nil
	if !p.brackets {
		s.lenient = append(s.lenient, "RFC 5321 wants angle brackets: MAIL FROM:<"+p.addr+">")
	}
	for _, k := range p.order {
		v := p.params[k]
		switch k {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errorf(501, "5.5.4", "SIZE=%s is not a number of octets (RFC 1870)", truncate(v, 20))
			}
			if n > s.srv.MaxMessageSize {
				return errorf(552, "5.3.4", "Message size %d exceeds the limit of %d octets (RFC 1870)", n, s.srv.MaxMessageSize)
			}
		case "BODY":
			switch strings.ToUpper(v) {
			case "7BIT":
				s.eightBit = false
			case "8BITMIME":
				s.eightBit = true
			default:
				return errorf(501, "5.5.4", "BODY=%s unknown: use BODY=7BIT or BODY=8BITMIME (RFC 6152)", truncate(v, 20))
			}
		case "AUTH":
			// RFC 4954 section 5: accepted and ignored.
		case "ENVID":
			if v == "" || len(v) > 100 || !isXtext(v) {
				return errorf(501, "5.5.4", "ENVID must be 1 to 100 characters of xtext (RFC 3461 section 4.4)")
			}
			s.envID = v
		case "RET":
			switch strings.ToUpper(v) {
			case "FULL", "HDRS":
				s.ret = strings.ToUpper(v)
			default:
				return errorf(501, "5.5.4", "RET=%s unknown: use RET=FULL or RET=HDRS (RFC 3461 section 4.3)", truncate(v, 20))
			}
		case "HOLDFOR", "HOLDUNTIL":
			t, err := s.holdParam(k, v)
			if err != nil {
				return err
			}
			s.holdUntil = t
		default:
			if !s.esmtp {
				return errorf(555, "5.5.4", "Parameters need EHLO: %s not allowed after HELO", k)
			}
			return errorf(555, "5.5.4", "MAIL FROM parameter %s not recognized or not implemented", truncate(k, 30))
		}
	}
	if len(p.params) > 0 && !s.esmtp {
		return errorf(555, "5.5.4", "MAIL FROM parameters need an EHLO session, not HELO")
	}
	s.from = p.addr
	s.id = newID(s.srv.Name)
	if isMailscopeID(s.envID) {
		// A message relayed from another server of this world keeps the id it
		// was given at its first hop, so one id follows it everywhere.
		s.id = s.envID
	}
	s.trace.SetMsgID(s.id)
	s.setState(stateMail, "a new message: sender <"+p.addr+">; its id is "+s.id)
	msg := fmt.Sprintf("Sender <%s> OK", p.addr)
	if p.addr == "" {
		msg = "Null sender <> OK (bounces use it so they cannot bounce again)"
	}
	if !s.holdUntil.IsZero() {
		msg += "; will be held until " + s.holdUntil.UTC().Format(time.RFC3339)
	}
	for _, n := range s.lenient {
		msg += " (note: " + n + ")"
	}
	s.reply(250, "2.1.0", msg)
	return nil
}

// holdParam parses FUTURERELEASE parameters, RFC 4865 section 3.
func (s *session) holdParam(k, v string) (time.Time, error) {
	fr, ok := s.srv.Backend.(FutureReleaser)
	if !ok || !s.esmtp {
		return time.Time{}, errorf(555, "5.5.4", "%s not available: FUTURERELEASE is not offered here", k)
	}
	if !s.holdUntil.IsZero() {
		return time.Time{}, errorf(501, "5.5.4", "Give HOLDFOR or HOLDUNTIL, not both (RFC 4865 section 3)")
	}
	max := fr.MaxHold()
	var t time.Time
	if k == "HOLDFOR" {
		// future-release-integer = 1*9DIGIT (RFC 4865 section 3): a longer
		// value is a syntax error, and the bound keeps the arithmetic below
		// far from time.Duration's limit (292 years in nanoseconds).
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || len(v) > 9 {
			return t, errorf(501, "5.5.4", "HOLDFOR=%s is not a number of seconds of at most 9 digits (RFC 4865 section 3)", truncate(v, 20))
		}
		if n > int64(max/time.Second) {
			return t, errorf(554, "5.3.4", "HOLDFOR=%d is longer than the %d seconds this server holds mail (RFC 4865 section 3)", n, int64(max/time.Second))
		}
		return time.Now().Add(time.Duration(n) * time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errorf(501, "5.5.4", "HOLDUNTIL=%s is not a date-time like 2026-11-25T10:00:00Z (RFC 3339)", truncate(v, 40))
	}
	if time.Until(t) > max {
		return t, errorf(554, "5.3.4", "HOLDUNTIL is later than this server holds mail (at most %d seconds, RFC 4865 section 3)", int64(max/time.Second))
	}
	return t, nil
}

func (s *session) handleRcpt(cmd command) error {
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.state < stateMail:
		return errNeedMail
	}
	p, perr := parsePath(cmd.arg, "TO:", "RCPT")
	if perr != nil {
		return perr
	}
	never := false
	for _, k := range p.order {
		v := p.params[k]
		switch k {
		case "NOTIFY":
			for _, n := range strings.Split(strings.ToUpper(v), ",") {
				switch n {
				case "NEVER":
					never = true
				case "SUCCESS", "FAILURE", "DELAY":
				default:
					return errorf(501, "5.5.4", "NOTIFY=%s: use NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 section 4.1)", truncate(v, 40))
				}
			}
			if never && strings.Contains(v, ",") {
				return errorf(501, "5.5.4", "NOTIFY=NEVER cannot be combined with other values (RFC 3461 section 4.1)")
			}
		case "ORCPT":
			// RFC 3461 section 4.2: the original recipient; accepted, not used.
		default:
			return errorf(555, "5.5.4", "RCPT TO parameter %s not recognized or not implemented", truncate(k, 30))
		}
	}
	note := ""
	if !p.brackets {
		note = " (note: RFC 5321 wants angle brackets: RCPT TO:<" + p.addr + ">)"
	}
	if len(s.local)+len(s.remote) >= s.srv.MaxRecipients {
		// RFC 5321 section 4.5.3.1.10: the server answers 452 for the
		// recipients over its limit and the client sends those in a later
		// transaction; that is no error of the client, so a pipelined list
		// of 150 recipients does not end the session before its DATA.
		e := errorf(452, "4.5.3", "Too many recipients: at most %d per message; send the rest in another message (RFC 5321 section 4.5.3.1.8)", s.srv.MaxRecipients)
		e.NotCounted = true
		return e
	}
	addr := p.addr
	var local, domain string
	if strings.EqualFold(addr, "postmaster") {
		local, domain = "postmaster", s.srv.Domain
	} else {
		var ok bool
		local, domain, ok = splitAddress(addr)
		if !ok {
			return errorf(501, "5.1.3", "<%s>: recipient address is not valid: write it as user@domain", tracer.Printable(truncate(addr, 80)))
		}
	}
	key := strings.ToLower(addr)
	if s.rcptSeen[key] {
		s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK (already given; it gets one copy)%s", addr, note))
		return nil
	}
	if strings.EqualFold(domain, s.srv.Domain) {
		user, ok := s.srv.Backend.LocalUser(local)
		if !ok {
			return errorf(550, "5.1.1", "<%s>: Recipient address rejected: no such user here at %s", tracer.Printable(addr), s.srv.Domain)
		}
		if err := s.checkPolicy(addr, true); err != nil {
			return err
		}
		if never {
			s.never = append(s.never, addr)
		}
		s.local = appendUnique(s.local, user)
		s.markRcpt(key)
		s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK: local mailbox of %s%s", addr, user, note))
		return nil
	}
	if s.authUser == "" && !s.srv.trusted(s.conn.RemoteAddr()) {
		return errorf(554, "5.7.1", "<%s>: Relay access denied: %s only accepts mail for %s from you; log in with AUTH to send to other domains", tracer.Printable(addr), s.srv.Hostname, s.srv.Domain)
	}
	if err := s.checkPolicy(addr, false); err != nil {
		return err
	}
	if never {
		s.never = append(s.never, addr)
	}
	s.remote = append(s.remote, addr)
	s.markRcpt(key)
	why := "you are on a trusted network"
	if s.authUser != "" {
		why = "you logged in as " + s.authUser
	}
	s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK: not local, will relay to %s (%s)%s", addr, domain, why, note))
	return nil
}

// checkPolicy lets a Policy backend refuse a recipient (mailscope's faults).
func (s *session) checkPolicy(addr string, local bool) error {
	p, ok := s.srv.Backend.(Policy)
	if !ok {
		return nil
	}
	return p.CheckRcpt(context.Background(), &Envelope{From: s.from, Rcpt: addr, Local: local, ClientAddr: s.conn.RemoteAddr(), Helo: s.helo})
}

// isMailscopeID reports whether id looks like an id this program makes:
// a server name, a dash and eight base32 characters.
func isMailscopeID(id string) bool {
	name, code, ok := strings.Cut(id, "-")
	if !ok || name == "" || len(name) > 16 || len(code) != 8 {
		return false
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// isXtext checks RFC 3461 section 4 xtext: printable ASCII except + and =,
// with +XX hex escapes.
func isXtext(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '+':
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return false
			}
			i += 2
		case c < '!' || c > '~' || c == '=':
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func (s *session) markRcpt(key string) {
	if s.rcptSeen == nil {
		s.rcptSeen = map[string]bool{}
	}
	s.rcptSeen[key] = true
	if s.state == stateMail {
		s.setState(stateRcpt, "at least one recipient accepted; DATA may follow")
	}
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (s *session) handleRset(cmd command) error {
	if cmd.arg != "" {
		return errorf(501, "5.5.4", "Syntax: RSET takes no argument")
	}
	s.resetTransaction()
	s.reply(250, "2.0.0", "OK, message forgotten")
	return nil
}

func (s *session) handleVrfy(cmd command) error {
	if cmd.arg == "" {
		return errorf(501, "5.5.4", "Syntax: VRFY user (for example VRFY alice)")
	}
	arg := strings.Trim(cmd.arg, "<>")
	local, domain := arg, s.srv.Domain
	if i := strings.LastIndexByte(arg, '@'); i >= 0 {
		local, domain = arg[:i], strings.ToLower(arg[i+1:])
	}
	if !strings.EqualFold(domain, s.srv.Domain) {
		s.reply(252, "2.1.5", fmt.Sprintf("Cannot VRFY <%s>: not a local address, but will accept mail for it and try to deliver", tracer.Printable(truncate(arg, 80))))
		return nil
	}
	user, ok := s.srv.Backend.LocalUser(local)
	if !ok {
		return errorf(550, "5.1.1", "<%s>: no such user here (VRFY tells: that is why many servers disable it)", tracer.Printable(truncate(arg, 80)))
	}
	s.reply(250, "2.1.5", fmt.Sprintf("%s <%s@%s>", user, user, s.srv.Domain))
	return nil
}

func (s *session) handleHelp(cmd command) error {
	if cmd.arg != "" {
		topic := strings.ToUpper(strings.Fields(cmd.arg)[0])
		h, ok := helpTopics[topic]
		if !ok {
			return errorf(504, "5.5.1", "HELP: no help on \"%s\"; HELP alone lists the commands", tracer.Printable(truncate(topic, 20)))
		}
		s.reply(214, "2.0.0", h...)
		return nil
	}
	lines := []string{"mailscope SMTP server " + s.srv.Name + " for " + s.srv.Domain + ". Commands, in the usual order:"}
	for _, v := range helpOrder {
		lines = append(lines, fmt.Sprintf("  %-9s %s", v, helpTopics[v][0]))
	}
	lines = append(lines, "HELP <command> explains one, e.g. HELP MAIL. Lines end with CRLF; the message ends with a line holding only a dot.")
	s.reply(214, "2.0.0", lines...)
	return nil
}

func (s *session) handleStartTLS(cmd command) error {
	switch {
	case s.srv.TLSConfig == nil:
		return errorf(502, "5.5.1", "STARTTLS not available on this server")
	case s.tls:
		return errorf(503, "5.5.1", "Already using TLS")
	case cmd.arg != "":
		return errorf(501, "5.5.4", "Syntax: STARTTLS takes no argument")
	case s.state >= stateMail:
		return errInTransaction
	}
	s.reply(220, "2.0.0", "Ready to start TLS: the next bytes are a TLS handshake")
	if err := s.flush(); err != nil {
		return err
	}
	// RFC 3207 section 4.2 (and CVE-2011-0411): anything the client sent
	// before the handshake must not be read as if it came over TLS.
	if n := s.r.Buffered(); n > 0 {
		s.r.Discard(n)
		s.trace.Note(tracer.KindNote, fmt.Sprintf("discarded %d octets sent before the TLS handshake (command injection defence, RFC 3207 section 4.2)", n), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.conn.SetDeadline(time.Time{})
	if tc, ok := s.conn.(*tracer.Conn); ok {
		if err := tc.StartTLS(ctx, s.srv.TLSConfig); err != nil {
			s.quit = true
			return nil
		}
	} else {
		tc := tls.Server(s.conn, s.srv.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			s.quit = true
			return nil
		}
		s.conn = tc
	}
	s.r.Reset(s.conn)
	s.w.Reset(s.conn)
	s.tls = true
	// RFC 3207 section 4.2: forget everything learned before TLS.
	s.resetTransaction()
	s.helo, s.esmtp, s.authUser = "", false, ""
	s.setState(stateConnected, "TLS is up: the client must say EHLO again (RFC 3207 section 4.2)")
	return nil
}

func (s *session) handleAuth(cmd command) error {
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.authUser != "":
		return errorf(503, "5.5.1", "Already authenticated as %s", s.authUser)
	case s.state >= stateMail:
		return errInTransaction
	case !s.authAllowed():
		return errorf(538, "5.7.11", "Encryption required: use STARTTLS before AUTH from a non-loopback address")
	}
	mech, ir, hasIR := strings.Cut(cmd.arg, " ")
	mech = strings.ToUpper(mech)
	var login, pass string
	switch mech {
	case "PLAIN":
		resp := ir
		if !hasIR {
			var err error
			if resp, err = s.challenge(""); err != nil {
				return err
			}
		}
		if resp == "=" {
			resp = ""
		}
		b, err := base64.StdEncoding.DecodeString(resp)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH PLAIN: the response is not valid base64")
		}
		parts := bytes.Split(b, []byte{0})
		if len(parts) != 3 {
			return errorf(501, "5.5.2", "AUTH PLAIN: expected base64 of authzid NUL user NUL password (RFC 4616)")
		}
		if len(parts[0]) > 0 && string(parts[0]) != string(parts[1]) {
			return errorf(535, "5.7.8", "Authentication failed: acting for another user is not allowed")
		}
		login, pass = string(parts[1]), string(parts[2])
	case "LOGIN":
		var user string
		if hasIR {
			user = ir
		} else {
			var err error
			if user, err = s.challenge("Username:"); err != nil {
				return err
			}
		}
		u, err := base64.StdEncoding.DecodeString(user)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH LOGIN: the user name is not valid base64")
		}
		p64, err := s.challenge("Password:")
		if err != nil {
			return err
		}
		p, err := base64.StdEncoding.DecodeString(p64)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH LOGIN: the password is not valid base64")
		}
		login, pass = string(u), string(p)
	case "":
		return errorf(501, "5.5.4", "Syntax: AUTH mechanism, for example AUTH PLAIN (see EHLO for the list)")
	default:
		return errorf(504, "5.5.4", "AUTH mechanism %s not available: use PLAIN or LOGIN", tracer.Printable(truncate(mech, 20)))
	}
	user, ok := s.srv.Backend.Authenticate(login, pass)
	if !ok {
		return s.authFailed(login)
	}
	s.srv.Penalty.Succeed(limits.HostOf(s.conn.RemoteAddr()), user)
	s.authUser = user
	s.trace.Emit(&tracer.Event{Kind: tracer.KindState, From: s.state.String(), To: s.state.String(),
		Text: "authenticated as " + user, Attrs: map[string]string{"user": user},
		Explain: &tracer.Explanation{Key: "smtp.state.auth", Text: "The client logged in: it may now relay to other domains."}})
	s.reply(235, "2.7.0", "Authentication successful: hello "+user)
	return nil
}

// authFailed answers a failed AUTH: an unknown user and a wrong password
// get the same 535, after the penalty's delay (none for a first mistake,
// then doubling per failure from this address or for this user, across
// sessions). The session's last allowed failure gets its 535 and then 421.
// The trace says which and why before the delay runs.
func (s *session) authFailed(login string) error {
	s.authFail++
	f := s.srv.Penalty.Failed(limits.HostOf(s.conn.RemoteAddr()), login, s.authFail, s.srv.MaxAuthFailures)
	f.Trace(s.trace)
	if !penalty.Wait(f.Wait, s.srv.life.Done()) {
		return &Error{Code: 421, Enh: "4.3.2", Msg: s.srv.Hostname + " Service shutting down, closing the connection", Close: true}
	}
	if f.Closes() {
		s.reply(535, "5.7.8", "Authentication credentials invalid"+f.Why())
		return &Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many failed logins (%d in this session): closing the connection", s.srv.Hostname, f.Count), Close: true}
	}
	return errorf(535, "5.7.8", "Authentication credentials invalid%s", f.Why())
}

// challenge sends a 334 with the base64 of prompt and reads the answer.
func (s *session) challenge(prompt string) (string, error) {
	s.reply(334, "", base64.StdEncoding.EncodeToString([]byte(prompt)))
	b, err := s.readLine(maxAuthLine, false)
	if errors.Is(err, errLong) {
		return "", errorf(500, "5.5.6", "Authentication exchange line is too long")
	}
	if err != nil {
		s.quit = true
		return "", err
	}
	if string(b) == "*" {
		return "", errorf(501, "5.0.0", "Authentication cancelled by the client")
	}
	return string(b), nil
}

func (s *session) handleEtrn(cmd command) error {
	fl, ok := s.srv.Backend.(Flusher)
	switch {
	case !ok:
		return errorf(502, "5.5.1", "ETRN not available on this server")
	case s.state == stateConnected:
		return errNeedHelo
	case s.state >= stateMail:
		return errInTransaction
	case cmd.arg == "":
		return errorf(501, "5.5.4", "Syntax: ETRN domain, for example ETRN b.example (RFC 1985)")
	}
	arg := cmd.arg
	if strings.HasPrefix(arg, "#") {
		return errorf(458, "4.5.0", "Unable to queue messages for %s: queue names (#) are not supported, give a domain", tracer.Printable(truncate(arg, 64)))
	}
	domain := strings.ToLower(strings.TrimPrefix(arg, "@"))
	if !validDomain(domain) {
		return errorf(501, "5.5.4", "Syntax: \"%s\" is not a domain name (RFC 1985 section 3)", tracer.Printable(truncate(arg, 64)))
	}
	res, n, err := fl.Flush(context.Background(), domain)
	if err != nil {
		return errorf(458, "4.3.0", "Unable to queue messages for node %s: %v", domain, err)
	}
	switch res {
	case FlushStarted:
		s.reply(250, "2.0.0", fmt.Sprintf("Queuing for node %s started: %d message(s) will be delivered now", domain, n))
	case FlushNone:
		s.reply(251, "2.0.0", fmt.Sprintf("No messages waiting for node %s", domain))
	case FlushPending:
		s.reply(252, "2.0.0", fmt.Sprintf("Pending messages for node %s are held and cannot be started now", domain))
	case FlushForbidden:
		return errorf(459, "4.7.1", "Node %s not allowed: this server relays nothing to it", domain)
	default:
		return errorf(458, "4.3.0", "Unable to queue messages for node %s", domain)
	}
	return nil
}

func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '(' || r == ')' {
			return '_'
		}
		return r
	}, s)
}

func reverseName(a net.Addr) string {
	if limits.IsLoopback(a) {
		return "localhost"
	}
	return "unknown"
}
