package store

import (
	"context"
	"testing"
)

// TestFirstRecentUID: the first unclaimed UID starts at 1, only grows, and
// goes with its mailbox (a new mailbox may get a deleted one's id).
func TestFirstRecentUID(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var id int64
	if err := s.Write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateMailbox("A", "alice", "Course", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	first := func() uint32 {
		t.Helper()
		u, err := s.FirstRecentUID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := first(); u != 1 {
		t.Fatalf("a new mailbox's first recent UID is %d, want 1", u)
	}
	for _, claim := range []uint32{5, 3} {
		if err := s.Write(ctx, func(tx *Tx) error { return tx.ClaimRecent(id, claim) }); err != nil {
			t.Fatal(err)
		}
	}
	if u := first(); u != 5 {
		t.Fatalf("after claims of 5 and 3 the first recent UID is %d, want 5", u)
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.DeleteMailbox(id) }); err != nil {
		t.Fatal(err)
	}
	if u := first(); u != 1 {
		t.Fatalf("a deleted mailbox's first recent UID stays %d", u)
	}
}
