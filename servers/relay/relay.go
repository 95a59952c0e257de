// Package relay is a world's outgoing queue worker: it delivers the mail
// its servers queued to the other servers of the world over real SMTP
// sessions (RFC 5321, STARTTLS per RFC 3207, 8BITMIME per RFC 6152, SIZE
// per RFC 1870), retries on the world's schedule, releases held mail
// (FUTURERELEASE, RFC 4865) and sends delivery status notifications
// (RFC 3464, in a multipart/report per RFC 6522, status codes per RFC 3463)
// when a delivery fails for good.
package relay

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Relay is the outgoing queue worker: it delivers queued mail to the other
// servers of the world over real SMTP sessions (github.com/emersion/go-smtp's
// client), retries on the world's schedule, honours FUTURERELEASE holds and
// sends DSN bounces (RFC 3464) when a delivery fails for good.
type Relay struct {
	cfg Config

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	// perDest bounds concurrent sessions to one destination server.
	perDest map[string]chan struct{}
	// held names the sending servers whose queue is held (the hold
	// fault): the worker makes no scheduled attempt for their mail.
	held map[string]bool
	// released names the (server, domain) pairs a flush released from a
	// hold for one claim: holdKey(server, domain), or holdKey(server, "")
	// for every domain of server.
	released map[string]bool
	mu       sync.Mutex
}

// Config is what the queue worker needs of the world it runs in.
type Config struct {
	Store  *store.Store
	World  *world.World
	Bus    *tracer.Bus
	Logger *slog.Logger
	// Addr returns the live SMTP address of a server of the world.
	Addr func(server string) string
	// Roots are the certificates trusted when a receiving server offers
	// STARTTLS (RFC 3207): the world's own.
	Roots *x509.CertPool
	// MaxPerDest is how many sessions may run to one destination at once;
	// 0 means 2.
	MaxPerDest int
}

// New returns a relay over cfg; Run starts it.
func New(cfg Config) *Relay {
	if cfg.MaxPerDest <= 0 {
		cfg.MaxPerDest = 2
	}
	return &Relay{
		cfg:      cfg,
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		perDest:  make(map[string]chan struct{}),
		held:     make(map[string]bool),
		released: make(map[string]bool),
	}
}

// Hold holds or lets go of server's queue, as Postfix's defer_transports
// does: while held, the worker makes no scheduled attempt for the mail
// server queued (new mail is still accepted and queued), and only a flush
// (ETRN, RFC 1985, or mailscope queue flush) releases mail, one domain at
// a time. Letting go resumes the schedule: mail whose time has come while
// it was held goes at once.
func (r *Relay) Hold(server string, on bool) {
	r.mu.Lock()
	if on {
		r.held[server] = true
	} else {
		delete(r.held, server)
		for k := range r.released {
			if s, _, _ := strings.Cut(k, "\x00"); s == server {
				delete(r.released, k)
			}
		}
	}
	r.mu.Unlock()
	r.Poke()
}

// Release lets the next claim take the due mail of a held server for
// domain ("" for every domain): a flush made that mail due, and a hold
// must not keep it (the defer_transports of Postfix yield to a flush too).
// On a server that is not held it does nothing.
func (r *Relay) Release(server, domain string) {
	r.mu.Lock()
	if r.held[server] {
		r.released[holdKey(server, domain)] = true
	}
	r.mu.Unlock()
	r.Poke()
}

func holdKey(server, domain string) string { return server + "\x00" + strings.ToLower(domain) }

// holdFilter returns the skip function of a claim (nil when no server is
// held) and the releases it honours, which the claim uses up.
func (r *Relay) holdFilter() (skip func(server, domain string) bool, used []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.held) == 0 {
		return nil, nil
	}
	held := make(map[string]bool, len(r.held))
	for s := range r.held {
		held[s] = true
	}
	released := make(map[string]bool, len(r.released))
	for k := range r.released {
		released[k] = true
		used = append(used, k)
	}
	skip = func(server, domain string) bool {
		return held[server] && !released[holdKey(server, domain)] && !released[holdKey(server, "")]
	}
	return skip, used
}

// useReleases forgets releases a claim honoured: the mail they released
// was due when they were made, so that claim took it all.
func (r *Relay) useReleases(used []string) {
	r.mu.Lock()
	for _, k := range used {
		delete(r.released, k)
	}
	r.mu.Unlock()
}

// Poke wakes the worker (new mail, a flush, a fault cleared).
func (r *Relay) Poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops the worker and waits for deliveries under way: they end
// quickly once the listeners are closed, and the store must outlive them.
// It waits until ctx ends, but at least a few seconds.
func (r *Relay) Shutdown(ctx context.Context) error {
	close(r.stop)
	grace := time.NewTimer(3 * time.Second)
	defer grace.Stop()
	finished := make(chan struct{})
	go func() { <-r.done; r.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-grace.C:
	}
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run delivers due mail until Shutdown: it first settles deliveries a
// restart interrupted, then claims what is due, wakes at the next due time
// or when poked.
func (r *Relay) Run() {
	defer close(r.done)
	r.recoverInterrupted()
	for {
		// The releases first, then the time: a flush made its mail due
		// before it released it, so that mail is due at now.
		skip, used := r.holdFilter()
		now := time.Now()
		items, err := r.cfg.Store.ClaimDue(context.Background(), now, skip)
		if err == nil {
			r.useReleases(used)
		}
		if err != nil {
			if errors.Is(err, store.ErrClosed) {
				return
			}
			r.cfg.Logger.Error("relay: claiming due mail", "err", err)
		}
		r.dispatch(items)
		wait := time.Minute
		skip, _ = r.holdFilter()
		if next, err := r.cfg.Store.NextDue(context.Background(), skip); err == nil && !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = d
			}
		}
		if wait < 50*time.Millisecond {
			wait = 50 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// recoverInterrupted handles recipients whose delivery was under way when
// the process stopped. The receiving server is part of this world, so its
// store says whether the message arrived: if it did, the delivery is marked
// done (nothing is delivered twice); if not, it is queued again (nothing is
// lost).
func (r *Relay) recoverInterrupted() {
	ctx := context.Background()
	items, err := r.cfg.Store.Delivering(ctx)
	if err != nil || len(items) == 0 {
		return
	}
	r.cfg.Store.Write(ctx, func(tx *store.Tx) error {
		for _, it := range items {
			arrived := false
			if dest := r.cfg.World.ServerFor(it.Domain); dest != nil {
				local, _, _ := strings.Cut(it.Rcpt, "@")
				if u := dest.User(local); u != nil {
					arrived, _ = r.cfg.Store.HasTraceID(ctx, dest.Name, u.Name, it.TraceID)
				}
			}
			if arrived {
				tx.MarkSent(it.ID, "delivered before the restart (found in the recipient's mailbox)")
			} else {
				tx.Requeue(it.ID, time.Now())
			}
			key := "queue.recovered.requeued"
			if arrived {
				key = "queue.recovered.arrived"
			}
			r.event(it, tracer.StepRecovered, tracer.M(key, "rcpt", it.Rcpt), nil)
		}
		return nil
	})
}

// dispatch starts one delivery goroutine per (server, destination domain).
func (r *Relay) dispatch(items []*store.QueueItem) {
	groups := map[string][]*store.QueueItem{}
	var keys []string
	for _, it := range items {
		k := it.Server + "\x00" + it.Domain
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], it)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.deliverGroup(g[0].Server, g[0].Domain, g)
		}()
	}
}

func (r *Relay) slot(dest string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.perDest[dest]
	if !ok {
		ch = make(chan struct{}, r.cfg.MaxPerDest)
		r.perDest[dest] = ch
	}
	return ch
}

// outcome is what happened to one recipient in one attempt.
type outcome struct {
	item  *store.QueueItem
	code  int    // SMTP reply code; 0 when no reply (connection failed)
	reply string // the reply or the error, for the record and the DSN
	// why is the reason as a catalog message when it is no reply of the
	// server (see why.go); reply is then its English text.
	why *tracer.Msg
	// dsn says the receiving server offers DSN, so the recipient's
	// NOTIFY= went on with the message and notices are its to send
	// (RFC 3461 section 5.2.1).
	dsn bool
}

// replyZH is the reason of o for a Chinese text: its catalog message in
// Chinese, or the server's reply as it came (wire text).
func (o outcome) replyZH() string {
	if o.why == nil {
		return o.reply
	}
	return tracer.NewExplainer("zh").Format(o.why)
}

// deliverGroup delivers every due message of one server to one domain in
// one SMTP session, the messages one after another (MAIL, RCPT..., DATA).
func (r *Relay) deliverGroup(from, domain string, items []*store.QueueItem) {
	src := r.cfg.World.Server(from)
	for _, it := range items {
		if it.Attempts == 0 && !it.HoldUntil.IsZero() {
			r.event(it, tracer.StepReleased, tracer.M("queue.released"), nil)
		}
	}
	dest := r.cfg.World.ServerFor(domain)
	if dest == nil {
		r.lookupEvent(from, domain, items, tracer.M("lookup.nomx", "domain", domain))
		var outs []outcome
		why := tracer.M("queue.why.nomx", "domain", domain)
		for _, it := range items {
			outs = append(outs, outcome{item: it, code: 550, reply: reasonText(why), why: why})
		}
		r.record(src, nil, outs)
		return
	}
	addr := r.cfg.Addr(dest.Name)
	r.lookupEvent(from, domain, items, tracer.M("lookup.mx", "domain", domain, "server", dest.Name, "addr", addr))

	sem := r.slot(dest.Name)
	select {
	case sem <- struct{}{}:
	case <-r.stop:
		r.requeue(items)
		return
	}
	defer func() { <-sem }()

	for _, it := range items {
		n := strconv.Itoa(it.Attempts + 1)
		r.event(it, tracer.StepAttempt, tracer.M("queue.attempt", "n", n, "from", from, "to", dest.Name, "addr", addr, "rcpt", it.Rcpt),
			map[string]string{tracer.AttrAttempt: n, tracer.AttrTo: dest.Name})
	}
	outs := r.session(src, dest, addr, byMessage(items))
	r.record(src, dest, outs)
}

// requeue hands claimed recipients back untouched (shutdown).
func (r *Relay) requeue(items []*store.QueueItem) {
	r.cfg.Store.Write(context.Background(), func(tx *store.Tx) error {
		for _, it := range items {
			tx.Requeue(it.ID, time.Now())
		}
		return nil
	})
}

// record writes each outcome to the queue: 2xx sent, 5xx bounced, anything
// else deferred on the retry schedule (or bounced once the give-up time has
// passed), then sends the bounces.
func (r *Relay) record(src, dest *world.Server, outs []outcome) {
	now := time.Now()
	type bounce struct {
		it       *store.QueueItem
		reason   string
		reasonZH string // reason for a Chinese text (outcome.replyZH)
		code     int
		gaveUp   []string // the gave-up arguments of the bounce's event, or nil
	}
	var bounces []bounce
	var events, notices []func()
	err := r.cfg.Store.Write(context.Background(), func(tx *store.Tx) error {
		bounces, events, notices = nil, nil, nil
		for _, o := range outs {
			it := o.item
			switch {
			case o.code >= 200 && o.code < 300:
				if err := tx.MarkSent(it.ID, o.reply); err != nil {
					return err
				}
				if err := r.recordAttempt(tx, src, dest, o, store.StatusSent, now); err != nil {
					return err
				}
				events = append(events, func() {
					r.event(it, tracer.StepDelivered, tracer.M("queue.delivered", "to", dest.Name, "rcpt", it.Rcpt, "reply", o.reply, "from", src.Name), nil)
				})
				if wants(it.Notify, ActionDelivered) {
					notices = append(notices, r.successNotice(src, dest, it, o))
				}
			case o.code >= 500:
				if err := tx.MarkBounced(it.ID, o.reply); err != nil {
					return err
				}
				if err := r.recordAttempt(tx, src, dest, o, store.StatusBounced, now); err != nil {
					return err
				}
				bounces = append(bounces, bounce{it, o.reply, o.replyZH(), o.code, nil})
			default:
				attempts := it.Attempts + 1
				sched := r.cfg.World.Queue.Retry
				wait := sched[min(attempts-1, len(sched)-1)]
				next := now.Add(wait)
				if giveUp := r.cfg.World.Queue.GiveUp; giveUp > 0 {
					if now.Sub(it.Created) >= giveUp {
						if err := tx.MarkBounced(it.ID, o.reply); err != nil {
							return err
						}
						if err := r.recordAttempt(tx, src, dest, o, store.StatusBounced, now); err != nil {
							return err
						}
						elapsed := now.Sub(it.Created).Round(time.Second)
						reason := fmt.Sprintf("gave up after %d attempts over %s (the world's give_up is %s); last error: %s", attempts, elapsed, giveUp, o.reply)
						bounces = append(bounces, bounce{it, reason, "", 0,
							[]string{"reply", o.reply, "reply_zh", o.replyZH(), "attempts", strconv.Itoa(attempts),
								"elapsed", elapsed.String(), "elapsed_zh", tracer.DurationZH(elapsed),
								"give_up", giveUp.String(), "give_up_zh", tracer.DurationZH(giveUp)}})
						continue
					}
					// The last attempt comes at the give-up time, not after it.
					if end := it.Created.Add(giveUp); next.After(end) {
						next = end
						wait = time.Until(end).Round(time.Second)
					}
				}
				if err := tx.Defer(it.ID, o.reply, next); err != nil {
					return err
				}
				if err := r.recordAttempt(tx, src, dest, o, store.StatusQueued, now); err != nil {
					return err
				}
				if f, err := r.delayDue(tx, it, now); err != nil {
					return err
				} else if f {
					notices = append(notices, func() { r.delayed(src, it, o.reply, next) })
				}
				events = append(events, func() {
					r.event(it, tracer.StepDeferred, tracer.M("queue.deferred", "reply", o.reply, "reply_zh", o.replyZH(), "server", src.Name,
						"n", strconv.Itoa(attempts+1), "time", next.Format("15:04:05"), "wait", wait.String(), "wait_zh", tracer.DurationZH(wait)),
						map[string]string{tracer.AttrNextAttempt: next.UTC().Format(time.RFC3339Nano), tracer.AttrAttempt: strconv.Itoa(attempts), tracer.AttrError: o.reply})
				})
			}
		}
		return nil
	})
	if err != nil {
		r.cfg.Logger.Error("relay: recording delivery results", "err", err)
		return
	}
	for _, e := range events {
		e()
	}
	for _, n := range notices {
		n()
	}
	for _, b := range bounces {
		r.bounce(src, b.it, b.reason, b.reasonZH, b.code, b.gaveUp)
	}
	// The worker computed its next wake-up while these were being delivered.
	r.Poke()
}

// successNotice is what follows the delivery of o to a recipient that
// asked for NOTIFY=SUCCESS: when the receiving server offers DSN, NOTIFY
// went on with the message and the notice is that server's to send (RFC
// 3461 section 5.2.1: B delivers to the mailbox and sends "delivered"), so
// the trace only says so; else this server sends "relayed" (section 5.2.2).
func (r *Relay) successNotice(src, dest *world.Server, it *store.QueueItem, o outcome) func() {
	if o.dsn {
		return func() {
			r.event(it, tracer.StepDSN, tracer.M("queue.dsn.passed", "from", src.Name, "to", dest.Name, "rcpt", it.Rcpt, "notify", it.Notify), nil)
		}
	}
	return func() { r.relayed(src, dest, it, o.reply) }
}

// delayDue reports whether deferred recipient it gets its "delayed"
// notice now: it asked for NOTIFY=DELAY, its message has waited the
// world's queue.delay_notice, and it has not had one (the store marks it).
func (r *Relay) delayDue(tx *store.Tx, it *store.QueueItem, now time.Time) (bool, error) {
	wait := r.cfg.World.Queue.DelayNotice
	if wait <= 0 || it.Sender == "" || !wants(it.Notify, ActionDelayed) || now.Sub(it.Created) < wait {
		return false, nil
	}
	return tx.MarkDelayNotified(it.ID)
}

// bounce sends a "failed" delivery status notification (RFC 3464) to the
// sender, unless the sender was <> or its NOTIFY= left failures out (RFC
// 3461 section 4.1: NEVER, or a list without FAILURE). reason is the
// notice's diagnostic; the trace says it from gaveUp's arguments when the
// queue gave up (see the queue.bounced.*.gaveup entries of the catalog),
// else from reason (reasonZH in Chinese).
func (r *Relay) bounce(src *world.Server, it *store.QueueItem, reason, reasonZH string, code int, gaveUp []string) {
	say := func(key string, kv ...string) *tracer.Msg {
		if gaveUp != nil {
			return tracer.M(key+".gaveup", append(kv, gaveUp...)...)
		}
		return tracer.M(key, append(kv, "reply", reason, "reply_zh", reasonZH)...)
	}
	switch {
	case it.Sender == "":
		r.event(it, tracer.StepBounced, say("queue.bounced.null"), nil)
		return
	case it.NotifyNever:
		r.event(it, tracer.StepBounced, say("queue.bounced.never"), nil)
		return
	case !wants(it.Notify, ActionFailed):
		r.event(it, tracer.StepBounced, say("queue.bounced.nofailure", "notify", it.Notify), nil)
		return
	}
	n := r.notice(src, it, r.queueDSN(it))
	n.Action = ActionFailed
	n.Status, n.Diagnostic = failStatus(reason)
	n.Reason, n.RemoteMTA, n.LastTry = reason, it.Domain, time.Now()
	where := r.send(n)
	if where == "" {
		return
	}
	r.event(it, tracer.StepBounced, say(pick(where, "queue.bounced.local", "queue.bounced.remote"), "sender", it.Sender), map[string]string{"error": reason})
}

// delayed sends the one "delayed" notice a recipient that asked for
// NOTIFY=DELAY gets once its message has waited the world's
// queue.delay_notice, and says so in the trace; next is the next attempt.
func (r *Relay) delayed(src *world.Server, it *store.QueueItem, reply string, next time.Time) {
	n := r.notice(src, it, r.queueDSN(it))
	n.Action, n.Status = ActionDelayed, "4.0.0"
	if s := enhancedIn(reply); s != "" && s[0] == '4' {
		n.Status = s
	}
	n.Diagnostic, n.RemoteMTA, n.LastTry = reply, it.Domain, time.Now()
	n.Reason = "delivery to " + it.Rcpt + " failed for now: " + reply + "; the next attempt is at " + next.UTC().Format(time.RFC1123Z)
	if g := r.cfg.World.Queue.GiveUp; g > 0 {
		n.RetryUntil = it.Created.Add(g)
	}
	where := r.send(n)
	if where == "" {
		return
	}
	wait := r.cfg.World.Queue.DelayNotice
	r.event(it, tracer.StepDSN, tracer.M(pick(where, "queue.dsn.delayed.local", "queue.dsn.delayed.remote"), "sender", it.Sender, "rcpt", it.Rcpt,
		"wait", wait.String(), "wait_zh", tracer.DurationZH(wait)), map[string]string{tracer.AttrAction: ActionDelayed})
}

// relayed sends the "relayed" notice a recipient that asked for
// NOTIFY=SUCCESS gets when its message went to a server that does not offer
// DSN (RFC 3461 section 5.2.2): no "delivered" notice can come from there.
func (r *Relay) relayed(src, dest *world.Server, it *store.QueueItem, reply string) {
	n := r.notice(src, it, r.queueDSN(it))
	n.Action, n.Status = ActionRelayed, "2.0.0"
	if s := enhancedIn(reply); s != "" && s[0] == '2' {
		n.Status = s
	}
	n.Diagnostic, n.RemoteMTA, n.LastTry = reply, dest.Domain, time.Now()
	where := r.send(n)
	if where == "" {
		return
	}
	r.event(it, tracer.StepDSN, tracer.M(pick(where, "queue.dsn.relayed.local", "queue.dsn.relayed.remote"), "sender", it.Sender, "rcpt", it.Rcpt, "to", dest.Name),
		map[string]string{tracer.AttrAction: ActionRelayed})
}

// event publishes a queue step about one recipient; msg says it.
func (r *Relay) event(it *store.QueueItem, step string, msg *tracer.Msg, attrs map[string]string) {
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs[tracer.AttrStep] = step
	attrs[tracer.AttrRcpt] = it.Rcpt
	r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: it.Server, MsgID: it.TraceID, Msg: msg, Attrs: attrs})
}

// lookupEvent publishes the MX lookup once for each message of items.
func (r *Relay) lookupEvent(from, domain string, items []*store.QueueItem, msg *tracer.Msg) {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.TraceID] {
			continue
		}
		seen[it.TraceID] = true
		r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindLookup, Server: from, MsgID: it.TraceID, Msg: msg,
			Attrs: map[string]string{"domain": domain}})
	}
}
