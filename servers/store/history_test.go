package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestQueueHistory: attempts are kept with their time, reply and hop;
// retry now makes a held-back recipient due and is kept too; bounce now
// marks it bounced without counting an attempt, and the bounced row stays
// among the finished ones, with when. A recipient under delivery, sent or
// bounced cannot be retried or bounced, and a FUTURERELEASE hold is kept.
func TestQueueHistory(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	for _, d := range []*Delivery{
		{Server: "A", TraceID: "m1", Sender: "alice@a.example", Remote: []string{"bob@b.example"}},
		{Server: "A", TraceID: "later", Sender: "alice@a.example", Remote: []string{"bob@b.example"}, HoldUntil: time.Now().Add(time.Hour)},
	} {
		d.Body, d.Received = []byte("Subject: x\r\n\r\nhi\r\n"), time.Now()
		if _, err := s.Deliver(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimDue(ctx, time.Now().Add(time.Second), nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %+v %v", got, err)
	}
	it := got[0]
	if err := s.BounceNow(ctx, it.ID, "x", nil, time.Now()); !errors.Is(err, ErrNotQueued) {
		t.Errorf("bounce now during a delivery: %v, want ErrNotQueued", err)
	}
	next := time.Now().Add(time.Hour)
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.Defer(it.ID, "421 4.3.2 busy", next); err != nil {
			return err
		}
		return tx.RecordAttempt(it.ID, Attempt{Kind: HistAttempt, Outcome: StatusQueued, Code: 421, Reply: "421 4.3.2 busy", Hop: "A → B 127.0.0.1:11025"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RetryNow(ctx, it.ID, time.Now()); err != nil {
		t.Fatalf("retry now: %v", err)
	}
	if d, _ := s.NextDue(ctx, nil); d.After(time.Now()) {
		t.Errorf("after retry now the next attempt is at %v, not now", d)
	}
	held, _ := s.QueueItemsOf(ctx, "later")
	if err := s.RetryNow(ctx, held[0].ID, time.Now()); !errors.Is(err, ErrHeld) {
		t.Errorf("retry now of a FUTURERELEASE message: %v, want ErrHeld", err)
	}
	if err := s.BounceNow(ctx, it.ID, "gave up (the operator)", nil, time.Now()); err != nil {
		t.Fatalf("bounce now: %v", err)
	}
	if err := s.RetryNow(ctx, it.ID, time.Now()); !errors.Is(err, ErrNotQueued) {
		t.Errorf("retry now of a bounced recipient: %v, want ErrNotQueued", err)
	}
	if _, err := s.QueueItemsOf(ctx, "999"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("unknown recipient: %v", err)
	}

	// The history survives a restart.
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pending, done, err := s.QueueRecords(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].TraceID != "later" || len(done) != 1 {
		t.Fatalf("records: %+v %+v %v", pending, done, err)
	}
	d := done[0]
	if d.Status != StatusBounced || d.Attempts != 1 || d.LastError != "gave up (the operator)" || d.Done.IsZero() || len(d.History) != 3 {
		t.Fatalf("the bounced row: %+v %+v", d.QueueItem, d.History)
	}
	kinds := d.History[0].Kind + "," + d.History[1].Kind + "," + d.History[2].Kind
	if kinds != "attempt,retry-now,bounce-now" || d.History[0].Hop != "A → B 127.0.0.1:11025" || d.History[0].Code != 421 || d.History[0].At.IsZero() {
		t.Errorf("history: %+v", d.History)
	}
}
