package servers

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
)

// Class asks Start for a class's accounts (mailscope up --class): one
// account per student on every server of the world.
type Class struct {
	// Logins are the students' login names (world.NumberedLogins or
	// world.Logins of a roster), in the order of the sheet.
	Logins []string
	// Roster is each login's roster line, "" for numbered accounts.
	Roster []string
}

// openClass keeps the class's accounts in the store (a new one gets a fresh
// password, one kept from an earlier run keeps its own) and adds those
// asked for to the world. Accounts of an earlier, larger class that are
// not asked for now stay in the store with their mail but cannot log in;
// asking for them again opens them with their old password.
func (inst *Instance) openClass(ctx context.Context, c *Class) error {
	want := make([]store.ClassAccount, len(c.Logins))
	asked := map[string]bool{}
	for i, l := range c.Logins {
		want[i] = store.ClassAccount{Name: l, Password: world.NewPassword()}
		if i < len(c.Roster) {
			want[i].Roster = c.Roster[i]
		}
		asked[l] = true
	}
	kept, err := inst.Store.KeepClass(ctx, want)
	if err != nil {
		return err
	}
	var students []world.Student
	for _, a := range kept {
		// A user of the world file keeps its own password: it is not
		// the student's account (world.Logins avoids these names).
		if asked[a.Name] && !inst.worldUser(a.Name) {
			students = append(students, world.Student{Name: a.Name, Roster: a.Roster, Password: a.Password})
		}
	}
	inst.World.AddStudents(students)
	inst.Students = students
	return nil
}

// labNetworks returns the private networks (RFC 1918, RFC 4193) that this
// machine's interface addresses ifs are on, less those already trusted. A
// class trusts them to relay without AUTH, as Postfix trusts the subnets
// of its own interfaces (mynetworks_style = subnet): students telnet from
// the lab's machines and send to another server of the world by hand,
// as the relay lesson has them, without typing AUTH PLAIN's base64. It is
// no open relay: a domain outside the world has no MX in the world's
// directory, so nothing leaves it; a public network is never trusted.
func labNetworks(ifs []net.Addr, trusted []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range ifs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if !ip.IsPrivate() {
			continue
		}
		ones, _ := n.Mask.Size()
		p, err := ip.Prefix(ones)
		if err != nil {
			continue
		}
		seen := false
		for _, t := range append(trusted, out...) {
			seen = seen || t.Contains(p.Addr()) && t.Bits() <= p.Bits()
		}
		if !seen {
			out = append(out, p)
		}
	}
	return out
}

// classConnLimits raises the connection limits per client address for a
// class of n students with perUser sessions each: a lab behind NAT (a
// hundred students, one address) would otherwise meet the 100 connections
// per address of limits.Settings long before any student met their own
// limit. The total grows with it, so that one address cannot take every
// place.
func classConnLimits(l Limits, n, perUser int) Limits {
	want := n * perUser
	per := l.MaxConnsPerIP
	if per == 0 {
		per = limits.DefaultMaxConnsPerIP
	}
	if per > 0 && want > per {
		l.MaxConnsPerIP = want
	}
	total := l.MaxConns
	if total == 0 {
		total = limits.DefaultMaxConns
	}
	if l.MaxConnsPerIP > 0 && total < 2*l.MaxConnsPerIP {
		l.MaxConns = 2 * l.MaxConnsPerIP
	}
	return l
}

// classLogins reports whether SMTP AUTH and IMAP LOGIN take passwords in
// the clear from other machines: in a class, yes. Students telnet from
// the lab's machines, where no TLS is at hand, and watch their password
// cross the wire on purpose (it is a password made for the lab, on the
// sheet); without a class only this machine's clients may (POP3's USER
// and PASS always could, as RFC 1939 has them).
func (inst *Instance) classLogins() bool { return len(inst.Students) > 0 }

// worldUser reports whether name is a user of some server of the world.
func (inst *Instance) worldUser(name string) bool {
	for _, s := range inst.World.Servers {
		if s.User(name) != nil {
			return true
		}
	}
	return false
}

// accountLimits counts, for the class's accounts, the sessions logged in at
// once (over every protocol and server) and the messages sent in the last
// minute: world.ClassPolicy's SessionsPerUser and MessagesPerMinute.
type accountLimits struct {
	mu       sync.Mutex
	sessions map[string]int         // "login" -> sessions logged in
	sent     map[string][]time.Time // "login" -> sending times within the last minute
}

// enter counts a session of user; over max it counts nothing and says no.
// release uncounts it (once, however often it is called).
func (a *accountLimits) enter(user string, max int) (release func(), ok bool) {
	key := strings.ToLower(user)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sessions == nil {
		a.sessions = map[string]int{}
	}
	if max > 0 && a.sessions[key] >= max {
		return nil, false
	}
	a.sessions[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			if a.sessions[key]--; a.sessions[key] <= 0 {
				delete(a.sessions, key)
			}
			a.mu.Unlock()
		})
	}, true
}

// mayAccept reports whether user sent fewer than max messages in the
// minute before now, and otherwise how long until the oldest of them is a
// minute old.
func (a *accountLimits) mayAccept(user string, max int, now time.Time) (bool, time.Duration) {
	if max <= 0 {
		return true, 0
	}
	key := strings.ToLower(user)
	a.mu.Lock()
	defer a.mu.Unlock()
	recent := a.trim(key, now)
	if len(recent) < max {
		return true, 0
	}
	return false, recent[0].Add(time.Minute).Sub(now)
}

// maxSenders bounds the senders counted at once before the map is swept.
const maxSenders = 10000

// sentOne counts a message user sent at now.
func (a *accountLimits) sentOne(user string, now time.Time) {
	key := strings.ToLower(user)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sent == nil {
		a.sent = map[string][]time.Time{}
	}
	if len(a.sent) >= maxSenders {
		// Senders by address: a spray of them must not grow the map.
		for k := range a.sent {
			a.trim(k, now)
		}
	}
	a.sent[key] = append(a.trim(key, now), now)
}

// trim drops sending times older than a minute; the caller holds mu.
func (a *accountLimits) trim(key string, now time.Time) []time.Time {
	t := a.sent[key]
	i := 0
	for i < len(t) && now.Sub(t[i]) >= time.Minute {
		i++
	}
	t = t[i:]
	if len(t) == 0 {
		delete(a.sent, key)
		return nil
	}
	a.sent[key] = t
	return t
}

// PublicAddr is the address a student on another machine types for a
// server's listener: the live address, with the machine's first LAN
// address (IPv4 before IPv6) for an unspecified host (0.0.0.0 or ::).
// "" when the listener is not live.
func (inst *Instance) PublicAddr(server string, p world.Protocol) string {
	a := inst.Addr(server, p)
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return a
	}
	if lan := LANAddrs(); len(lan) > 0 {
		return net.JoinHostPort(lan[0], port)
	}
	return a
}

// LANAddrs are the machine's addresses other machines can reach it at
// (global unicast: not loopback, not link-local), IPv4 ones first.
func LANAddrs() []string {
	addrs, _ := net.InterfaceAddrs()
	var v4, v6 []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			v4 = append(v4, n.IP.String())
		} else {
			v6 = append(v6, n.IP.String())
		}
	}
	return append(v4, v6...)
}
