package smtp

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/internal/lineserver"
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
	line  *lineserver.Session // the accepted conn, its line reader, deadlines and place in the server's group
	conn  net.Conn            // the accepted conn, or a TLS conn over it after STARTTLS (untraced servers)
	trace *tracer.Session
	r     *bufio.Reader
	w     *bufio.Writer

	state    state
	helo     string
	esmtp    bool
	tls      bool
	authUser string
	account  func() // uncounts the login's session (limits.AccountGate); nil before AUTH
	errors   int
	authFail int           // failed AUTHs in this session, never reset (MaxAuthFailures)
	gated    time.Duration // the wait at the penalty's gate before the current AUTH's check
	quit     bool
	// crlf is set once the client ends a command line (or an AUTH
	// exchange line) with CRLF, and stays set: its message then ends only
	// at CRLF.CRLF (see readData).
	crlf bool
	// For the diagnostics (diag.go): the queue id of the message whose
	// 250 was the last reply, the catalog key of why the last DATA was
	// refused, and the empty lines since the last accepted command (not
	// errors in a row, but bounded: maxBlank).
	afterData string
	noData    string
	blank     int

	// The current transaction. id is this server's queue id for the
	// message; traceID is the id that follows it across the world's
	// servers (see handleMail).
	id        string
	traceID   string
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
	rcpts     []Rcpt   // every accepted recipient with its DSN parameters
	// nextID is the id the trace gave a MAIL line before the command
	// ran (mailTraceID); traceDone says the transaction ended, so the
	// trace's message id ends once its last reply is written (flush).
	nextID    string
	traceDone bool
}

func newSession(srv *Server, c net.Conn) *session {
	s := &session{
		srv:   srv,
		conn:  c,
		trace: tracer.SessionOf(c),
		r:     lineserver.NewReader(c),
		w:     lineserver.NewWriter(c),
	}
	s.line = srv.core.NewSession(c, s.r, srv.settings(), s.flush)
	s.trace.OnCommand(s.commandTraceID)
	return s
}

// refuse greets with a 421 that says why and closes (too many connections,
// shutdown).
func (s *session) refuse(why lineserver.Refusal, ip string, limit int) {
	h := s.srv.hostname()
	e := &Error{Code: 421, Enh: "4.3.2", Msg: h + " Service shutting down, try again later"}
	switch why {
	case lineserver.TooMany:
		e = &Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many connections in total (%d are open, the limit), try again later", h, limit)}
	case lineserver.TooManyFromIP:
		e = &Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many connections from your address %s (%d are open, the limit), try again later", h, ip, limit)}
	}
	s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	s.w.WriteString(replyLines(e.Code, e.Enh, e.Msg))
	s.w.Flush()
	s.conn.Close()
}

func (s *session) serve() {
	defer s.conn.Close()
	defer func() {
		if s.account != nil {
			s.account()
		}
	}()
	defer s.flush() // the last reply (221, 421) must reach the client before the close
	// A panic ends the session with 421, the only reply that may end a
	// session (RFC 5321 section 3.8); the server goes on.
	defer lineserver.Recover(s.srv.logger(), "smtp", s.srv.Name, s.trace, "note.panic", func() {
		s.reply(421, "4.3.0", s.srv.hostname()+" Internal error, closing the connection")
		s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		s.w.Flush()
	})
	s.setState(stateConnected, "smtp.state.connected")
	s.reply(220, "", s.srv.hostname()+" ESMTP mailscope server "+s.srv.Name+" ready (type HELP for help)")
	lineserver.Commands(
		func() ([]byte, error) { return s.readLine(maxAuthLine, true) },
		func(line string) bool { return s.handle(line) || s.quit },
		func() bool { return s.fail(errLineTooLong) },
		s.endOnReadError)
}

// endOnReadError says goodbye after a timeout or shutdown; a closed
// connection gets no reply.
func (s *session) endOnReadError(err error) {
	end := s.line.Ended(err)
	if end == lineserver.Gone {
		return
	}
	enh, text := s.endReply(end)
	s.reply(421, enh, text)
	// A fresh write deadline: the one set for the last reply passed long
	// ago when the idle timeout is longer than WriteTimeout.
	s.conn.SetWriteDeadline(time.Now().Add(s.line.Limits.WriteTimeout))
	s.w.Flush()
}

// handle runs one command line and reports whether the session must end.
func (s *session) handle(line string) (end bool) {
	cmd := parseCommand(line)
	if len(line)+2 > maxCommandLine && cmd.verb != "AUTH" {
		return s.fail(errLineTooLong)
	}
	// What the last replies said explains a line that is no command
	// (strayLine); once it was said, or a command came, it is forgotten.
	afterData, noData := s.afterData, s.noData
	if cmd.verb != "" {
		s.afterData, s.noData = "", ""
	}
	said := s.controlChars(line, cmd)
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
		s.reply(221, "2.0.0", s.srv.hostname()+" Bye: closing connection")
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
	case "TURN":
		// RFC 821 section 3.8; RFC 1985 section 1 explains why servers
		// stopped offering it: nothing checks that the client is the
		// domain whose mail it would receive.
		err = errorf(502, "5.5.1", "TURN not available: it would hand queued mail to anyone who claims a domain (RFC 1985 section 1); ETRN asks this server to deliver it instead")
	case "BDAT":
		err = errorf(502, "5.5.1", "BDAT not implemented: CHUNKING is not offered here, use DATA")
	case "":
		return s.emptyLine()
	default:
		if !said {
			s.strayLine(line, afterData, noData)
		}
		if looksLikeHeader(line) {
			err = errorf(500, "5.5.2", "Syntax error: %q looks like a header line; headers go after DATA and its 354 reply", cmd.verb)
		} else {
			err = errorf(500, "5.5.2", "Syntax error: command \"%s\" not recognized (HELP lists the commands)", ascii.Escape(truncate(cmd.verb, 32)))
		}
	}
	if err != nil {
		return s.fail(lineserver.CommandError(err, errInternal, s.srv.logger(), "smtp", s.srv.Name, cmd.verb))
	}
	s.errors, s.blank = 0, 0
	return s.quit
}

// emptyLine answers an empty line with 500 but does not count it as an
// error in a row: a message pasted while the server waits for a command
// (DATA refused) has empty lines, and they must not close the session
// before the diagnostic is read. Still bounded: after maxBlank of them
// since the last accepted command, 421 and the close, so a flood of empty
// lines ends as a flood of errors does.
func (s *session) emptyLine() bool {
	s.blank++
	if s.blank >= s.maxBlank() {
		s.reply(errTooManyBlank.Code, errTooManyBlank.Enh, errTooManyBlank.Msg)
		return true
	}
	e := errorf(500, "5.5.2", "Empty line: type a command, like HELO yourname (HELP lists them)")
	e.NotCounted = true
	return s.fail(e)
}

// maxBlank is how many empty lines a session may send in a row: five times
// the errors in a row allowed (50 by default).
func (s *session) maxBlank() int { return 5 * s.srv.maxErrors() }

// fail writes an error reply, counts it, and reports whether to close.
func (s *session) fail(e *Error) bool {
	if e.Note != nil {
		s.trace.Note(tracer.KindNote, e.Note, nil)
	}
	s.reply(e.Code, e.Enh, e.Msg)
	if e.Close {
		return true
	}
	if e.NotCounted {
		return false
	}
	s.errors++
	if s.errors >= s.srv.maxErrors() {
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
func (s *session) setState(to state, key string, kv ...string) {
	s.state = to
	s.trace.State(to.String(), tracer.M(key, kv...))
}

// reply queues a reply; it is flushed before the next blocking read
// (PIPELINING, RFC 2920 section 3.2).
func (s *session) reply(code int, enh string, lines ...string) {
	s.w.WriteString(replyLines(code, enh, lines...))
}

// flush writes queued replies under a write deadline.
func (s *session) flush() error {
	defer s.endTraceID()
	if s.w.Buffered() == 0 {
		return nil
	}
	if p, ok := s.srv.Backend.(Policy); ok {
		if d := p.ReplyDelay(); d > 0 {
			time.Sleep(d)
		}
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.line.Limits.WriteTimeout))
	return s.w.Flush()
}

var errLong = lineserver.ErrLineTooLong

// readLine reads a line of at most limit octets including the line ending
// and returns it without the ending, flushing the replies first unless
// another command is already buffered (pipelining); a longer line is read
// and dropped, and errLong returned. idle marks a wait for a command, which
// Shutdown may interrupt. It notes whether the client ends its lines with
// CRLF (see readData).
func (s *session) readLine(limit int, idle bool) ([]byte, error) {
	line, crlf, err := s.line.ReadLine(limit, idle)
	s.crlf = s.crlf || crlf
	return line, err
}
