package webui

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// TestWSSlowClientCatchesUp: a client that stops reading while far more
// events come than its queue holds (a browser busy drawing a burst) loses
// none of them as long as the bus still keeps them: its writer falls back
// on the bus's history instead of dropping. Before, it got a skipped
// marker and a hole in its timeline.
func TestWSSlowClientCatchesUp(t *testing.T) {
	_, bus, base := newBusServer(t, Options{ClientBuffer: 8, WriteTimeout: 30 * time.Second})
	c, _ := dial(t, base, "")
	big := strings.Repeat("x", 60<<10)
	const n = 300 // ~18 MB: more than loopback socket buffers hold, less than the history keeps
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; i < n; i++ {
			bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: big})
		}
	}()
	select {
	case <-published:
	case <-time.After(20 * time.Second):
		t.Fatal("Publish blocked on a slow websocket client")
	}
	for want := uint64(1); want <= n; want++ {
		e, err := c.next(10 * time.Second)
		if err != nil {
			t.Fatalf("waiting for event %d of %d: %v", want, n, err)
		}
		if e.Kind == tracer.KindSkipped {
			t.Fatalf("a skipped marker (%d events) before event %d: the client lost events the bus still held", e.Skipped, want)
		}
		if e.Seq != want {
			t.Fatalf("event %d, want %d", e.Seq, want)
		}
	}
	// And it is live again.
	bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "after"})
	if e := readEvent(t, c); e.Seq != n+1 || e.Text != "after" {
		t.Fatalf("after catching up: %+v", e)
	}
}
