// Package limits is what the SMTP, POP3 and IMAP servers share about keeping
// clients within bounds: counting connections in total and per client
// address, and the read deadlines of a session (a wait for the next line, a
// line under way, the whole session). Each server words its own replies.
package limits

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Counter counts open connections against a total and a per-address limit.
// The zero value admits everything; Limit sets the limits.
type Counter struct {
	Max      int // connections in total; 0: no limit
	PerIP    int // connections from one address; 0 or less: no limit
	Loopback int // connections from one loopback address; 0 or less: no limit

	mu    sync.Mutex
	open  int
	perIP map[string]int
}

// Refusal says which limit a connection is over.
type Refusal int

// The refusals.
const (
	Admitted      Refusal = iota
	TooMany               // the total
	TooManyFromIP         // the client's address
)

// Stress mode, after Postfix's: when a server is busy, a session may not
// sit idle for long, and when it is full the session that has waited
// longest for a command makes room for a new connection. One loopback
// client could otherwise hold every place for the whole IdleTimeout (ten
// minutes), while the relay from A to B, a load test's 1,000 idle sessions
// and a classroom's clients all come from loopback too, so a lower limit
// per loopback address is no answer.
// A busy server's idle timeout is Settings.BusyIdleTimeout.
const (
	// EvictAfter is the least wait for a command that makes a session the
	// one to close when the server is full: one that just got its reply is
	// left alone.
	EvictAfter = time.Second
)

// Busy reports whether the counter is at 80% of its total or more (stress
// mode: idle sessions get Settings.BusyIdleTimeout).
func (c *Counter) Busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Max > 0 && c.open*5 >= c.Max*4
}

// Admit counts a connection from addr. Over a limit it counts nothing and
// returns the refusal, the client's address and the limit it hit, for the
// reply; otherwise release uncounts the connection (once, however often it
// is called).
func (c *Counter) Admit(addr net.Addr) (release func(), why Refusal, ip string, limit int) {
	return c.admit(addr, nil)
}

// AdmitReplacing is Admit for a connection that takes the place of a
// session from gone being closed to make room for it: the total limit does
// not apply, nor the per-address one when gone is the same address (the
// counts are over until that session ends, a moment later).
func (c *Counter) AdmitReplacing(addr, gone net.Addr) (release func(), why Refusal, ip string, limit int) {
	return c.admit(addr, gone)
}

// RoomFrom reports whether addr is below its per-address limit.
func (c *Counter) RoomFrom(addr net.Addr) bool {
	ip := HostOf(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.PerIP
	if IsLoopback(addr) {
		limit = c.Loopback
	}
	return limit <= 0 || c.perIP[ip] < limit
}

func (c *Counter) admit(addr, gone net.Addr) (release func(), why Refusal, ip string, limit int) {
	ip, loopback := HostOf(addr), IsLoopback(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	limit = c.PerIP
	if loopback {
		limit = c.Loopback
	}
	leaving := 0
	if gone != nil && HostOf(gone) == ip {
		leaving = 1
	}
	switch {
	case gone == nil && c.Max > 0 && c.open >= c.Max:
		return nil, TooMany, ip, c.Max
	case limit > 0 && c.perIP[ip]-leaving >= limit:
		return nil, TooManyFromIP, ip, limit
	}
	if c.perIP == nil {
		c.perIP = make(map[string]int)
	}
	c.open++
	c.perIP[ip]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.open--
			if c.perIP[ip]--; c.perIP[ip] <= 0 {
				delete(c.perIP, ip)
			}
			c.mu.Unlock()
		})
	}, Admitted, ip, limit
}

// HostOf is the address part of a client's network address.
func HostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// IsLoopback reports whether a is a loopback address (IPv4-mapped too).
func IsLoopback(a net.Addr) bool {
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// Kind is the limit a read deadline stands for.
type Kind int

// The kinds of read deadline.
const (
	Idle    Kind = iota // waiting for the first octet of a line
	Line                // a line under way must end
	Session             // the session's end
)

// Clock is a session's read deadlines: Idle while waiting for a line, Line
// once it has begun, and never past End.
type Clock struct {
	End time.Time // when the session must end; zero: never
	Why Kind      // what the deadline last set stands for
}

// Deadline is d from now, or End if that comes first; it records which.
func (c *Clock) Deadline(d time.Duration, why Kind) time.Time {
	t := time.Now().Add(d)
	if !c.End.IsZero() && t.After(c.End) {
		t, why = c.End, Session
	}
	c.Why = why
	return t
}

// ArmRead sets conn's read deadline for the next line of a line-based
// protocol read through r: while nothing is buffered it waits up to idle for
// the first octet, then gives the line up to line to end. A line already
// buffered whole (pipelining) needs no read and no deadline. The error is
// the wait's.
func (c *Clock) ArmRead(conn interface{ SetReadDeadline(time.Time) error }, r *bufio.Reader, idle, line time.Duration) error {
	if LineBuffered(r) {
		return nil
	}
	if r.Buffered() == 0 {
		conn.SetReadDeadline(c.Deadline(idle, Idle))
		if _, err := r.Peek(1); err != nil {
			return err
		}
		if LineBuffered(r) {
			return nil
		}
	}
	conn.SetReadDeadline(c.Deadline(line, Line))
	return nil
}

// LineBuffered reports whether r holds a whole line (one ending in LF).
func LineBuffered(r *bufio.Reader) bool {
	n := r.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// ReadLine reads one line from r and returns it without its line ending
// (LF or CRLF). A line longer than limit octets (its ending included) is
// read to its end and dropped: tooLong is then true and line empty, so a client
// cannot grow the buffer by never sending LF.
func ReadLine(r *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	line, _, tooLong, err = ReadLineEnd(r, limit)
	return line, tooLong, err
}

// ReadLineEnd is ReadLine that also says whether the line ended in CRLF
// (rather than a bare LF), for too long lines as well: SMTP decides from
// the client's command lines where its message may end. The line is a copy,
// without its ending.
func ReadLineEnd(r *bufio.Reader, limit int) (line []byte, crlf, tooLong bool, err error) {
	raw, crlf, tooLong, err := ReadRawLine(r, limit)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF // a command cut off by the close is no command
	}
	if err != nil || tooLong {
		return nil, crlf, tooLong, err
	}
	line = bytes.TrimSuffix(raw, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return bytes.Clone(line), crlf, false, nil
}

// ReadRawLine reads one line including its ending and says whether that
// ending was CRLF rather than a bare LF. A line longer than limit is read to
// its end and dropped (tooLong, and crlf still says how it ended). The line
// may share r's buffer: it is valid until the next read from r (SMTP's DATA
// copies each line into the message, so the common one-chunk line costs no
// copy here). A line cut off by the end of input is io.ErrUnexpectedEOF.
func ReadRawLine(r *bufio.Reader, limit int) (line []byte, crlf, tooLong bool, err error) {
	var last byte // the octet before the current chunk
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > limit {
				tooLong, line = true, nil
			} else if line == nil && err == nil {
				line = chunk // one chunk: no copy
			} else {
				line = append(line, chunk...)
			}
		}
		if err == nil {
			crlf = len(chunk) >= 2 && chunk[len(chunk)-2] == '\r' || len(chunk) == 1 && last == '\r'
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			last = chunk[len(chunk)-1]
			continue
		}
		if errors.Is(err, io.EOF) && (len(line) > 0 || tooLong) {
			return nil, false, false, io.ErrUnexpectedEOF
		}
		return nil, false, false, err
	}
	if tooLong {
		return nil, crlf, true, nil
	}
	return line, crlf, false, nil
}
