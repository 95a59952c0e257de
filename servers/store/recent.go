package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
)

// IMAP's \Recent flag (RFC 3501 sections 2.3.2 and 6.3.1): a message is
// recent in exactly one session, the first to select its mailbox after it
// arrived. The store keeps, per mailbox, the first UID not yet claimed by
// a session ("first recent UID", as Dovecot calls it): the messages from it
// on are recent to the next session that selects the mailbox, which moves
// it to UIDNEXT. It lives in the meta table under "recent:<mailbox id>";
// a mailbox without one has every message recent.

func recentKey(mailboxID int64) string { return "recent:" + strconv.FormatInt(mailboxID, 10) }

// FirstRecentUID returns the first UID of a mailbox not yet claimed by a
// session (1 when none was).
func (s *Store) FirstRecentUID(ctx context.Context, mailboxID int64) (uint32, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, recentKey(mailboxID)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	return uint32(v), s.noteDamage(err)
}

// ClaimRecent records that the messages below uid are no longer recent to
// a later session. The value only grows: a late or repeated claim never
// makes a message recent again.
func (tx *Tx) ClaimRecent(mailboxID int64, uid uint32) error {
	_, err := tx.Exec(`INSERT INTO meta(key, value) VALUES(?, ?)
		ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)`, recentKey(mailboxID), uid)
	return err
}

// forgetRecent drops a deleted mailbox's first recent UID: its id may be
// given to a new mailbox.
func (tx *Tx) forgetRecent(mailboxID int64) error {
	_, err := tx.Exec(`DELETE FROM meta WHERE key = ?`, recentKey(mailboxID))
	return err
}
