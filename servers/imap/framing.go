package imap

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/tracer"
)

// The client's octets reach imapserver through patientConn.Read, which cuts
// them the way imapserver's parser does (RFC 9051 section 4.3, RFC 7888):
// command lines, and after a line that ends in a literal announcement {N}
// or {N+}, N octets of literal data that are never looked at as commands.
// One line (or one piece of a long line, or of a literal) is handed over
// per Read, so imapserver's buffered reader never holds more than what it
// is parsing, and every Read comes after imapserver has answered all that
// it was handed before.
//
// A literal too big for imapserver is refused here, before imapserver sees
// its announcement (tooBig): imapserver, refusing a literal it would keep
// in memory, goes on to read the literal's octets as the rest of the
// command, and waits forever for a synchronizing literal the client
// rightly holds back. A synchronizing literal is refused with NO, and the
// client sends nothing; a non-synchronizing one, which may have at most
// 4096 octets (LITERAL-, RFC 7888 section 5), with BAD and * BYE.
//
// Whether imapserver took any other literal is read from what it wrote in
// between: a continuation request (+) accepts a synchronizing literal,
// silence accepts a non-synchronizing one, and a tagged response refuses
// either (an APPEND over APPENDLIMIT, a command refused before its literal
// was read). After a refused synchronizing literal the client sends no
// data (RFC 9051 section 4.3), so the next line is a command. After a
// refused non-synchronizing literal the octets are on their way already
// and nothing says where they end but the count: the connection is closed
// with * BYE, so that none of them ever runs as a command (a header line
// "X-Note: CREATE X" inside a refused APPEND once created the folder X).

// maxLine bounds the bytes held while looking for the end of a line; a
// longer line is handed over in pieces (imapserver's own limit on a command
// is 50 KiB).
const maxLine = 8192

// Kinds of the last response imapserver wrote since a line was handed over.
const (
	respNone   int32 = iota
	respCont         // a continuation request: "+ ..."
	respTagged       // a tagged status response: the command is over
)

// announcement is a literal announced at the end of a line handed over,
// whose fate imapserver has not yet shown.
type announcement struct {
	size    int64
	nonSync bool
}

// litScanner recognizes a literal announcement at the end of a line, fed
// one octet at a time, exactly as imapserver's decoder reads one:
// "{" 1*DIGIT ["+"] "}" [SP] [CR] LF. {N-} is not a literal there (LITERAL-
// writes {N+} too, RFC 7888 section 5). A count too long for an int64 is
// taken as huge rather than as no literal, so that the scanner never sees
// less of a literal than the parser.
type litScanner struct {
	st      int8 // 0 outside, 1 after "{", 2 in the digits, 3 after "+", 4 after "}", 5 after SP, 6 after CR
	size    int64
	nonSync bool
}

// hugeLiteral stands for a count that does not fit an int64.
const hugeLiteral = 1 << 62

// feed takes the next octet and reports whether it ended an announcement.
func (s *litScanner) feed(b byte) (size int64, nonSync, ok bool) {
	switch {
	case b == '{':
		s.st, s.size, s.nonSync = 1, 0, false
		return 0, false, false
	case (s.st == 1 || s.st == 2) && b >= '0' && b <= '9':
		s.st = 2
		if s.size > (hugeLiteral-9)/10 {
			s.size = hugeLiteral
		} else {
			s.size = s.size*10 + int64(b-'0')
		}
		return 0, false, false
	case s.st == 2 && b == '+':
		s.st, s.nonSync = 3, true
		return 0, false, false
	case (s.st == 2 || s.st == 3) && b == '}':
		s.st = 4
		return 0, false, false
	case s.st == 4 && b == ' ':
		s.st = 5
		return 0, false, false
	case (s.st == 4 || s.st == 5) && b == '\r':
		s.st = 6
		return 0, false, false
	case s.st >= 4 && b == '\n':
		s.st = 0
		return s.size, s.nonSync, true
	}
	s.st = 0
	return 0, false, false
}

// reset forgets a partial announcement (literal data came in between).
func (s *litScanner) reset() { s.st = 0 }

// trailingLiteral reads a literal announcement at the end of a whole line.
func trailingLiteral(line []byte) (size int64, nonSync, ok bool) {
	var s litScanner
	for i, b := range line {
		if size, nonSync, ok = s.feed(b); ok {
			return size, nonSync, i == len(line)-1
		}
	}
	return 0, false, false
}

// frame is patientConn's reading state; it is used by imapserver's reading
// goroutine only, except resp, which Write sets.
type frame struct {
	buf       []byte        // pending's backing array (room)
	pending   []byte        // read from the client, not yet handed over
	rerr      error         // the read error to report once pending is used up
	scan      litScanner    // over the line being handed over
	inLine    bool          // a line has been handed over in part
	literal   int64         // octets of an accepted literal still to hand over
	announced *announcement // the last line handed over ended in a literal
	judge     bool          // the last line handed over ended a command line or an answer
	continued bool          // the next line is not a command (a SASL answer, or unknown)
	tag       string        // of the command under way ("*" before the first)
	name      string        // the command's name, upper case
	words     int           // the fields of the command's first line
	literals  int           // literals announced in the command so far
	resp      atomic.Int32  // respNone, respCont or respTagged
	wmid      bool          // Write: the last write ended inside a line
	untagged  int           // lines without a tag in a row (diagnose.go)
}

// Read hands imapserver one line, one piece of a long line or of a
// literal, and looks for STARTTLS before TLS is up and nobody has logged
// in (starttls.go).
func (c *patientConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	f := &c.fr
	if a := f.announced; a != nil {
		f.announced = nil
		switch f.resp.Swap(respNone) {
		case respTagged:
			if a.nonSync {
				return 0, c.refusedLiteral(a)
			}
			// Refused with NO or BAD instead of "+": the client sends no
			// literal, and its next line is a command.
			f.continued = false
		default:
			// "+" for a synchronizing literal, nothing for a
			// non-synchronizing one. An unexpected silence after {N} also
			// counts as taken: then the octets are data to the scanner too,
			// which is the side that cannot start TLS in the middle.
			f.literal = a.size
		}
	}
	if f.literal > 0 {
		return c.readLiteral(p)
	}
	return c.readLine(p)
}

// readLiteral hands over literal data; the octets after it go on with the
// same command line.
func (c *patientConn) readLiteral(p []byte) (int, error) {
	f := &c.fr
	if int64(len(p)) > f.literal {
		p = p[:f.literal]
	}
	var n int
	var err error
	if len(f.pending) > 0 {
		n = copy(p, f.pending)
		f.pending = f.pending[n:]
	} else if f.rerr != nil {
		err, f.rerr = f.rerr, nil
	} else {
		n, err = c.readConn(p)
	}
	f.literal -= int64(n)
	if f.literal == 0 {
		f.inLine = true
		f.scan.reset()
	}
	return n, err
}

// readLine hands over the next line, or a piece of it.
func (c *patientConn) readLine(p []byte) (int, error) {
	f := &c.fr
	for {
		if !f.inLine && !f.awaitsAnswer() && f.announced == nil && isIDCommand(f.pending) && (bytes.IndexByte(f.pending, '\n') >= 0 || len(f.pending) >= maxLine) {
			// ID is answered here (id.go), however long its line.
			f.untagged = 0
			if err := c.answerID(); err != nil {
				return 0, err
			}
			continue
		}
		if i := bytes.IndexByte(f.pending, '\n'); i >= 0 {
			line := f.pending[:i+1]
			whole := false // the line is a whole command, nothing of it handed over yet
			if !f.inLine {
				if f.judge {
					f.judge = false
					f.continued = f.resp.Swap(respNone) != respTagged
				}
				if !f.continued {
					if cmd := untaggedCommand(line); cmd != "" {
						f.pending = f.pending[i+1:]
						if err := c.refuseUntagged(cmd, line); err != nil {
							return 0, err
						}
						continue
					}
					f.untagged = 0
				} else if f.name == "IDLE" {
					c.watchIdle(line)
				}
				if whole = !f.continued; whole {
					f.command(line)
					c.capsCmd.Store(f.name == "CAPABILITY" || f.name == "LOGIN" || f.name == "AUTHENTICATE")
					if f.name == "ENABLE" {
						hideUnoffered(line)
					}
					if c.authed.Load() {
						if cmd, name, why, bad := badFolderName(line); bad {
							f.pending = f.pending[i+1:]
							if err := c.refuseFolderName(cmd, name, why); err != nil {
								return 0, err
							}
							continue
						}
					}
					if tag, ok := startTLSCommand(line); ok && c.watching() {
						f.pending = f.pending[i+1:]
						if err := c.startTLS(tag); err != nil {
							return 0, err
						}
						continue
					}
				}
			}
			if size, nonSync, ok := c.peekLiteral(line); ok && c.tooBig(size, nonSync, whole) {
				if nonSync || !whole {
					return 0, c.closeTooBig(size, nonSync)
				}
				f.pending = f.pending[i+1:]
				f.continued = false
				if err := c.refuseTooBig(size); err != nil {
					return 0, err
				}
				continue
			}
			return c.hand(p, i+1), nil
		}
		if len(f.pending) >= maxLine || (f.rerr != nil && len(f.pending) > 0) {
			return c.hand(p, len(f.pending)), nil
		}
		if f.rerr != nil {
			err := f.rerr
			f.rerr = nil
			return 0, err
		}
		var n int
		var err error
		if len(f.pending) == 0 && f.waiting() {
			n, err = c.awaitCommand(f.room()) // stress.go
		} else {
			n, err = c.readConn(f.room())
		}
		f.pending = f.pending[:len(f.pending)+n]
		f.rerr = err
	}
}

// awaitsAnswer reports whether the next line answers a continuation
// request (a SASL answer, DONE of IDLE) rather than begins a command, as
// readLine works it out once the line is whole.
func (f *frame) awaitsAnswer() bool {
	if f.judge {
		return f.resp.Load() != respTagged
	}
	return f.continued
}

// room returns the free space after pending to read into, in one buffer
// kept for the connection's life: it holds at most a line (maxLine) and
// one read more.
func (f *frame) room() []byte {
	if len(f.pending) == 0 {
		f.pending = f.buf[:0]
	}
	if cap(f.pending)-len(f.pending) < 1024 {
		f.buf = make([]byte, len(f.pending), len(f.pending)+4096)
		copy(f.buf, f.pending)
		f.pending = f.buf
	}
	return f.pending[len(f.pending):cap(f.pending)]
}

// command notes the tag and the name of a command whose line begins.
func (f *frame) command(line []byte) {
	f.tag, f.name, f.literals = "*", "", 0
	fs := bytes.Fields(line)
	if len(fs) > 0 {
		f.tag = string(fs[0])
	}
	if len(fs) > 1 {
		f.name = string(bytes.ToUpper(fs[1]))
	}
	f.words = len(fs)
}

// hideUnoffered keeps an ENABLE from switching on IMAP4rev2, which this
// server does not list in CAPABILITY (caps): imapserver enables IMAP4rev2
// for any ENABLE that names it. RFC 5161 section 3.1 has a server ignore
// what it does not support and list in * ENABLED only what it turned on,
// and RFC 9051 section 6.3.1 lets a client enable only what CAPABILITY
// offers. The word is overwritten in place by an atom of the same length
// that names no extension, so imapserver ignores it and enables the rest.
func hideUnoffered(line []byte) {
	if caps.Has(imap.CapIMAP4rev2) {
		return
	}
	const rev2, none = "IMAP4rev2", "X-NOTREV2"
	words := 0
	for i := 0; i < len(line); {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\r' && line[j] != '\n' {
			j++
		}
		words++
		if words > 2 && bytes.EqualFold(line[i:j], []byte(rev2)) {
			copy(line[i:j], none)
		}
		if j == i {
			break
		}
		i = j
	}
}

// peekLiteral reads a literal announcement at the end of the rest of a
// line, without disturbing the scanner.
func (c *patientConn) peekLiteral(rest []byte) (int64, bool, bool) {
	s := c.fr.scan
	for i, b := range rest {
		if size, nonSync, ok := s.feed(b); ok && i == len(rest)-1 {
			return size, nonSync, true
		}
	}
	return 0, false, false
}

// tooBig says whether a literal is refused here, before imapserver sees
// its announcement. imapserver takes literals of at most 4096 octets,
// except the message of an APPEND after login (up to APPENDLIMIT, which
// imapserver checks). Only a synchronizing literal may be larger (RFC 7888
// section 5, LITERAL-). imapserver cannot be left to refuse the others: it
// would go on to read the literal's octets as the rest of the command (a
// synchronizing one never comes, and the session hangs). Before login a
// literal of more than 4096 octets is refused whatever the command (a
// password needs no more; imapserver would take an APPEND literal only to
// throw it away).
func (c *patientConn) tooBig(size int64, nonSync, whole bool) bool {
	if size <= maxLiteral {
		return false
	}
	if nonSync || !c.authed.Load() {
		return true
	}
	f := &c.fr
	appendMessage := f.name == "APPEND" && (f.literals > 0 || whole && f.words >= 4)
	return !appendMessage
}

// refuseTooBig answers a command whose synchronizing literal is too big:
// the client sends no literal after NO (RFC 9051 section 4.3).
func (c *patientConn) refuseTooBig(size int64) error {
	c.note(tracer.M("imap.note.literal.refused", "size", strconv.FormatInt(size, 10), "max", strconv.Itoa(maxLiteral)))
	where := "for this command (APPEND takes a message up to APPENDLIMIT)"
	if !c.authed.Load() {
		where = "before login"
	}
	return c.reply("%s NO [TOOBIG] a literal of %d octets is refused %s (at most %d)\r\n", c.fr.replyTag(), size, where, maxLiteral)
}

// reply writes a response of this layer's own, under imapserver, within
// WriteTimeout (30 seconds when none is set): a client that reads nothing
// cannot hold the session here either. Its string arguments (a tag, an
// example made of the client's line) are escaped to printable ASCII
// (RFC 3501 section 9), so none can end the line.
func (c *patientConn) reply(format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = ascii.Escape(s)
		}
	}
	d := c.write
	if d <= 0 {
		d = 30 * time.Second
	}
	c.Conn.SetWriteDeadline(time.Now().Add(d))
	_, err := fmt.Fprintf(c.Conn, format, args...)
	return err
}

// closeTooBig refuses a literal that is too big when its octets are on
// their way (a non-synchronizing one), or when imapserver is in the middle
// of the command, and closes the connection.
func (c *patientConn) closeTooBig(size int64, nonSync bool) error {
	c.note(tracer.M("imap.note.literal.closed", "size", strconv.FormatInt(size, 10), "max", strconv.Itoa(maxLiteral)))
	if nonSync {
		return c.closeLingering(
			fmt.Sprintf("%s BAD [TOOBIG] a non-synchronizing literal {%d+} may have at most %d octets (LITERAL-, RFC 7888 section 5); a larger one is sent as {%d}, after the server's +\r\n", c.fr.replyTag(), size, maxLiteral, size),
			refusedBye(size))
	}
	return c.closeLingering(
		fmt.Sprintf("%s BAD [TOOBIG] a literal of %d octets in the middle of this command (at most %d)\r\n", c.fr.replyTag(), size, maxLiteral),
		"* BYE closing the connection after a refused literal\r\n")
}

// note tells the trace why the layer refuses a literal, or closes
// the connection.
func (c *patientConn) note(why *tracer.Msg) {
	if tc, ok := c.Conn.(*tracer.Conn); ok {
		tc.Session().Note(tracer.KindNote, why, nil)
	}
}

// Closing a socket that has unread octets resets the connection, and a
// reset can destroy the last response before the client reads it; so
// after a refused literal the server reads and drops what still comes, for
// at most lingerTime, until the client pauses for lingerIdle, or
// lingerMax octets.
const (
	lingerTime = 2 * time.Second
	lingerIdle = 250 * time.Millisecond
	lingerMax  = 1 << 20
)

// closeLingering writes the last lines and closes the connection after
// reading what the client is still sending (see lingerTime). The error
// tells imapserver that the connection is closed.
func (c *patientConn) closeLingering(lines ...string) error {
	c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	for _, l := range lines {
		if _, err := io.WriteString(c.Conn, l); err != nil {
			break
		}
	}
	end := time.Now().Add(lingerTime)
	buf := make([]byte, 4096)
	for total := 0; total < lingerMax; {
		t := time.Now().Add(lingerIdle)
		if t.After(end) {
			t = end
		}
		c.Conn.SetReadDeadline(t)
		n, err := c.Conn.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	c.Conn.Close()
	c.fr.pending, c.fr.rerr = nil, nil
	return net.ErrClosed
}

// hand copies up to k octets of pending (the rest of a line, or a piece of
// it) into p and notes what was handed over.
func (c *patientConn) hand(p []byte, k int) int {
	f := &c.fr
	n := copy(p, f.pending[:k])
	for _, b := range f.pending[:n] {
		if size, nonSync, ok := f.scan.feed(b); ok {
			f.announced = &announcement{size: size, nonSync: nonSync}
		}
	}
	if f.announced != nil {
		f.literals++
	}
	if f.pending[n-1] == '\n' {
		// A line ended: what imapserver writes next tells what follows.
		f.inLine = false
		f.resp.Swap(respNone)
		if f.announced == nil {
			f.judge = true
		}
	} else {
		f.inLine = true
	}
	f.pending = f.pending[n:]
	return n
}

// refusedLiteral closes the connection after imapserver refused a
// non-synchronizing literal (RFC 7888): its octets follow whatever the
// server says, and must not be read as commands.
func (c *patientConn) refusedLiteral(a *announcement) error {
	c.note(tracer.M("imap.note.nonsync.refused", "size", strconv.FormatInt(a.size, 10)))
	return c.closeLingering(refusedBye(a.size))
}

// refusedBye is the last word after a refused non-synchronizing literal.
func refusedBye(size int64) string {
	return fmt.Sprintf("* BYE the %d octets of a refused non-synchronizing literal are already on their way and must not run as commands: closing the connection (RFC 7888)\r\n", size)
}

// noteWrite follows the responses imapserver writes: the first octet of
// each line tells a continuation request (+) and a tagged response from
// untagged data (*). Lines inside a literal of a FETCH response can look
// like either, but a FETCH ends with its tagged response, which is the
// last one noted.
func (c *patientConn) noteWrite(p []byte) (tagged bool) {
	f := &c.fr
	start := !f.wmid
	for _, b := range p {
		if start {
			switch b {
			case '*':
			case '+':
				f.resp.Store(respCont)
			default:
				f.resp.Store(respTagged)
				tagged = true
			}
		}
		start = b == '\n'
	}
	if len(p) > 0 {
		f.wmid = p[len(p)-1] != '\n'
	}
	return tagged
}

// replyTag is the tag to answer the command under way with.
func (f *frame) replyTag() string {
	if f.tag == "" {
		return "*"
	}
	return f.tag
}
