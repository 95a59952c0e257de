package smtp

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/servers/internal/limits"
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
