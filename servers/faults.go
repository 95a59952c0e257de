package servers

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// Fault is a switchable misbehaviour of a receiving server (the relay issue):
// "" none, "down" refuses connections, "greylist" answers 451 4.7.1 to a
// first attempt, "slow" delays replies, "quota" answers 452 4.2.2, "reject"
// answers 550 5.1.1 to recipients. One fault is of a sending server:
// "hold" holds its queue (no scheduled attempts) until a flush, ETRN
// (RFC 1985) or the fault's end releases the mail, as Postfix's
// defer_transports does.
type Fault string

// The faults.
const (
	FaultNone     Fault = ""
	FaultDown     Fault = "down"
	FaultGreylist Fault = "greylist"
	FaultSlow     Fault = "slow"
	FaultQuota    Fault = "quota"
	FaultReject   Fault = "reject"
	FaultHold     Fault = "hold"
)

// Faults lists every fault a server can be switched to.
var Faults = []Fault{FaultDown, FaultGreylist, FaultSlow, FaultQuota, FaultReject, FaultHold}

// DefaultSlowDelay is how long a server with the slow fault waits before
// each reply (Instance.SetSlowDelay changes it).
const DefaultSlowDelay = 2 * time.Second

// faultMsg is the catalog key of what a fault event says: what the
// switch's new position does to the server.
var faultMsg = map[Fault]string{
	FaultNone:     "fault.cleared",
	FaultDown:     "fault.down",
	FaultGreylist: "fault.greylist",
	FaultSlow:     "fault.slow",
	FaultQuota:    "fault.quota",
	FaultReject:   "fault.reject",
	FaultHold:     "fault.hold",
}

// ParseFault reads a fault name; "up" and "clear" clear faults.
func ParseFault(s string) (Fault, error) {
	switch strings.ToLower(s) {
	case "up", "clear", "none", "":
		return FaultNone, nil
	}
	for _, f := range Faults {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown fault %q: use down, up, greylist, slow, quota, reject, hold or clear", s)
}

// faults is the fault switch of a world: each server's fault and the
// state the faults keep, under its own lock. Its zero value has no fault
// set.
type faults struct {
	mu       sync.Mutex
	of       map[string]Fault     // by server name
	greylist map[string]time.Time // greylisting triples: when first seen
	slow     time.Duration        // the slow fault's delay; 0 is DefaultSlowDelay
}

// set switches server to f and returns the fault it had. Switching
// greylisting on starts with no sender seen.
func (fs *faults) set(server string, f Fault) (prev Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.of == nil {
		fs.of = map[string]Fault{}
	}
	prev = fs.of[server]
	fs.of[server] = f
	if f == FaultGreylist && prev != FaultGreylist {
		fs.greylist = map[string]time.Time{}
	}
	return prev
}

// get returns server's fault.
func (fs *faults) get(server string) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.of[server]
}

// firstSeen returns when a greylisting triple was first seen; a triple not
// seen before is recorded as seen now, and seen is false.
func (fs *faults) firstSeen(triple string) (first time.Time, seen bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.greylist == nil {
		fs.greylist = map[string]time.Time{}
	}
	first, seen = fs.greylist[triple]
	if !seen {
		first = time.Now()
		fs.greylist[triple] = first
	}
	return first, seen
}

func (fs *faults) setSlowDelay(d time.Duration) {
	fs.mu.Lock()
	fs.slow = d
	fs.mu.Unlock()
}

// slowDelay is how long the slow fault delays each reply.
func (fs *faults) slowDelay() time.Duration {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.slow <= 0 {
		return DefaultSlowDelay
	}
	return fs.slow
}

// SetFault switches a server's fault ("" clears it).
func (inst *Instance) SetFault(server string, f Fault) error {
	srv := inst.World.Server(server)
	if srv == nil {
		return fmt.Errorf("no server %q in this world", server)
	}
	prev := inst.faults.set(srv.Name, f)
	if ll := inst.smtpLns[srv.Name]; ll != nil {
		if f == FaultDown && prev != FaultDown {
			ll.down()
		}
		if prev == FaultDown && f != FaultDown {
			if err := ll.up(inst.serveSMTP(srv.Name)); err != nil {
				return fmt.Errorf("server %s: %w", srv.Name, err)
			}
		}
	}
	if inst.relay != nil && (f == FaultHold) != (prev == FaultHold) {
		// Before the event: once it is out, a scheduled attempt of the
		// held server must already be impossible.
		inst.relay.Hold(srv.Name, f == FaultHold)
	}
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindFault, Server: srv.Name, Msg: tracer.M(faultMsg[f], "server", srv.Name),
		Attrs: map[string]string{"fault": string(f)}})
	if f == FaultNone || prev != FaultNone {
		inst.queueChanged()
	}
	return nil
}

// FaultOf returns a server's current fault.
func (inst *Instance) FaultOf(server string) Fault {
	if s := inst.World.Server(server); s != nil {
		return inst.faults.get(s.Name)
	}
	return FaultNone
}

// SetSlowDelay sets how long the slow fault delays each reply.
func (inst *Instance) SetSlowDelay(d time.Duration) { inst.faults.setSlowDelay(d) }

// liveListener is an SMTP listener that the down fault can close and open.
type liveListener struct {
	svc  service
	addr string

	mu sync.Mutex
	l  net.Listener // nil while the server is down
}

// down closes the listener: connections are refused, for real, until up
// opens it again on the same address.
func (ll *liveListener) down() {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.l == nil {
		return
	}
	ll.l.Close()
	ll.l = nil
}

// up listens again on the listener's address and has serve serve it.
func (ll *liveListener) up(serve func(svc service, l net.Listener)) error {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.l != nil {
		return nil
	}
	l, err := net.Listen("tcp", ll.addr)
	if err != nil {
		return fmt.Errorf("listening again on %s: %w", ll.addr, err)
	}
	ll.l = l
	serve(ll.svc, l)
	return nil
}

// serveSMTP serves a reopened SMTP listener of server, traced, until the
// instance shuts down.
func (inst *Instance) serveSMTP(server string) func(service, net.Listener) {
	return func(svc service, l net.Listener) {
		inst.wg.Add(1)
		go func() {
			defer inst.wg.Done()
			svc.Serve(inst.Bus.Listen(l, server, "smtp"))
		}()
	}
}
