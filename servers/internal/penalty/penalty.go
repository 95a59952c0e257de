// Package penalty slows down password guessing across sessions and
// protocols, the way Dovecot's auth penalty does: every failed login from a
// client address, or for a user name, makes the next failure's answer wait
// longer, doubling up to a ceiling. The first failure costs nothing, so a
// student who mistyped once is never slowed; a script guessing a thousand
// passwords gets a few a minute instead of thousands a second.
//
// One Box is shared by the SMTP, POP3 and IMAP servers of an instance: a
// guesser cannot reset its penalty by switching protocol or reconnecting.
package penalty

import (
	"strings"
	"sync"
	"time"
)

// Defaults of a Box.
const (
	DefaultFree   = 1                // failures answered at once
	DefaultBase   = time.Second      // the first delay; each next one doubles
	DefaultMax    = 15 * time.Second // Dovecot's ceiling
	DefaultForget = 15 * time.Minute // failures older than this are forgotten
	maxEntries    = 1 << 16          // bounds the memory a spray of names can take
)

// Box counts recent login failures by client address and by user. The zero
// value is ready to use with the defaults; a nil *Box never delays.
type Box struct {
	Free   int           // failures without delay (default 1)
	Base   time.Duration // delay after the first counted failure (default 1 s)
	Max    time.Duration // ceiling of the delay (default 15 s)
	Forget time.Duration // a key's failures are forgotten after this long without one (default 15 min)
	// MaxQueue bounds how far ahead Gate reserves an address's logins
	// (default DefaultMaxQueue).
	MaxQueue time.Duration
	// AddressFree is how many failures from one client address are
	// answered without delay (default Free). A class behind NAT is a
	// hundred students on one address, each allowed their typo: the
	// address's count then starts later, and each user's own count still
	// slows a guesser of one account from the first failure on.
	AddressFree int

	now func() time.Time // for tests

	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	fails int
	last  time.Time
	busy  time.Time // an address's gate is reserved until then (Gate)
}

func (b *Box) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

func (b *Box) settings() (free int, base, max, forget time.Duration) {
	free, base, max, forget = b.Free, b.Base, b.Max, b.Forget
	if free <= 0 {
		free = DefaultFree
	}
	if base <= 0 {
		base = DefaultBase
	}
	if max <= 0 {
		max = DefaultMax
	}
	if forget <= 0 {
		forget = DefaultForget
	}
	return
}

// Fail records a failed login from the client address ip for the login name
// user (either may be empty) and returns how long the server should wait
// before it answers: zero for the first failure, then 1 s, 2 s, 4 s ... up to
// Max, counted by whichever of the address and the user failed more often.
func (b *Box) Fail(ip, user string) time.Duration {
	if b == nil {
		return 0
	}
	free, base, maxD, forget := b.settings()
	now := b.clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keys == nil {
		b.keys = make(map[string]*entry)
	}
	var d time.Duration
	for _, k := range keys(ip, user) {
		e := b.keys[k]
		if e == nil || now.Sub(e.last) > forget {
			if len(b.keys) >= maxEntries {
				b.sweep(now, forget)
			}
			e = &entry{}
			b.keys[k] = e
		}
		e.fails++
		e.last = now
		d = max(d, delay(e.fails, b.freeFor(k, free), base, maxD))
	}
	return d
}

// freeFor is the failures answered at once for key k.
func (b *Box) freeFor(k string, free int) int {
	if strings.HasPrefix(k, "ip:") && b.AddressFree > free {
		return b.AddressFree
	}
	return free
}

// DefaultMaxQueue bounds how far ahead Gate reserves an address's logins:
// beyond it a login is refused without its password being checked.
const DefaultMaxQueue = time.Minute

// Gate is called before a password from the client address ip is checked,
// and says how long to wait first: as long as a failure from ip would be
// made to wait now (nothing after none or one failure, so a student's typo
// costs nothing), and after the logins from ip already waiting, one after
// another. Two things make this necessary beside the delay of a failed
// answer. A guesser that does not wait for the answer, or runs many
// connections at once, would otherwise try passwords at full speed, since a
// right password is answered at once and a silence then means "wrong" (a
// timing oracle); and parallel connections would each sit out their delay
// side by side. Behind the gate, a right password waits like a wrong one
// and the logins of one address pass one at a time. ok is false when the
// address's logins are already reserved more than QueueLimit ahead:
// the login is then refused without checking its password.
func (b *Box) Gate(ip string) (wait time.Duration, ok bool) {
	if b == nil || ip == "" {
		return 0, true
	}
	free, base, max, forget := b.settings()
	now := b.clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.keys["ip:"+ip]
	if e == nil || now.Sub(e.last) > forget {
		return 0, true
	}
	d := delay(e.fails, b.freeFor("ip:", free), base, max)
	if d <= 0 {
		return 0, true
	}
	start := now
	if e.busy.After(start) {
		start = e.busy
	}
	end := start.Add(d)
	if end.Sub(now) > b.QueueLimit() {
		return 0, false
	}
	e.busy = end
	return end.Sub(now), true
}

// QueueLimit is how far ahead Gate reserves an address's logins before it
// refuses one.
func (b *Box) QueueLimit() time.Duration {
	if b == nil || b.MaxQueue <= 0 {
		return DefaultMaxQueue
	}
	return b.MaxQueue
}

// Pending returns the delay the next failure from ip for user would get,
// without recording anything (for the trace: "the next wrong password waits
// 4 s").
func (b *Box) Pending(ip, user string) time.Duration {
	if b == nil {
		return 0
	}
	free, base, maxD, forget := b.settings()
	now := b.clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	var d time.Duration
	for _, k := range keys(ip, user) {
		n := 0
		if e := b.keys[k]; e != nil && now.Sub(e.last) <= forget {
			n = e.fails
		}
		if dk := delay(n+1, b.freeFor(k, free), base, maxD); dk > d {
			d = dk
		}
	}
	return d
}

// Succeed forgets the failures of the address and of the user after a
// successful login. Another user's failures from elsewhere are kept: logging
// in to one's own account does not make guessing someone else's cheaper.
func (b *Box) Succeed(ip, user string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys(ip, user) {
		delete(b.keys, k)
	}
}

// Wait sleeps for d, or until done is closed (the server shutting down, the
// session ending); it reports whether the whole delay passed.
func Wait(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

func delay(fails, free int, base, max time.Duration) time.Duration {
	over := fails - free
	if over <= 0 {
		return 0
	}
	d := base
	for i := 1; i < over && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// sweep drops forgotten entries; if all are recent it drops everything, so a
// spray of invented names cannot grow the map without bound (the cost is
// that the ongoing penalties restart, which only loosens, never locks out).
func (b *Box) sweep(now time.Time, forget time.Duration) {
	for k, e := range b.keys {
		if now.Sub(e.last) > forget {
			delete(b.keys, k)
		}
	}
	if len(b.keys) >= maxEntries {
		clear(b.keys)
	}
}

func keys(ip, user string) []string {
	var ks []string
	if ip != "" {
		ks = append(ks, "ip:"+ip)
	}
	if user = NormalUser(user); user != "" {
		ks = append(ks, "user:"+user)
	}
	return ks
}

// NormalUser is the form of a login name the penalty counts by: lower case,
// without the domain (alice, ALICE and alice@a.example are one user).
func NormalUser(user string) string {
	user = strings.ToLower(strings.TrimSpace(user))
	if at := strings.LastIndexByte(user, '@'); at >= 0 {
		user = user[:at]
	}
	if len(user) > 64 {
		user = user[:64]
	}
	return user
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
