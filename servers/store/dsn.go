package store

import (
	"context"
	"database/sql"
	"strings"
)

// Delivery status notifications (RFC 3461): what a sender asked of them is
// kept with the queued message, so that the relay can pass it on to the next
// server (RFC 3461 section 5.2.1) and send the notices itself where it must.

// RcptDSN is what one RCPT TO asked of notifications.
type RcptDSN struct {
	Notify string // NOTIFY=, upper case: "NEVER" or a list of SUCCESS, FAILURE, DELAY; "" when not given
	ORCPT  string // ORCPT=, addr-type ";" xtext as given; "" when not given
}

// QueueDSN is what the sender of one queued message asked of notifications:
// MAIL FROM's ENVID and RET (RFC 3461 sections 4.3 and 4.4), each
// recipient's ORCPT, and which recipients already had their "delayed"
// notice.
type QueueDSN struct {
	EnvID   string
	Ret     string
	ORCPT   map[int64]string // by recipient row (QueueItem.ID)
	Delayed map[int64]bool   // a "delayed" notice went out
}

// migrateDSN adds the DSN columns: on a new database as on an old one, so
// that the schema above keeps to the columns every version had.
func migrateDSN(db *sql.DB) error {
	for _, c := range []struct{ table, column, def string }{
		{"queue", "envid", "TEXT NOT NULL DEFAULT ''"},
		{"queue", "ret", "TEXT NOT NULL DEFAULT ''"},
		{"queue_rcpts", "orcpt", "TEXT NOT NULL DEFAULT ''"},
		{"queue_rcpts", "delay_notified", "INTEGER NOT NULL DEFAULT 0"},
		{"queue_rcpts", "last_why", "TEXT NOT NULL DEFAULT ''"}, // see QueueItem.LastWhy
	} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := db.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.column + ` ` + c.def); err != nil {
			return err
		}
	}
	return nil
}

// rcptNotify is the NOTIFY= value to keep for remote recipient r of d.
func (d *Delivery) rcptNotify(r string) string {
	if x, ok := d.DSN[r]; ok && x.Notify != "" {
		return x.Notify
	}
	for _, n := range d.NotifyNever {
		if strings.EqualFold(n, r) {
			return "NEVER"
		}
	}
	return ""
}

// enqueueDSN keeps the DSN parameters of a message Enqueue just queued.
func (tx *Tx) enqueueDSN(qid int64, d *Delivery) error {
	if d.EnvID != "" || d.Ret != "" {
		if _, err := tx.Exec(`UPDATE queue SET envid = ?, ret = ? WHERE id = ?`, d.EnvID, d.Ret, qid); err != nil {
			return err
		}
	}
	for r, x := range d.DSN {
		if x.ORCPT == "" {
			continue
		}
		if _, err := tx.Exec(`UPDATE queue_rcpts SET orcpt = ? WHERE queue_id = ? AND rcpt = ?`, x.ORCPT, qid, r); err != nil {
			return err
		}
	}
	return nil
}

// QueueDSN returns what the sender of a queued message asked of
// notifications.
func (s *Store) QueueDSN(ctx context.Context, queueID int64) (*QueueDSN, error) {
	q := &QueueDSN{ORCPT: map[int64]string{}, Delayed: map[int64]bool{}}
	if err := s.r.QueryRowContext(ctx, `SELECT envid, ret FROM queue WHERE id = ?`, queueID).Scan(&q.EnvID, &q.Ret); err != nil {
		if err == sql.ErrNoRows {
			return nil, ErrNoMessage
		}
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, orcpt, delay_notified FROM queue_rcpts WHERE queue_id = ?`, queueID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var orcpt string
		var delayed bool
		if err := rows.Scan(&id, &orcpt, &delayed); err != nil {
			return nil, err
		}
		if orcpt != "" {
			q.ORCPT[id] = orcpt
		}
		q.Delayed[id] = delayed
	}
	return q, rows.Err()
}

// MarkDelayNotified records that recipient id's sender gets its "delayed"
// notice; first is false when it already had it (one notice only).
func (tx *Tx) MarkDelayNotified(id int64) (first bool, err error) {
	res, err := tx.Exec(`UPDATE queue_rcpts SET delay_notified = 1 WHERE id = ? AND delay_notified = 0`, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
