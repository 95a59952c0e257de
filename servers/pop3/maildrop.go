package pop3

import (
	"context"
	"errors"
	"strconv"

	"github.com/mailscope/mailscope/servers/store"
)

// maildrop is a user's INBOX as one session sees it: a snapshot taken at
// login. Message numbers are positions in that snapshot and do not change
// during the session (RFC 1939 section 5); mail that arrives meanwhile is
// seen at the next login.
type maildrop struct {
	user        string
	mailboxID   int64
	uidValidity uint32
	msgs        []*dropMsg // message n is msgs[n-1]
}

// dropMsg is one message of the snapshot.
type dropMsg struct {
	id      int64 // store message id
	uid     uint32
	size    int64 // octets as stored, CRLF line endings: what LIST and STAT count
	deleted bool  // marked by DELE; removed at QUIT
}

// openMaildrop reads the listing of user's INBOX. A user without an INBOX
// has an empty maildrop.
func (s *Server) openMaildrop(ctx context.Context, user string) (*maildrop, error) {
	d := &maildrop{user: user}
	mb, err := s.Store.Mailbox(ctx, s.Name, user, "INBOX")
	if errors.Is(err, store.ErrNoMailbox) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.mailboxID, d.uidValidity = mb.ID, mb.UIDValidity
	msgs, err := s.Store.Messages(ctx, mb.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		d.msgs = append(d.msgs, &dropMsg{id: m.ID, uid: m.UID, size: m.Size})
	}
	return d, nil
}

// stat counts the messages not marked deleted and their octets.
func (d *maildrop) stat() (n int, size int64) {
	for _, m := range d.msgs {
		if !m.deleted {
			n++
			size += m.size
		}
	}
	return n, size
}

// marked returns the store ids of the messages marked deleted.
func (d *maildrop) marked() []int64 {
	var ids []int64
	for _, m := range d.msgs {
		if m.deleted {
			ids = append(ids, m.id)
		}
	}
	return ids
}

// uidl is the unique id of a message, RFC 1939 section 7: the mailbox's
// UIDVALIDITY and the message's UID. Both are fixed for the life of the
// message, so the id never changes between sessions and is never reused.
func (d *maildrop) uidl(m *dropMsg) string {
	return strconv.FormatUint(uint64(d.uidValidity), 10) + "." + strconv.FormatUint(uint64(m.uid), 10)
}

// lookup finds message arg (a number as typed) for verb. Messages marked
// deleted are refused unless allowDeleted.
func (d *maildrop) lookup(verb, arg string, allowDeleted bool) (*dropMsg, int, error) {
	n, ok := parseNumber(arg)
	if !ok {
		return nil, 0, errorf("", "syntax: \"%s\" is not a message number; messages are numbered 1, 2, 3 ... (LIST shows them)", safe(arg, 20))
	}
	switch {
	case len(d.msgs) == 0:
		return nil, n, errorf("", "no message %d: the maildrop is empty", n)
	case (n < 1 || n > len(d.msgs)) && len(d.msgs) == 1:
		return nil, n, errorf("", "no message %d: the maildrop has one message, number 1", n)
	case n < 1 || n > len(d.msgs):
		return nil, n, errorf("", "no message %d: the maildrop has messages 1 to %d", n, len(d.msgs))
	}
	m := d.msgs[n-1]
	if m.deleted && !allowDeleted {
		return nil, n, errorf("", "message %d is marked as deleted (DELE in this session); %s cannot use it, RSET unmarks it", n, verb)
	}
	return m, n, nil
}
