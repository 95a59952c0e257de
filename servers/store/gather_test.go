package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestExpectedWritesShareACommit checks group commit with announced writes:
// jobs announced with Expect that arrive within GatherWait are committed in
// the same transaction as the job that opened the batch, and a lone job
// (nothing announced) is committed without waiting.
func TestExpectedWritesShareACommit(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.GatherWait = 5 * time.Second // long enough that only the announcements end the wait

	// Three writers announce themselves; the first writes at once, the
	// other two a little later, while the batch is held open.
	var dones []func()
	for i := 0; i < 3; i++ {
		dones = append(dones, s.Expect())
	}
	var mu sync.Mutex
	var txs []any
	job := func(tx *Tx) error {
		mu.Lock()
		txs = append(txs, tx.Tx)
		mu.Unlock()
		return nil
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i, done := range dones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i > 0 {
				time.Sleep(50 * time.Millisecond)
			}
			done()
			if err := s.Write(context.Background(), job); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(txs) != 3 {
		t.Fatalf("%d jobs ran, want 3", len(txs))
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("the batch waited %v: the wait must end when no write is announced any more", took)
	}
	// The first job opened the batch; at least one announced job that came
	// 50 ms later must have joined it rather than starting its own commit.
	if txs[0] != txs[1] && txs[0] != txs[2] {
		t.Fatalf("announced writes did not share the first job's transaction")
	}

	// A write nobody announced is not held back.
	start = time.Now()
	if err := s.Write(context.Background(), func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a lone write took %v", took)
	}
}
