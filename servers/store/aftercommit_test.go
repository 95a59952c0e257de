package store

import (
	"context"
	"errors"
	"testing"
)

// TestAfterCommitBeforeNextWrite: what a job hands to AfterCommit runs once
// its commit is on disk and before the writer runs any later job, and never
// for a job that failed. The SMTP backend relies on it so that the trace
// says "queued" before a queue run can claim the message.
func TestAfterCommitBeforeNextWrite(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var order []string
	err := s.Write(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { order = append(order, "first committed") })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx *Tx) error {
		order = append(order, "second runs")
		tx.AfterCommit(func() { order = append(order, "failed job told") })
		return errors.New("this job fails")
	})
	if err == nil {
		t.Fatal("the failing job did not fail")
	}
	want := []string{"first committed", "second runs"}
	if len(order) != len(want) || order[0] != want[0] || order[1] != want[1] {
		t.Fatalf("order %q, want %q", order, want)
	}
}
