package webui

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// TestEncCacheBoundedBySize checks that big events do not fill the cache
// past its size bound, and that small ones are still served from it.
func TestEncCacheBoundedBySize(t *testing.T) {
	c := newEncCache(1 << 14)
	big := strings.Repeat("x", 16<<10)
	for i := 1; i <= 5000; i++ {
		c.encode(&tracer.Event{Seq: uint64(i), Kind: tracer.KindData, Data: big})
	}
	if n := c.bytes.Load(); n > encCacheBytes || n <= 0 {
		t.Fatalf("cache holds %d bytes, bound %d", n, encCacheBytes)
	}
	var sum int64
	for i := range c.slots {
		sum += slotCost(c.slots[i].Load())
	}
	if sum != c.bytes.Load() {
		t.Fatalf("slots hold %d bytes, counted %d", sum, c.bytes.Load())
	}
	e := &tracer.Event{Seq: 5001, Kind: tracer.KindLine, Text: "NOOP"}
	a, b := c.encode(e), c.encode(e)
	if &a[0] != &b[0] {
		t.Fatalf("a small event was encoded twice")
	}
}
