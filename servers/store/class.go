package store

import (
	"context"
	"database/sql"
	"time"
)

// classSchema is the table of a class's accounts (mailscope up --class).
// Like the queue history it is created by its own statement, so an older
// database gets it without a migration step; it is created by the first
// call that needs it, so a world without a class never has it.
const classSchema = `
CREATE TABLE IF NOT EXISTS class_accounts (
	ord      INTEGER PRIMARY KEY, -- the student's place on the sheet, from 1
	name     TEXT NOT NULL UNIQUE,
	roster   TEXT NOT NULL DEFAULT '',
	password TEXT NOT NULL,
	created  INTEGER NOT NULL     -- Unix milliseconds
);
`

// ClassAccount is one student's account as the store keeps it: the
// password is kept in the clear, like the world file's, because the
// instructor's sheet prints it and POP3's APOP needs it.
type ClassAccount struct {
	Name     string
	Roster   string // the roster's line it came from; "" for s01 ... accounts
	Password string
	Created  time.Time
}

// KeepClass adds the accounts of want that the store does not have yet
// (by name) and returns every account it keeps, in the order they were
// first added. An account already kept keeps its password and roster
// line: a restart with the same class gives each student the password on
// the sheet they hold. Accounts not in want are kept too (their mail
// stays); the caller decides which to open.
func (s *Store) KeepClass(ctx context.Context, want []ClassAccount) ([]ClassAccount, error) {
	var out []ClassAccount
	err := s.Write(ctx, func(tx *Tx) error {
		out = out[:0]
		if _, err := tx.Exec(classSchema); err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		for _, a := range want {
			if _, err := tx.Exec(`INSERT INTO class_accounts(name, roster, password, created) VALUES(?, ?, ?, ?)
				ON CONFLICT(name) DO NOTHING`, a.Name, a.Roster, a.Password, now); err != nil {
				return err
			}
		}
		rows, err := tx.Query(`SELECT name, roster, password, created FROM class_accounts ORDER BY ord`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a ClassAccount
			var ms int64
			if err := rows.Scan(&a.Name, &a.Roster, &a.Password, &ms); err != nil {
				return err
			}
			a.Created = time.UnixMilli(ms)
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClassAccounts lists the class's accounts in the order of the sheet;
// none when the store never had a class.
func (s *Store) ClassAccounts(ctx context.Context) ([]ClassAccount, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'class_accounts'`).Scan(&n); err != nil || n == 0 {
		return nil, s.noteDamage(err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, roster, password, created FROM class_accounts ORDER BY ord`)
	if err != nil {
		return nil, s.noteDamage(err)
	}
	defer rows.Close()
	var out []ClassAccount
	for rows.Next() {
		var a ClassAccount
		var ms int64
		if err := rows.Scan(&a.Name, &a.Roster, &a.Password, &ms); err != nil {
			return nil, err
		}
		a.Created = time.UnixMilli(ms)
		out = append(out, a)
	}
	return out, rows.Err()
}

// UserSize is how many octets of messages user's mailboxes on server hold
// together (a student's ClassPolicy.MailboxSize is measured by it).
func (s *Store) UserSize(ctx context.Context, server, user string) (int64, error) {
	var n sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT sum(m.size) FROM messages m JOIN mailboxes b ON m.mailbox_id = b.id
		WHERE b.server = ? AND b.user = ?`, server, user).Scan(&n)
	return n.Int64, s.noteDamage(err)
}
