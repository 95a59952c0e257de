package imap

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// delim is the hierarchy delimiter: "Homework/Week1" is a folder inside a
// folder (RFC 9051 section 5.1.1).
const delim = '/'

// specialUses are the RFC 6154 attributes CREATE (USE (...)) accepts.
var specialUses = map[string]imap.MailboxAttr{
	`\all`: imap.MailboxAttrAll, `\archive`: imap.MailboxAttrArchive, `\drafts`: imap.MailboxAttrDrafts,
	`\flagged`: imap.MailboxAttrFlagged, `\junk`: imap.MailboxAttrJunk, `\sent`: imap.MailboxAttrSent,
	`\trash`: imap.MailboxAttrTrash,
}

// lookup finds one of the user's mailboxes by name.
func (s *session) lookup(ctx context.Context, name string) (*store.Mailbox, error) {
	mb, err := s.srv.Store.Mailbox(ctx, s.srv.Name, s.user, name)
	if errors.Is(err, store.ErrNoMailbox) {
		return nil, noFolderErr(imap.ResponseCodeNonExistent, name, s.noFolder(ctx, name))
	}
	return mb, storeErr(err, name)
}

// cleanName checks a new folder name and drops a trailing delimiter (RFC
// 9051 section 6.3.4: "CREATE a/" means the folder a).
func cleanName(name string) (string, error) {
	name = strings.TrimSuffix(name, string(delim))
	switch {
	case name == "":
		return "", no(imap.ResponseCodeCannot, "a folder needs a name")
	case strings.ContainsAny(name, "%*"):
		return "", no(imap.ResponseCodeCannot, "%% and * are LIST wildcards and cannot be part of a folder name")
	case name[0] == delim || strings.Contains(name, string(delim)+string(delim)):
		return "", no(imap.ResponseCodeCannot, "folder names cannot begin with %q or have an empty level", string(delim))
	case len(name) > 200:
		return "", no(imap.ResponseCodeCannot, "that folder name is too long")
	}
	if strings.EqualFold(name, "INBOX") {
		return "INBOX", nil
	}
	return name, nil
}

// parents lists the superior names of a folder: a/b/c has a and a/b.
func parents(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == delim {
			out = append(out, name[:i])
		}
	}
	return out
}

// Create handles CREATE (RFC 9051 section 6.3.4), creating missing superior
// folders too, with RFC 6154's USE parameter.
func (s *session) Create(name string, options *imap.CreateOptions) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	if name == "INBOX" {
		return no(imap.ResponseCodeAlreadyExists, "INBOX always exists")
	}
	var uses []string
	for _, a := range options.SpecialUse {
		use, ok := specialUses[strings.ToLower(string(a))]
		if !ok {
			return no("USEATTR", "%s is not a special use this server knows (RFC 6154)", a)
		}
		uses = append(uses, string(use))
	}
	ctx, cancel := s.ctx()
	defer cancel()
	err = s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		for _, p := range parents(name) {
			if _, err := tx.MailboxByName(s.srv.Name, s.user, p); errors.Is(err, store.ErrNoMailbox) {
				if _, err := tx.CreateMailbox(s.srv.Name, s.user, p, ""); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		_, err := tx.CreateMailbox(s.srv.Name, s.user, name, strings.Join(uses, " "))
		return err
	})
	return storeErr(err, name)
}

// Delete handles DELETE (RFC 9051 section 6.3.5). A folder with subfolders
// is refused (HASCHILDREN, RFC 5530): this store has no \Noselect folders.
func (s *session) Delete(name string) error {
	if strings.EqualFold(name, "INBOX") {
		return storeErr(store.ErrInboxOperation, name)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	err := s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		mb, err := tx.MailboxByName(s.srv.Name, s.user, name)
		if err != nil {
			return err
		}
		all, err := tx.Mailboxes(s.srv.Name, s.user)
		if err != nil {
			return err
		}
		if hasChildren(all, name) {
			return store.ErrMailboxHasChild
		}
		return tx.DeleteMailbox(mb.ID)
	})
	return storeErr(err, name)
}

// Rename handles RENAME (RFC 9051 section 6.3.6): subfolders move along;
// renaming INBOX moves its messages to the new folder and leaves INBOX
// empty.
func (s *session) Rename(oldName, newName string, _ *imap.RenameOptions) error {
	newName, err := cleanName(newName)
	if err != nil {
		return err
	}
	if newName == "INBOX" {
		return no(imap.ResponseCodeAlreadyExists, "INBOX always exists")
	}
	if strings.EqualFold(oldName, "INBOX") {
		oldName = "INBOX"
	}
	if strings.HasPrefix(newName, oldName+string(delim)) {
		return no(imap.ResponseCodeCannot, "a folder cannot be moved inside itself")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	err = s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		src, err := tx.MailboxByName(s.srv.Name, s.user, oldName)
		if err != nil {
			return err
		}
		if _, err := tx.MailboxByName(s.srv.Name, s.user, newName); err == nil {
			return store.ErrMailboxExists
		} else if !errors.Is(err, store.ErrNoMailbox) {
			return err
		}
		all, err := tx.Mailboxes(s.srv.Name, s.user)
		if err != nil {
			return err
		}
		for _, p := range parents(newName) {
			if !hasName(all, p) {
				if _, err := tx.CreateMailbox(s.srv.Name, s.user, p, ""); err != nil {
					return err
				}
			}
		}
		if oldName == "INBOX" {
			dest, err := tx.CreateMailbox(s.srv.Name, s.user, newName, "")
			if err != nil {
				return err
			}
			msgs, err := tx.Messages(src.ID)
			if err != nil {
				return err
			}
			uids := make([]uint32, len(msgs))
			for i, m := range msgs {
				uids[i] = m.UID
			}
			_, _, err = tx.MoveMessages(src.ID, uids, dest)
			return err
		}
		if err := tx.RenameMailbox(src.ID, newName); err != nil {
			return err
		}
		for _, m := range all {
			if strings.HasPrefix(m.Name, oldName+string(delim)) {
				if err := tx.RenameMailbox(m.ID, newName+m.Name[len(oldName):]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrMailboxExists) {
		return storeErr(err, newName)
	}
	return storeErr(err, oldName)
}

func hasName(all []*store.Mailbox, name string) bool {
	for _, m := range all {
		if m.Name == name {
			return true
		}
	}
	return false
}

func hasChildren(all []*store.Mailbox, name string) bool {
	prefix := name + string(delim)
	for _, m := range all {
		if strings.HasPrefix(m.Name, prefix) {
			return true
		}
	}
	return false
}

// Subscribe handles SUBSCRIBE (RFC 9051 section 6.3.7).
func (s *session) Subscribe(name string) error { return s.subscribe(name, true) }

// Unsubscribe handles UNSUBSCRIBE (RFC 9051 section 6.3.8).
func (s *session) Unsubscribe(name string) error { return s.subscribe(name, false) }

func (s *session) subscribe(name string, on bool) error {
	ctx, cancel := s.ctx()
	defer cancel()
	err := s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		if strings.EqualFold(name, "INBOX") {
			name = "INBOX"
		}
		mb, err := tx.MailboxByName(s.srv.Name, s.user, name)
		if err != nil {
			return err
		}
		return tx.SetSubscribed(mb.ID, on)
	})
	return storeErr(err, name)
}

// List handles LIST and LSUB (RFC 9051 section 6.3.9, RFC 3501 section
// 6.3.9): every folder carries \HasChildren or \HasNoChildren (RFC 3348)
// and its special use (RFC 6154: \Sent, \Drafts, \Trash).
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		// LIST "" "": the hierarchy delimiter and the root (section 6.3.9).
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim, Mailbox: ""})
	}
	ctx, cancel := s.ctx()
	defer cancel()
	all, err := s.srv.Store.Mailboxes(ctx, s.srv.Name, s.user)
	if err != nil {
		return err
	}
	noselect := map[string]bool{}
	if options.SelectSubscribed {
		noselect = subscribedParents(all, ref, patterns)
	}
	for _, mb := range all {
		if !matchAny(mb.Name, ref, patterns) {
			continue
		}
		if noselect[mb.Name] {
			if err := w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim, Mailbox: mb.Name}); err != nil {
				return err
			}
			continue
		}
		if options.SelectSubscribed && !mb.Subscribed || options.SelectSpecialUse && mb.Special == "" {
			continue
		}
		data := &imap.ListData{Delim: delim, Mailbox: mb.Name}
		if hasChildren(all, mb.Name) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		if (options.SelectSubscribed || options.ReturnSubscribed) && mb.Subscribed {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		for _, use := range strings.Fields(mb.Special) {
			data.Attrs = append(data.Attrs, imap.MailboxAttr(use))
		}
		if options.ReturnStatus != nil {
			if data.Status, err = s.status(ctx, mb, options.ReturnStatus); err != nil {
				return err
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// subscribedParents are the folders LSUB lists as \Noselect: not
// subscribed themselves, matched by the pattern, with a subscribed
// inferior folder the pattern does not match (RFC 3501 section 6.3.9:
// LSUB "" "%" answers foo with \Noselect when only foo/bar is subscribed,
// so that a client can find foo/bar).
func subscribedParents(all []*store.Mailbox, ref string, patterns []string) map[string]bool {
	subscribed := map[string]bool{}
	for _, mb := range all {
		if mb.Subscribed {
			subscribed[mb.Name] = true
		}
	}
	out := map[string]bool{}
	for name := range subscribed {
		if matchAny(name, ref, patterns) {
			continue
		}
		for _, p := range parents(name) {
			if !subscribed[p] && matchAny(p, ref, patterns) {
				out[p] = true
			}
		}
	}
	return out
}

// matchAny matches a folder name against LIST patterns; INBOX matches
// case-insensitively (RFC 9051 section 5.1).
func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, delim, ref, p) {
			return true
		}
		if name == "INBOX" && imapserver.MatchList(name, delim, strings.ToUpper(ref), strings.ToUpper(p)) {
			return true
		}
	}
	return false
}

// Status handles STATUS (RFC 9051 section 6.3.11).
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	mb, err := s.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.status(ctx, mb, options)
}

func (s *session) status(ctx context.Context, mb *store.Mailbox, options *imap.StatusOptions) (*imap.StatusData, error) {
	mb, msgs, err := s.srv.Store.MailboxSnapshot(ctx, mb.ID)
	if err != nil {
		return nil, storeErr(err, mb.Name)
	}
	data := &imap.StatusData{Mailbox: mb.Name, UIDNext: imap.UID(mb.UIDNext), UIDValidity: mb.UIDValidity}
	first, err := s.srv.hub.firstRecent(ctx, mb.ID)
	if err != nil {
		return nil, err
	}
	var n, unseen, deleted, recent uint32
	var size int64
	for _, m := range msgs {
		n++
		if m.UID >= first {
			recent++
		}
		size += m.Size
		if !m.HasFlag(string(imap.FlagSeen)) {
			unseen++
		}
		if m.HasFlag(string(imap.FlagDeleted)) {
			deleted++
		}
	}
	var zero64 int64
	limit := s.srv.AppendLimit
	if options.NumMessages {
		data.NumMessages = &n
	}
	if options.NumUnseen {
		data.NumUnseen = &unseen
	}
	if options.NumDeleted {
		data.NumDeleted = &deleted
	}
	if options.Size {
		data.Size = &size
	}
	if options.NumRecent {
		// The messages no session has claimed yet (RFC 3501 section
		// 6.3.10): STATUS does not claim them.
		data.NumRecent = &recent
	}
	if options.AppendLimit {
		data.AppendLimit = &limit
	}
	if options.DeletedStorage {
		data.DeletedStorage = &zero64
	}
	return data, nil
}

// Append handles APPEND (RFC 9051 section 6.3.12), answering with
// APPENDUID (RFC 4315). The message is stored exactly as sent.
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	body, err := io.ReadAll(io.LimitReader(r, int64(s.srv.AppendLimit)+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > int64(s.srv.AppendLimit) {
		return nil, no(imap.ResponseCodeTooBig, "messages are limited to %d octets", s.srv.AppendLimit)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if over, size, max := limits.OverQuota(ctx, s.srv.Auth, s.srv.Name, s.user, int64(len(body))); over {
		s.trace.Note(tracer.KindNote, tracer.M("class.limit.mailbox", "user", s.user, "size", strconv.FormatInt(size, 10), "max", strconv.FormatInt(max, 10)),
			map[string]string{"user": s.user, "limit": "mailbox"})
		// OVERQUOTA (RFC 9208, the IMAP QUOTA extension): the APPEND
		// would put the user over their storage limit.
		return nil, no(imap.ResponseCodeOverQuota, "%s's mailboxes hold %d octets, the class limit is %d: delete (EXPUNGE) some mail first", s.user, size, max)
	}
	mb, err := s.srv.Store.Mailbox(ctx, s.srv.Name, s.user, name)
	if errors.Is(err, store.ErrNoMailbox) {
		return nil, noFolderErr(imap.ResponseCodeTryCreate, name, s.noFolder(ctx, name))
	} else if err != nil {
		return nil, err
	}
	date := options.Time
	if date.IsZero() {
		date = time.Now()
	}
	flags := storableFlags(options.Flags)
	var uid uint32
	err = s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		uid, err = tx.AppendMessage(mb.ID, body, date, flags, "")
		return err
	})
	if err != nil {
		return nil, storeErr(err, name)
	}
	return &imap.AppendData{UID: imap.UID(uid), UIDValidity: mb.UIDValidity}, nil
}
