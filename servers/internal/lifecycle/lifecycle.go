// Package lifecycle is the part of a line-based server's life that the SMTP
// and POP3 servers share: the accept loop (with back-off on temporary
// errors, as net/http does), the set of open sessions, Close (everything at
// once) and Shutdown (wake the sessions waiting for a command, let the others
// finish, until the context ends). What a session says when woken is the
// protocol's. The IMAP server, whose accept loop and sessions are
// imapserver's, uses the set of sessions only: Join, AwaitCommand, Squeeze
// and MakeRoom (stress mode).
package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
)

// Member is one open session as the group sees it.
type Member struct {
	Conn net.Conn // the accepted connection, never replaced: closed by Close, woken by Shutdown

	idle  atomic.Bool  // waiting for a command (AwaitCommand)
	since atomic.Int64 // when that wait began, in Unix nanoseconds
	cut   atomic.Int32 // a Cut: why the group ended the wait
}

// Cut says why the group ended a member's wait for a command early.
type Cut int32

// The cuts.
const (
	NotCut  Cut = iota
	CutBusy     // the server is busy: the wait was shortened (Squeeze)
	CutFull     // the server is full: the session made room for a new one (Evict)
)

// Cut reports why the group ended the member's last wait for a command,
// NotCut if it did not.
func (m *Member) Cut() Cut { return Cut(m.cut.Load()) }

// Group is a server's listeners and sessions. The zero value is ready.
type Group struct {
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	members   map[*Member]struct{}
	wg        sync.WaitGroup
	closing   atomic.Bool
	done      chan struct{} // closed when closing begins; made on first use
}

// Closing reports whether Close or Shutdown has begun.
func (g *Group) Closing() bool { return g.closing.Load() }

// Done is closed when Close or Shutdown begins, so that a session waiting
// for something other than its client (a failed login's delay) can stop.
func (g *Group) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done == nil {
		g.done = make(chan struct{})
	}
	return g.done
}

// beginClosing marks the group closing and closes Done.
func (g *Group) beginClosing() {
	g.closing.Store(true)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done == nil {
		g.done = make(chan struct{})
	}
	select {
	case <-g.done:
	default:
		close(g.done)
	}
}

// Serve accepts connections on l and runs handle for each in its own
// goroutine until Close or Shutdown, then returns closed. Temporary accept
// errors (out of file descriptors) are logged and retried after a pause.
func (g *Group) Serve(l net.Listener, handle func(net.Conn), closed error, log *slog.Logger, what string) error {
	// Checked under the lock that Close holds while it closes listeners, so
	// a listener is either closed by Close or never served.
	g.mu.Lock()
	if g.closing.Load() {
		g.mu.Unlock()
		l.Close()
		return closed
	}
	if g.listeners == nil {
		g.listeners = make(map[net.Listener]struct{})
	}
	g.listeners[l] = struct{}{}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.listeners, l)
		g.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if g.closing.Load() {
				return closed
			}
			if temporary(err) {
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				log.Warn(what+": accept error; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			handle(c)
		}()
	}
}

func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// Join adds a session to the group; it reports false, adding nothing, when
// the server is closing. leave takes it out again.
func (g *Group) Join(m *Member) (leave func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing.Load() {
		return nil, false
	}
	if g.members == nil {
		g.members = make(map[*Member]struct{})
	}
	g.members[m] = struct{}{}
	return func() {
		g.mu.Lock()
		delete(g.members, m)
		g.mu.Unlock()
	}, true
}

// ErrClosing is what AwaitCommand returns when the server is closing.
var ErrClosing = errors.New("server closing")

// AwaitCommand runs read, a member's wait for its next command, marked idle
// so that Shutdown can wake it and Squeeze and Evict can find it. It returns
// ErrClosing, without reading, when the server is already closing, and in
// place of read's error when the server began closing during the wait
// (Shutdown's wake-up, or Close). After a timeout, m.Cut tells whether the
// group cut the wait short.
func (g *Group) AwaitCommand(m *Member, read func() error) error {
	if g.Closing() {
		return ErrClosing
	}
	m.cut.Store(int32(NotCut))
	m.since.Store(time.Now().UnixNano())
	m.idle.Store(true)
	err := read()
	m.idle.Store(false)
	if err == nil {
		// The command came before the cut took effect: the session goes on,
		// and a later timeout is its own.
		m.cut.Store(int32(NotCut))
	}
	if err != nil && g.Closing() {
		return ErrClosing
	}
	return err
}

// Squeeze shortens the waits for a command that began before the server
// became busy to d from their start (ending at once those older than d):
// a client that opened its sessions while the server was quiet cannot keep
// them for the whole idle timeout once it is busy. The sessions find
// CutBusy in their Member.
func (g *Group) Squeeze(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for m := range g.members {
		if !m.idle.Load() || m.Cut() != NotCut {
			continue
		}
		m.cut.Store(int32(CutBusy))
		m.Conn.SetReadDeadline(time.Unix(0, m.since.Load()).Add(d))
	}
}

// Evict ends the wait of the session that has waited longest for a command,
// at least min, among those eligible (nil: all), so that it closes and
// makes room for a new connection; it returns that session's client
// address, nil if there was none. The session finds CutFull in its Member
// and says why it closes.
func (g *Group) Evict(min time.Duration, eligible func(client net.Addr) bool) net.Addr {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var oldest *Member
	for m := range g.members {
		if m.idle.Load() && m.Cut() != CutFull && now.Sub(time.Unix(0, m.since.Load())) >= min &&
			(oldest == nil || m.since.Load() < oldest.since.Load()) &&
			(eligible == nil || eligible(m.Conn.RemoteAddr())) {
			oldest = m
		}
	}
	if oldest == nil {
		return nil
	}
	oldest.cut.Store(int32(CutFull))
	oldest.Conn.SetReadDeadline(now)
	return oldest.Conn.RemoteAddr()
}

// MakeRoom is what a server does with a connection over its total limit:
// it closes the session of the longest wait for a command (at least
// limits.EvictAfter) to admit the new one, from the same address when that
// address is at its own limit, and counts the new connection in its place.
// It returns Admit's results, the refusal unchanged when nobody could go.
func (g *Group) MakeRoom(c *limits.Counter, addr net.Addr) (release func(), why limits.Refusal, ip string, limit int) {
	var eligible func(net.Addr) bool
	if !c.RoomFrom(addr) {
		host := limits.HostOf(addr)
		eligible = func(a net.Addr) bool { return limits.HostOf(a) == host }
	}
	if gone := g.Evict(limits.EvictAfter, eligible); gone != nil {
		return c.AdmitReplacing(addr, gone)
	}
	return c.Admit(addr)
}

// Close closes the listeners and every session's connection at once, and
// waits for the sessions to end.
func (g *Group) Close() {
	g.beginClosing()
	g.mu.Lock()
	for l := range g.listeners {
		l.Close()
	}
	for m := range g.members {
		m.Conn.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// Shutdown stops accepting and, every 20 ms, wakes the sessions waiting for
// a command (their read returns at once, and they see Closing); sessions in
// the middle of something finish it. When ctx ends first, it closes what is
// left and returns ctx's error.
func (g *Group) Shutdown(ctx context.Context) error {
	g.beginClosing()
	g.mu.Lock()
	for l := range g.listeners {
		l.Close()
	}
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		g.mu.Lock()
		for m := range g.members {
			if m.idle.Load() {
				m.Conn.SetReadDeadline(time.Now())
			}
		}
		g.mu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			g.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}
