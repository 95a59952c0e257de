package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// The queue keeps its history: every delivery attempt of a recipient, and
// every action an operator took on it (retry now, bounce now), in
// queue_attempts; a recipient that was sent or bounced keeps its row, its
// status saying which and its updated column when.

// Kinds of a history row.
const (
	HistAttempt   = "attempt"    // a delivery attempt: an SMTP session (or the lookup) ended
	HistRetryNow  = "retry-now"  // an operator made the next attempt due now
	HistBounceNow = "bounce-now" // an operator gave up on the recipient: a bounce goes to the sender
)

// ErrNotQueued is returned by RetryNow and BounceNow for a recipient that
// is not waiting in the queue (sent, bounced, or under delivery right now).
var ErrNotQueued = errors.New("store: the recipient is not waiting in the queue")

// ErrHeld is returned by RetryNow for a message held (FUTURERELEASE) until
// a later time: the sender asked for that time, as a flush respects it.
var ErrHeld = errors.New("store: the message is held until its release time (FUTURERELEASE)")

// Attempt is one row of a recipient's queue history.
type Attempt struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`              // HistAttempt, HistRetryNow, HistBounceNow
	Outcome string    `json:"outcome,omitempty"` // the status it left: sent, queued (deferred), bounced
	Code    int       `json:"code,omitempty"`    // the SMTP reply code; 0 when there was none
	Reply   string    `json:"reply,omitempty"`   // the reply or the error (wire text)
	Hop     string    `json:"hop,omitempty"`     // "A -> B (127.0.0.1:11025)": who talked to whom
	// Why is Reply as a catalog message (JSON of tracer.Msg) when it is
	// the relay's own words, not a server's reply (see QueueItem.LastWhy).
	Why json.RawMessage `json:"why,omitempty"`
}

// historySchema is the table of attempts. It is created by its own
// statements, after the main schema: CREATE TABLE IF NOT EXISTS gives an
// older database the table too, so no migration step is needed.
const historySchema = `
CREATE TABLE IF NOT EXISTS queue_attempts (
	id      INTEGER PRIMARY KEY,
	rcpt_id INTEGER NOT NULL REFERENCES queue_rcpts(id) ON DELETE CASCADE,
	at      INTEGER NOT NULL, -- Unix milliseconds
	kind    TEXT NOT NULL,
	outcome TEXT NOT NULL DEFAULT '',
	code    INTEGER NOT NULL DEFAULT 0,
	reply   TEXT NOT NULL DEFAULT '',
	hop     TEXT NOT NULL DEFAULT '',
	why     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS queue_attempts_rcpt ON queue_attempts(rcpt_id, id);
`

// createHistory adds the history table to db.
func createHistory(db *sql.DB) error {
	_, err := db.Exec(historySchema)
	return err
}

// RecordAttempt adds a row to recipient id's history.
func (tx *Tx) RecordAttempt(id int64, a Attempt) error {
	if a.At.IsZero() {
		a.At = time.Now()
	}
	if _, err := tx.Exec(`INSERT INTO queue_attempts(rcpt_id, at, kind, outcome, code, reply, hop, why) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.At.UnixMilli(), a.Kind, a.Outcome, a.Code, a.Reply, a.Hop, string(a.Why)); err != nil {
		return err
	}
	if a.Kind != HistAttempt {
		return nil
	}
	// The recipient's last error is this attempt's reply (Defer,
	// MarkBounced): its catalog form goes with it, or none.
	_, err := tx.Exec(`UPDATE queue_rcpts SET last_why = ? WHERE id = ?`, string(a.Why), id)
	return err
}

// QueueRecord is a recipient of the queue with its history: finished
// (sent or bounced) recipients have Done, when that happened.
type QueueRecord struct {
	*QueueItem
	Done    time.Time
	History []Attempt
}

// maxHistoryRows bounds the attempts kept per recipient in an answer (the
// newest are kept; the table keeps them all).
const maxHistoryRows = 100

// QueueRecords lists the pending recipients (oldest first) and the newest
// finished ones (sent or bounced, newest first, at most maxDone), each
// with its history.
func (s *Store) QueueRecords(ctx context.Context, maxDone int) (pending, done []*QueueRecord, err error) {
	items, err := s.PendingQueue(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.r.QueryContext(ctx, queueSelect+` WHERE r.status IN ('sent', 'bounced') ORDER BY r.updated DESC, r.id DESC LIMIT ?`, maxDone)
	if err != nil {
		return nil, nil, err
	}
	fin, err := scanQueue(rows)
	if err != nil {
		return nil, nil, err
	}
	all := append(append([]*QueueItem{}, items...), fin...)
	hist, updated, err := s.histories(ctx, all)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		pending = append(pending, &QueueRecord{QueueItem: it, History: nonNilAttempts(hist[it.ID])})
	}
	for _, it := range fin {
		at := updated[it.ID]
		// The history says when to the millisecond; updated, to the second.
		if h := hist[it.ID]; len(h) > 0 && h[len(h)-1].At.Unix() >= at.Unix() {
			at = h[len(h)-1].At
		}
		done = append(done, &QueueRecord{QueueItem: it, Done: at, History: nonNilAttempts(hist[it.ID])})
	}
	return pending, done, nil
}

func nonNilAttempts(a []Attempt) []Attempt {
	if a == nil {
		return []Attempt{}
	}
	return a
}

// histories reads the history and the updated time of items.
func (s *Store) histories(ctx context.Context, items []*QueueItem) (map[int64][]Attempt, map[int64]time.Time, error) {
	hist := map[int64][]Attempt{}
	updated := map[int64]time.Time{}
	if len(items) == 0 {
		return hist, updated, nil
	}
	// In chunks: SQLite bounds the parameters of one statement.
	for start := 0; start < len(items); start += 500 {
		chunk := items[start:min(start+500, len(items))]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, it := range chunk {
			args[i], marks[i] = it.ID, "?"
		}
		in := `(` + strings.Join(marks, ",") + `)`
		rows, err := s.r.QueryContext(ctx, `SELECT rcpt_id, at, kind, outcome, code, reply, hop, why FROM queue_attempts
			WHERE rcpt_id IN `+in+` ORDER BY rcpt_id, id`, args...)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id, at int64
			var a Attempt
			var why string
			if err := rows.Scan(&id, &at, &a.Kind, &a.Outcome, &a.Code, &a.Reply, &a.Hop, &why); err != nil {
				rows.Close()
				return nil, nil, err
			}
			if why != "" {
				a.Why = json.RawMessage(why)
			}
			a.At = time.UnixMilli(at)
			h := append(hist[id], a)
			if len(h) > maxHistoryRows {
				h = h[len(h)-maxHistoryRows:]
			}
			hist[id] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		rows, err = s.r.QueryContext(ctx, `SELECT id, updated FROM queue_rcpts WHERE id IN `+in, args...)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id, up int64
			if err := rows.Scan(&id, &up); err != nil {
				rows.Close()
				return nil, nil, err
			}
			updated[id] = time.Unix(up, 0)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return hist, updated, nil
}

// QueueItemsOf returns the recipients named by ref: a recipient's row id
// ("12"), or a message's trace id, which names every recipient of it.
func (s *Store) QueueItemsOf(ctx context.Context, ref string) ([]*QueueItem, error) {
	var rows *sql.Rows
	var err error
	if isDigits(ref) {
		rows, err = s.r.QueryContext(ctx, queueSelect+` WHERE r.id = ?`, ref)
	} else {
		rows, err = s.r.QueryContext(ctx, queueSelect+` WHERE q.trace_id = ? ORDER BY r.id`, ref)
	}
	if err != nil {
		return nil, err
	}
	items, err := scanQueue(rows)
	if err == nil && len(items) == 0 {
		err = ErrNoMessage
	}
	return items, err
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RetryNow makes recipient id's next attempt due at now and records the
// action in its history. A recipient that is not queued gets ErrNotQueued,
// a message held until a later time ErrHeld (as FlushDomain leaves it).
func (s *Store) RetryNow(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		var status string
		var hold int64
		err := tx.QueryRow(`SELECT r.status, q.hold_until FROM queue_rcpts r JOIN queue q ON q.id = r.queue_id WHERE r.id = ?`, id).Scan(&status, &hold)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoMessage
		} else if err != nil {
			return err
		}
		if status != StatusQueued {
			return ErrNotQueued
		}
		if hold > now.Unix() {
			return ErrHeld
		}
		if _, err := tx.Exec(`UPDATE queue_rcpts SET next_attempt = ?, updated = ? WHERE id = ?`, now.UnixMilli(), now.Unix(), id); err != nil {
			return err
		}
		tx.Changed(Change{Kind: ChangeQueue})
		return tx.RecordAttempt(id, Attempt{At: now, Kind: HistRetryNow, Outcome: StatusQueued})
	})
}

// BounceNow marks queued recipient id bounced without a delivery attempt
// (its attempts stay as they were) and records the action with reason in
// its history. Sending the bounce is the caller's (the queue worker's).
// A recipient under delivery right now, sent or bounced gets ErrNotQueued:
// the attempt under way decides.
func (s *Store) BounceNow(ctx context.Context, id int64, reason string, why json.RawMessage, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		var status string
		err := tx.QueryRow(`SELECT status FROM queue_rcpts WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoMessage
		} else if err != nil {
			return err
		}
		if status != StatusQueued {
			return ErrNotQueued
		}
		if _, err := tx.Exec(`UPDATE queue_rcpts SET status = ?, last_error = ?, last_why = ?, updated = ? WHERE id = ?`,
			StatusBounced, reason, string(why), now.Unix(), id); err != nil {
			return err
		}
		tx.Changed(Change{Kind: ChangeQueue})
		return tx.RecordAttempt(id, Attempt{At: now, Kind: HistBounceNow, Outcome: StatusBounced, Reply: reason, Why: why})
	})
}
