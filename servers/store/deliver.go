package store

import (
	"context"
	"strings"
	"time"
)

// Delivery is one message accepted by an SMTP server: copies for local users
// go into their INBOX, recipients in other domains go into the outgoing queue,
// all in one transaction.
type Delivery struct {
	Server    string
	TraceID   string
	Sender    string    // envelope sender (reverse-path), "" for a bounce
	Local     []string  // local user names
	Remote    []string  // addresses in other domains
	Body      []byte    // the message as stored: CRLF line endings
	Received  time.Time // internal date
	HoldUntil time.Time // FUTURERELEASE: do not relay before this time
	// NotifyNever lists remote recipients that asked for no failure notice
	// (RCPT TO:<...> NOTIFY=NEVER, RFC 3461 section 4.1).
	NotifyNever []string
	// EnvID and Ret are MAIL FROM's ENVID (xtext, as given) and RET
	// (RFC 3461 sections 4.3 and 4.4); DSN holds each remote recipient's
	// NOTIFY and ORCPT, by address as given (sections 4.1 and 4.2).
	EnvID string
	Ret   string
	DSN   map[string]RcptDSN
	// Committed, when set, is told where the message went as soon as it is
	// on disk, before any other write: a queue run cannot claim it first
	// (see Tx.AfterCommit).
	Committed func(*Delivered)
}

// Delivered says where a delivery went.
type Delivered struct {
	Local   map[string]uint32 // user -> UID in INBOX
	QueueID int64             // 0 when nothing was queued
}

// Deliver stores d durably: when it returns nil, the message is on disk.
func (s *Store) Deliver(ctx context.Context, d *Delivery) (*Delivered, error) {
	out := &Delivered{Local: make(map[string]uint32, len(d.Local))}
	err := s.Write(ctx, func(tx *Tx) error {
		for _, u := range d.Local {
			id, err := tx.ensureMailbox(d.Server, u, "INBOX", "")
			if err != nil {
				return err
			}
			uid, err := tx.AppendMessage(id, d.Body, d.Received, nil, d.TraceID)
			if err != nil {
				return err
			}
			out.Local[u] = uid
		}
		if len(d.Remote) > 0 {
			qid, err := tx.Enqueue(d)
			if err != nil {
				return err
			}
			out.QueueID = qid
		}
		if d.Committed != nil {
			tx.AfterCommit(func() { d.Committed(out) })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Enqueue adds a message and its remote recipients to the outgoing queue.
func (tx *Tx) Enqueue(d *Delivery) (int64, error) {
	created := d.Received
	if created.IsZero() {
		created = time.Now()
	}
	var hold, next int64 // hold in seconds, next attempt in milliseconds
	if !d.HoldUntil.IsZero() {
		// The hold is kept in whole seconds, rounded up, and the first
		// attempt waits for the same second: rounded down, a hold ending
		// at 10.7 s was "over" at 10.2 s for the queue listing and for
		// ETRN, which released held mail before the time the client
		// asked for (RFC 4865 holds it until then).
		hold = d.HoldUntil.Unix()
		if d.HoldUntil.After(time.Unix(hold, 0)) {
			hold++
		}
		next = hold * 1000
	}
	tx.store.written.Add(int64(len(d.Body)))
	res, err := tx.Exec(sqlInsertQueue,
		d.Server, d.TraceID, d.Sender, created.Unix(), hold, d.Body)
	if err != nil {
		return 0, err
	}
	qid, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, r := range d.Remote {
		domain := ""
		if i := strings.LastIndexByte(r, '@'); i >= 0 {
			domain = strings.ToLower(r[i+1:])
		}
		if _, err := tx.Exec(sqlInsertQueueRcpt,
			qid, r, domain, next, now(), d.rcptNotify(r)); err != nil {
			return 0, err
		}
	}
	if err := tx.enqueueDSN(qid, d); err != nil {
		return 0, err
	}
	tx.Changed(Change{Kind: ChangeQueue, Server: d.Server})
	return qid, nil
}
