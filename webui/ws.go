package webui

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/tracer"
)

// KindHello is the kind of the first event on /ws: it is not a trace event
// (its seq is 0) but tells the client the run it is connected to (attrs
// "epoch"), the newest sequence number ("seq") and how many events the
// replay that follows holds ("replay").
const KindHello tracer.Kind = "hello"

// client is one websocket connection: a reader that answers pings and
// notices a dead peer, and a writer that owns every write.
type client struct {
	s    *Server
	conn *websocket.Conn
	sub  *tracer.Subscription
	hist []*tracer.Event
	last uint64 // the newest event sent (not counting skipped markers)
	// view is who watches: a student gets only their own sessions' events
	// (owners decides, per event, in constant time).
	view viewer
	mine []*tracer.Event // the events of a batch the student may see; reused
	// seen are the sessions a student has had events of; replaying is
	// set while the replay a page opens with is sent (not a catch-up's
	// history, which holds everyone's events).
	seen      map[string]bool
	replaying bool
	top       uint64 // the newest event the student got: the page drops older ones
	// catchUps counts the writer's falls back on the bus's history
	// (catchUp): a cost per subscription, read by tests.
	catchUps atomic.Int32

	done     chan struct{} // closed by stop
	stopOnce sync.Once

	buf []byte // the message being built; reused by the writer
}

func (c *client) stop() { c.stopOnce.Do(func() { close(c.done) }) }

// handleWS upgrades to a websocket and streams events, each message a JSON
// array of one or more events in order: a hello, the replay
// of the kept history after ?after=SEQ (all of it by default; ?last=N for
// only the newest N), then every live event, in order, without gap.
// ?epoch=E names the run the client saw last: from another run, its SEQ
// means nothing and the replay starts from the beginning.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if s.inst == nil || s.inst.Bus == nil {
		writeError(w, http.StatusServiceUnavailable, "no trace bus")
		return
	}
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "after: want a sequence number, got "+strconv.Quote(v))
			return
		}
		after = n
	}
	bus := s.inst.Bus
	if e := q.Get("epoch"); e != "" && e != s.epoch {
		after = 0
	}
	if after > bus.Seq() {
		after = 0 // a sequence number from the future: the page saw another run
	}
	if v := q.Get("last"); v != "" && q.Get("after") == "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "last: want a number of events, got "+strconv.Quote(v))
			return
		}
		if cur := bus.Seq(); cur > n {
			after = cur - n
		}
	}
	up := websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 16 << 10,
		CheckOrigin:     s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			msg := reason.Error()
			if status == http.StatusForbidden {
				msg = "websocket refused: origin " + r.Header.Get("Origin") + " is not this page's"
			}
			writeError(w, status, msg)
		},
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	view := viewerFrom(r)
	sub, hist := bus.SubscribeFrom(after, s.opts.ClientBuffer)
	if !view.all {
		// A student's replay is their newest events, not the newest of all.
		hist = s.visibleEvents(view, hist)
	}
	if after == 0 && len(hist) > maxFirstReplay {
		// A page that opens (or reloads) gets the newest events; a page
		// that resumes (after > 0) gets all it missed that the bus kept.
		hist = hist[len(hist)-maxFirstReplay:]
	}
	c := &client{s: s, conn: conn, sub: sub, hist: hist, last: after, view: view, top: after, done: make(chan struct{})}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sub.Close()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "mailscope is stopping"), time.Now().Add(time.Second))
		conn.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.nclients.Add(1)
	s.wg.Add(2)
	s.mu.Unlock()
	go c.readLoop()
	go c.writeLoop()
}

// readLoop reads (and discards) what the client sends so that control
// frames are processed; a missing pong or a read error ends the client.
func (c *client) readLoop() {
	defer c.s.wg.Done()
	defer func() {
		c.stop()
		c.conn.NetConn().Close()
	}()
	wait := 2 * c.s.opts.PingInterval
	c.conn.SetReadLimit(4096)
	c.conn.SetReadDeadline(time.Now().Add(wait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(wait))
	})
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// Batching: every websocket message is a JSON array of events, in order.
// Events that are ready together (the replay, a burst) share one message:
// a browser pays per message, not per byte.
const (
	maxBatch      = 512
	maxBatchBytes = 512 << 10
	// maxFirstReplay bounds the events a page gets when it opens: the
	// bus keeps many more for a page that resumes, but a reload must be
	// usable within a second (issue 15: 10,000 events).
	maxFirstReplay = 10000
)

// writeLoop is the only goroutine that writes to the connection: the hello,
// the replay, then live events from the subscription and pings. A slow
// client only fills its own subscription; the bus drops for it and later
// hands it a skipped marker.
func (c *client) writeLoop() {
	s := c.s
	defer s.wg.Done()
	defer func() {
		c.stop()
		c.sub.Close()
		c.conn.Close()
		s.mu.Lock()
		delete(s.clients, c)
		s.nclients.Add(-1)
		s.mu.Unlock()
	}()
	hello := &tracer.Event{Kind: KindHello, Time: time.Now(), Text: "mailscope web timeline",
		Attrs: map[string]string{"epoch": s.epoch, "seq": strconv.FormatUint(s.inst.Bus.Seq(), 10), "replay": strconv.Itoa(len(c.hist))}}
	if !c.write([]*tracer.Event{hello}) {
		return
	}
	// The replay is a student's own events already (visibleEvents), a
	// claimed session's earlier ones among them: late adds none.
	c.replaying = true
	ok := c.sendHist()
	c.replaying = false
	if !ok || (c.behind() && !c.catchUp()) {
		return
	}
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	ch := c.sub.C()
	batch := make([]*tracer.Event, 0, maxBatch)
	pause := time.NewTimer(time.Hour)
	pause.Stop()
	for {
		// Events the bus numbered that neither came nor wait in the queue
		// were dropped for this client (the bus's skipped marker would
		// come only with the next event): catch up on them now. The
		// bus's number is read first: Publish offers an event to every
		// subscriber under the lock Seq takes, so every event up to it is
		// in the queue by then unless it was dropped. Read after the
		// queue's length, it would count an event still being offered
		// (to a class's hundreds of viewers) as lost.
		if seq := s.inst.Bus.Seq(); seq > c.last && len(ch) == 0 {
			if !c.catchUp() {
				return
			}
			ch = c.sub.C()
			continue
		}
		// Idle: wait on the channel; the first event of a burst goes out at once.
		select {
		case e, ok := <-ch:
			if !ok {
				return
			}
			batch = append(batch[:0], e)
		case <-ping.C:
			if !c.ping() {
				return
			}
			continue
		case <-c.done:
			c.goodbye()
			return
		}
		// Streaming: one message per FrameInterval with whatever queued
		// meanwhile. The writer sleeps on a timer rather than on the
		// channel, so that publishing an event does not wake a hundred
		// writers (and deschedule the session that publishes) each time.
		for {
			if !c.drain(ch, &batch) {
				return
			}
			ok := c.write(batch)
			c.sent(batch)
			clear(batch)
			batch = batch[:0]
			if !ok {
				return
			}
			if c.behind() {
				if !c.catchUp() {
					return
				}
				ch = c.sub.C()
				break
			}
			if len(ch) >= maxBatch {
				continue // behind: no pause until the queue is short again
			}
			if s.opts.FrameInterval <= 0 {
				break
			}
			pause.Reset(s.opts.FrameInterval)
			select {
			case <-pause.C:
			case <-ping.C:
				pause.Stop()
				if !c.ping() {
					return
				}
			case <-c.done:
				pause.Stop()
				c.goodbye()
				return
			}
			if len(ch) == 0 {
				break // quiet again
			}
		}
	}
}

// sendHist sends c.hist, the kept events a subscription started with, in
// batches. It stops early (and lets the rest go) when the client falls
// behind meanwhile: catchUp starts again from the newest event sent. It
// reports false when the client is gone.
func (c *client) sendHist() bool {
	for len(c.hist) > 0 {
		n := min(len(c.hist), maxBatch)
		if !c.write(c.hist[:n]) {
			return false
		}
		c.sent(c.hist[:n])
		clear(c.hist[:n])
		c.hist = c.hist[n:]
		select {
		case <-c.done:
			c.goodbye()
			return false
		default:
		}
		if c.behind() {
			break
		}
	}
	c.hist = nil
	return true
}

// sent notes the newest event of evs as the last one sent.
func (c *client) sent(evs []*tracer.Event) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind != tracer.KindSkipped && evs[i].Seq > c.last {
			c.last = evs[i].Seq
			return
		}
	}
}

// behind tells whether the client's queue is half full: it reads more
// slowly than events come, and would soon lose some.
func (c *client) behind() bool {
	ch := c.sub.C()
	return len(ch) >= cap(ch)/2
}

// catchUp trades a queue that fills up for the bus's history: it
// subscribes again after the newest event sent and sends the kept events
// from there (SubscribeFrom leaves no gap and no overlap with the new
// subscription). A client that reads more slowly than events come (a
// browser during a burst) thus loses none as long as it is less than the
// history behind; beyond that the history's skipped marker says how many
// it lost. It reports false when the client is gone.
func (c *client) catchUp() bool {
	c.catchUps.Add(1)
	for {
		old := c.sub
		c.sub, c.hist = c.s.inst.Bus.SubscribeFrom(c.last, c.s.opts.ClientBuffer)
		old.Close()
		if !c.sendHist() {
			return false
		}
		if !c.behind() {
			return true
		}
	}
}

// drain moves queued events into batch without waiting, up to maxBatch; it
// reports false when the subscription has ended and batch is empty.
func (c *client) drain(ch <-chan *tracer.Event, batch *[]*tracer.Event) bool {
	for len(*batch) < maxBatch {
		select {
		case e, ok := <-ch:
			if !ok {
				return len(*batch) > 0
			}
			*batch = append(*batch, e)
		default:
			return true
		}
	}
	return true
}

func (c *client) ping() bool {
	return c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.opts.WriteTimeout)) == nil
}

// goodbye sends a close frame: the server is going away (RFC 6455 section 7.4.1, 1001).
func (c *client) goodbye() {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "mailscope is stopping"),
		time.Now().Add(time.Second))
}

// write sends events as JSON arrays, splitting at maxBatchBytes. Each
// message is built whole and sent with WriteMessage: one frame and one
// write(2), where a streaming writer flushes a fragment per buffer.
func (c *client) write(evs []*tracer.Event) bool {
	if !c.view.all {
		evs = c.own(evs)
	}
	for len(evs) > 0 {
		b := append(c.buf[:0], '[')
		// A lone viewer (the usual case: one page, or mailscope trace)
		// encodes straight into its frame; the shared cache pays off
		// only when several encode the same events.
		shared := c.s.nclients.Load() > 1
		n := 0
		for n < len(evs) && (n == 0 || len(b) < maxBatchBytes) {
			if n > 0 {
				b = append(b, ',')
			}
			if shared {
				b = append(b, c.s.enc.encode(evs[n])...)
			} else {
				b = tracer.AppendEvent(b, evs[n])
			}
			n++
		}
		b = append(b, ']')
		c.conn.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
		err := c.conn.WriteMessage(websocket.TextMessage, b)
		if cap(b) <= 2*maxBatchBytes {
			c.buf = b
		}
		if err != nil {
			return false
		}
		evs = evs[n:]
	}
	return true
}

// encCache keeps the JSON of recent events so that many clients do not each
// encode the same event. Skipped markers are per subscription and are
// recognized by pointer, so a marker never borrows its neighbour's bytes.
// Slots are atomic: a hundred writers look up the same event at once, and
// two that miss together both encode it, which is harmless.
//
// The cache is bounded by size too (encCacheBytes): a slot holds the event
// and its JSON, and a run of big message previews must not keep hundreds of
// megabytes alive after the bus has let them go. Past the bound, events are
// encoded per client and not kept.
type encCache struct {
	slots []atomic.Pointer[encSlot]
	bytes atomic.Int64 // what the filled slots hold (slotCost)
}

// encCacheBytes bounds what encCache keeps.
const encCacheBytes = 32 << 20

func slotCost(sl *encSlot) int64 {
	if sl == nil {
		return 0
	}
	return sl.cost
}

type encSlot struct {
	e    *tracer.Event
	b    []byte
	cost int64 // what the slot keeps alive, set once: replacing a slot reads nothing of its cold event
}

func newEncCache(n int) *encCache { return &encCache{slots: make([]atomic.Pointer[encSlot], n)} }

func (c *encCache) encode(e *tracer.Event) []byte {
	i := int(e.Seq % uint64(len(c.slots)))
	if sl := c.slots[i].Load(); sl != nil && sl.e == e {
		return sl.b
	}
	b := tracer.AppendEvent(make([]byte, 0, 512+len(e.Text)+len(e.Data)), e)
	if e.Kind != tracer.KindSkipped && e.Kind != KindHello {
		cost := int64(len(b) + len(e.Data) + len(e.Text) + 256)
		sl := &encSlot{e, b, cost}
		if c.bytes.Load()+cost <= encCacheBytes {
			old := c.slots[i].Swap(sl)
			c.bytes.Add(cost - slotCost(old))
		} else if old := c.slots[i].Swap(nil); old != nil {
			// Full: free this slot's old entry rather than keep it.
			c.bytes.Add(-slotCost(old))
		}
	}
	return b
}

// own returns the events of evs that the student watching may see, in a
// slice the client reuses. Deciding one event costs a few map lookups,
// whatever the number of students (BenchmarkOwnerVisible).
func (c *client) own(evs []*tracer.Event) []*tracer.Event {
	o := c.s.ownerIndex()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind != tracer.KindSkipped && evs[i].Kind != KindHello {
			o.wait(evs[i].Seq)
			break
		}
	}
	mine := c.mine[:0]
	for _, e := range evs {
		if !o.visible(e, c.view.user) {
			continue
		}
		if e.Session != "" && !c.seen[e.Session] {
			mine = c.late(o, e, mine)
		}
		mine = append(mine, e)
		if e.Kind != tracer.KindSkipped {
			c.top = max(c.top, e.Seq)
		}
	}
	clear(mine[len(mine):cap(mine)]) // what the last batch left there
	c.mine = mine
	return mine
}

// late notes that a student gets events of session e.Session, and when the
// session became theirs only now (a login, a HELO claim, a sign-in from its
// address) while it streams live, appends its earlier events to mine: they
// come before e, so that the student's ladder shows the whole session.
func (c *client) late(o *owners, e *tracer.Event, mine []*tracer.Event) []*tracer.Event {
	if c.seen == nil || len(c.seen) > 10000 {
		c.seen = map[string]bool{}
	}
	c.seen[e.Session] = true
	first := o.firstSeq(e.Session)
	if c.replaying || first == 0 || first >= e.Seq {
		return mine
	}
	// All of them, also those older than the student's newest event (a
	// session opened in a second terminal behind a NAT, claimed by its
	// HELO after the first terminal's lines): the page takes an older
	// event of a session it has not seen yet (ladder.js, lateOK).
	for _, h := range c.s.inst.Bus.History(first - 1) {
		if h.Seq >= e.Seq {
			break
		}
		if h.Session == e.Session && h.Kind != tracer.KindSkipped && o.visible(h, c.view.user) {
			mine = append(mine, h)
			c.top = max(c.top, h.Seq)
		}
	}
	return mine
}
