package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Queue recipient statuses. A recipient is "queued" until a delivery attempt
// claims it ("delivering"); a 250 from the receiving server makes it "sent",
// a 5xx or the give-up time "bounced", a 4xx puts it back to "queued" with a
// later next attempt.
const (
	StatusQueued     = "queued"
	StatusDelivering = "delivering"
	StatusSent       = "sent"
	StatusBounced    = "bounced"
)

// QueueItem is one recipient of one queued message.
type QueueItem struct {
	ID          int64
	QueueID     int64
	Server      string
	TraceID     string
	Sender      string
	Rcpt        string
	Domain      string
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	// LastWhy is LastError as a catalog message (JSON of tracer.Msg) when
	// it is no server's reply but the relay's own words ("connection
	// refused: server B is down"), so a reader says it in their language.
	LastWhy     string
	Created     time.Time
	HoldUntil   time.Time
	Size        int
	NotifyNever bool // the sender asked for no failure notice (RFC 3461)
	// Notify is the recipient's NOTIFY= (RFC 3461 section 4.1), upper
	// case: "NEVER" or a list of SUCCESS, FAILURE, DELAY; "" when not given.
	Notify string
}

const queueSelect = `SELECT r.id, q.id, q.server, q.trace_id, q.sender, r.rcpt, r.domain, r.status, r.attempts,
	r.next_attempt, r.last_error, q.created, q.hold_until, length(q.body), r.notify, r.last_why
	FROM queue_rcpts r JOIN queue q ON q.id = r.queue_id`

func scanQueue(rows *sql.Rows) ([]*QueueItem, error) {
	defer rows.Close()
	var out []*QueueItem
	for rows.Next() {
		var it QueueItem
		var next, created, hold int64
		var notify string
		if err := rows.Scan(&it.ID, &it.QueueID, &it.Server, &it.TraceID, &it.Sender, &it.Rcpt, &it.Domain, &it.Status,
			&it.Attempts, &next, &it.LastError, &created, &hold, &it.Size, &notify, &it.LastWhy); err != nil {
			return nil, err
		}
		it.NotifyNever = strings.EqualFold(notify, "NEVER")
		it.Notify = notify
		it.NextAttempt = time.UnixMilli(next)
		it.Created = time.Unix(created, 0)
		if hold > 0 {
			it.HoldUntil = time.Unix(hold, 0)
		}
		out = append(out, &it)
	}
	return out, rows.Err()
}

// PendingQueue lists recipients not yet sent or bounced, oldest first.
func (s *Store) PendingQueue(ctx context.Context) ([]*QueueItem, error) {
	rows, err := s.r.QueryContext(ctx, queueSelect+` WHERE r.status IN ('queued', 'delivering') ORDER BY q.created, r.id`)
	if err != nil {
		return nil, err
	}
	return scanQueue(rows)
}

// QueueHistory lists every recipient of a queued message by trace id.
func (s *Store) QueueHistory(ctx context.Context, traceID string) ([]*QueueItem, error) {
	rows, err := s.r.QueryContext(ctx, queueSelect+` WHERE q.trace_id = ? ORDER BY r.id`, traceID)
	if err != nil {
		return nil, err
	}
	return scanQueue(rows)
}

// ClaimDue marks every queued recipient whose next attempt is due as
// "delivering" and returns them, except those skip refuses (a sending
// server's held queue; skip may be nil). Claiming happens in one
// transaction, so a recipient is never handed to two deliveries, and a
// skipped recipient stays queued, untouched.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, skip func(server, domain string) bool) ([]*QueueItem, error) {
	var ids []int64
	err := s.Write(ctx, func(tx *Tx) error {
		ids = nil
		rows, err := tx.Query(`SELECT r.id, q.server, r.domain FROM queue_rcpts r JOIN queue q ON q.id = r.queue_id
			WHERE r.status = 'queued' AND r.next_attempt <= ?`, now.UnixMilli())
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var server, domain string
			if err := rows.Scan(&id, &server, &domain); err != nil {
				rows.Close()
				return err
			}
			if skip == nil || !skip(server, domain) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.Exec(`UPDATE queue_rcpts SET status = 'delivering', updated = ? WHERE id = ?`, now.Unix(), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, "?"
	}
	rows, err := s.r.QueryContext(ctx, queueSelect+` WHERE r.id IN (`+strings.Join(marks, ",")+`) ORDER BY q.created, r.id`, args...)
	if err != nil {
		return nil, err
	}
	return scanQueue(rows)
}

// NextDue is the earliest next attempt of a queued recipient that skip
// does not refuse (skip may be nil), or zero.
func (s *Store) NextDue(ctx context.Context, skip func(server, domain string) bool) (time.Time, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT q.server, r.domain, min(r.next_attempt) FROM queue_rcpts r
		JOIN queue q ON q.id = r.queue_id WHERE r.status = 'queued' GROUP BY q.server, r.domain`)
	if err != nil {
		return time.Time{}, err
	}
	defer rows.Close()
	var next int64
	found := false
	for rows.Next() {
		var server, domain string
		var at int64
		if err := rows.Scan(&server, &domain, &at); err != nil {
			return time.Time{}, err
		}
		if skip != nil && skip(server, domain) {
			continue
		}
		if !found || at < next {
			next, found = at, true
		}
	}
	if err := rows.Err(); err != nil || !found {
		return time.Time{}, err
	}
	return time.UnixMilli(next), nil
}

// QueueBody returns the message bytes of a queued message.
func (s *Store) QueueBody(ctx context.Context, queueID int64) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT body FROM queue WHERE id = ?`, queueID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoMessage
	}
	return b, s.noteDamage(err)
}

// MarkSent records a delivery the receiving server accepted with 250.
func (tx *Tx) MarkSent(id int64, reply string) error {
	return tx.setRcpt(id, StatusSent, reply, 0, true)
}

// MarkBounced records a recipient that will not be delivered.
func (tx *Tx) MarkBounced(id int64, reason string) error {
	return tx.setRcpt(id, StatusBounced, reason, 0, true)
}

// Defer puts a recipient back in the queue for another attempt at next.
func (tx *Tx) Defer(id int64, reason string, next time.Time) error {
	return tx.setRcpt(id, StatusQueued, reason, next.UnixMilli(), true)
}

// Requeue puts a claimed recipient back without counting an attempt (a
// delivery that never started, or recovery after a crash).
func (tx *Tx) Requeue(id int64, next time.Time) error {
	return tx.setRcpt(id, StatusQueued, "", next.UnixMilli(), false)
}

func (tx *Tx) setRcpt(id int64, status, msg string, next int64, attempt bool) error {
	inc := 0
	if attempt {
		inc = 1
	}
	q := `UPDATE queue_rcpts SET status = ?, attempts = attempts + ?, updated = ?`
	args := []any{status, inc, now()}
	if msg != "" {
		q += `, last_error = ?`
		args = append(args, msg)
	}
	if status == StatusQueued {
		q += `, next_attempt = ?`
		args = append(args, next)
	}
	q += ` WHERE id = ?`
	args = append(args, id)
	res, err := tx.Exec(q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoMessage
	}
	tx.Changed(Change{Kind: ChangeQueue})
	return nil
}

// FlushDomain makes every queued, not held recipient of server for domain
// ("" for all) due now. It returns how many it woke and how many are held.
func (s *Store) FlushDomain(ctx context.Context, server, domain string, now time.Time) (woken, held int, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		where := `status = 'queued' AND queue_id IN (SELECT id FROM queue WHERE server = ?)`
		args := []any{server}
		if domain != "" {
			where += ` AND domain = ?`
			args = append(args, domain)
		}
		if err := tx.QueryRow(`SELECT count(*) FROM queue_rcpts WHERE `+where+
			` AND queue_id IN (SELECT id FROM queue WHERE hold_until > ?)`, append(args, now.Unix())...).Scan(&held); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE queue_rcpts SET next_attempt = ? WHERE `+where+
			` AND queue_id IN (SELECT id FROM queue WHERE hold_until <= ?)`, append([]any{now.UnixMilli()}, append(args, now.Unix())...)...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		woken = int(n)
		if n > 0 {
			tx.Changed(Change{Kind: ChangeQueue, Server: server})
		}
		return nil
	})
	return woken, held, err
}

// HasTraceID reports whether a user's INBOX holds a message with traceID:
// after a crash, it tells whether a relayed message did arrive.
func (s *Store) HasTraceID(ctx context.Context, server, user, traceID string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
		WHERE b.server = ? AND b.user = ? AND m.trace_id = ?`, server, user, traceID).Scan(&n)
	return n > 0, err
}

// Delivering lists recipients claimed by a delivery that never finished
// (the process stopped in the middle of a relay).
func (s *Store) Delivering(ctx context.Context) ([]*QueueItem, error) {
	rows, err := s.r.QueryContext(ctx, queueSelect+` WHERE r.status = 'delivering' ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	return scanQueue(rows)
}
