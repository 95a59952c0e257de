package webui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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

// TestWSNoCatchUpWhileLive: viewers that keep up with a stream of events
// never fall back on the bus's history. Publish offers an event to every
// subscriber under the bus's lock; a writer that looked at its empty queue
// before an event was offered and at the bus's newest number after took
// the event for a lost one and subscribed again from the history (copying
// the bus's ring under its lock), more often the more viewers there are:
// in a class of 300, a good part of mailscope's CPU and a p99 wire-to-view
// delay of 150-300 ms (BENCHMARKS.md, "Classroom mode: 100 students").
func TestWSNoCatchUpWhileLive(t *testing.T) {
	srv, bus, base := newBusServer(t, Options{ClientBuffer: 1 << 14, FrameInterval: -1})
	const clients, events = 50, 2000
	conns := make([]*evConn, clients)
	for i := range conns {
		conns[i], _ = dial(t, base, "last=0")
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for want := uint64(1); want <= events; want++ {
				e, err := c.next(20 * time.Second)
				if err != nil {
					errs <- err
					return
				}
				if e.Seq != want {
					errs <- fmt.Errorf("client %d: got %s %d, want event %d", i, e.Kind, e.Seq, want)
					return
				}
			}
		}()
	}
	note(bus, events, "e")
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	srv.mu.Lock()
	n := 0
	for c := range srv.clients {
		n += int(c.catchUps.Load())
	}
	srv.mu.Unlock()
	if n > 0 {
		t.Errorf("%d falls back on the history among %d viewers that kept up, want none", n, clients)
	}
}

// TestWSCatchUpLateClaim: a student's writer that falls back on the
// bus's history (catchUp) and finds there the line that makes a session
// theirs (a HELO claim) sends the session's earlier events first, as it
// does live. Those went by before the claim, not the student's then, and
// are older than the history it catches up from. Before, a catch-up
// counted as the replay of a page that opens, which has them already, and
// the student's view lacked the session's open event and greeting.
func TestWSCatchUpLateClaim(t *testing.T) {
	srv, bus, _ := newBusServer(t, Options{})
	conns := make(chan *websocket.Conn, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		conns <- c
	}))
	defer hs.Close()
	page, _, err := websocket.DefaultDialer.Dial(wsAddr(hs.URL, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	server := <-conns
	defer server.Close()

	// A session from an address no student signed in from: nobody's
	// until its HELO names alice (owners, rule 3).
	peer := "10.0.0.5:4000"
	pub := func(kind tracer.Kind, dir tracer.Dir, text string) {
		e := &tracer.Event{Kind: kind, Session: "A-smtp-1", Server: "A", Proto: "smtp", Dir: dir, Text: text}
		if kind == tracer.KindOpen {
			e.Peer = peer
		}
		bus.Publish(e)
	}
	pub(tracer.KindOpen, "", "")
	pub(tracer.KindLine, tracer.S2C, "220 a.example ready")
	c := &client{s: srv, conn: server, view: viewer{user: "alice"}, done: make(chan struct{})}
	c.sub = bus.Subscribe(16)
	defer c.sub.Close()
	// The writer took both while they were nobody's: it sent nothing.
	if mine := c.own([]*tracer.Event{}); len(mine) != 0 {
		t.Fatal("events for nothing")
	}
	c.last = bus.Seq()
	pub(tracer.KindLine, tracer.C2S, "HELO alice")
	pub(tracer.KindLine, tracer.S2C, "250 a.example")
	if !c.catchUp() {
		t.Fatal("catchUp: the client is gone")
	}
	var got []string
	for len(got) == 0 || got[len(got)-1] != "line 250 a.example" {
		page.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := page.ReadMessage()
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		evs, err := tracer.ParseEvents(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, string(e.Kind)+" "+e.Text)
		}
	}
	want := []string{"open ", "line 220 a.example ready", "line HELO alice", "line 250 a.example"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the student got %q, want %q", got, want)
	}
}
