package servers

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/tracer"
)

// Fault is a switchable misbehaviour of a receiving server (the relay issue):
// "" none, "down" refuses connections, "greylist" answers 451 4.7.1 to a
// first attempt, "slow" delays replies, "quota" answers 452 4.2.2, "reject"
// answers 550 5.1.1 to recipients.
type Fault string

// The faults.
const (
	FaultNone     Fault = ""
	FaultDown     Fault = "down"
	FaultGreylist Fault = "greylist"
	FaultSlow     Fault = "slow"
	FaultQuota    Fault = "quota"
	FaultReject   Fault = "reject"
)

// Faults lists every fault a server can be switched to.
var Faults = []Fault{FaultDown, FaultGreylist, FaultSlow, FaultQuota, FaultReject}

// DefaultSlowDelay is how long a server with the slow fault waits before
// each reply (Instance.SetSlowDelay changes it).
const DefaultSlowDelay = 2 * time.Second

var faultText = map[Fault]string{
	FaultNone:     "cleared: the server behaves normally again",
	FaultDown:     "down: its SMTP port refuses connections; senders must keep their mail queued and retry",
	FaultGreylist: "greylisting: a first attempt from a sender gets 451 4.7.1, a retry after a short wait is accepted (RFC 6647)",
	FaultSlow:     "slow: every reply waits a while (a busy or distant server)",
	FaultQuota:    "over quota: recipients get 452 4.2.2 mailbox full (a temporary failure: senders retry)",
	FaultReject:   "rejecting: recipients get 550 5.1.1 (a permanent failure: senders bounce)",
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
	return "", fmt.Errorf("unknown fault %q: use down, up, greylist, slow, quota, reject or clear", s)
}

// SetFault switches a server's fault ("" clears it).
func (inst *Instance) SetFault(server string, f Fault) error {
	srv := inst.World.Server(server)
	if srv == nil {
		return fmt.Errorf("no server %q in this world", server)
	}
	inst.faultsMu.Lock()
	if inst.faults == nil {
		inst.faults = map[string]Fault{}
	}
	prev := inst.faults[srv.Name]
	inst.faults[srv.Name] = f
	if f == FaultGreylist && prev != FaultGreylist {
		inst.greylist = map[string]time.Time{}
	}
	inst.faultsMu.Unlock()
	if f == FaultDown && prev != FaultDown {
		inst.smtpDown(srv.Name)
	}
	if prev == FaultDown && f != FaultDown {
		if err := inst.smtpUp(srv.Name); err != nil {
			return err
		}
	}
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindFault, Server: srv.Name, Text: "server " + srv.Name + " " + faultText[f],
		Attrs: map[string]string{"fault": string(f)}})
	if f == FaultNone || prev != FaultNone {
		inst.queueChanged()
	}
	return nil
}

// FaultOf returns a server's current fault.
func (inst *Instance) FaultOf(server string) Fault {
	inst.faultsMu.Lock()
	defer inst.faultsMu.Unlock()
	if s := inst.World.Server(server); s != nil {
		return inst.faults[s.Name]
	}
	return FaultNone
}

// smtpDown closes a server's SMTP listener: connections are refused, for
// real, until smtpUp opens it again on the same address.
func (inst *Instance) smtpDown(server string) {
	inst.faultsMu.Lock()
	defer inst.faultsMu.Unlock()
	ll := inst.smtpLns[server]
	if ll == nil || ll.l == nil {
		return
	}
	ll.l.Close()
	ll.l = nil
}

func (inst *Instance) smtpUp(server string) error {
	inst.faultsMu.Lock()
	defer inst.faultsMu.Unlock()
	ll := inst.smtpLns[server]
	if ll == nil || ll.l != nil {
		return nil
	}
	l, err := net.Listen("tcp", ll.addr)
	if err != nil {
		return fmt.Errorf("server %s: listening again on %s: %w", server, ll.addr, err)
	}
	ll.l = l
	inst.wg.Add(1)
	go func() {
		defer inst.wg.Done()
		ll.svc.Serve(inst.Bus.Listen(l, server, "smtp"))
	}()
	return nil
}

// CheckRcpt applies the quota, reject and greylist faults (smtp.Policy).
func (b *smtpBackend) CheckRcpt(ctx context.Context, e *smtp.Envelope) error {
	switch b.inst.FaultOf(b.server.Name) {
	case FaultQuota:
		if e.Local {
			return &smtp.Error{Code: 452, Enh: "4.2.2", Msg: "<" + e.Rcpt + ">: Mailbox full: the user is over quota, try again later (fault: quota)"}
		}
	case FaultReject:
		if e.Local {
			return &smtp.Error{Code: 550, Enh: "5.1.1", Msg: "<" + e.Rcpt + ">: Recipient address rejected (fault: reject)"}
		}
	case FaultGreylist:
		host := e.ClientAddr.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		key := host + "|" + strings.ToLower(e.From) + "|" + strings.ToLower(e.Rcpt)
		wait := b.inst.greylistDelay()
		b.inst.faultsMu.Lock()
		first, seen := b.inst.greylist[key]
		if !seen {
			first = time.Now()
			b.inst.greylist[key] = first
		}
		b.inst.faultsMu.Unlock()
		if !seen {
			return &smtp.Error{Code: 451, Enh: "4.7.1", Msg: fmt.Sprintf("<%s>: Greylisted: first delivery attempt from this sender, please try again in %s (RFC 6647)", e.Rcpt, wait)}
		}
		if left := wait - time.Since(first); left > 0 {
			return &smtp.Error{Code: 451, Enh: "4.7.1", Msg: fmt.Sprintf("<%s>: Greylisted: retried too soon, try again in %s (RFC 6647)", e.Rcpt, left.Round(time.Second))}
		}
	}
	return nil
}

// greylistDelay is how long a greylisted sender must wait before a retry is
// accepted: half the first retry interval, so the relay's own retry passes,
// at most five minutes.
func (inst *Instance) greylistDelay() time.Duration {
	d := 30 * time.Second
	if len(inst.World.Queue.Retry) > 0 {
		d = inst.World.Queue.Retry[0] / 2
	}
	return min(d, 5*time.Minute)
}

// ReplyDelay applies the slow fault (smtp.Policy).
func (b *smtpBackend) ReplyDelay() time.Duration {
	if b.inst.FaultOf(b.server.Name) == FaultSlow {
		return b.inst.slowDelay()
	}
	return 0
}

// SetSlowDelay sets how long the slow fault delays each reply.
func (inst *Instance) SetSlowDelay(d time.Duration) {
	inst.faultsMu.Lock()
	inst.slow = d
	inst.faultsMu.Unlock()
}

func (inst *Instance) slowDelay() time.Duration {
	inst.faultsMu.Lock()
	defer inst.faultsMu.Unlock()
	if inst.slow <= 0 {
		return DefaultSlowDelay
	}
	return inst.slow
}
