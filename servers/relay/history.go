package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Record is a recipient of the queue with what happened to it and what
// will: each attempt and operator action so far, the times of the attempts
// still to come on the world's retry schedule, and the give-up time after
// which the queue bounces it.
type Record struct {
	Entry
	// Done is when a finished recipient was sent or bounced.
	Done time.Time `json:"done,omitzero"`
	// History lists every attempt and action, oldest first.
	History []store.Attempt `json:"history"`
	// Schedule lists the coming attempts' times: the next attempt first,
	// then those the retry schedule would make if each one failed, up to
	// the give-up time. Empty for a finished recipient and while its
	// server's queue is held (no scheduled attempt).
	Schedule []time.Time `json:"schedule"`
	// GiveUp is when the queue stops trying and bounces (the world's
	// queue.give_up after the message was queued); zero when it never does.
	GiveUp time.Time `json:"give_up,omitzero"`
}

// maxSchedule bounds the coming attempts listed for one recipient.
const maxSchedule = 20

// Records lists the pending recipients of every server's queue (oldest
// first) and the maxDone newest finished ones (newest first), with their
// histories and schedules.
func (r *Relay) Records(ctx context.Context, maxDone int) (pending, done []Record, err error) {
	p, d, err := r.cfg.Store.QueueRecords(ctx, maxDone)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	skip, _ := r.holdFilter()
	pending, done = make([]Record, 0, len(p)), make([]Record, 0, len(d))
	for _, qr := range p {
		rec := Record{Entry: entryOf(qr.QueueItem, now, skip), History: qr.History, GiveUp: r.giveUp(qr.QueueItem)}
		rec.Schedule = r.schedule(qr.QueueItem, rec.Status)
		pending = append(pending, rec)
	}
	for _, qr := range d {
		done = append(done, Record{Entry: entryOf(qr.QueueItem, now, skip), Done: qr.Done, History: qr.History,
			Schedule: []time.Time{}})
	}
	return pending, done, nil
}

// giveUp is when the queue gives it up, or zero.
func (r *Relay) giveUp(it *store.QueueItem) time.Time {
	if g := r.cfg.World.Queue.GiveUp; g > 0 {
		return it.Created.Add(g)
	}
	return time.Time{}
}

// schedule lists it's coming attempts as record would make them: the next
// at NextAttempt, each later one a retry wait after the one before (the
// wait after attempt n is retry[n-1], the last wait repeating), the last at
// the give-up time.
func (r *Relay) schedule(it *store.QueueItem, status string) []time.Time {
	out := []time.Time{}
	if status == "hold" || status == store.StatusDelivering || it.NextAttempt.IsZero() {
		return out
	}
	sched := r.cfg.World.Queue.Retry
	end := r.giveUp(it)
	t := it.NextAttempt
	for n := it.Attempts + 1; len(out) < maxSchedule; n++ {
		out = append(out, t)
		if !end.IsZero() && !t.Before(end) || len(sched) == 0 {
			break
		}
		t = t.Add(sched[min(n-1, len(sched)-1)])
		if !end.IsZero() && t.After(end) {
			t = end
		}
	}
	return out
}

// hop names who talked to whom in an attempt: "A → B 127.0.0.1:11025",
// or "A → domain" when the lookup found no server.
func (r *Relay) hop(src, dest *world.Server, domain string) string {
	if dest == nil {
		return src.Name + " → " + domain
	}
	return src.Name + " → " + dest.Name + " " + r.cfg.Addr(dest.Name)
}

// recordAttempt adds o to its recipient's history; status is what the
// attempt left it (sent, queued, bounced).
func (r *Relay) recordAttempt(tx *store.Tx, src, dest *world.Server, o outcome, status string, at time.Time) error {
	a := store.Attempt{At: at, Kind: store.HistAttempt, Outcome: status,
		Code: o.code, Reply: o.reply, Hop: r.hop(src, dest, o.item.Domain)}
	if o.why != nil {
		a.Why, _ = json.Marshal(o.why)
	}
	return tx.RecordAttempt(o.item.ID, a)
}

// ErrNotQueued is returned by RetryNow and BounceNow when no recipient
// named is waiting in the queue.
var ErrNotQueued = store.ErrNotQueued

// ErrHeld is returned by RetryNow when every recipient named is held until
// its FUTURERELEASE time.
var ErrHeld = store.ErrHeld

// RetryNow makes the next attempt of the recipients ref names (a
// recipient's id, or a message's trace id for all of its recipients) due
// now, even on a server whose queue is held, as a flush does; held
// (FUTURERELEASE) mail stays held. It returns how many it woke.
func (r *Relay) RetryNow(ctx context.Context, ref string) (int, error) {
	items, err := r.cfg.Store.QueueItemsOf(ctx, ref)
	if err != nil {
		return 0, err
	}
	n := 0
	var last error
	for _, it := range items {
		if err := r.cfg.Store.RetryNow(ctx, it.ID, time.Now()); err != nil {
			last = err
			continue
		}
		n++
		r.event(it, tracer.StepRetryNow, tracer.M("queue.retrynow", "server", it.Server, "rcpt", it.Rcpt,
			"n", strconv.Itoa(it.Attempts+1)), nil)
		r.Release(it.Server, it.Domain)
	}
	if n == 0 {
		return 0, last
	}
	r.Poke()
	return n, nil
}

// BounceNow gives up on the recipients ref names (as RetryNow) at once:
// each is marked bounced and the sender gets the same delivery status
// notification (RFC 3464) as when the queue gives up at its give-up time.
// A recipient whose delivery is under way is left to that attempt. It
// returns how many it bounced.
func (r *Relay) BounceNow(ctx context.Context, ref string) (int, error) {
	items, err := r.cfg.Store.QueueItemsOf(ctx, ref)
	if err != nil {
		return 0, err
	}
	n := 0
	var last error
	for _, it := range items {
		src := r.cfg.World.Server(it.Server)
		if src == nil {
			last = fmt.Errorf("relay: message %s is of no server of this world (%s)", it.TraceID, it.Server)
			continue
		}
		now := time.Now()
		lastErr := it.LastError
		if lastErr == "" {
			lastErr = "none (no attempt yet)"
		}
		elapsed := now.Sub(it.Created).Round(time.Second)
		giveUp := r.cfg.World.Queue.GiveUp
		// The words of record's give-up: "gave up" makes the DSN's status
		// 4.4.7, delivery time expired (RFC 3463 section 3.5), as then.
		attempts := "attempts"
		if it.Attempts == 1 {
			attempts = "attempt"
		}
		reason := fmt.Sprintf("gave up after %d %s over %s (bounced now by the operator, before the world's give_up of %s); last error: %s",
			it.Attempts, attempts, elapsed, giveUp, lastErr)
		// The last error in Chinese: the relay's own words (a refused
		// connection, a timeout) are a catalog message; a server's reply
		// stays as it came.
		replyZH := it.LastError
		var lw tracer.Msg
		if it.LastWhy != "" && json.Unmarshal([]byte(it.LastWhy), &lw) == nil && lw.Key != "" {
			replyZH = tracer.NewExplainer("zh").Format(&lw) // the relay's own words, in Chinese
		}
		if replyZH == "" {
			replyZH = tracer.NewExplainer("zh").Format(tracer.M("queue.bouncenow.noattempt"))
		}
		// The same words as a catalog message, for a reader in Chinese.
		why, _ := json.Marshal(tracer.M("queue.why.bouncenow", "attempts", strconv.Itoa(it.Attempts),
			"elapsed", elapsed.String(), "elapsed_zh", tracer.DurationZH(elapsed),
			"give_up", giveUp.String(), "give_up_zh", tracer.DurationZH(giveUp), "last", lastErr, "last_zh", replyZH))
		if err := r.cfg.Store.BounceNow(ctx, it.ID, reason, why, now); err != nil {
			last = err
			continue
		}
		n++
		r.event(it, tracer.StepBounceNow, tracer.M("queue.bouncenow", "server", it.Server, "rcpt", it.Rcpt,
			"attempts", strconv.Itoa(it.Attempts)), nil)
		r.bounce(src, it, reason, "", 0, []string{"reply", lastErr, "reply_zh", replyZH, "attempts", strconv.Itoa(it.Attempts),
			"elapsed", elapsed.String(), "elapsed_zh", tracer.DurationZH(elapsed),
			"give_up", giveUp.String(), "give_up_zh", tracer.DurationZH(giveUp)})
	}
	if n == 0 {
		if last == nil {
			last = ErrNotQueued
		}
		return 0, last
	}
	return n, nil
}

// IsNotQueued reports whether err says the recipient was not waiting.
func IsNotQueued(err error) bool {
	return errors.Is(err, store.ErrNotQueued) || errors.Is(err, store.ErrHeld)
}
