package servers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/relay"
	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// newSMTP builds the SMTP server of s: the world's SMTP settings, one data
// budget shared by every SMTP server of the instance, and a backend that
// files local mail in the store and queues the rest for the relay.
func (inst *Instance) newSMTP(s *world.Server) *smtp.Server {
	p := inst.World.SMTP
	if inst.smtpData == nil { // the servers are built one after the other
		inst.smtpData = limits.NewBudget(smtp.DefaultDataBudget)
	}
	return &smtp.Server{
		Name:              s.Name,
		Domain:            s.Domain,
		Backend:           &smtpBackend{worldUsers: worldUsers{s, inst}, inst: inst},
		TLSConfig:         inst.TLS,
		MaxMessageSize:    p.MaxMessageSize,
		MaxRecipients:     p.MaxRecipients,
		MaxErrors:         p.MaxErrors,
		Settings:          limits.Settings{IdleTimeout: p.IdleTimeout},
		StrictLineEndings: p.StrictLineEndings,
		DataBudget:        inst.smtpData,
		Trusted:           p.TrustedNetworks,
		CarryTrace:        true,
		Penalty:           inst.Penalty,
		Logger:            inst.Logger,
		// A class types AUTH by hand from the lab's machines (see
		// classLogins).
		AllowInsecureAuth: inst.classLogins(),
	}
}

// smtpBackend connects one SMTP server to the world and the store.
type smtpBackend struct {
	worldUsers
	inst *Instance
}

var (
	_ smtp.Backend        = (*smtpBackend)(nil)
	_ smtp.Flusher        = (*smtpBackend)(nil)
	_ smtp.FlushNamer     = (*smtpBackend)(nil)
	_ smtp.FutureReleaser = (*smtpBackend)(nil)
	_ smtp.Policy         = (*smtpBackend)(nil)
)

// LocalUser resolves a local part; postmaster is the server's first user
// (RFC 5321 section 4.5.1 requires it to exist).
func (b *smtpBackend) LocalUser(local string) (string, bool) {
	if strings.EqualFold(local, "postmaster") && len(b.server.Users) > 0 {
		return b.server.Users[0].Name, true
	}
	u := b.server.User(local)
	if u == nil {
		return "", false
	}
	return u.Name, true
}

// DataStarted tells the store a message is being received (smtp.DataAnnouncer),
// so that it can share a commit with messages of other sessions.
func (b *smtpBackend) DataStarted() (done func()) { return b.inst.Store.Expect() }

// Deliver files the message for the local recipients and queues it for the
// remote ones in one store commit, before the client gets its 250.
func (b *smtpBackend) Deliver(ctx context.Context, m *smtp.Message) error {
	d := &store.Delivery{
		Server:      b.server.Name,
		TraceID:     m.TraceID,
		Sender:      m.From,
		Local:       m.LocalUsers,
		Remote:      m.Remote,
		Body:        m.Body,
		Received:    m.Received,
		HoldUntil:   m.HoldUntil,
		NotifyNever: m.NotifyNever,
		EnvID:       m.EnvID,
		Ret:         m.Ret,
		DSN:         rcptDSN(m.Rcpts),
		// The trace hears of the message from the store's writer, before
		// the queue worker can claim it: "queued" always comes before the
		// relay's MX lookup (a lesson waits for them in that order).
		Committed: func(res *store.Delivered) { b.delivered(m, res) },
	}
	if _, err := b.inst.Store.Deliver(ctx, d); err != nil {
		return err
	}
	if key, _ := b.classSender(m.AuthUser, m.From, m.Helo, m.FromRelay, m.ClientAddr); key != "" {
		b.inst.accounts.sentOne(key, time.Now())
	}
	b.notifyDelivered(m)
	return nil
}

// rcptDSN is what the remote recipients of a message asked of delivery
// status notifications, for the queue.
func rcptDSN(rcpts []smtp.Rcpt) map[string]store.RcptDSN {
	out := map[string]store.RcptDSN{}
	for _, r := range rcpts {
		if r.User == "" && (r.Notify != "" || r.ORCPT != "") {
			out[r.Addr] = store.RcptDSN{Notify: r.Notify, ORCPT: r.ORCPT}
		}
	}
	return out
}

// notifyDelivered sends the "delivered" notices the local recipients of m
// asked for (NOTIFY=SUCCESS, RFC 3461 section 5.2.3): this server put the
// message in their mailboxes.
func (b *smtpBackend) notifyDelivered(m *smtp.Message) {
	for _, r := range m.Rcpts {
		if r.User == "" || !r.Has("SUCCESS") {
			continue
		}
		b.inst.relay.Delivered(relay.Notice{Server: b.server, TraceID: m.TraceID, Sender: m.From, Rcpt: r.Addr,
			ORCPT: r.ORCPT, EnvID: m.EnvID, Ret: m.Ret, Arrived: m.Received, Orig: m.Body}, r.Notify)
	}
}

// delivered tells the trace where an accepted message went.
func (b *smtpBackend) delivered(m *smtp.Message, res *store.Delivered) {
	for user, uid := range res.Local {
		b.inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: b.server.Name, MsgID: m.TraceID,
			Msg:   tracer.M("queue.delivered.local", "user", user, "domain", b.server.Domain, "uid", strconv.Itoa(int(uid))),
			Attrs: map[string]string{tracer.AttrStep: tracer.StepDeliveredLocal, tracer.AttrUser: user, tracer.AttrMailbox: "INBOX", tracer.AttrUID: strconv.Itoa(int(uid))}})
	}
	if res.QueueID != 0 {
		rcpts := strings.Join(m.Remote, ", ")
		msg := tracer.M("queue.queued", "rcpts", rcpts, "server", b.server.Name)
		attrs := map[string]string{tracer.AttrStep: tracer.StepQueued, tracer.AttrRcpts: strings.Join(m.Remote, ","), tracer.AttrQueueID: strconv.Itoa(int(res.QueueID))}
		if !m.HoldUntil.IsZero() {
			msg = tracer.M("queue.held", "server", b.server.Name, "time", m.HoldUntil.Format("15:04:05"), "rcpts", rcpts)
			attrs[tracer.AttrStep] = tracer.StepHeld
			attrs[tracer.AttrNextAttempt] = m.HoldUntil.UTC().Format(time.RFC3339)
		}
		b.inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: b.server.Name, MsgID: m.TraceID, Msg: msg, Attrs: attrs})
		b.inst.queueChanged()
	}
}

// Flush implements ETRN for one server (smtp.Flusher, RFC 1985).
func (b *smtpBackend) Flush(ctx context.Context, domain string) (smtp.FlushResult, int, error) {
	st := b.inst.Store
	now := time.Now()
	waiting := b.waiting(ctx, domain, now)
	woken, held, err := st.FlushDomain(ctx, b.server.Name, domain, now)
	if err != nil {
		return smtp.FlushFailed, 0, err
	}
	switch {
	case woken > 0:
		// One event per message: the attempt ETRN causes belongs to the
		// message it delivers, so following the message shows it.
		for _, w := range waiting {
			b.inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: b.server.Name, MsgID: w.id,
				Msg:   tracer.M("queue.flush.etrn", "domain", domain, "n", strconv.Itoa(w.rcpts)),
				Attrs: map[string]string{tracer.AttrStep: tracer.StepFlush, tracer.AttrDomain: domain}})
		}
		if len(waiting) == 0 {
			b.inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: b.server.Name,
				Msg:   tracer.M("queue.flush.etrn", "domain", domain, "n", strconv.Itoa(woken)),
				Attrs: map[string]string{tracer.AttrStep: tracer.StepFlush, tracer.AttrDomain: domain}})
		}
		// A held queue (the hold fault) yields to ETRN for this domain.
		if r := b.inst.relay; r != nil {
			r.Release(b.server.Name, domain)
		}
		b.inst.queueChanged()
		return smtp.FlushStarted, woken, nil
	case held > 0:
		return smtp.FlushHeld, held, nil
	case b.inst.World.ServerFor(domain) == nil || strings.EqualFold(domain, b.server.Domain):
		return smtp.FlushForbidden, 0, nil
	}
	return smtp.FlushNone, 0, nil
}

// FlushMsgID names the one message an ETRN for domain would wake now
// (smtp.FlushNamer), so that the trace shows the ETRN as part of it.
func (b *smtpBackend) FlushMsgID(ctx context.Context, domain string) string {
	if w := b.waiting(ctx, domain, time.Now()); len(w) == 1 {
		return w[0].id
	}
	return ""
}

// waitingMsg is a message in the queue with recipients an ETRN wakes.
type waitingMsg struct {
	id    string // its trace id
	rcpts int
}

// waiting lists, oldest first, the messages of this server's queue with
// recipients at domain that a flush at now wakes (not held).
func (b *smtpBackend) waiting(ctx context.Context, domain string, now time.Time) []waitingMsg {
	entries, err := b.inst.Queue(ctx)
	if err != nil {
		return nil
	}
	var out []waitingMsg
	at := map[string]int{}
	for _, e := range entries {
		if e.Server != b.server.Name || !strings.EqualFold(e.Domain, domain) || e.MsgID == "" ||
			e.Status == "delivering" || e.HoldUntil.After(now) {
			continue
		}
		i, ok := at[e.MsgID]
		if !ok {
			i = len(out)
			at[e.MsgID] = i
			out = append(out, waitingMsg{id: e.MsgID})
		}
		out[i].rcpts++
	}
	return out
}

// MaxHold implements smtp.FutureReleaser: mail may be held for a day.
func (b *smtpBackend) MaxHold() time.Duration { return 24 * time.Hour }

// CheckRcpt applies the class limits, then the quota, reject and greylist
// faults (smtp.Policy).
func (b *smtpBackend) CheckRcpt(ctx context.Context, e *smtp.Envelope) error {
	if err := b.classLimits(ctx, e); err != nil {
		return err
	}
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
		wait := b.greylistDelay()
		first, seen := b.inst.faults.firstSeen(key)
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
func (b *smtpBackend) greylistDelay() time.Duration {
	d := 30 * time.Second
	if len(b.inst.World.Queue.Retry) > 0 {
		d = b.inst.World.Queue.Retry[0] / 2
	}
	return min(d, 5*time.Minute)
}

// ReplyDelay applies the slow fault (smtp.Policy).
func (b *smtpBackend) ReplyDelay() time.Duration {
	if b.inst.FaultOf(b.server.Name) == FaultSlow {
		return b.inst.faults.slowDelay()
	}
	return 0
}

var _ smtp.Directory = (*smtpBackend)(nil)

// Users names the server's users (smtp.Directory), which a diagnostic
// lists to a client who named an unknown mailbox. A class's students are
// not among them: the list would tell every student the whole class's
// names (a roster's are real names).
func (b *smtpBackend) Users() []string {
	names := make([]string, 0, len(b.server.Users))
	for _, u := range b.server.Users {
		if !b.server.IsStudent(u.Name) {
			names = append(names, u.Name)
		}
	}
	return names
}

// AddressOf finds a user of the world by name, on any server
// (smtp.Directory): "bob" is bob@b.example.
func (b *smtpBackend) AddressOf(name string) (string, bool) {
	for _, s := range b.inst.World.Servers {
		if u := s.User(name); u != nil {
			return u.Name + "@" + s.Domain, true
		}
	}
	return "", false
}

// ServerOf names the server of a domain (smtp.Directory), as the relay's
// MX lookup finds it: "a.example" is server A.
func (b *smtpBackend) ServerOf(domain string) (string, bool) {
	if s := b.inst.World.ServerFor(domain); s != nil {
		return s.Name, true
	}
	return "", false
}

// classSender is whom a message counts against in a class's limit of
// messages a minute: the key the counts are kept under, and how the reply
// names it; "" for nobody. A student who logged in counts as themself. In
// a session without AUTH, which is how a student telnets by hand, the
// student the envelope sender names (MAIL FROM:<s07@a.example>) or the
// HELO claims (HELO s07) counts, and failing both the client's address
// ("ip ADDR"), so that sending as nobody is no way around the limit. The
// world's relay hops (the message was counted where it was submitted),
// the world's users who logged in (alice, bob) and, without a student
// named, this machine's own clients (the instructor's demos) count
// against nobody.
func (b *smtpBackend) classSender(auth, from, helo string, relay bool, addr net.Addr) (key, who string) {
	if len(b.inst.Students) == 0 || relay {
		return "", ""
	}
	if auth != "" {
		if b.server.IsStudent(auth) {
			return strings.ToLower(auth), auth
		}
		return "", ""
	}
	local := from
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	for _, name := range []string{local, helo} {
		if name == "" {
			continue
		}
		for _, sv := range b.inst.World.Servers {
			if u := sv.User(name); u != nil && sv.IsStudent(u.Name) {
				return strings.ToLower(u.Name), u.Name
			}
		}
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return "", ""
	}
	ip := ta.IP.String()
	return "ip " + ip, ip
}

// classLimits refuses a recipient a class limit forbids
// (world.ClassPolicy): a student who sent MessagesPerMinute messages in the
// last minute gets 450 4.7.1 until the oldest is a minute old, and a
// message for a student whose mailboxes hold MailboxSize octets gets
// 452 4.2.2, mailbox full (RFC 3463 section 3.3), as a real server over
// quota answers. Each refusal is a trace note that says which limit.
func (b *smtpBackend) classLimits(ctx context.Context, e *smtp.Envelope) error {
	pol := b.inst.World.Class
	if key, who := b.classSender(e.AuthUser, e.From, e.Helo, e.FromRelay, e.ClientAddr); key != "" {
		if ok, wait := b.inst.accounts.mayAccept(key, pol.MessagesPerMinute, time.Now()); !ok {
			secs := strconv.Itoa(int(wait.Round(time.Second) / time.Second))
			note := tracer.M("class.limit.rate", "user", who, "n", strconv.Itoa(pol.MessagesPerMinute), "secs", secs)
			if strings.HasPrefix(key, "ip ") {
				note = tracer.M("class.limit.rate.addr", "addr", who, "n", strconv.Itoa(pol.MessagesPerMinute), "secs", secs)
				who = "your address " + who
			}
			return &smtp.Error{Code: 450, Enh: "4.7.1", NotCounted: true, Note: note,
				Msg: fmt.Sprintf("<%s>: %s has sent %d messages in the last minute (the class limit): try again in %ss", e.Rcpt, who, pol.MessagesPerMinute, secs)}
		}
	}
	if !e.Local || pol.MailboxSize <= 0 {
		return nil
	}
	local := e.Rcpt
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	user, ok := b.LocalUser(local)
	if !ok || !b.server.IsStudent(user) {
		return nil
	}
	size, err := b.inst.Store.UserSize(ctx, b.server.Name, user)
	if err != nil || size < pol.MailboxSize {
		return nil
	}
	return &smtp.Error{Code: 452, Enh: "4.2.2", NotCounted: true,
		Note: tracer.M("class.limit.mailbox", "user", user, "size", strconv.FormatInt(size, 10), "max", strconv.FormatInt(pol.MailboxSize, 10)),
		Msg:  fmt.Sprintf("<%s>: Mailbox full: %s's mailboxes are over the class limit of %d octets; they must delete some mail first", e.Rcpt, user, pol.MailboxSize)}
}
