package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"
)

// Mailbox is one folder of one user.
type Mailbox struct {
	ID          int64
	Server      string
	User        string
	Name        string
	UIDValidity uint32
	UIDNext     uint32
	Special     string // RFC 6154 special use, e.g. `\Sent`
	Subscribed  bool
}

// Message is one message's metadata (the body is read with Body).
type Message struct {
	ID           int64
	MailboxID    int64
	UID          uint32
	Size         int64
	InternalDate time.Time
	Flags        []string
	TraceID      string
}

// HasFlag reports whether m has flag f (flags compare case-insensitively,
// RFC 9051 section 2.3.2).
func (m *Message) HasFlag(f string) bool {
	for _, g := range m.Flags {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}

// EnsureUser creates the user's INBOX and special-use folders if missing.
func (s *Store) EnsureUser(ctx context.Context, server, user string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ensureMailbox(server, user, "INBOX", ""); err != nil {
			return err
		}
		for _, f := range SpecialFolders {
			if _, err := tx.ensureMailbox(server, user, f.Name, f.Use); err != nil {
				return err
			}
		}
		return nil
	})
}

// nextUIDValidity returns a fresh UIDVALIDITY: never reused, so that a
// mailbox deleted and created again tells clients their cache is stale.
func (tx *Tx) nextUIDValidity() (uint32, error) {
	var v int64
	err := tx.QueryRow(`SELECT value FROM meta WHERE key = 'uidvalidity'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		v = time.Now().Unix() & 0x7fffffff
	} else if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES('uidvalidity', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, v+1); err != nil {
		return 0, err
	}
	return uint32(v), nil
}

// ensureMailbox returns the id of a mailbox, creating it if needed.
func (tx *Tx) ensureMailbox(server, user, name, special string) (int64, error) {
	var id int64
	err := tx.QueryRow(sqlMailboxID, server, user, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	// The folders the server makes itself are subscribed, as Dovecot's
	// auto=subscribe does: a client that shows only subscribed folders
	// (Thunderbird's default) shows them.
	return tx.createMailbox(server, user, name, special, true)
}

// CreateMailbox creates a mailbox, not subscribed (RFC 3501 section 6.3.4:
// CREATE does not subscribe; SUBSCRIBE, section 6.3.6, does), and returns
// its id.
func (tx *Tx) CreateMailbox(server, user, name, special string) (int64, error) {
	return tx.createMailbox(server, user, name, special, false)
}

func (tx *Tx) createMailbox(server, user, name, special string, subscribed bool) (int64, error) {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE server = ? AND user = ? AND name = ?`, server, user, name).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, ErrMailboxExists
	}
	uv, err := tx.nextUIDValidity()
	if err != nil {
		return 0, err
	}
	sub := 0
	if subscribed {
		sub = 1
	}
	res, err := tx.Exec(`INSERT INTO mailboxes(server, user, name, uidvalidity, special, subscribed) VALUES(?, ?, ?, ?, ?, ?)`,
		server, user, name, uv, special, sub)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	tx.Changed(Change{Kind: ChangeMailbox, Server: server, User: user, MailboxID: id})
	return id, nil
}

// AppendMessage adds a message to a mailbox, giving it the mailbox's next
// UID, and returns that UID.
func (tx *Tx) AppendMessage(mailboxID int64, body []byte, date time.Time, flags []string, traceID string) (uint32, error) {
	var uid uint32
	var server, user string
	err := tx.QueryRow(sqlNextUID, mailboxID).Scan(&uid, &server, &user)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoMailbox
	} else if err != nil {
		return 0, err
	}
	tx.store.written.Add(int64(len(body)))
	if _, err := tx.Exec(sqlInsertMessage,
		mailboxID, uid, len(body), date.Unix(), joinFlags(flags), traceID, body); err != nil {
		return 0, err
	}
	tx.Changed(Change{Kind: ChangeAppend, Server: server, User: user, MailboxID: mailboxID, UID: uid, Flags: flags})
	return uid, nil
}

// MailboxByName finds a user's mailbox inside a transaction.
func (tx *Tx) MailboxByName(server, user, name string) (*Mailbox, error) {
	return scanMailbox(tx.QueryRow(mailboxSelect+` WHERE server = ? AND user = ? AND name = ?`, server, user, name))
}

const mailboxSelect = `SELECT id, server, user, name, uidvalidity, uidnext, special, subscribed FROM mailboxes`

func scanMailbox(row interface{ Scan(...any) error }) (*Mailbox, error) {
	var m Mailbox
	var sub int
	err := row.Scan(&m.ID, &m.Server, &m.User, &m.Name, &m.UIDValidity, &m.UIDNext, &m.Special, &sub)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoMailbox
	}
	if err != nil {
		return nil, err
	}
	m.Subscribed = sub != 0
	return &m, nil
}

// Mailbox returns a user's mailbox by name. INBOX is case-insensitive
// (RFC 9051 section 5.1).
func (s *Store) Mailbox(ctx context.Context, server, user, name string) (*Mailbox, error) {
	if strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	return scanMailbox(s.r.QueryRowContext(ctx, mailboxSelect+` WHERE server = ? AND user = ? AND name = ?`, server, user, name))
}

// MailboxByID returns a mailbox by id.
func (s *Store) MailboxByID(ctx context.Context, id int64) (*Mailbox, error) {
	return scanMailbox(s.r.QueryRowContext(ctx, mailboxSelect+` WHERE id = ?`, id))
}

// Mailboxes lists a user's mailboxes, sorted by name with INBOX first.
func (s *Store) Mailboxes(ctx context.Context, server, user string) ([]*Mailbox, error) {
	return scanMailboxes(s.r.QueryContext(ctx, mailboxSelect+` WHERE server = ? AND user = ?`, server, user))
}

// scanMailboxes reads mailbox rows, sorted by name with INBOX first.
func scanMailboxes(rows *sql.Rows, err error) ([]*Mailbox, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name == "INBOX" || out[j].Name == "INBOX" {
			return out[i].Name == "INBOX"
		}
		return out[i].Name < out[j].Name
	})
	return out, rows.Err()
}

const messageSelect = `SELECT id, mailbox_id, uid, size, internal_date, flags, trace_id FROM messages`

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var date int64
	var flags string
	err := row.Scan(&m.ID, &m.MailboxID, &m.UID, &m.Size, &date, &flags, &m.TraceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoMessage
	}
	if err != nil {
		return nil, err
	}
	m.InternalDate = time.Unix(date, 0)
	m.Flags = splitFlags(flags)
	return &m, nil
}

// Messages lists a mailbox's messages in UID order.
func (s *Store) Messages(ctx context.Context, mailboxID int64) (msgs []*Message, err error) {
	defer func() { err = s.noteDamage(err) }()
	rows, err := s.r.QueryContext(ctx, messageSelect+` WHERE mailbox_id = ? ORDER BY uid`, mailboxID)
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

// MessageByUID returns one message of a mailbox.
func (s *Store) MessageByUID(ctx context.Context, mailboxID int64, uid uint32) (*Message, error) {
	return scanMessage(s.r.QueryRowContext(ctx, messageSelect+` WHERE mailbox_id = ? AND uid = ?`, mailboxID, uid))
}

// Body returns a message's raw bytes as stored (CRLF line endings). The
// bytes are shared with a cache of recently read bodies: callers must not
// change them.
func (s *Store) Body(ctx context.Context, messageID int64) ([]byte, error) {
	cached, gen := s.bodies.get(messageID)
	if cached != nil {
		return cached, nil
	}
	b, err := s.readBody(ctx, messageID)
	if err == nil {
		s.bodies.put(messageID, b, gen)
	}
	return b, s.noteDamage(err)
}

func (s *Store) readBody(ctx context.Context, messageID int64) ([]byte, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT body FROM messages WHERE id = ?`, messageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, ErrNoMessage
	}
	// Scanning into *[]byte would copy the body a second time (database/sql
	// clones what the driver returns); the sqlite driver already hands over
	// a fresh Go slice per row (it copies the blob out of SQLite's memory),
	// so the raw bytes are kept as they are. A 100 KiB RETR then costs one
	// copy instead of two (BENCHMARKS.md, POP3 RETR).
	var raw sql.RawBytes
	if err := rows.Scan(&raw); err != nil {
		return nil, err
	}
	return raw, rows.Close()
}

// SetFlags replaces a message's flags.
func (tx *Tx) SetFlags(messageID int64, flags []string) error {
	var mbox int64
	var uid uint32
	err := tx.QueryRow(`UPDATE messages SET flags = ? WHERE id = ? RETURNING mailbox_id, uid`, joinFlags(flags), messageID).Scan(&mbox, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoMessage
	}
	if err != nil {
		return err
	}
	tx.Changed(Change{Kind: ChangeFlags, MailboxID: mbox, UID: uid, Flags: flags})
	return nil
}

// DeleteMessages removes messages by id (POP3 UPDATE, IMAP EXPUNGE).
func (tx *Tx) DeleteMessages(ids []int64) error {
	for _, id := range ids {
		var mbox int64
		var uid uint32
		err := tx.QueryRow(`DELETE FROM messages WHERE id = ? RETURNING mailbox_id, uid`, id).Scan(&mbox, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			continue // already gone: deleting twice is not an error
		}
		if err != nil {
			return err
		}
		tx.Changed(Change{Kind: ChangeExpunge, MailboxID: mbox, UID: uid})
		tx.deleted = append(tx.deleted, id)
	}
	return nil
}

// joinFlags stores flags space-separated, deduplicated case-insensitively,
// case preserved.
func joinFlags(flags []string) string {
	seen := make(map[string]bool, len(flags))
	var out []string
	for _, f := range flags {
		k := strings.ToLower(f)
		if f == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return strings.Join(out, " ")
}

func splitFlags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}
