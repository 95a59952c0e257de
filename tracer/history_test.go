package tracer

import (
	"strings"
	"testing"
)

// TestHistoryBoundedBySize checks that big body previews push the oldest
// events out of the history before the count limit does, and that a late
// subscriber is told how many it missed.
func TestHistoryBoundedBySize(t *testing.T) {
	b := NewBus(WithHistory(1000), WithHistoryBytes(1<<20))
	body := strings.Repeat("x", 64<<10)
	for i := 0; i < 100; i++ {
		b.Publish(&Event{Kind: KindData, Data: body})
	}
	h := b.History(0)
	if len(h) < 2 || h[0].Kind != KindSkipped {
		t.Fatalf("history starts with %v, want a skipped marker", h[0])
	}
	kept := h[1:]
	if n := len(kept); n > 16 || n < 14 {
		t.Fatalf("kept %d events of 64 KiB under a 1 MiB bound, want about 15", n)
	}
	if last := kept[len(kept)-1].Seq; last != 100 {
		t.Fatalf("newest kept event is %d, want 100", last)
	}
	if h[0].Skipped != uint64(100-len(kept)) {
		t.Fatalf("skipped %d, want %d", h[0].Skipped, 100-len(kept))
	}
	// Small events are kept up to the count limit.
	for i := 0; i < 2000; i++ {
		b.Publish(&Event{Kind: KindLine, Text: "NOOP"})
	}
	if h := b.History(0); len(h) != 1001 {
		t.Fatalf("small events: history has %d entries, want the marker and 1000", len(h))
	}
}
