package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestBodyCacheForgetsDeletedMessages checks that a cached body is served
// again, and that after a deletion the id (which SQLite may give to the next
// message) never returns the deleted body.
func TestBodyCacheForgetsDeletedMessages(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	deliver := func(body string) int64 {
		t.Helper()
		res, err := s.Deliver(ctx, &Delivery{Server: "A", TraceID: "T", Sender: "a@a.example", Local: []string{"alice"},
			Body: []byte(body), Received: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		mb, err := s.Mailbox(ctx, "A", "alice", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.MessageByUID(ctx, mb.ID, res.Local["alice"])
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	id := deliver("Subject: one\r\n\r\nfirst\r\n")
	for i := 0; i < 2; i++ { // the second read comes from the cache
		b, err := s.Body(ctx, id)
		if err != nil || !bytes.Contains(b, []byte("first")) {
			t.Fatalf("read %d: %q, %v", i, b, err)
		}
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteMessages([]int64{id}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Body(ctx, id); err != ErrNoMessage {
		t.Fatalf("deleted message: err %v, want ErrNoMessage", err)
	}
	// The newest row was deleted, so SQLite hands its id out again.
	id2 := deliver("Subject: two\r\n\r\nsecond\r\n")
	b, err := s.Body(ctx, id2)
	if err != nil || !bytes.Contains(b, []byte("second")) {
		t.Fatalf("message %d (deleted one was %d): %q, %v", id2, id, b, err)
	}
}

// TestBodyCacheBounded checks the size bound and the generation guard.
func TestBodyCacheBounded(t *testing.T) {
	c := newBodyCache(10)
	_, gen := c.get(1)
	c.put(1, []byte("12345"), gen)
	c.put(2, []byte("67890"), gen)
	c.put(3, []byte("abcde"), gen) // pushes out 1, the least recently used
	if b, _ := c.get(1); b != nil {
		t.Fatalf("1 still cached past the bound")
	}
	if b, _ := c.get(3); string(b) != "abcde" {
		t.Fatalf("3: %q", b)
	}
	_, gen = c.get(4)
	c.drop([]int64{2})
	c.put(4, []byte("x"), gen) // raced with a deletion: not kept
	if b, _ := c.get(4); b != nil {
		t.Fatalf("a read that raced with a deletion was cached")
	}
	if c.size != 5 {
		t.Fatalf("size %d, want 5", c.size)
	}
}
