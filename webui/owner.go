package webui

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Who a session belongs to (issue 17, classroom mode), worked out on the
// server from the trace alone, so that it does not matter how the world's
// accounts were made. A session has at most one owner, a user name of the
// world, decided by the first of these rules that gives one:
//
//  1. a login in the session: SMTP AUTH (RFC 4954), POP3 USER/PASS or APOP
//     (RFC 1939 section 7), IMAP LOGIN or AUTHENTICATE (RFC 9051 section
//     6.2). The password proves it, so it beats every other rule and is
//     final. The webmail's own HTTP requests belong to the mailbox's user
//     (only they, or the instructor, may read it);
//  2. the message it carries: a relay hop or a local delivery belongs to
//     the owner of the session in which the message was submitted (the
//     message's trace id links the hops);
//  3. a claim in HELO/EHLO (RFC 5321 section 4.1.1.1) naming a user of the
//     world ("HELO s07"): the last claim of the session counts. Behind NAT,
//     where many students share one address, this is how a session that
//     logs in nowhere finds its student;
//  4. the client's address, when exactly one student signed in to the web
//     page from it. An address that several signed-in students share (NAT)
//     gives no owner by itself.
//
// A session claimed by two (a HELO naming one student, a login as another;
// a HELO claim from an address another student signed in from) thus goes
// to the rule that comes first; it is never shown to two students. A
// session no rule gives to anyone is the instructor's only. The rules are
// worked out when a viewer asks, not once: a student who signs in after
// telnetting finds their earlier sessions in their view.
//
// The cost of deciding one event for one viewer is a few map lookups
// under a read lock: it does not grow with the number of students or
// sessions (BenchmarkOwnerVisible).
type owners struct {
	world *world.World
	bus   *tracer.Bus

	mu       sync.RWMutex
	sessions map[string]*sessFacts
	msgs     map[string]string    // message trace id -> the session it was submitted in
	addrs    map[string][]string  // client IP -> users signed in from it
	lessons  map[string]lessonPos // user (lower case) -> their newest lesson event (progress.go)
	order    []string             // sessions in order of first event, to forget the oldest
	// done is the sequence number of the newest event taken in.
	done atomic.Uint64
	cond *sync.Cond // signalled when done moves (with mu's write side)

	sub      *tracer.Subscription
	closed   bool // stop was called: follow's goroutine ends
	stopOnce sync.Once
	stopped  chan struct{}
}

// sessFacts is what the trace said about one session that ownership
// depends on.
type sessFacts struct {
	ip    string // the client's address, "" for relay hops and the webmail
	relay bool   // a hop between servers: owned through its messages only
	web   bool   // the webmail's HTTP requests (the page's reads of a mailbox)
	login string // rule 1
	msgID string // rule 2: the first message it carries (relay hops)
	claim string // rule 3
	// addr is rule 4 kept: the student who alone had signed in from ip
	// when a second one signed in from there too (a NAT), so that their
	// sessions of before stay theirs.
	addr  string
	first uint64 // the session's first event
	// What the class dashboard (progress.go) counts, taken in with the rest.
	stats sessStats
}

// maxOwnerSessions bounds the sessions remembered: about the bus's
// history (100,000 events) in sessions of several events each.
const maxOwnerSessions = 50000

func newOwners(w *world.World) *owners {
	o := &owners{world: w, sessions: map[string]*sessFacts{}, msgs: map[string]string{}, addrs: map[string][]string{},
		lessons: map[string]lessonPos{}, stopped: make(chan struct{})}
	o.cond = sync.NewCond(&o.mu)
	return o
}

// follow takes in bus's kept history, then every event published, in a
// goroutine of its own until stop.
func (o *owners) follow(bus *tracer.Bus) {
	o.bus = bus
	sub, hist := bus.SubscribeFrom(0, 1<<14)
	o.mu.Lock()
	o.sub = sub
	for _, e := range hist {
		o.takeLocked(e)
	}
	o.cond.Broadcast()
	o.mu.Unlock()
	go func() {
		defer close(o.stopped)
		for {
			e, ok := <-sub.C()
			if !ok {
				return
			}
			o.mu.Lock()
			if o.closed {
				o.mu.Unlock()
				sub.Close()
				return
			}
			if e.Kind == tracer.KindSkipped {
				// This index fell behind a burst: take the lost events
				// from the history (those the history lost too are lost).
				next, more := bus.SubscribeFrom(o.done.Load(), 1<<14)
				sub.Close()
				sub, o.sub = next, next
				for _, h := range more {
					o.takeLocked(h)
				}
			} else {
				o.takeLocked(e)
			}
			o.cond.Broadcast()
			o.mu.Unlock()
		}
	}()
}

// stop ends follow and wakes every waiter.
func (o *owners) stop() {
	o.stopOnce.Do(func() {
		o.mu.Lock()
		sub := o.sub
		o.closed = true
		o.done.Store(^uint64(0))
		o.cond.Broadcast()
		o.mu.Unlock()
		if sub != nil {
			sub.Close()
			<-o.stopped
		}
	})
}

// wait returns once every event up to seq has been taken in. A viewer
// calls it before deciding about events it received: the bus hands an
// event to every subscriber in one go, so the wait is short.
func (o *owners) wait(seq uint64) {
	if o.done.Load() >= seq {
		return
	}
	// The index's own subscription may have lost the event and will say
	// so only with the next one: after a while, the history answers.
	late := time.AfterFunc(200*time.Millisecond, func() {
		o.mu.Lock()
		if o.done.Load() < seq && o.bus != nil {
			for _, e := range o.bus.History(o.done.Load()) {
				o.takeLocked(e)
			}
		}
		o.cond.Broadcast()
		o.mu.Unlock()
	})
	defer late.Stop()
	o.mu.Lock()
	for o.done.Load() < seq {
		o.cond.Wait()
	}
	o.mu.Unlock()
}

// takeLocked notes what e says about its session's owner.
func (o *owners) takeLocked(e *tracer.Event) {
	if e.Kind == tracer.KindSkipped || e.Seq <= o.done.Load() {
		return // a marker, or taken in already (wait's catch-up)
	}
	o.done.Store(e.Seq)
	o.lessonLocked(e)
	if e.Session == "" {
		return
	}
	f := o.sessions[e.Session]
	if f == nil {
		f = &sessFacts{relay: e.Hop != "" || (e.Actor != "" && o.isServer(e.Actor)), first: e.Seq}
		if !f.relay && e.Proto != "http" {
			f.ip = ipOf(e.Peer)
		}
		if e.Proto == "http" {
			f.login = o.userName(e.Actor) // the webmail reads this user's mailbox
			f.web = true
		}
		o.sessions[e.Session] = f
		o.order = append(o.order, e.Session)
		o.forgetOldLocked()
	}
	if f.ip == "" && !f.relay && e.Peer != "" && e.Proto != "http" {
		f.ip = ipOf(e.Peer)
	}
	if e.MsgID != "" {
		if f.relay {
			if f.msgID == "" {
				f.msgID = e.MsgID
			}
		} else if _, ok := o.msgs[e.MsgID]; !ok {
			o.msgs[e.MsgID] = e.Session
		}
	}
	if f.login == "" {
		if u := loginOf(e); u != "" {
			f.login = o.userName(u)
		}
	}
	f.stats.take(e)
	if e.Kind == tracer.KindLine && e.Dir == tracer.C2S && e.Proto == "smtp" && !f.relay {
		if name, ok := heloName(e.Text); ok {
			if u := o.userName(name); u != "" {
				f.claim = u
			}
		}
	}
}

// forgetOldLocked drops the oldest sessions beyond maxOwnerSessions, and
// the messages submitted in them.
func (o *owners) forgetOldLocked() {
	if len(o.order) <= maxOwnerSessions {
		return
	}
	n := len(o.order) - maxOwnerSessions*9/10
	gone := make(map[string]bool, n)
	for _, id := range o.order[:n] {
		delete(o.sessions, id)
		gone[id] = true
	}
	o.order = append([]string(nil), o.order[n:]...)
	for m, sess := range o.msgs {
		if gone[sess] {
			delete(o.msgs, m)
		}
	}
}

// loginOf returns the user an event says logged in, or "": the SMTP
// server's authenticated state event (attribute user), IMAP's
// AUTHENTICATED state (its explanation names the user) and POP3's
// TRANSACTION state (the session's actor is then the user).
func loginOf(e *tracer.Event) string {
	if e.Kind != tracer.KindState {
		return ""
	}
	switch e.Proto {
	case "smtp":
		return e.Attrs[tracer.AttrUser]
	case "imap":
		if e.Explain != nil && e.Explain.Key == "imap.state.authenticated" {
			return e.Explain.Args["user"]
		}
	case "pop3":
		if e.To == "TRANSACTION" {
			return e.Actor
		}
	}
	return ""
}

// heloName returns the name a HELO or EHLO line gives.
func heloName(line string) (string, bool) {
	if len(line) < 5 {
		return "", false
	}
	verb := strings.ToUpper(line[:4])
	if verb != "HELO" && verb != "EHLO" || line[4] != ' ' {
		return "", false
	}
	name := strings.TrimSpace(line[5:])
	if name == "" || strings.ContainsAny(name, " \t") {
		return "", false
	}
	return name, true
}

// userName returns the world's spelling of a user's name (a login may say
// "S07" or "s07@a.example"), or "" when no server has that user.
func (o *owners) userName(login string) string {
	if login == "" || o.world == nil {
		return ""
	}
	for _, sv := range o.world.Servers {
		if u := sv.User(login); u != nil {
			return u.Name
		}
	}
	return ""
}

func (o *owners) isServer(name string) bool {
	return o.world != nil && o.world.Server(name) != nil
}

// ipOf returns the address part of "ip:port", canonical.
func ipOf(peer string) string {
	h := hostOnly(peer)
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// signedIn notes that user signed in to the page from ip (rule 4). When
// ip had one student so far, the sessions that were theirs by that rule
// stay theirs: a classmate behind the same NAT signing in does not take
// them out of their view (their sessions from now on need a HELO claim
// or a login).
func (o *owners) signedIn(ip, user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	us := o.addrs[ip]
	for _, u := range us {
		if u == user {
			return
		}
	}
	if len(us) == 1 {
		for _, f := range o.sessions {
			if f.ip == ip && f.addr == "" {
				f.addr = us[0]
			}
		}
	}
	o.addrs[ip] = append(us, user)
}

// signedOut forgets that user signed in from ip.
func (o *owners) signedOut(ip, user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	us := o.addrs[ip]
	for i, u := range us {
		if u == user {
			us = append(us[:i:i], us[i+1:]...)
			break
		}
	}
	if len(us) == 0 {
		delete(o.addrs, ip)
	} else {
		o.addrs[ip] = us
	}
}

// owner returns who session id belongs to, or "".
func (o *owners) owner(id string) string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.ownerLocked(id, 0)
}

func (o *owners) ownerLocked(id string, depth int) string {
	f := o.sessions[id]
	if f == nil {
		return ""
	}
	if f.login != "" {
		return f.login
	}
	if f.relay {
		if depth == 0 && f.msgID != "" {
			return o.msgOwnerLocked(f.msgID)
		}
		return ""
	}
	if f.claim != "" {
		return f.claim
	}
	if f.addr != "" {
		return f.addr
	}
	if us := o.addrs[f.ip]; len(us) == 1 {
		return us[0]
	}
	return ""
}

// msgOwnerLocked returns who submitted message msgID, or "". A delivery
// status notification the queue sends back (trace id ID-bounce or ID-dsn,
// relay.Notice) is its message's sender's.
func (o *owners) msgOwnerLocked(msgID string) string {
	origin, ok := o.msgs[msgID]
	if !ok {
		for _, suffix := range []string{"-bounce", "-dsn"} {
			if base, cut := strings.CutSuffix(msgID, suffix); cut {
				origin, ok = o.msgs[base]
				break
			}
		}
	}
	if ok {
		return o.ownerLocked(origin, 1)
	}
	return ""
}

// msgOwner returns who submitted message msgID (its trace id), or "".
func (o *owners) msgOwner(msgID string) string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.msgOwnerLocked(msgID)
}

// visible reports whether user may see e. An event of a session is its
// owner's; within a relay hop, an event about a message is the message's
// owner's. An event of no session is about a message (a queue step, a
// lookup: the message's owner), a lesson for one student (attribute user),
// or about the whole world (a fault switched, a server's note): everyone's.
func (o *owners) visible(e *tracer.Event, user string) bool {
	switch e.Kind {
	case tracer.KindSkipped, KindHello:
		return true
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	if e.Session != "" {
		f := o.sessions[e.Session]
		if f != nil && f.relay && f.login == "" && e.MsgID != "" {
			return o.msgOwnerLocked(e.MsgID) == user
		}
		return o.ownerLocked(e.Session, 0) == user
	}
	if e.MsgID != "" {
		return o.msgOwnerLocked(e.MsgID) == user
	}
	if e.Kind == tracer.KindLesson {
		u := e.Attrs[tracer.AttrUser]
		return u == "" || strings.EqualFold(u, user)
	}
	return e.Kind == tracer.KindFault || e.Kind == tracer.KindNote
}

// mayReadUser reports whether v may read user's mailboxes.
func (v viewer) mayReadUser(user string) bool {
	return v.all || strings.EqualFold(v.user, user)
}

// visibleEvents returns the events of evs that v may see: all of them for
// the instructor, a student's own otherwise (a new slice).
func (s *Server) visibleEvents(v viewer, evs []*tracer.Event) []*tracer.Event {
	if v.all || len(evs) == 0 {
		return evs
	}
	o := s.ownerIndex()
	o.wait(evs[len(evs)-1].Seq)
	out := []*tracer.Event{}
	for _, e := range evs {
		if e.Kind != tracer.KindSkipped && o.visible(e, v.user) {
			out = append(out, e)
		}
	}
	return out
}

// ownQueue keeps the queue records of messages user submitted (the
// message's trace id names the session it came in).
func (s *Server) ownQueue(user string, recs []servers.QueueRecord) []servers.QueueRecord {
	o := s.ownerIndex()
	out := []servers.QueueRecord{}
	for _, r := range recs {
		if r.MsgID != "" && o.msgOwner(r.MsgID) == user {
			out = append(out, r)
		}
	}
	return out
}

// firstSeq returns the sequence number of session id's first event, or 0.
func (o *owners) firstSeq(id string) uint64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if f := o.sessions[id]; f != nil {
		return f.first
	}
	return 0
}
