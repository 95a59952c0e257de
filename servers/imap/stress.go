package imap

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/servers/internal/lifecycle"
	"github.com/mailscope/mailscope/tracer"
)

// Stress mode, as the SMTP and POP3 servers have it (limits.Counter.Busy,
// lifecycle.Group): one loopback client must not hold every place of the
// server by opening sessions and saying nothing. imapserver reads the
// socket itself, so the waits for a command are found here, under it, in
// patientConn.Read: a read at the start of a line when no command is under
// way (imapserver has answered the last one with its tagged response, or
// none was sent yet).
//
// An IDLE waiting for DONE counts as a wait for a command: the client has
// nothing under way, and a real client keeps an IDLE open for as long as it
// runs, so with IDLE left out one client logged in (the classroom's
// passwords are no secret) could again hold every place. RFC 9051 section
// 6.3.13 (and RFC 2177) let a server log off an IDLE client at the end of
// its inactivity timeout; a busy server's timeout is BusyIdleTimeout, and
// when full the session that has waited longest, IDLE or not, makes room.
// Either way the client hears why in * BYE [UNAVAILABLE] (RFC 9051 section
// 7.1.5), and can connect again.

// waiting reports whether the next line is awaited between commands, or
// is the DONE of an IDLE.
func (f *frame) waiting() bool {
	if f.inLine || f.literal > 0 || f.announced != nil {
		return false
	}
	if !f.judge {
		// No line handed over since the last judgement (or none at all):
		// the next one is a command unless it answers a continuation.
		return !f.continued
	}
	switch f.resp.Load() {
	case respTagged:
		return true
	case respCont:
		return f.name == "IDLE"
	}
	return false
}

// awaitCommand reads while the session waits for a command: under the
// deadline armWait sets, as a member of the server's group, so that a busy
// server can shorten the wait (Squeeze) and a full one end it (MakeRoom).
func (c *patientConn) awaitCommand(p []byte) (n int, err error) {
	if c.srv == nil || c.readErr != nil {
		return c.readConn(p)
	}
	c.armWait()
	werr := c.srv.life.AwaitCommand(&c.member, func() error {
		n, err = c.readConn(p)
		return err
	})
	if err == nil && werr != nil {
		err = werr // the group is closing; it never is today (Server does not close it)
	}
	if err == nil {
		c.busyWait.Store(false) // a later timeout within the command is no busy wait
	}
	if err != nil && c.timedOut.Load() && c.sayBye != nil && !c.byeSaid {
		// Said here, before imapserver sees the error: in IDLE it would
		// answer the IDLE with NO [SERVERBUG] first.
		c.byeSaid = true
		c.sayBye()
		// Closed, as imapserver is told, so it does not log the timeout
		// as a failed read.
		c.readErr, err = net.ErrClosed, net.ErrClosed
	}
	return n, err
}

// armWait sets the deadline of a wait for a command, once: IdleTimeout
// before login (imapserver's own 30 seconds are not kept: the operator's
// IdleTimeout is the autologout, and a student needs more); after login
// imapserver's deadline if that is longer (its 35 minutes, in IDLE too: RFC
// 9051 section 5.4 wants at least 30 minutes after authentication); on a
// busy server BusyIdleTimeout when that is shorter, as Postfix's stress
// mode trades the usual timers for places.
func (c *patientConn) armWait() {
	wait := c.min
	if c.authed.Load() && !c.idleAt.IsZero() {
		wait = max(wait, time.Until(c.idleAt))
	}
	busy := wait > c.srv.BusyIdleTimeout && c.srv.conns.Busy()
	if busy {
		wait = c.srv.BusyIdleTimeout
	}
	c.busyWait.Store(busy)
	c.idleAt = time.Now().Add(wait)
	c.armRead()
}

// autologout is the text of the BYE that ends a session whose wait timed
// out (session.Close): the server's autologout, or, when a busy or full
// server cut the wait, why; the trace then gets a note with the catalog's
// explanation.
func (s *session) autologout() string {
	pc, srv := s.pc, s.srv
	switch {
	case pc.member.Cut() == lifecycle.CutFull:
		s.noteStress("conn.full", tracer.M("note.conn.full", "server", srv.Name, "max", strconv.Itoa(srv.MaxConns), "proto", "IMAP"))
		return fmt.Sprintf("[UNAVAILABLE] mailscope server %s is full (%d connections, the limit): this session waited longest for a command and is closed to make room; connect again later", srv.Name, srv.MaxConns)
	case pc.member.Cut() == lifecycle.CutBusy || pc.busyWait.Load():
		s.noteStress("conn.busy", tracer.M("note.conn.busy", "server", srv.Name, "max", strconv.Itoa(srv.MaxConns), "proto", "IMAP", "wait", srv.BusyIdleTimeout.String(), "wait_zh", tracer.DurationZH(srv.BusyIdleTimeout)))
		return fmt.Sprintf("[UNAVAILABLE] autologout: idle for %s while the server is busy (80%% or more of its %d connections in use): closing the connection; connect again later", srv.BusyIdleTimeout, srv.MaxConns)
	}
	return "autologout: nothing was sent for too long"
}

// noteStress tells the trace why a busy or full server ends the session:
// msg, explained by the catalog's key.
func (s *session) noteStress(key string, msg *tracer.Msg) {
	s.trace.Emit(&tracer.Event{Kind: tracer.KindNote, Msg: msg, Explain: &tracer.Explanation{Key: key}, Attrs: map[string]string{"step": key}})
}
