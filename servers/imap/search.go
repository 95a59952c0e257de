package imap

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mailscope/mailscope/servers/store"
)

// Search handles SEARCH and UID SEARCH (RFC 9051 section 6.4.4). Text
// searches compare the raw message bytes case-insensitively (no MIME
// decoding); dates compare the calendar day only, in the server's time zone.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, _ *imap.SearchOptions) (*imap.SearchData, error) {
	sel, err := s.needSelected()
	if err != nil {
		return nil, err
	}
	if hasSearchRes(criteria) {
		return nil, bad("", "$ (SEARCHRES) is not supported by this server")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	msgs, err := s.messages(ctx)
	if err != nil {
		return nil, err
	}
	refs := sel.view.refs()
	sc := searchCtx{ctx: ctx, st: s.srv.Store, view: sel.view, count: uint32(len(refs))}
	if len(refs) > 0 {
		sc.maxUID = refs[len(refs)-1].uid
	}
	data := &imap.SearchData{}
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for _, r := range refs {
		m := msgs[r.uid]
		if m == nil {
			continue
		}
		c := &candidate{ref: r, msg: m}
		if !sc.match(criteria, c) {
			continue
		}
		num := r.seq
		if kind == imapserver.NumKindUID {
			num = r.uid
		}
		seqs.AddNum(r.seq)
		uids.AddNum(imapUID(r.uid))
		if data.Min == 0 || num < data.Min {
			data.Min = num
		}
		if num > data.Max {
			data.Max = num
		}
		data.Count++
	}
	if sc.err != nil {
		return nil, sc.err
	}
	if kind == imapserver.NumKindUID {
		data.All = uids
	} else {
		data.All = seqs
	}
	if data.All == nil || isEmpty(data.All) {
		if kind == imapserver.NumKindUID {
			data.All = imap.UIDSet{}
		} else {
			data.All = imap.SeqSet{}
		}
	}
	return data, nil
}

func isEmpty(set imap.NumSet) bool {
	switch s := set.(type) {
	case imap.SeqSet:
		return len(s) == 0
	case imap.UIDSet:
		return len(s) == 0
	}
	return true
}

func hasSearchRes(c *imap.SearchCriteria) bool {
	for _, u := range c.UID {
		if imap.IsSearchRes(u) {
			return true
		}
	}
	for i := range c.Not {
		if hasSearchRes(&c.Not[i]) {
			return true
		}
	}
	for i := range c.Or {
		if hasSearchRes(&c.Or[i][0]) || hasSearchRes(&c.Or[i][1]) {
			return true
		}
	}
	return false
}

// searchCtx holds what matching needs beyond the message itself.
type searchCtx struct {
	ctx    context.Context
	st     *store.Store
	view   *view  // the session's: which messages are \Recent
	count  uint32 // messages the client knows: "*" in a sequence set
	maxUID uint32 // "*" in a UID set
	err    error  // the first error loading a body
}

// candidate is one message under test; its body and header are read only
// when a criterion needs them, at most once.
type candidate struct {
	ref    msgRef
	msg    *store.Message
	loaded bool
	body   []byte
	header *textproto.Header
}

func (sc *searchCtx) body(c *candidate) []byte {
	if !c.loaded {
		c.loaded = true
		b, err := sc.st.Body(sc.ctx, c.msg.ID)
		if err != nil && sc.err == nil {
			sc.err = err
		}
		c.body = b
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b)))
		c.header = &h
	}
	return c.body
}

func (sc *searchCtx) header(c *candidate) *textproto.Header {
	sc.body(c)
	return c.header
}

// match reports whether c meets every criterion in crit.
func (sc *searchCtx) match(crit *imap.SearchCriteria, c *candidate) bool {
	for _, set := range crit.SeqNum {
		if !inSeqSet(set, c.ref.seq, sc.count) {
			return false
		}
	}
	for _, set := range crit.UID {
		if !inUIDSet(set, c.ref.uid, sc.maxUID) {
			return false
		}
	}
	if !dayInRange(c.msg.InternalDate, crit.Since, crit.Before) {
		return false
	}
	if !crit.SentSince.IsZero() || !crit.SentBefore.IsZero() {
		date, err := (&mail.Header{Header: gomessage.Header{Header: *sc.header(c)}}).Date()
		if err != nil || date.IsZero() || !dayInRange(date, crit.SentSince, crit.SentBefore) {
			return false
		}
	}
	for _, f := range crit.Flag {
		if !sc.hasFlag(c, f) {
			return false
		}
	}
	for _, f := range crit.NotFlag {
		if sc.hasFlag(c, f) {
			return false
		}
	}
	if crit.Larger > 0 && c.msg.Size <= crit.Larger {
		return false
	}
	if crit.Smaller > 0 && c.msg.Size >= crit.Smaller {
		return false
	}
	for _, hf := range crit.Header {
		if !headerContains(sc.header(c), hf.Key, hf.Value) {
			return false
		}
	}
	for _, text := range crit.Body {
		if !containsFold(bodyOf(sc.body(c)), text) {
			return false
		}
	}
	for _, text := range crit.Text {
		if !containsFold(sc.body(c), text) {
			return false
		}
	}
	for i := range crit.Not {
		if sc.match(&crit.Not[i], c) {
			return false
		}
	}
	for _, or := range crit.Or {
		if !sc.match(&or[0], c) && !sc.match(&or[1], c) {
			return false
		}
	}
	return true
}

// hasFlag tests a flag; \Recent is the session's (SEARCH RECENT, NEW
// and OLD, RFC 3501 section 6.4.4).
func (sc *searchCtx) hasFlag(c *candidate, f imap.Flag) bool {
	if strings.EqualFold(string(f), `\Recent`) {
		return sc.view.isRecent(c.ref.uid)
	}
	return c.msg.HasFlag(string(f))
}

// dayInRange compares calendar days: SINCE d matches d and later, BEFORE d
// matches days before d (RFC 9051 section 6.4.4).
func dayInRange(t, since, before time.Time) bool {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	d := day(t)
	if !since.IsZero() && d.Before(day(since)) {
		return false
	}
	if !before.IsZero() && !d.Before(day(before)) {
		return false
	}
	return true
}

// headerContains: the field exists and, unless value is empty, contains it.
func headerContains(h *textproto.Header, key, value string) bool {
	if h == nil {
		return false
	}
	vals := h.Values(key)
	if len(vals) == 0 {
		return false
	}
	if value == "" {
		return true
	}
	for _, v := range vals {
		if containsFold([]byte(v), value) {
			return true
		}
	}
	switch strings.ToLower(key) {
	case "from", "to", "cc", "bcc", "sender", "reply-to":
		// The parsed addresses too: "<user (comment)@ (comment) domain>"
		// holds user@domain, though its text does not.
		return addressMatches(h, key, value)
	}
	return false
}

// bodyOf is the part of a message after the header.
func bodyOf(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[i+4:]
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return msg[i+2:]
	}
	return nil
}

// containsFold reports whether s contains substr, ignoring ASCII case.
func containsFold(s []byte, substr string) bool {
	return bytes.Contains(bytes.ToLower(s), bytes.ToLower([]byte(substr)))
}
