package relay

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// Entry is one recipient of one message in a server's outgoing queue.
type Entry struct {
	ID          int64     `json:"id"`       // the recipient's row
	QueueID     int64     `json:"queue_id"` // the message's row
	Server      string    `json:"server"`
	MsgID       string    `json:"msgid"` // the trace id that follows the message
	Sender      string    `json:"sender"`
	Rcpt        string    `json:"rcpt"`
	Domain      string    `json:"domain"`
	Status      string    `json:"status"` // queued, held, delivering, deferred, hold (its server's queue is held)
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	// LastWhy is LastError as a catalog message when it is the relay's
	// own words, for a reader to say in their language.
	LastWhy   *tracer.Msg `json:"last_why,omitempty"`
	Created   time.Time   `json:"created"`
	HoldUntil time.Time   `json:"hold_until,omitempty"`
	Size      int         `json:"size"`
}

// Queue lists every server's outgoing queue, oldest first.
func (r *Relay) Queue(ctx context.Context) ([]Entry, error) {
	items, err := r.cfg.Store.PendingQueue(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	skip, _ := r.holdFilter()
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		out = append(out, entryOf(it, now, skip))
	}
	return out, nil
}

// entryOf is it as the queue shows it at now; skip is the hold filter.
func entryOf(it *store.QueueItem, now time.Time, skip func(server, domain string) bool) Entry {
	status := it.Status
	if status == store.StatusQueued {
		switch {
		case !it.HoldUntil.IsZero() && it.HoldUntil.After(now) && it.Attempts == 0:
			status = "held"
		case skip != nil && skip(it.Server, it.Domain):
			status = "hold" // no scheduled attempt: waits for ETRN or the hold's end
		case it.Attempts > 0:
			status = "deferred"
		}
	}
	e := Entry{ID: it.ID, QueueID: it.QueueID, Server: it.Server, MsgID: it.TraceID, Sender: it.Sender,
		Rcpt: it.Rcpt, Domain: it.Domain, Status: status, Attempts: it.Attempts, NextAttempt: it.NextAttempt,
		LastError: it.LastError, Created: it.Created, HoldUntil: it.HoldUntil, Size: it.Size}
	if it.LastWhy != "" {
		var m tracer.Msg
		if json.Unmarshal([]byte(it.LastWhy), &m) == nil && m.Key != "" {
			e.LastWhy = &m
		}
	}
	return e
}

// Flush makes queued mail for domain ("" for every domain) due now on
// every server and returns how many recipients it woke, even on a server
// whose queue is held (Hold): a flush is what a hold waits for. Held
// (FUTURERELEASE) mail stays held.
func (r *Relay) Flush(ctx context.Context, domain string) (int, error) {
	total := 0
	for _, s := range r.cfg.World.Servers {
		n, _, err := r.cfg.Store.FlushDomain(ctx, s.Name, strings.ToLower(domain), time.Now())
		if err != nil {
			return total, err
		}
		total += n
		if n > 0 {
			r.Release(s.Name, domain)
		}
	}
	if total > 0 {
		r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Msg: tracer.M("queue.flush", "n", strconv.Itoa(total)),
			Attrs: map[string]string{tracer.AttrStep: tracer.StepFlush, tracer.AttrDomain: domain}})
		r.Poke()
	}
	return total, nil
}
