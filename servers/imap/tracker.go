package imap

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/mailscope/mailscope/servers/store"
)

// The tracker turns changes committed to the store (by SMTP deliveries, by
// other IMAP sessions, by POP3) into the untagged EXISTS, EXPUNGE and FETCH
// responses each selected session owes its client (RFC 9051 section 7.4 and
// section 5.2: the server must keep every client's view of message sequence
// numbers consistent).
//
// Each session has a view: the UIDs its client knows, in sequence-number
// order, plus the updates not yet told. Updates are applied to the view
// only when they are written to the client, so a sequence number sent by
// the client always means what the client thinks it means. imapserver's own
// MailboxTracker is not used: it cannot say how many messages the client
// knows (needed for "*" and for refusing sequence numbers the client has
// never seen) and it assumes every EXISTS grows the mailbox by one.

// hub follows the store and hands each committed change to the views of the
// mailbox it touched.
type hub struct {
	store  *store.Store
	logger *slog.Logger

	mu     sync.Mutex
	boxes  map[int64]*openBox
	cancel func()
}

// openBox is a mailbox that at least one session has selected.
type openBox struct {
	id    int64
	mu    sync.Mutex // guards views, firstRecent and every field of every view below
	views map[*view]struct{}

	// firstRecent is the first UID no session has claimed as \Recent
	// (RFC 3501 section 2.3.2; store.FirstRecentUID): while the mailbox is
	// open this copy is the truth, and every claim is written through.
	firstRecent  uint32
	recentLoaded bool
}

type updateKind int

const (
	updAppend updateKind = iota
	updExpunge
	updFlags
	updMailboxFlags // * FLAGS: a keyword the client has not been told of
	updRecent       // * n RECENT
)

// update is one committed change not yet told to a client.
type update struct {
	kind  updateKind
	uid   uint32
	flags []string
}

// view is one session's picture of its selected mailbox.
type view struct {
	box *openBox

	// Guarded by box.mu.
	uids     []uint32 // what the client knows, ascending: seq n is uids[n-1]
	pending  []update
	loading  bool              // the snapshot is being read: keep everything
	seenNext uint32            // appends below this UID are already in uids or pending
	expect   map[uint32]string // own flag changes not to echo back: UID -> stored flags
	readOnly bool              // EXAMINE: claims no \Recent
	recent   map[uint32]bool   // the messages recent in this session (RFC 3501 section 2.3.2)
	told     int               // the \Recent count last told (SELECT or * n RECENT)
	flagList []string          // the FLAGS the client was told: system flags, then keywords
	known    map[string]bool   // flagList lower-cased
	front    []wireUpdate      // responses owed before any pending update (own STORE, messages.go)

	notify chan struct{} // a poke for IDLE, capacity 1
}

func newHub(st *store.Store, logger *slog.Logger) *hub {
	h := &hub{store: st, logger: logger, boxes: make(map[int64]*openBox)}
	h.cancel = st.Watch(h.change)
	return h
}

func (h *hub) close() { h.cancel() }

// change runs on the store's writer goroutine after a commit: it must be
// quick and must never panic (a panic there would end the process).
func (h *hub) change(c store.Change) {
	defer func() {
		if r := recover(); r != nil {
			h.logger.Error("imap: panic while tracking a store change", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	var u update
	switch c.Kind {
	case store.ChangeAppend:
		u = update{kind: updAppend, uid: c.UID, flags: c.Flags}
	case store.ChangeExpunge:
		u = update{kind: updExpunge, uid: c.UID}
	case store.ChangeFlags:
		u = update{kind: updFlags, uid: c.UID, flags: c.Flags}
	default:
		return
	}
	h.mu.Lock()
	b := h.boxes[c.MailboxID]
	h.mu.Unlock()
	if b == nil {
		return
	}
	b.mu.Lock()
	for v := range b.views {
		v.offer(u)
	}
	b.mu.Unlock()
}

// offer queues u for the view's client; box.mu is held.
func (v *view) offer(u update) {
	switch u.kind {
	case updAppend:
		if !v.loading {
			if u.uid < v.seenNext {
				return
			}
			v.seenNext = u.uid + 1
		}
	case updFlags:
		if want, ok := v.expect[u.uid]; ok && want == store.JoinFlags(u.flags) {
			// This session's own STORE (or implicit \Seen): its client
			// gets the new flags in the command's own FETCH response.
			delete(v.expect, u.uid)
			return
		}
	}
	v.pending = append(v.pending, u)
	select {
	case v.notify <- struct{}{}:
	default:
	}
}

// open selects a mailbox for a session: it registers a view first and reads
// the snapshot second, so no change committed in between is lost; changes
// the snapshot already contains are dropped by their UID. A read-write
// open (SELECT) claims the mailbox's recent messages (RFC 3501 section
// 6.3.1: they are recent in this session only); a read-only one (EXAMINE)
// shows them as recent without claiming them.
func (h *hub) open(ctx context.Context, mailboxID int64, readOnly bool) (*view, *store.Mailbox, []*store.Message, error) {
	h.mu.Lock()
	b := h.boxes[mailboxID]
	if b == nil {
		b = &openBox{id: mailboxID, views: make(map[*view]struct{})}
		h.boxes[mailboxID] = b
	}
	v := &view{box: b, loading: true, readOnly: readOnly, expect: make(map[uint32]string),
		recent: make(map[uint32]bool), known: make(map[string]bool), notify: make(chan struct{}, 1)}
	b.mu.Lock()
	b.views[v] = struct{}{}
	loaded := b.recentLoaded
	b.mu.Unlock()
	h.mu.Unlock()

	if !loaded {
		first, err := h.store.FirstRecentUID(ctx, mailboxID)
		if err != nil {
			h.release(v)
			return nil, nil, nil, err
		}
		b.mu.Lock()
		if !b.recentLoaded {
			b.firstRecent, b.recentLoaded = first, true
		}
		b.mu.Unlock()
	}
	mb, msgs, err := h.store.MailboxSnapshot(ctx, mailboxID)
	if err != nil {
		h.release(v)
		return nil, nil, nil, err
	}
	b.mu.Lock()
	v.uids = make([]uint32, len(msgs))
	for i, m := range msgs {
		v.uids[i] = m.UID
		if m.UID >= b.firstRecent {
			v.recent[m.UID] = true
		}
	}
	v.told = len(v.recent)
	var claim uint32
	if !readOnly && mb.UIDNext > b.firstRecent {
		b.firstRecent, claim = mb.UIDNext, mb.UIDNext
	}
	for _, f := range mailboxFlags(msgs) {
		v.learn(string(f))
	}
	v.seenNext = mb.UIDNext
	kept := v.pending[:0]
	for _, u := range v.pending {
		if u.kind == updAppend {
			if u.uid < mb.UIDNext {
				continue // already in the snapshot
			}
			if u.uid >= v.seenNext {
				v.seenNext = u.uid + 1
			}
		}
		// Expunges and flag changes of messages the snapshot no longer
		// has are skipped when they are written.
		kept = append(kept, u)
	}
	v.pending = kept
	v.loading = false
	b.mu.Unlock()
	if claim != 0 {
		if err := h.claimRecent(ctx, mailboxID, claim); err != nil {
			h.release(v)
			return nil, nil, nil, err
		}
	}
	return v, mb, msgs, nil
}

// claimRecent writes a claim of \Recent through to the store.
func (h *hub) claimRecent(ctx context.Context, mailboxID int64, uid uint32) error {
	return h.store.Write(ctx, func(tx *store.Tx) error { return tx.ClaimRecent(mailboxID, uid) })
}

// firstRecent is a mailbox's first unclaimed UID: the open mailbox's copy,
// else the store's.
func (h *hub) firstRecent(ctx context.Context, mailboxID int64) (uint32, error) {
	h.mu.Lock()
	b := h.boxes[mailboxID]
	h.mu.Unlock()
	if b != nil {
		b.mu.Lock()
		first, ok := b.firstRecent, b.recentLoaded
		b.mu.Unlock()
		if ok {
			return first, nil
		}
	}
	return h.store.FirstRecentUID(ctx, mailboxID)
}

// learn adds a flag to the FLAGS the client knows and reports whether it
// was new to it; box.mu is held.
func (v *view) learn(f string) bool {
	k := strings.ToLower(f)
	if v.known[k] || !validFlag(f) {
		return false
	}
	v.known[k] = true
	v.flagList = append(v.flagList, f)
	return true
}

// learnAll learns flags and returns a * FLAGS update when any was new.
func (v *view) learnAll(flags []string) (wireUpdate, bool) {
	changed := false
	for _, f := range flags {
		if v.learn(f) {
			changed = true
		}
	}
	return wireUpdate{kind: updMailboxFlags, flags: append([]string(nil), v.flagList...)}, changed
}

// withRecent adds \Recent to a message's flags when it is recent in this
// session; box.mu is held.
func (v *view) withRecent(uid uint32, flags []string) []string {
	if !v.recent[uid] {
		return flags
	}
	return append(append(make([]string, 0, len(flags)+1), flags...), `\Recent`)
}

// knownOnly drops from flags the keywords the client has not been told
// of in * FLAGS (RFC 3501 section 7.2.6): a pending update announces them.
func (v *view) knownOnly(flags []string) []string {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	out := flags[:0:0]
	for _, f := range flags {
		if v.known[strings.ToLower(f)] {
			out = append(out, f)
		}
	}
	return out
}

// isRecent reports whether a message is recent in this session.
func (v *view) isRecent(uid uint32) bool {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	return v.recent[uid]
}

// numRecent is how many messages are recent in this session.
func (v *view) numRecent() int {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	return len(v.recent)
}

// ownFlags prepares the responses to the session's own STORE when it
// uses a keyword the client has not been told of: * FLAGS first, then
// (unless silent) the FETCH responses, all written by the command's Poll
// (imapserver's FetchWriter cannot write * FLAGS; RFC 3501 section 7.2.6).
// It reports whether it did; if not, the command writes its FETCH
// responses itself.
func (v *view) ownFlags(changes []wireUpdate, silent bool) bool {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	var all []string
	for _, c := range changes {
		all = append(all, c.flags...)
	}
	fl, changed := v.learnAll(all)
	if !changed {
		return false
	}
	v.front = append(v.front, fl)
	if !silent {
		for _, c := range changes {
			c.flags = v.withRecent(c.uid, c.flags)
			v.front = append(v.front, c)
		}
	}
	return true
}

// release forgets a view (UNSELECT, CLOSE, another SELECT, logout).
func (h *hub) release(v *view) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := v.box
	b.mu.Lock()
	delete(b.views, v)
	empty := len(b.views) == 0
	b.mu.Unlock()
	if empty && h.boxes[b.id] == b {
		delete(h.boxes, b.id)
	}
}

// msgRef is a message as the client numbers it.
type msgRef struct {
	seq uint32
	uid uint32
}

// refs lists every message the client knows.
func (v *view) refs() []msgRef {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	out := make([]msgRef, len(v.uids))
	for i, uid := range v.uids {
		out[i] = msgRef{seq: uint32(i + 1), uid: uid}
	}
	return out
}

// expectFlags notes this session's own flag changes before they are
// written, and forgets the ones never seen once the write returned.
func (v *view) expectFlags(changes map[uint32]string) {
	v.box.mu.Lock()
	for uid, f := range changes {
		v.expect[uid] = f
	}
	v.box.mu.Unlock()
}

func (v *view) forgetExpected(changes map[uint32]string) {
	v.box.mu.Lock()
	for uid := range changes {
		delete(v.expect, uid)
	}
	v.box.mu.Unlock()
}

// wireUpdate is one untagged response owed to the client.
type wireUpdate struct {
	kind  updateKind
	n     uint32 // EXISTS: the new count; EXPUNGE, FETCH: the sequence number; RECENT: the count
	uid   uint32
	noUID bool // FETCH without UID (the answer to a STORE, not a UID STORE)
	flags []string
}

// take applies pending updates to the client's view and returns the
// responses that tell the client about them. Without allowExpunge it stops
// at the first expunge: during FETCH, STORE and SEARCH the server must not
// renumber messages (RFC 9051 section 7.5.1). A message that arrives is
// recent in the first read-write session that tells its client about it
// (RFC 3501 section 2.3.2); claim is then the new first unclaimed UID, to
// be written to the store. A keyword the client has not been told of is
// announced with * FLAGS first (RFC 3501 section 7.2.6).
func (v *view) take(allowExpunge bool) (out []wireUpdate, claim uint32) {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	out = append(out, v.front...)
	v.front = nil
	n := 0
loop:
	for ; n < len(v.pending); n++ {
		u := v.pending[n]
		switch u.kind {
		case updAppend:
			if k := len(v.uids); k > 0 && u.uid <= v.uids[k-1] {
				continue
			}
			if fl, ok := v.learnAll(u.flags); ok {
				out = append(out, fl)
			}
			v.uids = append(v.uids, u.uid)
			if !v.readOnly && u.uid >= v.box.firstRecent {
				v.recent[u.uid] = true
				v.box.firstRecent = u.uid + 1
				claim = v.box.firstRecent
			}
			if k := len(out); k > 0 && out[k-1].kind == updAppend {
				out[k-1].n = uint32(len(v.uids)) // one EXISTS for a burst
			} else {
				out = append(out, wireUpdate{kind: updAppend, n: uint32(len(v.uids))})
			}
		case updExpunge:
			if !allowExpunge {
				break loop
			}
			i := indexOf(v.uids, u.uid)
			if i < 0 {
				continue
			}
			v.uids = append(v.uids[:i], v.uids[i+1:]...)
			delete(v.recent, u.uid)
			out = append(out, wireUpdate{kind: updExpunge, n: uint32(i + 1), uid: u.uid})
		case updFlags:
			i := indexOf(v.uids, u.uid)
			if i < 0 {
				continue
			}
			if fl, ok := v.learnAll(u.flags); ok {
				out = append(out, fl)
			}
			out = append(out, wireUpdate{kind: updFlags, n: uint32(i + 1), uid: u.uid, flags: v.withRecent(u.uid, u.flags)})
		}
	}
	if n == len(v.pending) {
		v.pending = nil
	} else {
		v.pending = append([]update(nil), v.pending[n:]...)
	}
	if len(v.recent) > v.told {
		// RFC 3501 section 7.3.2: * n RECENT when the number grows (an
		// expunge lowers it without a word).
		out = append(out, wireUpdate{kind: updRecent, n: uint32(len(v.recent))})
	}
	v.told = len(v.recent)
	return out, claim
}

// flush writes the updates take returns, after writing a claim of
// \Recent through to the store.
func (v *view) flush(h *hub, w *imapserver.UpdateWriter, allowExpunge bool) error {
	ups, claim := v.take(allowExpunge)
	if claim != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err := h.claimRecent(ctx, v.box.id, claim)
		cancel()
		if err != nil {
			return err
		}
	}
	for _, u := range ups {
		var err error
		switch u.kind {
		case updAppend:
			err = w.WriteNumMessages(u.n)
		case updExpunge:
			err = w.WriteExpunge(u.n)
		case updFlags:
			uid := imapUID(u.uid)
			if u.noUID {
				uid = 0
			}
			err = w.WriteMessageFlags(u.n, uid, toFlags(u.flags))
		case updMailboxFlags:
			err = w.WriteMailboxFlags(toFlags(u.flags))
		case updRecent:
			err = w.WriteNumRecent(u.n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// idle writes updates as they come until stop is closed (RFC 2177).
func (v *view) idle(h *hub, w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		if err := v.flush(h, w, true); err != nil {
			return err
		}
		select {
		case <-v.notify:
		case <-stop:
			return nil
		}
	}
}

func indexOf(uids []uint32, uid uint32) int {
	i := sort.Search(len(uids), func(i int) bool { return uids[i] >= uid })
	if i < len(uids) && uids[i] == uid {
		return i
	}
	return -1
}

// flagRecent is the session flag \Recent (RFC 3501 section 2.3.2); go-imap
// v2 keeps it internal, IMAP4rev2 having dropped it.
const flagRecent = imap.Flag(`\Recent`)
