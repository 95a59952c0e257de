package tracer

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultHistory is how many recent events a Bus keeps for late subscribers
// and for a page that fell behind and resumes: a burst of 2,000 messages
// from 10 clients is about 91,000 events, and a page can fall tens of
// thousands behind during it (BenchmarkPageBurst). A page that opens gets
// only the newest of them (webui's maxFirstReplay).
const DefaultHistory = 100000

// DefaultHistoryBytes bounds the kept history by size as well: the text and
// body previews of the kept events add up to at most this many octets (a
// message body's preview is up to MaxDataPreview), so a burst of big messages
// cannot grow the history to hundreds of megabytes. The oldest events go first.
const DefaultHistoryBytes = 32 << 20

// DefaultBuffer is a subscriber's channel capacity when none is given.
const DefaultBuffer = 4096

// Bus orders events and hands them to subscribers. Publish never blocks: a
// subscriber whose buffer is full loses events, and the next event it does
// receive is preceded by a KindSkipped marker saying how many it lost.
type Bus struct {
	// Explainer explains protocol lines; set by NewBus.
	Explainer *Explainer
	// Mask replaces credentials (PASS, AUTH, LOGIN payloads) with asterisks.
	Mask bool

	mu        sync.Mutex
	seq       uint64
	ring      []*Event // ring buffer of the kept events, oldest at ringHead
	ringHead  int
	ringLen   int
	ringCost  []int // eventBytes of each kept event: dropping the oldest touches none of its memory, long out of the CPU's caches
	ringBytes int   // the kept events' size (eventBytes)
	maxBytes  int
	subs      map[*Subscription]struct{}
	fanout    []*Subscription // the keys of subs: Publish walks a slice, not a map
	counters  map[string]int  // session numbering per server and protocol
	peers     map[int]PeerLabel
	now       func() time.Time
}

// PeerLabel says who is behind a connection a server is about to accept:
// mailscope's own relay dials with a known local port, so the receiving
// server's session can be drawn as a hop between two servers.
type PeerLabel struct {
	Actor string // "A": the server whose relay dials
	Hop   string // "A->B"
}

// ExpectPeer labels the connection that will arrive from local port port.
// The label is used once; forget drops it if the connection never arrives.
func (b *Bus) ExpectPeer(port int, l PeerLabel) (forget func()) {
	b.mu.Lock()
	if b.peers == nil {
		b.peers = make(map[int]PeerLabel)
	}
	b.peers[port] = l
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.peers, port)
		b.mu.Unlock()
	}
}

// takePeer returns and forgets the label for a remote port.
func (b *Bus) takePeer(port int) (PeerLabel, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.peers[port]
	if ok {
		delete(b.peers, port)
	}
	return l, ok
}

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithHistory sets how many recent events the bus keeps for replay.
func WithHistory(n int) BusOption {
	return func(b *Bus) {
		if n < 1 {
			n = 1
		}
		b.ring = make([]*Event, n)
		b.ringCost = make([]int, n)
	}
}

// WithHistoryBytes bounds the kept history by size (see DefaultHistoryBytes).
func WithHistoryBytes(n int) BusOption {
	return func(b *Bus) { b.maxBytes = n }
}

// WithLang sets the explanation language ("en" or "zh").
func WithLang(lang string) BusOption {
	return func(b *Bus) { b.Explainer = NewExplainer(lang) }
}

// WithMask sets whether credentials are masked (the default is true).
func WithMask(mask bool) BusOption {
	return func(b *Bus) { b.Mask = mask }
}

// NewBus returns a bus that keeps DefaultHistory events, explains in English
// and masks credentials, unless options say otherwise.
func NewBus(opts ...BusOption) *Bus {
	b := &Bus{
		Explainer: NewExplainer("en"),
		Mask:      true,
		ring:      make([]*Event, DefaultHistory),
		ringCost:  make([]int, DefaultHistory),
		maxBytes:  DefaultHistoryBytes,
		subs:      make(map[*Subscription]struct{}),
		counters:  make(map[string]int),
		now:       time.Now,
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Publish stamps e with the next sequence number and the time (if unset) and
// hands it to every subscriber without waiting for any of them. The event must
// not be changed afterwards: subscribers share it.
func (b *Bus) Publish(e *Event) {
	if b == nil {
		return
	}
	b.render(e)
	b.mu.Lock()
	b.seq++
	e.Seq = b.seq
	if e.Time.IsZero() {
		e.Time = b.now()
	}
	if b.ringLen == len(b.ring) {
		b.dropOldestLocked()
	}
	i := (b.ringHead + b.ringLen) % len(b.ring)
	cost := eventBytes(e)
	b.ring[i], b.ringCost[i] = e, cost
	b.ringLen++
	b.ringBytes += cost
	for b.ringBytes > b.maxBytes && b.ringLen > 1 {
		b.dropOldestLocked()
	}
	for _, s := range b.fanout {
		s.offer(e)
	}
	b.mu.Unlock()
}

// render fills in the prose of an event given as catalog keys, in the bus's
// language: the text of its Msg and the text of an explanation that has
// arguments but no text yet.
func (b *Bus) render(e *Event) {
	if e.Msg == nil && (e.Explain == nil || e.Explain.Text != "") {
		return
	}
	x := b.Explainer
	if x == nil {
		x = NewExplainer("en")
	}
	if e.Msg != nil && (e.Text == "" || x.lang != "en") {
		e.Text = x.Format(e.Msg)
	}
	if ex := e.Explain; ex != nil && ex.Text == "" {
		if len(ex.Args) == 0 {
			if c := x.Key(ex.Key); c != nil {
				ex.Text, ex.RFC = c.Text, cmp.Or(ex.RFC, c.RFC)
			}
			return
		}
		if t, rfc, ok := x.text(ex.Key); ok {
			ex.Text = Expand(t, ex.Args)
			if ex.RFC == "" {
				ex.RFC = rfc
			}
		}
	}
}

func (b *Bus) dropOldestLocked() {
	b.ringBytes -= b.ringCost[b.ringHead]
	b.ring[b.ringHead] = nil
	b.ringHead = (b.ringHead + 1) % len(b.ring)
	b.ringLen--
}

// eventBytes estimates what keeping e costs: its strings plus a fixed share
// for the struct, the explanation and the attributes.
func eventBytes(e *Event) int { return 256 + len(e.Text) + len(e.Data) }

// Seq returns the sequence number of the newest event.
func (b *Bus) Seq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// nextSessionID numbers sessions per server and protocol: "A-smtp-1".
func (b *Bus) nextSessionID(server, proto string) string {
	key := server + "-" + proto
	b.mu.Lock()
	b.counters[key]++
	n := b.counters[key]
	b.mu.Unlock()
	return key + "-" + strconv.Itoa(n)
}

// Subscription receives events in order from a Bus.
type Subscription struct {
	bus     *Bus
	ch      chan *Event
	dropped uint64
	closed  bool
}

// C is the channel of events. It is closed by Close.
func (s *Subscription) C() <-chan *Event { return s.ch }

// offer is called with the bus lock held.
func (s *Subscription) offer(e *Event) {
	if len(s.ch) == cap(s.ch) {
		// Full (only Publish sends, under the bus lock, so it stays full):
		// count the loss without building a marker that cannot be sent.
		s.dropped++
		return
	}
	if s.dropped > 0 {
		marker := &Event{Seq: e.Seq, Time: e.Time, Kind: KindSkipped, Skipped: s.dropped,
			Msg: M("note.skipped.behind", "n", strconv.FormatUint(s.dropped, 10))}
		s.bus.render(marker)
		select {
		case s.ch <- marker:
			s.dropped = 0
		default:
			s.dropped++
			return
		}
	}
	select {
	case s.ch <- e:
	default:
		s.dropped++
	}
}

// Subscribe returns a subscription with a buffer of n events (DefaultBuffer
// when n <= 0) that receives every event published from now on.
func (b *Bus) Subscribe(n int) *Subscription {
	s, _ := b.SubscribeFrom(^uint64(0), n)
	return s
}

// SubscribeFrom returns the kept events with a sequence number greater than
// after, oldest first, and a subscription for every event published after
// them, with no gap and no overlap between the two. If events after `after`
// were already dropped from the history, the first returned event is a
// KindSkipped marker counting them.
func (b *Bus) SubscribeFrom(after uint64, n int) (*Subscription, []*Event) {
	if n <= 0 {
		n = DefaultBuffer
	}
	s := &Subscription{bus: b, ch: make(chan *Event, n)}
	b.mu.Lock()
	defer b.mu.Unlock()
	var hist []*Event
	if after < b.seq {
		hist = b.historyLocked(after)
	}
	b.subs[s] = struct{}{}
	b.fanout = append(b.fanout, s)
	return s, hist
}

func (b *Bus) historyLocked(after uint64) []*Event {
	if b.ringLen == 0 {
		return nil
	}
	// Sequence numbers are consecutive: the events after `after` are the
	// ring's last ones, copied alone (a page's late session, a writer's
	// catch-up ask for a few of the 100,000 kept).
	first := b.ring[b.ringHead].Seq
	skip := 0
	var out []*Event
	if after+1 < first {
		lost := first - after - 1
		marker := &Event{Seq: first - 1, Time: b.ring[b.ringHead].Time, Kind: KindSkipped, Skipped: lost,
			Msg: M("note.skipped.history", "n", strconv.FormatUint(lost, 10))}
		b.render(marker)
		out = make([]*Event, 0, b.ringLen+1)
		out = append(out, marker)
	} else {
		skip = int(after + 1 - first)
		if skip >= b.ringLen {
			return nil
		}
		out = make([]*Event, 0, b.ringLen-skip)
	}
	start := (b.ringHead + skip) % len(b.ring)
	n := b.ringLen - skip
	if end := start + n; end <= len(b.ring) {
		return append(out, b.ring[start:end]...)
	}
	out = append(out, b.ring[start:]...)
	return append(out, b.ring[:start+n-len(b.ring)]...)
}

// History returns the kept events with a sequence number greater than after.
func (b *Bus) History(after uint64) []*Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if after >= b.seq {
		return nil
	}
	return b.historyLocked(after)
}

// Close ends the subscription and closes its channel.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(b.subs, s)
	for i, x := range b.fanout {
		if x == s {
			b.fanout = slices.Delete(b.fanout, i, i+1)
			break
		}
	}
	close(s.ch)
}
