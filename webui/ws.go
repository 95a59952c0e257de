package webui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
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

	done     chan struct{} // closed by stop
	stopOnce sync.Once
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
	sub, hist := bus.SubscribeFrom(after, s.opts.ClientBuffer)
	c := &client{s: s, conn: conn, sub: sub, hist: hist, done: make(chan struct{})}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sub.Close()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "mailscope is stopping"), time.Now().Add(time.Second))
		conn.Close()
		return
	}
	s.clients[c] = struct{}{}
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
		s.mu.Unlock()
	}()
	hello := &tracer.Event{Kind: KindHello, Time: time.Now(), Text: "mailscope web timeline",
		Attrs: map[string]string{"epoch": s.epoch, "seq": strconv.FormatUint(s.inst.Bus.Seq(), 10), "replay": strconv.Itoa(len(c.hist))}}
	if !c.write([]*tracer.Event{hello}) {
		return
	}
	for len(c.hist) > 0 {
		n := min(len(c.hist), maxBatch)
		if !c.write(c.hist[:n]) {
			return
		}
		clear(c.hist[:n])
		c.hist = c.hist[n:]
		select {
		case <-c.done:
			c.goodbye()
			return
		default:
		}
	}
	c.hist = nil
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	ch := c.sub.C()
	batch := make([]*tracer.Event, 0, maxBatch)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return
			}
			batch = append(batch[:0], e)
		drain:
			for len(batch) < maxBatch {
				select {
				case e, ok := <-ch:
					if !ok {
						break drain
					}
					batch = append(batch, e)
				default:
					break drain
				}
			}
			ok = c.write(batch)
			clear(batch)
			if !ok {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.opts.WriteTimeout)); err != nil {
				return
			}
		case <-c.done:
			c.goodbye()
			return
		}
	}
}

// goodbye sends a close frame: the server is going away (RFC 6455 section 7.4.1, 1001).
func (c *client) goodbye() {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "mailscope is stopping"),
		time.Now().Add(time.Second))
}

// write sends events as JSON arrays, splitting at maxBatchBytes.
func (c *client) write(evs []*tracer.Event) bool {
	for len(evs) > 0 {
		c.conn.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
		w, err := c.conn.NextWriter(websocket.TextMessage)
		if err != nil {
			return false
		}
		size := 0
		n := 0
		w.Write([]byte{'['})
		for n < len(evs) && (n == 0 || size < maxBatchBytes) {
			b := c.s.enc.encode(evs[n])
			if n > 0 {
				w.Write([]byte{','})
			}
			w.Write(b)
			size += len(b)
			n++
		}
		w.Write([]byte{']'})
		if err := w.Close(); err != nil {
			return false
		}
		evs = evs[n:]
	}
	return true
}

// encCache keeps the JSON of recent events so that many clients do not each
// encode the same event. Skipped markers are per subscription and are
// recognized by pointer, so a marker never borrows its neighbour's bytes.
type encCache struct {
	mu    sync.Mutex
	slots []encSlot
}

type encSlot struct {
	e *tracer.Event
	b []byte
}

func newEncCache(n int) *encCache { return &encCache{slots: make([]encSlot, n)} }

func (c *encCache) encode(e *tracer.Event) []byte {
	i := int(e.Seq % uint64(len(c.slots)))
	c.mu.Lock()
	if sl := c.slots[i]; sl.e == e {
		c.mu.Unlock()
		return sl.b
	}
	c.mu.Unlock()
	b, err := json.Marshal(e)
	if err != nil {
		b = []byte(`{"seq":` + strconv.FormatUint(e.Seq, 10) + `,"kind":"note","text":"this event could not be encoded"}`)
	}
	if e.Kind != tracer.KindSkipped && e.Kind != KindHello {
		c.mu.Lock()
		c.slots[i] = encSlot{e, b}
		c.mu.Unlock()
	}
	return b
}
