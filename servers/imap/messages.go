package imap

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"github.com/mailscope/mailscope/servers/store"
)

func imapUID(uid uint32) imap.UID { return imap.UID(uid) }

// validFlag reports whether f can be written as an IMAP flag or keyword
// (RFC 9051 section 9, flag-keyword: an atom).
func validFlag(f string) bool {
	if f == "" {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '\\' && i == 0 {
			continue
		}
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// toFlags converts stored flags for the wire, case as stored.
func toFlags(fs []string) []imap.Flag {
	out := make([]imap.Flag, 0, len(fs))
	for _, f := range fs {
		if validFlag(f) {
			out = append(out, imap.Flag(f))
		}
	}
	return out
}

// storableFlags drops what a client may not set: \Recent belongs to the
// server (RFC 9051 section 2.3.2) and \* only appears in PERMANENTFLAGS.
func storableFlags(fs []imap.Flag) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if strings.EqualFold(string(f), `\Recent`) || f == imap.FlagWildcard {
			continue
		}
		out = append(out, string(f))
	}
	return out
}

func hasFlag(fs []string, f string) bool {
	for _, g := range fs {
		if strings.EqualFold(g, f) {
			return true
		}
	}
	return false
}

// applyStore computes a STORE: the flags as given, case kept, compared
// case-insensitively (RFC 9051 section 6.4.6).
func applyStore(op imap.StoreFlagsOp, cur, given []string) []string {
	switch op {
	case imap.StoreFlagsSet:
		return append([]string(nil), given...)
	case imap.StoreFlagsAdd:
		out := append([]string(nil), cur...)
		for _, f := range given {
			if !hasFlag(out, f) {
				out = append(out, f)
			}
		}
		return out
	default:
		var out []string
		for _, f := range cur {
			if !hasFlag(given, f) {
				out = append(out, f)
			}
		}
		return out
	}
}

// needSelected returns the selected mailbox; imapserver only calls
// selected-state methods in the selected state, so this is a safety net.
func (s *session) needSelected() (*selected, error) {
	if s.sel == nil {
		return nil, bad(imap.ResponseCodeClientBug, "no folder is selected: SELECT or EXAMINE one first")
	}
	return s.sel, nil
}

// resolve turns a client's sequence set or UID set into messages of its
// view. A sequence number beyond what the client knows is an error (BAD,
// RFC 9051 section 7.1.3); UIDs that do not exist are ignored (RFC 9051
// section 6.4.9). "*" is the last message the client knows.
func (s *session) resolve(numSet imap.NumSet) ([]msgRef, error) {
	sel, err := s.needSelected()
	if err != nil {
		return nil, err
	}
	refs := sel.view.refs()
	n := uint32(len(refs))
	var out []msgRef
	switch set := numSet.(type) {
	case imap.SeqSet:
		in := make([]bool, n)
		for _, r := range set {
			start, stop := r.Start, r.Stop
			dyn := start == 0 || stop == 0
			if start == 0 {
				start = n
			}
			if stop == 0 {
				stop = n
			}
			if start > stop {
				start, stop = stop, start
			}
			if dyn && n == 0 {
				continue
			}
			if start == 0 || stop > n {
				return nil, bad("", "there is no message %d: this folder has %d messages (sequence numbers run from 1 to %d)", stop, n, n)
			}
			for i := start; i <= stop; i++ {
				in[i-1] = true
			}
		}
		for i, ok := range in {
			if ok {
				out = append(out, refs[i])
			}
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			return nil, bad("", "$ (SEARCHRES) is not supported by this server")
		}
		var maxUID uint32
		if n > 0 {
			maxUID = refs[n-1].uid
		}
		for _, ref := range refs {
			if inUIDSet(set, ref.uid, maxUID) {
				out = append(out, ref)
			}
		}
	}
	return out, nil
}

func inUIDSet(set imap.UIDSet, uid, maxUID uint32) bool {
	for _, r := range set {
		start, stop := uint32(r.Start), uint32(r.Stop)
		if start == 0 {
			start = maxUID
		}
		if stop == 0 {
			stop = maxUID
		}
		if start > stop {
			start, stop = stop, start
		}
		if uid >= start && uid <= stop {
			return true
		}
	}
	return false
}

func inSeqSet(set imap.SeqSet, seq, count uint32) bool {
	for _, r := range set {
		start, stop := r.Start, r.Stop
		if start == 0 {
			start = count
		}
		if stop == 0 {
			stop = count
		}
		if start > stop {
			start, stop = stop, start
		}
		if seq >= start && seq <= stop {
			return true
		}
	}
	return false
}

// messages returns the selected mailbox's messages by UID.
func (s *session) messages(ctx context.Context) (map[uint32]*store.Message, error) {
	msgs, err := s.srv.Store.Messages(ctx, s.sel.id)
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]*store.Message, len(msgs))
	for _, m := range msgs {
		out[m.UID] = m
	}
	return out, nil
}

// setFlags writes new flags computed from each message's current flags in
// the same transaction, so concurrent STOREs do not lose each other's
// changes. The session's own changes are not echoed back to it as
// unsolicited FETCH responses. It returns the new flags by UID.
func (s *session) setFlags(ctx context.Context, uids []uint32, next func(cur []string) []string) (map[uint32][]string, error) {
	v := s.sel.view
	result := make(map[uint32][]string, len(uids))
	expected := make(map[uint32]string)
	defer v.forgetExpected(expected)
	err := s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		clear(result)
		for _, uid := range uids {
			id, cur, err := tx.MessageFlagsByUID(s.sel.id, uid)
			if errors.Is(err, store.ErrNoMessage) {
				continue // expunged by someone else meanwhile
			} else if err != nil {
				return err
			}
			nf := next(cur)
			result[uid] = nf
			if store.JoinFlags(nf) == store.JoinFlags(cur) {
				continue
			}
			expected[uid] = store.JoinFlags(nf)
			v.expectFlags(map[uint32]string{uid: expected[uid]})
			if err := tx.SetFlags(id, nf); err != nil {
				return err
			}
		}
		return nil
	})
	return result, err
}

// Fetch handles FETCH and UID FETCH (RFC 9051 section 6.4.5). BODY[] is the
// stored message byte for byte; other sections, ENVELOPE and BODYSTRUCTURE
// come from imapserver's helpers. A non-PEEK body section sets \Seen, except
// in a folder opened with EXAMINE.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	refs, err := s.resolve(numSet)
	if err != nil || len(refs) == 0 {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	msgs, err := s.messages(ctx)
	if err != nil {
		return err
	}
	seenSet := map[uint32]bool{}
	if !s.sel.readOnly && setsSeen(options) {
		var uids []uint32
		for _, r := range refs {
			if m := msgs[r.uid]; m != nil && !m.HasFlag(string(imap.FlagSeen)) {
				uids = append(uids, r.uid)
			}
		}
		if len(uids) > 0 {
			res, err := s.setFlags(ctx, uids, func(cur []string) []string {
				return applyStore(imap.StoreFlagsAdd, cur, []string{string(imap.FlagSeen)})
			})
			if err != nil {
				return err
			}
			for uid, f := range res {
				msgs[uid].Flags = f
				seenSet[uid] = true
			}
		}
	}
	needBody := options.Envelope || options.BodyStructure != nil || len(options.BodySection) > 0 ||
		len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	for _, r := range refs {
		m := msgs[r.uid]
		if m == nil {
			continue // expunged by another session; the client learns it later (RFC 2180 section 4.1.2)
		}
		var body []byte
		if needBody {
			body, err = s.srv.Store.Body(ctx, m.ID)
			if errors.Is(err, store.ErrNoMessage) {
				continue
			} else if err != nil {
				return err
			}
		}
		// A keyword another session just set, which this client has not
		// been told of in * FLAGS yet, waits for that update (Poll).
		m.Flags = s.sel.view.knownOnly(m.Flags)
		if err := writeFetch(w, r, m, s.sel.view.isRecent(r.uid), body, options, seenSet[r.uid]); err != nil {
			return err
		}
	}
	return nil
}

// setsSeen reports whether a FETCH reads a body without PEEK.
func setsSeen(options *imap.FetchOptions) bool {
	for _, bs := range options.BodySection {
		if !bs.Peek {
			return true
		}
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			return true
		}
	}
	return false
}

// writeFetch writes one FETCH response. Everything is computed before the
// response starts, so an error never leaves half a response on the wire.
func writeFetch(w *imapserver.FetchWriter, r msgRef, m *store.Message, recent bool, body []byte, options *imap.FetchOptions, seenChanged bool) error {
	var env *imap.Envelope
	if options.Envelope {
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(body)))
		env = envelope(h)
	}
	var bs imap.BodyStructure
	if options.BodyStructure != nil {
		bs = saneStructure(imapserver.ExtractBodyStructure(bytes.NewReader(body)))
	}
	sections := make([][]byte, len(options.BodySection))
	for i, sec := range options.BodySection {
		sections[i] = bodySection(body, sec)
	}
	binaries := make([][]byte, len(options.BinarySection))
	for i, sec := range options.BinarySection {
		clamped := *sec
		clamped.Partial = clampPartial(sec.Partial, len(body))
		binaries[i] = imapserver.ExtractBinarySection(bytes.NewReader(body), &clamped)
	}

	rw := w.CreateMessage(r.seq)
	if options.UID {
		rw.WriteUID(imapUID(r.uid))
	}
	if options.Flags || seenChanged {
		flags := toFlags(m.Flags)
		if recent {
			flags = append(flags, flagRecent)
		}
		rw.WriteFlags(flags)
	}
	if options.InternalDate {
		rw.WriteInternalDate(m.InternalDate)
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(m.Size)
	}
	if env != nil {
		rw.WriteEnvelope(env)
	}
	if bs != nil {
		rw.WriteBodyStructure(bs)
	}
	for i, sec := range options.BodySection {
		if err := writeLiteral(rw.WriteBodySection(sec, int64(len(sections[i]))), sections[i]); err != nil {
			rw.Close()
			return err
		}
	}
	for i, sec := range options.BinarySection {
		if err := writeLiteral(rw.WriteBinarySection(sec, int64(len(binaries[i]))), binaries[i]); err != nil {
			rw.Close()
			return err
		}
	}
	for _, sec := range options.BinarySectionSize {
		rw.WriteBinarySectionSize(sec, imapserver.ExtractBinarySectionSize(bytes.NewReader(body), sec))
	}
	return rw.Close()
}

// clampPartial bounds a partial's size by the message size: imapserver adds
// offset and size without checking for overflow (<0.9223372036854775807>).
func clampPartial(p *imap.SectionPartial, n int) *imap.SectionPartial {
	if p == nil || p.Size <= int64(n) {
		return p
	}
	return &imap.SectionPartial{Offset: p.Offset, Size: int64(n)}
}

// saneStructure replaces multiparts without parts (a malformed message:
// no boundary found) by an empty text/plain part, which the response
// grammar can express (RFC 9051 section 9, body-type-mpart needs a body).
func saneStructure(bs imap.BodyStructure) imap.BodyStructure {
	switch b := bs.(type) {
	case *imap.BodyStructureMultiPart:
		if len(b.Children) == 0 {
			return &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain", Text: &imap.BodyStructureText{},
				Extended: &imap.BodyStructureSinglePartExt{}}
		}
		for i, c := range b.Children {
			b.Children[i] = saneStructure(c)
		}
	case *imap.BodyStructureSinglePart:
		if m := b.MessageRFC822; m != nil && m.BodyStructure != nil {
			m.BodyStructure = saneStructure(m.BodyStructure)
		}
	}
	return bs
}

func writeLiteral(wc interface {
	Write([]byte) (int, error)
	Close() error
}, b []byte) error {
	if _, err := wc.Write(b); err != nil {
		wc.Close()
		return err
	}
	return wc.Close()
}

// bodySection extracts one body section. BODY[] (with or without a
// partial) is cut from the stored bytes directly so it is exactly what was
// delivered, and RFC822.SIZE always equals its length.
func bodySection(body []byte, sec *imap.FetchItemBodySection) []byte {
	if len(sec.Part) > 0 || sec.Specifier != imap.PartSpecifierNone || len(sec.HeaderFields) > 0 || len(sec.HeaderFieldsNot) > 0 {
		clamped := *sec
		clamped.Partial = clampPartial(sec.Partial, len(body))
		return imapserver.ExtractBodySection(bytes.NewReader(body), &clamped)
	}
	if p := sec.Partial; p != nil {
		if p.Offset >= int64(len(body)) {
			return nil
		}
		end := p.Offset + p.Size
		if end > int64(len(body)) || end < p.Offset {
			end = int64(len(body))
		}
		return body[p.Offset:end]
	}
	return body
}

// Store handles STORE and UID STORE (RFC 9051 section 6.4.6). Flags and
// keywords are kept as the client wrote them.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, _ *imap.StoreOptions) error {
	refs, err := s.resolve(numSet)
	if err != nil {
		return err
	}
	if s.sel.readOnly {
		return errReadOnly
	}
	if len(refs) == 0 {
		return nil
	}
	given := storableFlags(flags.Flags)
	uids := make([]uint32, len(refs))
	for i, r := range refs {
		uids[i] = r.uid
	}
	ctx, cancel := s.ctx()
	defer cancel()
	res, err := s.setFlags(ctx, uids, func(cur []string) []string { return applyStore(flags.Op, cur, given) })
	if err != nil {
		return err
	}
	_, byUID := numSet.(imap.UIDSet)
	var changes []wireUpdate
	for _, r := range refs {
		if nf, ok := res[r.uid]; ok {
			changes = append(changes, wireUpdate{kind: updFlags, n: r.seq, uid: r.uid, noUID: !byUID, flags: nf})
		}
	}
	if s.sel.view.ownFlags(changes, flags.Silent) || flags.Silent {
		// A new keyword: * FLAGS, then the FETCH responses, follow from
		// Poll (a silent STORE gets the * FLAGS only).
		return nil
	}
	for _, c := range changes {
		rw := w.CreateMessage(c.n)
		if byUID {
			rw.WriteUID(imapUID(c.uid))
		}
		fl := toFlags(c.flags)
		if s.sel.view.isRecent(c.uid) {
			fl = append(fl, flagRecent)
		}
		rw.WriteFlags(fl)
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// uidSetOf builds a UID set in the order given.
func uidSetOf(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imapUID(u))
	}
	return set
}

// Copy handles COPY and UID COPY (RFC 9051 section 6.4.7) with COPYUID
// (RFC 4315). A missing destination is TRYCREATE.
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	refs, err := s.resolve(numSet)
	if err != nil {
		return nil, err
	}
	return s.transfer(refs, dest, false)
}

// Move handles MOVE and UID MOVE (RFC 6851): copy and expunge in one
// transaction; the EXPUNGE responses follow as updates. A MOVE into the
// selected folder itself is allowed (RFC 6851 does not forbid it; Dovecot
// does it): the messages get new UIDs at the end, like a COPY and an
// EXPUNGE, and the client sees * n EXPUNGE and * n EXISTS.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	refs, err := s.resolve(numSet)
	if err != nil {
		return err
	}
	if s.sel.readOnly {
		return errReadOnly
	}
	data, err := s.transfer(refs, dest, true)
	if err != nil || data == nil {
		return err
	}
	return w.WriteCopyData(data)
}

func (s *session) transfer(refs []msgRef, dest string, move bool) (*imap.CopyData, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	dmb, err := s.srv.Store.Mailbox(ctx, s.srv.Name, s.user, dest)
	if errors.Is(err, store.ErrNoMailbox) {
		return nil, noFolderErr(imap.ResponseCodeTryCreate, dest, s.noFolder(ctx, dest))
	} else if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	uids := make([]uint32, len(refs))
	for i, r := range refs {
		uids[i] = r.uid
	}
	var src, dst []uint32
	err = s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if move {
			src, dst, err = tx.MoveMessages(s.sel.id, uids, dmb.ID)
		} else {
			src, dst, err = tx.CopyMessages(s.sel.id, uids, dmb.ID)
		}
		return err
	})
	if err != nil {
		return nil, storeErr(err, dest)
	}
	if len(src) == 0 {
		return nil, nil
	}
	return &imap.CopyData{UIDValidity: dmb.UIDValidity, SourceUIDs: uidSetOf(src), DestUIDs: uidSetOf(dst)}, nil
}

// Expunge handles EXPUNGE, UID EXPUNGE (RFC 4315) and the silent expunge
// of CLOSE (RFC 9051 sections 6.4.3 and 6.4.2). The EXPUNGE responses are
// written as updates once the removal is committed.
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	sel, err := s.needSelected()
	if err != nil {
		return err
	}
	if sel.readOnly {
		// imapserver hands CLOSE a writer with no connection; CLOSE on a
		// read-only folder removes nothing and is no error.
		if w == nil || *w == (imapserver.ExpungeWriter{}) {
			return nil
		}
		return errReadOnly
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return s.srv.Store.Write(ctx, func(tx *store.Tx) error {
		msgs, err := tx.Messages(sel.id)
		if err != nil {
			return err
		}
		var maxUID uint32
		if len(msgs) > 0 {
			maxUID = msgs[len(msgs)-1].UID
		}
		var doomed []*store.Message
		for _, m := range msgs {
			if m.HasFlag(string(imap.FlagDeleted)) && (uids == nil || inUIDSet(*uids, m.UID, maxUID)) {
				doomed = append(doomed, m)
			}
		}
		// Highest UID first: each EXPUNGE then leaves the sequence numbers
		// still to be announced unchanged.
		sort.Slice(doomed, func(i, j int) bool { return doomed[i].UID > doomed[j].UID })
		ids := make([]int64, len(doomed))
		for i, m := range doomed {
			ids[i] = m.ID
		}
		return tx.DeleteMessages(ids)
	})
}
