package imap

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"

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
	mu    sync.Mutex // guards views and every field of every view below
	views map[*view]struct{}
}

type updateKind int

const (
	updAppend updateKind = iota
	updExpunge
	updFlags
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
// the snapshot already contains are dropped by their UID.
func (h *hub) open(ctx context.Context, mailboxID int64) (*view, *store.Mailbox, []*store.Message, error) {
	h.mu.Lock()
	b := h.boxes[mailboxID]
	if b == nil {
		b = &openBox{id: mailboxID, views: make(map[*view]struct{})}
		h.boxes[mailboxID] = b
	}
	v := &view{box: b, loading: true, expect: make(map[uint32]string), notify: make(chan struct{}, 1)}
	b.mu.Lock()
	b.views[v] = struct{}{}
	b.mu.Unlock()
	h.mu.Unlock()

	mb, msgs, err := h.store.MailboxSnapshot(ctx, mailboxID)
	if err != nil {
		h.release(v)
		return nil, nil, nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v.uids = make([]uint32, len(msgs))
	for i, m := range msgs {
		v.uids[i] = m.UID
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
	return v, mb, msgs, nil
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
	n     uint32 // EXISTS: the new count; EXPUNGE, FETCH: the sequence number
	uid   uint32
	flags []string
}

// take applies pending updates to the client's view and returns the
// responses that tell the client about them. Without allowExpunge it stops
// at the first expunge: during FETCH, STORE and SEARCH the server must not
// renumber messages (RFC 9051 section 7.5.1).
func (v *view) take(allowExpunge bool) []wireUpdate {
	v.box.mu.Lock()
	defer v.box.mu.Unlock()
	var out []wireUpdate
	n := 0
loop:
	for ; n < len(v.pending); n++ {
		u := v.pending[n]
		switch u.kind {
		case updAppend:
			if k := len(v.uids); k > 0 && u.uid <= v.uids[k-1] {
				continue
			}
			v.uids = append(v.uids, u.uid)
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
			out = append(out, wireUpdate{kind: updExpunge, n: uint32(i + 1), uid: u.uid})
		case updFlags:
			i := indexOf(v.uids, u.uid)
			if i < 0 {
				continue
			}
			out = append(out, wireUpdate{kind: updFlags, n: uint32(i + 1), uid: u.uid, flags: u.flags})
		}
	}
	if n == len(v.pending) {
		v.pending = nil
	} else {
		v.pending = append([]update(nil), v.pending[n:]...)
	}
	return out
}

// flush writes the updates take returns.
func (v *view) flush(w *imapserver.UpdateWriter, allowExpunge bool) error {
	for _, u := range v.take(allowExpunge) {
		var err error
		switch u.kind {
		case updAppend:
			err = w.WriteNumMessages(u.n)
		case updExpunge:
			err = w.WriteExpunge(u.n)
		case updFlags:
			err = w.WriteMessageFlags(u.n, imapUID(u.uid), toFlags(u.flags))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// idle writes updates as they come until stop is closed (RFC 2177).
func (v *view) idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		if err := v.flush(w, true); err != nil {
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
