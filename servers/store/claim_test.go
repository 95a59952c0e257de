package store

import (
	"context"
	"testing"
	"time"
)

// TestClaimDueSkips: a recipient the claim's filter refuses (a held
// sending server) stays queued, untouched, and NextDue does not count it,
// so the queue worker neither delivers it nor wakes for it; a later claim
// without the filter takes it, once.
func TestClaimDueSkips(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, d := range []*Delivery{
		{Server: "A", TraceID: "held", Sender: "alice@a.example", Remote: []string{"bob@b.example"}},
		{Server: "B", TraceID: "free", Sender: "bob@b.example", Remote: []string{"alice@a.example"}},
	} {
		d.Body, d.Received = []byte("Subject: x\r\n\r\nhi\r\n"), time.Now()
		if _, err := s.Deliver(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	heldA := func(server, domain string) bool { return server == "A" && domain == "b.example" }
	now := time.Now().Add(time.Second)
	got, err := s.ClaimDue(ctx, now, heldA)
	if err != nil || len(got) != 1 || got[0].TraceID != "free" {
		t.Fatalf("claim with A held: %+v %v, want only B's message", got, err)
	}
	if next, err := s.NextDue(ctx, heldA); err != nil || !next.IsZero() {
		t.Fatalf("next due with A held: %v %v, want none", next, err)
	}
	if next, err := s.NextDue(ctx, nil); err != nil || next.IsZero() {
		t.Fatalf("next due without a hold: %v %v, want A's message", next, err)
	}
	got, err = s.ClaimDue(ctx, now, nil)
	if err != nil || len(got) != 1 || got[0].TraceID != "held" || got[0].Attempts != 0 {
		t.Fatalf("claim after the hold: %+v %v, want A's message, untouched", got, err)
	}
	if got, _ := s.ClaimDue(ctx, now, nil); len(got) != 0 {
		t.Fatalf("claimed twice: %+v", got)
	}
}
