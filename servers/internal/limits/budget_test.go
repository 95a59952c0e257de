package limits

import (
	"sync"
	"testing"
)

// TestBudget: takes succeed up to the budget and not past it, whatever the
// interleaving, and gives make room again; a nil budget is unlimited.
func TestBudget(t *testing.T) {
	b := NewBudget(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.Take(100) {
				mu.Lock()
				got++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got != 10 || b.Used() != 1000 || b.Take(1) {
		t.Fatalf("%d takes of 100 from 1000 succeeded, %d used", got, b.Used())
	}
	b.Give(100)
	if !b.Take(100) || b.Take(1) {
		t.Fatalf("giving back made no room: %d used", b.Used())
	}
	if n := b.TakeUpTo(1, 500); n != 0 {
		t.Fatalf("TakeUpTo from a spent budget took %d", n)
	}
	b.Give(300)
	if n := b.TakeUpTo(400, 500); n != 0 {
		t.Fatalf("TakeUpTo(400, 500) with 300 left took %d", n)
	}
	if n := b.TakeUpTo(200, 500); n != 300 || b.Used() != 1000 {
		t.Fatalf("TakeUpTo(200, 500) with 300 left took %d, %d used", n, b.Used())
	}
	var none *Budget
	if !none.Take(1<<40) || none.Used() != 0 {
		t.Fatal("a nil budget refused")
	}
	none.Give(1)
}
