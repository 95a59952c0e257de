package smtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/tracer"
)

// The DATA command: the message, where it ends, and the memory it holds.
//
// Where a message ends decides how many messages a session carries, so it
// is a security boundary: the 2023 SMTP smuggling attacks (SEC Consult;
// CVE-2023-51764 Postfix, CVE-2023-51765 sendmail, CVE-2023-51766 Exim) hid
// a second transaction behind a "\n.\n" that one server took for the end of
// data and the next did not. RFC 5321 section 2.3.8 says lines end with CRLF
// and section 4.1.1.4 that the data ends with CRLF "." CRLF. Here the client
// decides, by how it ends its command lines (session.crlf):
//   - a client that ends a command line with CRLF (telnet, every real MTA
//     and user agent) ends its data only at CRLF "." CRLF. A bare LF or a
//     lone CR inside is content: stored as a CRLF line ending (Postfix 3.9's
//     smtpd_forbid_bare_newline = normalize), or, with StrictLineEndings,
//     refused with 521 5.5.2 and the connection closed before anything
//     after it is read as a command;
//   - a client that ends every command line with a bare LF (nc without -C)
//     ends its lines at LF (a CR before it dropped), so its data may end
//     with LF "." LF.
//
// A lone CR never ends a line or the data. The tracer's SMTP framer follows
// the same rule, so that the trace never shows smuggled "commands".

// DefaultDataBudget is the memory a server's sessions may hold together for
// the messages they are receiving when Server.DataBudget is nil.
const DefaultDataBudget = 64 << 20

// headRoom is kept free in front of a message being received for the
// Received:, Date: and Message-ID: headers finishMessage adds, so that they
// are written in place instead of copying the message.
const headRoom = 2048

// Replies of the DATA path.
var (
	errBareNewline = &Error{Code: 521, Enh: "5.5.2", Close: true,
		Msg: "Bare LF or CR in the message: you end your lines with CRLF, so a line of the message must too (RFC 5321 section 2.3.8); this server is strict and closes the connection; nothing was stored"}
	errNoRoom = &Error{Code: 452, Enh: "4.3.1",
		Msg: "Insufficient system storage: too many messages are being received at once; nothing was stored, try again later"}
)

func (s *session) handleData(cmd command) error {
	switch {
	case cmd.arg != "":
		return s.refuseData("smtp.diag.no-data-mode.arg", errorf(501, "5.5.4", "Syntax: DATA takes no argument; the message comes after the 354 reply"))
	case s.state == stateConnected:
		return s.refuseData("smtp.diag.no-data-mode.helo", errNeedHelo)
	case s.state == stateGreeted:
		return s.refuseData("smtp.diag.no-data-mode.mail", errNeedMail)
	case s.state == stateMail:
		return s.refuseData("smtp.diag.no-data-mode.rcpt", errNeedRcpt)
	}
	if s.crlf {
		s.setState(stateData, "smtp.state.data.crlf")
	} else {
		s.setState(stateData, "smtp.state.data.lf")
	}
	s.reply(354, "", "Start mail input; end with <CRLF>.<CRLF> (a line holding only a dot)")
	if err := s.flush(); err != nil {
		s.quit = true
		return nil
	}
	dataDone := func() {}
	if a, ok := s.srv.Backend.(DataAnnouncer); ok {
		dataDone = a.DataStarted()
	}
	defer dataDone()
	m := newMsgBuf(s.srv.dataBudget(), s.srv.maxMessageSize())
	defer m.release()
	var head headerCheck
	bare, derr := s.readData(m, &head)
	if derr != nil {
		var re *Error
		if errors.As(derr, &re) {
			s.resetTransaction()
			return re
		}
		s.endOnReadError(derr) // a timeout gets its 421
		s.quit = true          // the connection broke mid-message: nothing was stored
		return nil
	}
	if head.bad != "" {
		b := quote(head.bad)
		s.diagnose(diagNoBlankLine, tracer.M("smtp.diag.no-blank-line", "line", b, "n", strconv.Itoa(head.at)), "smtp.diag.no-blank-line.hint")
	}
	received := time.Now()
	msg := &Message{
		ID: s.id, TraceID: s.traceID, From: s.from, LocalUsers: s.local, Remote: s.remote,
		Received: received, HoldUntil: s.holdUntil, EightBit: s.eightBit,
		AuthUser: s.authUser, ClientAddr: s.conn.RemoteAddr(), Helo: s.helo, FromRelay: s.fromRelay(),
		EnvID: s.envID, Ret: s.ret, NotifyNever: s.never, Rcpts: s.rcpts,
	}
	msg.Body = s.finishMessage(m, received)
	if int64(len(msg.Body)) > s.srv.maxMessageSize()+4096 {
		s.resetTransaction()
		return errorf(552, "5.3.4", "Message too big: the limit is %d octets", s.srv.maxMessageSize())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dataDone()
	if err := s.srv.Backend.Deliver(ctx, msg); err != nil {
		var re *Error
		s.resetTransaction()
		if errors.As(err, &re) {
			return re
		}
		s.srv.logger().Error("smtp: delivery failed", "server", s.srv.Name, "id", msg.ID, "err", err)
		return errInternal
	}
	where := []string{}
	if len(s.local) > 0 {
		where = append(where, "delivered to "+strings.Join(s.local, ", "))
	}
	if len(s.remote) > 0 {
		w := fmt.Sprintf("queued for relay to %d remote recipient(s)", len(s.remote))
		if !s.holdUntil.IsZero() {
			w += ", held until " + s.holdUntil.UTC().Format(time.RFC3339)
		}
		where = append(where, w)
	}
	if bare > 0 {
		where = append(where, fmt.Sprintf("note: %d bare LF or CR were stored as CRLF line ends; RFC 5321 section 2.3.8 wants CRLF", bare))
	}
	s.reply(250, "2.0.0", fmt.Sprintf("OK: %d octets queued as %s (%s)", len(msg.Body), msg.ID, strings.Join(where, "; ")))
	s.endTransaction("smtp.state.stored")
	s.afterData = msg.ID
	return nil
}

// readData reads the message after 354 up to its end, undoing dot-stuffing
// (RFC 5321 section 4.5.2), into m. The end is found however the bytes were
// split into TCP segments, since lines are read from a buffer, and only
// where the client's own line ending says a line ends (see the top of this
// file). It returns how many bare LF and lone CR it stored as CRLF. Limits
// are checked as it goes; on a limit the rest is read and discarded so the
// session stays in step, and an *Error says what went wrong; a bare LF or
// CR under StrictLineEndings ends the session at once. Each line's start
// goes to head, which looks for a body without the blank line before it.
func (s *session) readData(m *msgBuf, head *headerCheck) (bare int, err error) {
	var tooBig, tooLong, noRoom bool
	max := s.srv.maxMessageSize()
	var size int64
	lineStart := true // the next octet begins a line of the message
	for {
		if err := s.line.ArmRead(); err != nil {
			return 0, err
		}
		line, crlf, err := s.readRawLine(maxTextLine)
		long := errors.Is(err, errLong)
		if err != nil && !long {
			return 0, err
		}
		// A line ends here in the client's terms: at CRLF, or at a bare LF
		// for a client that ends its command lines with bare LF.
		ends := crlf || !s.crlf
		if long {
			tooLong, lineStart = true, ends
			if !crlf && s.srv.StrictLineEndings {
				return 0, errBareNewline
			}
			continue
		}
		content := line[:len(line)-1]
		if crlf {
			content = line[:len(line)-2]
		}
		if lineStart && ends && len(content) == 1 && content[0] == '.' {
			break
		}
		crs := bytes.Count(content, cr)
		if !crlf || crs > 0 {
			if s.srv.StrictLineEndings {
				return 0, errBareNewline
			}
			bare += crs
			if !crlf {
				bare++
			}
		}
		if lineStart && len(content) > 0 && content[0] == '.' {
			content = content[1:]
		}
		if lineStart {
			head.line(content)
		}
		lineStart = ends
		size += int64(len(content) + crs + 2)
		switch {
		case tooBig || noRoom:
		case size > max:
			tooBig = true
		case !m.appendLine(content, crs):
			// This message is lost: its memory goes back at once, for
			// the messages of other sessions to finish.
			noRoom = true
			m.free()
		}
	}
	switch {
	case tooBig:
		return 0, errorf(552, "5.3.4", "Message too big: the limit is %d octets; nothing was stored", max)
	case tooLong:
		return 0, errorf(500, "5.5.2", "Message refused: a line is longer than 1000 octets including CRLF (RFC 5321 section 4.5.3.1.6); nothing was stored")
	case noRoom:
		return 0, errNoRoom
	}
	return bare, nil
}

var cr = []byte{'\r'}

// readRawLine reads one line including its ending and says whether that
// was CRLF rather than a bare LF; longer lines are read to their end and
// reported as errLong (crlf still says how they ended).
func (s *session) readRawLine(limit int) (line []byte, crlf bool, err error) {
	line, crlf, tooLong, err := limits.ReadRawLine(s.r, limit)
	if err != nil {
		return nil, false, err
	}
	if tooLong {
		return nil, crlf, errLong
	}
	return line, crlf, nil
}

// msgBuf holds a message being received: room for the headers the server
// adds, then the message with CRLF line endings. Its memory is taken from
// the servers' shared budget as it grows and given back by release.
type msgBuf struct {
	b      []byte // b[:headRoom] is free; the message follows
	budget *limits.Budget
	held   int64 // taken from budget: cap(b)
	max    int   // the largest cap worth having: headRoom, the size limit, a line
}

// msgBufs keeps small buffers for the next message of any session instead
// of growing a new one per message; big ones go back to the runtime.
var msgBufs = sync.Pool{New: func() any { return new(msgBuf) }}

const maxPooledData = 1 << 20

func newMsgBuf(budget *limits.Budget, maxSize int64) *msgBuf {
	m := msgBufs.Get().(*msgBuf)
	m.budget, m.max = budget, headRoom+int(maxSize)+maxTextLine
	if cap(m.b) > 0 && !budget.Take(int64(cap(m.b))) {
		m.b = nil // the budget is spent: let this one go too
	}
	m.held = int64(cap(m.b))
	m.b = m.b[:0]
	return m
}

// appendLine adds one line and its CRLF, every CR in it (a lone one) made
// a CRLF, and reports false when the budget has no room for it.
func (m *msgBuf) appendLine(content []byte, crs int) bool {
	if !m.grow(len(content) + crs + 2) {
		return false
	}
	if crs == 0 {
		m.b = append(m.b, content...)
	} else {
		for _, c := range content {
			m.b = append(m.b, c)
			if c == '\r' {
				m.b = append(m.b, '\n')
			}
		}
	}
	m.b = append(m.b, '\r', '\n')
	return true
}

// grow makes room for n more octets, the first time for the headers too.
// It doubles the capacity (up to what the size limit can use), or takes
// what is left of the budget when that is less, but enough.
func (m *msgBuf) grow(n int) bool {
	if len(m.b) == 0 {
		n += headRoom
	}
	need := len(m.b) + n
	if need <= cap(m.b) {
		if len(m.b) == 0 {
			m.b = m.b[:headRoom]
		}
		return true
	}
	want := min(max(2*cap(m.b), need, headRoom+4096), max(m.max, need))
	got := m.budget.TakeUpTo(int64(need)-m.held, int64(want)-m.held)
	if got == 0 {
		return false
	}
	nb := make([]byte, max(len(m.b), headRoom), m.held+got)
	copy(nb, m.b)
	m.b, m.held = nb, m.held+got
	return true
}

// body is the message received so far.
func (m *msgBuf) body() []byte {
	if len(m.b) < headRoom {
		return nil
	}
	return m.b[headRoom:]
}

// free gives the memory back to the budget and drops the message.
func (m *msgBuf) free() {
	m.budget.Give(m.held)
	m.held, m.b = 0, nil
}

// release gives the memory back to the budget, and a small buffer to the
// pool. The message's bytes (Message.Body) are not to be used after it.
func (m *msgBuf) release() {
	m.budget.Give(m.held)
	m.held, m.budget = 0, nil
	if cap(m.b) > maxPooledData {
		m.b = nil
	}
	m.b = m.b[:0]
	msgBufs.Put(m)
}

// finishMessage prepends the Received: header (RFC 5321 section 4.4) and adds
// Date and Message-ID when the message has none (RFC 5322 section 3.6). It
// writes them into the room kept in front of the message, moving only the
// header section, so the message is not copied.
func (s *session) finishMessage(m *msgBuf, now time.Time) []byte {
	body := m.body()
	with := "SMTP"
	if s.esmtp {
		with = "ESMTP"
		if s.tls {
			with += "S"
		}
		if s.authUser != "" {
			with += "A"
		}
	}
	var h bytes.Buffer
	fmt.Fprintf(&h, "Received: from %s (%s [%s])\r\n\tby %s (mailscope %s) with %s id %s",
		sanitizeHeader(s.helo), reverseName(s.conn.RemoteAddr()), limits.HostOf(s.conn.RemoteAddr()), s.srv.hostname(), s.srv.Name, with, s.id)
	if n := len(s.local) + len(s.remote); n == 1 {
		rcpt := ""
		if len(s.remote) == 1 {
			rcpt = s.remote[0]
		} else {
			rcpt = s.local[0] + "@" + s.srv.Domain
		}
		fmt.Fprintf(&h, "\r\n\tfor <%s>", sanitizeHeader(rcpt))
	}
	fmt.Fprintf(&h, "; %s\r\n", now.Format(time.RFC1123Z))
	hasDate, hasMsgID, headerEnd := scanHeader(body)
	var add bytes.Buffer
	if !hasDate {
		fmt.Fprintf(&add, "Date: %s\r\n", now.Format(time.RFC1123Z))
	}
	if !hasMsgID {
		fmt.Fprintf(&add, "Message-ID: <%s@%s>\r\n", s.id, s.srv.hostname())
	}
	if headerEnd < 0 {
		// No header section at all: ours becomes it, then the blank line.
		if add.Len() > 0 {
			add.WriteString("\r\n")
		}
		headerEnd = 0
	}
	front := h.Len() + add.Len()
	if front > headRoom || len(m.b) < headRoom {
		// Cannot happen with the command line limits; copy if it does.
		out := make([]byte, 0, front+len(body))
		out = append(append(out, h.Bytes()...), body[:headerEnd]...)
		return append(append(out, add.Bytes()...), body[headerEnd:]...)
	}
	// [room][header section][rest] becomes [Received][header section][added][rest].
	start := headRoom - front
	copy(m.b[start+h.Len():], body[:headerEnd])
	copy(m.b[start+h.Len()+headerEnd:], add.Bytes())
	copy(m.b[start:], h.Bytes())
	return m.b[start:]
}

// scanHeader looks through the header section for Date and Message-ID and
// returns the offset where the header lines end (before the blank line), or
// -1 if the message does not start with a header line.
func scanHeader(b []byte) (hasDate, hasMsgID bool, end int) {
	off := 0
	first := true
	for off < len(b) {
		i := bytes.Index(b[off:], []byte("\r\n"))
		var line []byte
		next := len(b)
		if i >= 0 {
			line, next = b[off:off+i], off+i+2
		} else {
			line = b[off:]
		}
		if len(line) == 0 {
			return hasDate, hasMsgID, off
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return false, false, -1
			}
		} else {
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
				if first {
					return false, false, -1
				}
				return hasDate, hasMsgID, off
			}
			name := strings.ToLower(string(line[:colon]))
			hasDate = hasDate || name == "date"
			hasMsgID = hasMsgID || name == "message-id"
		}
		first = false
		off = next
	}
	return hasDate, hasMsgID, off
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
