package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func openIMAPTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureUser(context.Background(), "A", "alice"); err != nil {
		t.Fatal(err)
	}
	return s
}

// changeRecorder collects committed changes.
type changeRecorder struct {
	mu  sync.Mutex
	chs []Change
}

func (r *changeRecorder) add(c Change) { r.mu.Lock(); r.chs = append(r.chs, c); r.mu.Unlock() }
func (r *changeRecorder) take() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.chs
	r.chs = nil
	return out
}

func TestCopyAndMoveMessages(t *testing.T) {
	s := openIMAPTest(t)
	ctx := context.Background()
	when := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, b := range []string{"one", "two", "three"} {
		if _, err := s.Deliver(ctx, &Delivery{Server: "A", Local: []string{"alice"}, Body: []byte(b), Received: when, TraceID: "t-" + b}); err != nil {
			t.Fatal(err)
		}
	}
	inbox, _ := s.Mailbox(ctx, "A", "alice", "inbox")
	trash, _ := s.Mailbox(ctx, "A", "alice", "Trash")
	msgs, _ := s.Messages(ctx, inbox.ID)
	if err := s.Write(ctx, func(tx *Tx) error { return tx.SetFlags(msgs[1].ID, []string{`\Flagged`, "$Key"}) }); err != nil {
		t.Fatal(err)
	}
	var rec changeRecorder
	defer s.Watch(rec.add)()

	var src, dst []uint32
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		src, dst, err = tx.CopyMessages(inbox.ID, []uint32{2, 3, 99}, trash.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(src) != 2 || src[0] != 2 || src[1] != 3 || dst[0] != 1 || dst[1] != 2 {
		t.Fatalf("copy mapped %v to %v", src, dst)
	}
	copied, _ := s.Messages(ctx, trash.ID)
	if len(copied) != 2 || copied[0].Flags[1] != "$Key" || !copied[0].InternalDate.Equal(when) || copied[0].TraceID != "t-two" {
		t.Fatalf("copies %+v", copied[0])
	}
	if b, _ := s.Body(ctx, copied[1].ID); string(b) != "three" {
		t.Fatalf("copied body %q", b)
	}
	chs := rec.take()
	if len(chs) != 2 || chs[0].Kind != ChangeAppend || chs[0].MailboxID != trash.ID || chs[0].UID != 1 || chs[0].User != "alice" {
		t.Fatalf("copy changes %+v", chs)
	}

	err = s.Write(ctx, func(tx *Tx) error {
		var err error
		src, dst, err = tx.MoveMessages(inbox.ID, []uint32{1, 3}, trash.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	left, _ := s.Messages(ctx, inbox.ID)
	if len(left) != 1 || left[0].UID != 2 {
		t.Fatalf("after move INBOX holds %+v", left)
	}
	chs = rec.take()
	// The expunges, highest UID first, then the two appends (a MOVE into
	// the selected folder itself reads EXPUNGE before EXISTS).
	if len(chs) != 4 || chs[0].Kind != ChangeExpunge || chs[0].UID != 3 || chs[1].UID != 1 ||
		chs[2].Kind != ChangeAppend || chs[2].UID != 3 || chs[3].UID != 4 {
		t.Fatalf("move changes %+v", chs)
	}
	if dst[0] != 3 || dst[1] != 4 {
		t.Fatalf("move dest UIDs %v", dst)
	}
}

func TestRenameDeleteSubscribe(t *testing.T) {
	s := openIMAPTest(t)
	ctx := context.Background()
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateMailbox("A", "alice", "Work", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.MailboxByID(ctx, id)
	if err := s.Write(ctx, func(tx *Tx) error { return tx.RenameMailbox(id, "Sent") }); !errors.Is(err, ErrMailboxExists) {
		t.Fatalf("rename onto Sent: %v", err)
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.RenameMailbox(id, "Job") }); err != nil {
		t.Fatal(err)
	}
	after, err := s.Mailbox(ctx, "A", "alice", "Job")
	if err != nil || after.ID != id || after.UIDValidity != before.UIDValidity {
		t.Fatalf("renamed mailbox %+v, %v", after, err)
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.SetSubscribed(id, false) }); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.MailboxByID(ctx, id); m.Subscribed {
		t.Fatal("still subscribed")
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.SetSubscribed(12345, true) }); !errors.Is(err, ErrNoMailbox) {
		t.Fatalf("subscribe a missing mailbox: %v", err)
	}
	inbox, _ := s.Mailbox(ctx, "A", "alice", "INBOX")
	if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteMailbox(inbox.ID) }); !errors.Is(err, ErrInboxOperation) {
		t.Fatalf("delete INBOX: %v", err)
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.AppendMessage(id, []byte("x"), time.Now(), nil, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var rec changeRecorder
	defer s.Watch(rec.add)()
	if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteMailbox(id) }); err != nil {
		t.Fatal(err)
	}
	chs := rec.take()
	if len(chs) != 2 || chs[0].Kind != ChangeExpunge || chs[1].Kind != ChangeMailbox {
		t.Fatalf("delete changes %+v", chs)
	}
	if _, err := s.MailboxByID(ctx, id); !errors.Is(err, ErrNoMailbox) {
		t.Fatalf("deleted mailbox: %v", err)
	}
	// A new mailbox of the same name gets a new UIDVALIDITY.
	if err := s.Write(ctx, func(tx *Tx) error { _, err := tx.CreateMailbox("A", "alice", "Job", ""); return err }); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Mailbox(ctx, "A", "alice", "Job")
	if again.UIDValidity == before.UIDValidity {
		t.Fatal("UIDVALIDITY reused")
	}
}

func TestMailboxSnapshot(t *testing.T) {
	s := openIMAPTest(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s.Deliver(ctx, &Delivery{Server: "A", Local: []string{"alice"}, Body: []byte("hello"), Received: time.Now()})
	}
	inbox, _ := s.Mailbox(ctx, "A", "alice", "INBOX")
	mb, msgs, err := s.MailboxSnapshot(ctx, inbox.ID)
	if err != nil || mb.UIDNext != 4 || len(msgs) != 3 || msgs[2].UID != 3 {
		t.Fatalf("snapshot %+v %d %v", mb, len(msgs), err)
	}
	if _, _, err := s.MailboxSnapshot(ctx, 999); !errors.Is(err, ErrNoMailbox) {
		t.Fatalf("missing mailbox: %v", err)
	}
	if JoinFlags([]string{`\Seen`, `\seen`, "$A"}) != `\Seen $A` {
		t.Fatal("JoinFlags")
	}
}
