package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
)

// This file holds what the IMAP server needs beyond deliveries and POP3:
// consistent mailbox snapshots, folder management (rename, delete,
// subscriptions) and copying or moving messages between folders inside one
// transaction (RFC 9051 sections 6.3 and 6.4.7, RFC 6851).

// MailboxSnapshot reads a mailbox and its messages (in UID order) in one read
// transaction, so the message list and UIDNEXT describe the same moment: an
// IMAP session uses UIDNEXT to tell which later changes it has already seen.
func (s *Store) MailboxSnapshot(ctx context.Context, mailboxID int64) (*Mailbox, []*Message, error) {
	mb, msgs, err := s.mailboxSnapshot(ctx, mailboxID)
	return mb, msgs, s.noteDamage(err)
}

func (s *Store) mailboxSnapshot(ctx context.Context, mailboxID int64) (*Mailbox, []*Message, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	mb, err := scanMailbox(tx.QueryRowContext(ctx, mailboxSelect+` WHERE id = ?`, mailboxID))
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, messageSelect+` WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var msgs []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, nil, err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return mb, msgs, nil
}

// Mailboxes lists a user's mailboxes inside a transaction, sorted by name
// with INBOX first.
func (tx *Tx) Mailboxes(server, user string) ([]*Mailbox, error) {
	return scanMailboxes(tx.Query(mailboxSelect+` WHERE server = ? AND user = ?`, server, user))
}

// RenameMailbox gives a mailbox a new name. Its UIDVALIDITY and messages stay
// (RFC 9051 section 6.3.6: renaming keeps the UIDs valid). The caller renames
// inferior mailboxes itself; the store does not know the hierarchy delimiter.
func (tx *Tx) RenameMailbox(id int64, newName string) error {
	var server, user string
	if err := tx.QueryRow(`SELECT server, user FROM mailboxes WHERE id = ?`, id).Scan(&server, &user); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoMailbox
		}
		return err
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE server = ? AND user = ? AND name = ?`, server, user, newName).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrMailboxExists
	}
	if _, err := tx.Exec(`UPDATE mailboxes SET name = ? WHERE id = ?`, newName, id); err != nil {
		return err
	}
	tx.Changed(Change{Kind: ChangeMailbox, Server: server, User: user, MailboxID: id})
	return nil
}

// DeleteMailbox removes a mailbox and its messages. Every message is removed
// with its own ChangeExpunge first, so sessions that have the mailbox open see
// the messages go. INBOX cannot be deleted (RFC 9051 section 6.3.5).
func (tx *Tx) DeleteMailbox(id int64) error {
	var server, user, name string
	if err := tx.QueryRow(`SELECT server, user, name FROM mailboxes WHERE id = ?`, id).Scan(&server, &user, &name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoMailbox
		}
		return err
	}
	if name == "INBOX" {
		return ErrInboxOperation
	}
	ids, err := tx.messageIDs(`SELECT id FROM messages WHERE mailbox_id = ? ORDER BY uid DESC`, id)
	if err != nil {
		return err
	}
	if err := tx.DeleteMessages(ids); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM mailboxes WHERE id = ?`, id); err != nil {
		return err
	}
	if err := tx.forgetRecent(id); err != nil {
		return err
	}
	tx.Changed(Change{Kind: ChangeMailbox, Server: server, User: user, MailboxID: id})
	return nil
}

// SetSubscribed records whether a mailbox is subscribed (RFC 9051 sections
// 6.3.7 and 6.3.8).
func (tx *Tx) SetSubscribed(id int64, subscribed bool) error {
	v := 0
	if subscribed {
		v = 1
	}
	res, err := tx.Exec(`UPDATE mailboxes SET subscribed = ? WHERE id = ?`, v, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoMailbox
	}
	return nil
}

// CopyMessages copies the messages with the given UIDs from one mailbox into
// another, keeping body, flags, internal date and trace id, and returns the
// source UIDs that existed with the UIDs their copies got, in the order
// given (RFC 9051 section 6.4.7, RFC 4315 COPYUID). The bodies never leave
// the database.
func (tx *Tx) CopyMessages(srcID int64, uids []uint32, destID int64) (src, dest []uint32, err error) {
	var server, user string
	if err := tx.QueryRow(`SELECT server, user FROM mailboxes WHERE id = ?`, destID).Scan(&server, &user); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, ErrNoMailbox
		}
		return nil, nil, err
	}
	for _, uid := range uids {
		var msgID int64
		var flags string
		err := tx.QueryRow(`SELECT id, flags FROM messages WHERE mailbox_id = ? AND uid = ?`, srcID, uid).Scan(&msgID, &flags)
		if errors.Is(err, sql.ErrNoRows) {
			continue // expunged meanwhile: nothing to copy
		}
		if err != nil {
			return nil, nil, err
		}
		var newUID uint32
		if err := tx.QueryRow(`UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = ? RETURNING uidnext - 1`, destID).Scan(&newUID); err != nil {
			return nil, nil, err
		}
		if _, err := tx.Exec(`INSERT INTO messages(mailbox_id, uid, size, internal_date, flags, trace_id, body)
			SELECT ?, ?, size, internal_date, flags, trace_id, body FROM messages WHERE id = ?`, destID, newUID, msgID); err != nil {
			return nil, nil, err
		}
		tx.Changed(Change{Kind: ChangeAppend, Server: server, User: user, MailboxID: destID, UID: newUID, Flags: splitFlags(flags)})
		src = append(src, uid)
		dest = append(dest, newUID)
	}
	return src, dest, nil
}

// MoveMessages copies messages like CopyMessages and removes the originals
// in the same transaction, so no observer ever sees both or neither
// (RFC 6851 section 3.3).
//
// The removals are told to watchers before the copies: a MOVE into the
// folder it moves from (RFC 6851 allows it) then reads * n EXPUNGE before
// * n EXISTS, as Dovecot answers it.
func (tx *Tx) MoveMessages(srcID int64, uids []uint32, destID int64) (src, dest []uint32, err error) {
	mark := len(tx.changes)
	src, dest, err = tx.CopyMessages(srcID, uids, destID)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err == nil {
			copies := append([]Change(nil), tx.changes[mark:mark+len(src)]...)
			n := copy(tx.changes[mark:], tx.changes[mark+len(src):])
			copy(tx.changes[mark+n:], copies)
		}
	}()
	// Remove in descending UID order: each expunge then leaves the sequence
	// numbers of the ones still to come unchanged.
	order := append([]uint32(nil), src...)
	sort.Slice(order, func(i, j int) bool { return order[i] > order[j] })
	var ids []int64
	for _, uid := range order {
		var id int64
		if err := tx.QueryRow(`SELECT id FROM messages WHERE mailbox_id = ? AND uid = ?`, srcID, uid).Scan(&id); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	if err := tx.DeleteMessages(ids); err != nil {
		return nil, nil, err
	}
	return src, dest, nil
}

// MessageFlagsByUID returns the message id and flags of one message inside a
// transaction.
func (tx *Tx) MessageFlagsByUID(mailboxID int64, uid uint32) (int64, []string, error) {
	var id int64
	var flags string
	err := tx.QueryRow(`SELECT id, flags FROM messages WHERE mailbox_id = ? AND uid = ?`, mailboxID, uid).Scan(&id, &flags)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ErrNoMessage
	}
	if err != nil {
		return 0, nil, err
	}
	return id, splitFlags(flags), nil
}

func (tx *Tx) messageIDs(query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// JoinFlags is the stored form of a flag list: space separated, duplicates
// (compared case-insensitively) dropped, case preserved. Callers compare flag
// lists with it.
func JoinFlags(flags []string) string { return joinFlags(flags) }

// Messages lists a mailbox's messages in UID order inside a transaction.
func (tx *Tx) Messages(mailboxID int64) ([]*Message, error) {
	rows, err := tx.Query(messageSelect+` WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
