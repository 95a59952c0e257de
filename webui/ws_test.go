package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/tracer"
)

// TestWSReplayThenLive: a new client gets the kept history, then live
// events, in order, without gap or duplicate.
func TestWSReplayThenLive(t *testing.T) {
	_, bus, base := newBusServer(t, Options{})
	note(bus, 20, "before")
	c, hello := dial(t, base, "")
	if hello.Attrs["seq"] != "20" || hello.Attrs["replay"] != "20" {
		t.Errorf("hello attrs %v, want seq 20 and a replay of 20", hello.Attrs)
	}
	for want := uint64(1); want <= 20; want++ {
		e := readEvent(t, c)
		if e.Seq != want || e.Text != "before "+strconv.Itoa(int(want-1)) {
			t.Fatalf("replay: got seq %d %q, want seq %d", e.Seq, e.Text, want)
		}
	}
	note(bus, 5, "live")
	for want := uint64(21); want <= 25; want++ {
		if e := readEvent(t, c); e.Seq != want || !strings.HasPrefix(e.Text, "live ") {
			t.Fatalf("live: got seq %d %q, want seq %d", e.Seq, e.Text, want)
		}
	}
}

// TestWSResume: ?after=SEQ resumes after a reconnect; ?last=N shows only
// the newest N; a sequence number of another run (epoch) replays it all.
func TestWSResume(t *testing.T) {
	_, bus, base := newBusServer(t, Options{})
	note(bus, 30, "n")
	c, hello := dial(t, base, "after=10")
	if e := readEvent(t, c); e.Seq != 11 {
		t.Fatalf("after=10: first event is %d, want 11", e.Seq)
	}
	c2, _ := dial(t, base, "last=5")
	if e := readEvent(t, c2); e.Seq != 26 {
		t.Fatalf("last=5: first event is %d, want 26", e.Seq)
	}
	c3, _ := dial(t, base, "after=25&epoch="+hello.Attrs["epoch"])
	if e := readEvent(t, c3); e.Seq != 26 {
		t.Fatalf("after=25 in the same run: first event is %d, want 26", e.Seq)
	}
	c4, _ := dial(t, base, "after=25&epoch=another-run")
	if e := readEvent(t, c4); e.Seq != 1 {
		t.Fatalf("after=25 of another run: first event is %d, want 1 (replay from the start)", e.Seq)
	}
	c5, _ := dial(t, base, "after=9999")
	if e := readEvent(t, c5); e.Seq != 1 {
		t.Fatalf("after a sequence number from the future: first event is %d, want 1", e.Seq)
	}
	// Caught up: the next event is live.
	c6, _ := dial(t, base, "after=30")
	note(bus, 1, "fresh")
	if e := readEvent(t, c6); e.Seq != 31 || e.Text != "fresh 0" {
		t.Fatalf("after=30: got %d %q, want the live event 31", e.Seq, e.Text)
	}
	resp, err := http.Get(base + "/ws?after=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("after=x: HTTP %d, want 400", resp.StatusCode)
	}
}

// TestWSSlowClientGetsSkippedMarker: a client that does not read fills its
// socket and its small queue; publishing goes on without waiting for it, and
// when the client reads again it finds a skipped marker that accounts for
// exactly the events it lost (beyond the bus's history).
func TestWSSlowClientGetsSkippedMarker(t *testing.T) {
	_, bus, base := newBusServer(t, Options{ClientBuffer: 8, WriteTimeout: 30 * time.Second})
	c, _ := dial(t, base, "")
	big := strings.Repeat("x", 60<<10)
	// ~48 MB: more than loopback socket buffers hold, and more than the
	// bus's history keeps (a client less behind catches up from it, see
	// TestWSSlowClientCatchesUp).
	const n = 800
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
	// The marker travels with the next event that finds room, so keep
	// publishing small events while the client catches up.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "tick"})
			}
		}
	}()
	var got, skipped uint64
	markers := 0
	last := uint64(0)
	for markers == 0 || last <= n {
		e := readEvent(t, c)
		if e.Kind == tracer.KindSkipped {
			markers++
			skipped += e.Skipped
			if e.Seq <= last {
				t.Fatalf("marker seq %d after event %d", e.Seq, last)
			}
			continue
		}
		if e.Seq <= last {
			t.Fatalf("event %d after %d: out of order", e.Seq, last)
		}
		last = e.Seq
		got++
	}
	if got+skipped != last {
		t.Errorf("received %d events, markers say %d skipped: %d, want every event up to %d accounted for", got, skipped, got+skipped, last)
	}
	t.Logf("slow client: %d events received, %d skipped in %d markers", got, skipped, markers)
}

// TestWSManyClients: 50 clients each receive every event, in order.
func TestWSManyClients(t *testing.T) {
	_, bus, base := newBusServer(t, Options{})
	const clients, events = 50, 200
	conns := make([]*evConn, clients)
	for i := range conns {
		conns[i], _ = dial(t, base, "")
	}
	note(bus, events, "e")
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *evConn) {
			defer wg.Done()
			for want := uint64(1); want <= events; want++ {
				e, err := c.next(20 * time.Second)
				if err != nil {
					errs <- err
					return
				}
				if e.Seq != want {
					errs <- fmt.Errorf("client %d: got seq %d, want %d", i, e.Seq, want)
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWSOrigin: a page from another origin may not open the websocket
// (RFC 6455 section 10.2), not even one on another port of this machine,
// which would receive every message body; the page's own origin and the
// listed ones may, and so may a client that sends no Origin (not a
// browser: mailscope trace).
func TestWSOrigin(t *testing.T) {
	_, _, base := newBusServer(t, Options{AllowedOrigins: []string{"http://lab.example:8025"}})
	try := func(origin string) int {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(wsAddr(base, ""), h)
		if err == nil {
			c.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("origin %s: %v", origin, err)
		}
		return resp.StatusCode
	}
	for origin, want := range map[string]int{
		"http://evil.example":           http.StatusForbidden,
		"http://127.0.0.1.evil.example": http.StatusForbidden,
		"null":                          http.StatusForbidden,
		base:                            http.StatusSwitchingProtocols,
		"http://localhost:3000":         http.StatusForbidden,
		"http://127.0.0.1:3000":         http.StatusForbidden,
		"https" + base[4:]:              http.StatusForbidden,
		"":                              http.StatusSwitchingProtocols,
		"http://lab.example:8025":       http.StatusSwitchingProtocols,
	} {
		if got := try(origin); got != want {
			t.Errorf("Origin %s: HTTP %d, want %d", origin, got, want)
		}
	}
}

// TestWSPingAndDeadClient: clients are pinged; one that never answers (it
// does not read, so it sends no pong) is disconnected.
func TestWSPingAndDeadClient(t *testing.T) {
	_, _, base := newBusServer(t, Options{PingInterval: 50 * time.Millisecond})
	c, _ := dial(t, base, "")
	pings := make(chan struct{}, 10)
	c.SetPingHandler(func(string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-pings:
		case <-time.After(10 * time.Second):
			t.Fatal("no ping from the server")
		}
	}

	// A client that stops reading answers no ping: the server gives up on
	// it after twice the ping interval.
	dead, _, err := websocket.DefaultDialer.Dial(wsAddr(base, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	raw := dead.NetConn()
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for {
		if _, err := raw.Read(buf); err != nil {
			break // the server closed the connection
		}
	}
}

// TestShutdownClosesWebsockets: Shutdown sends a going-away close frame to
// every websocket and returns once they are gone.
func TestShutdownClosesWebsockets(t *testing.T) {
	srv, _, base := newBusServer(t, Options{})
	var conns []*evConn
	for i := 0; i < 3; i++ {
		c, _ := dial(t, base, "")
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("after Shutdown the client read %v, want a 1001 close", err)
		}
	}
	if _, _, err := websocket.DefaultDialer.Dial(wsAddr(base, ""), nil); err == nil {
		t.Error("a websocket opened after Shutdown")
	}
}

// TestWSBatches: events that are ready together share a message (a JSON
// array), so a replay of thousands costs a browser a handful of messages.
func TestWSBatches(t *testing.T) {
	_, bus, base := newBusServer(t, Options{})
	note(bus, 2000, "b")
	c, _ := dial(t, base, "")
	messages := 0
	for got := 0; got < 2000; {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var evs []tracer.Event
		if err := json.Unmarshal(b, &evs); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Seq != uint64(got+1) {
				t.Fatalf("event %d has seq %d", got+1, e.Seq)
			}
			got++
		}
		messages++
	}
	if messages > 2000/maxBatch+1 {
		t.Errorf("2000 replayed events took %d messages", messages)
	}
}

// TestWSFirstReplayBounded: a page that opens gets the newest
// maxFirstReplay events, however many the bus keeps; a page that resumes
// gets everything after its last event that the bus kept.
func TestWSFirstReplayBounded(t *testing.T) {
	_, bus, base := newBusServer(t, Options{})
	note(bus, maxFirstReplay+20, "n")
	c, hello := dial(t, base, "")
	if hello.Attrs["replay"] != strconv.Itoa(maxFirstReplay) {
		t.Errorf("hello says replay %s, want %d", hello.Attrs["replay"], maxFirstReplay)
	}
	if e := readEvent(t, c); e.Seq != 21 {
		t.Fatalf("first replay starts at %d, want 21", e.Seq)
	}
	c2, _ := dial(t, base, "after=5&epoch="+hello.Attrs["epoch"])
	if e := readEvent(t, c2); e.Seq != 6 {
		t.Fatalf("resume after 5 starts at %d, want 6", e.Seq)
	}
}
