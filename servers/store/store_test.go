package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestDeliverAndReopen(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	if err := s.EnsureUser(ctx, "A", "alice"); err != nil {
		t.Fatal(err)
	}
	boxes, err := s.Mailboxes(ctx, "A", "alice")
	if err != nil || len(boxes) != 4 || boxes[0].Name != "INBOX" {
		t.Fatalf("mailboxes: %v %v", boxes, err)
	}
	seen := map[uint32]bool{}
	for _, b := range boxes {
		if seen[b.UIDValidity] {
			t.Fatalf("UIDVALIDITY %d used twice", b.UIDValidity)
		}
		seen[b.UIDValidity] = true
	}
	for i := 0; i < 3; i++ {
		res, err := s.Deliver(ctx, &Delivery{Server: "A", TraceID: fmt.Sprint("T", i), Sender: "bob@b.example",
			Local: []string{"alice"}, Remote: []string{"carol@c.example"}, Body: []byte("Subject: x\r\n\r\nhi\r\n"), Received: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if res.Local["alice"] != uint32(i+1) || res.QueueID == 0 {
			t.Fatalf("delivery %d: %+v", i, res)
		}
	}
	inbox, _ := s.Mailbox(ctx, "A", "alice", "inbox")
	s.Close()

	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	again, err := s2.Mailbox(ctx, "A", "alice", "INBOX")
	if err != nil || again.UIDValidity != inbox.UIDValidity || again.UIDNext != 4 {
		t.Fatalf("after reopen: %+v %v (before %+v)", again, err, inbox)
	}
	msgs, _ := s2.Messages(ctx, again.ID)
	if len(msgs) != 3 || msgs[2].UID != 3 || msgs[0].TraceID != "T0" || msgs[0].Size != 18 {
		t.Fatalf("messages: %+v", msgs)
	}
	body, err := s2.Body(ctx, msgs[1].ID)
	if err != nil || string(body) != "Subject: x\r\n\r\nhi\r\n" {
		t.Fatalf("body %q %v", body, err)
	}
}

func TestGroupCommitIsolatesFailingJobs(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	s.EnsureUser(ctx, "A", "alice")
	mb, _ := s.Mailbox(ctx, "A", "alice", "INBOX")
	var changes sync.Map
	cancel := s.Watch(func(c Change) {
		if c.Kind == ChangeAppend {
			changes.Store(c.UID, true)
		}
	})
	defer cancel()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.Write(ctx, func(tx *Tx) error {
				if _, err := tx.AppendMessage(mb.ID, []byte("x"), time.Now(), []string{`\Seen`, "$Label1"}, ""); err != nil {
					return err
				}
				if i%3 == 0 {
					return boom // rolled back alone
				}
				if i%7 == 0 {
					panic("job panics") // turned into an error, the writer lives
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case i%3 == 0:
			if !errors.Is(err, boom) {
				t.Fatalf("job %d: %v, want boom", i, err)
			}
		case i%7 == 0:
			if err == nil {
				t.Fatalf("job %d: panic not reported", i)
			}
		default:
			if err != nil {
				t.Fatalf("job %d: %v", i, err)
			}
			ok++
		}
	}
	msgs, _ := s.Messages(ctx, mb.ID)
	if len(msgs) != ok {
		t.Fatalf("%d messages, want %d", len(msgs), ok)
	}
	if msgs[0].Flags[1] != "$Label1" || !msgs[0].HasFlag(`\seen`) {
		t.Fatalf("flags: %v", msgs[0].Flags)
	}
	n := 0
	changes.Range(func(k, v any) bool { n++; return true })
	if n != ok {
		t.Fatalf("watchers saw %d appends, want %d (only committed ones)", n, ok)
	}
}

func TestWriteAfterClose(t *testing.T) {
	s, _ := openTemp(t)
	s.Close()
	if err := s.Write(context.Background(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func BenchmarkDeliverParallel(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.EnsureUser(ctx, "A", "alice")
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Deliver(ctx, &Delivery{Server: "A", Local: []string{"alice"}, Body: body, Received: time.Now()}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
