package loadbench

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// viewer is one websocket client of /ws. It checks that sequence numbers
// follow each other (a skipped marker accounts for the events it names) and
// records, for every live event (newer than the hello), the delay from the
// event's time to the moment its websocket message was read. Both clocks are
// this host's.
type viewer struct {
	conn *websocket.Conn

	// resume is closed to let a frozen viewer read; nil for a reading one.
	resume chan struct{}

	mu       sync.Mutex
	helloSeq uint64
	first    uint64
	last     uint64
	events   int64
	gaps     int // discontinuities not explained by a skipped marker
	markers  int
	skipped  uint64
	delays   hist
	err      error

	lastSeq  atomic.Uint64
	lastRecv atomic.Int64 // unix ns of the last message
	done     chan struct{}
}

// dialViewer connects to ws://web/ws?last=0 (no replay: live events only).
// A frozen viewer does not read until resume is closed.
func dialViewer(web string, frozen bool) (*viewer, error) {
	conn, err := dialWS(web, "?last=0", nil)
	if err != nil {
		return nil, err
	}
	v := &viewer{conn: conn, done: make(chan struct{})}
	if frozen {
		v.resume = make(chan struct{})
	}
	go v.readLoop()
	return v, nil
}

// dialWS opens ws://web/ws with query ("?last=0", or "" for what a page
// that opens gets) and the request headers hdr (a cookie, a token).
func dialWS(web, query string, hdr http.Header) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10}
	conn, resp, err := d.Dial("ws://"+web+"/ws"+query, hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket: %w (%s)", err, resp.Status)
		}
		return nil, fmt.Errorf("websocket: %w", err)
	}
	conn.SetReadLimit(64 << 20)
	return conn, nil
}

func (v *viewer) readLoop() {
	defer close(v.done)
	if v.resume != nil {
		<-v.resume
	}
	var buf bytes.Buffer
	for {
		_, r, err := v.conn.NextReader()
		if err != nil {
			v.mu.Lock()
			if v.err == nil {
				v.err = err
			}
			v.mu.Unlock()
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			v.mu.Lock()
			v.err = err
			v.mu.Unlock()
			return
		}
		now := time.Now()
		v.lastRecv.Store(now.UnixNano())
		v.mu.Lock()
		err = v.scan(buf.Bytes(), now)
		v.mu.Unlock()
		if err != nil {
			v.mu.Lock()
			v.err = err
			v.mu.Unlock()
			v.conn.Close()
			return
		}
	}
}

var (
	seqKey  = []byte(`{"seq":`)
	timeKey = []byte(`,"time":"`)
	kindKey = []byte(`"kind":"`)
	skipKey = []byte(`"skipped":`)
	helloSK = []byte(`"seq":"`)
)

// scan walks one message (a JSON array of events) without decoding it:
// every event object starts with {"seq":N,"time":"...", and its kind comes
// before any free text, so the first "kind":" after the time is the event's.
// Inside JSON strings quotes are escaped, so these keys cannot be forged by
// wire text.
func (v *viewer) scan(b []byte, now time.Time) error {
	for {
		i := bytes.Index(b, seqKey)
		if i < 0 {
			return nil
		}
		b = b[i+len(seqKey):]
		seq, n := parseUint(b)
		if n == 0 {
			return fmt.Errorf("event without a sequence number")
		}
		b = b[n:]
		if !bytes.HasPrefix(b, timeKey) {
			return fmt.Errorf("event %d: no time after seq", seq)
		}
		b = b[len(timeKey):]
		j := bytes.IndexByte(b, '"')
		if j < 0 {
			return fmt.Errorf("event %d: unterminated time", seq)
		}
		ts := b[:j]
		b = b[j+1:]
		k := bytes.Index(b, kindKey)
		if k < 0 {
			return fmt.Errorf("event %d: no kind", seq)
		}
		b = b[k+len(kindKey):]
		j = bytes.IndexByte(b, '"')
		kind := b[:j]
		b = b[j:]
		switch string(kind) {
		case "hello":
			if h := bytes.Index(b, helloSK); h >= 0 {
				v.helloSeq, _ = parseUint(b[h+len(helloSK):])
			}
			continue
		case "skipped":
			h := bytes.Index(b, skipKey)
			if h < 0 {
				return fmt.Errorf("skipped marker %d without a count", seq)
			}
			cnt, _ := parseUint(b[h+len(skipKey):])
			v.markers++
			v.skipped += cnt
			// The marker carries the sequence number of the event after the gap.
			if v.last != 0 && seq != v.last+cnt+1 {
				v.gaps++
			}
			v.last = seq - 1
			continue
		}
		if v.first == 0 {
			v.first = seq
		} else if seq != v.last+1 {
			v.gaps++
		}
		v.last = seq
		v.events++
		v.lastSeq.Store(seq)
		if seq > v.helloSeq {
			if t, ok := parseTime(ts); ok {
				v.delays.add(now.Sub(t))
			}
		}
	}
}

func parseUint(b []byte) (uint64, int) {
	var n uint64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	return n, i
}

// parseTime reads an RFC 3339 time as encoding/json writes it; the common
// UTC form ("2026-11-25T23:01:11.142737297Z") is read without time.Parse.
func parseTime(b []byte) (time.Time, bool) {
	if len(b) >= 20 && b[len(b)-1] == 'Z' && b[4] == '-' && b[10] == 'T' && b[19] != ':' {
		d := func(i, n int) int {
			x := 0
			for _, c := range b[i : i+n] {
				x = x*10 + int(c-'0')
			}
			return x
		}
		ns := 0
		if b[19] == '.' {
			frac := b[20 : len(b)-1]
			ns = d(20, len(frac))
			for k := len(frac); k < 9; k++ {
				ns *= 10
			}
		}
		return time.Date(d(0, 4), time.Month(d(5, 2)), d(8, 2), d(11, 2), d(14, 2), d(17, 2), ns, time.UTC), true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	return t, err == nil
}

func (v *viewer) close() {
	v.conn.Close()
	if v.resume != nil {
		select {
		case <-v.resume:
		default:
			close(v.resume)
		}
	}
	<-v.done
}

// report is a snapshot of what a viewer saw.
type viewerReport struct {
	first, last     uint64
	events          int64
	gaps, markers   int
	skipped         uint64
	delays          *hist
	err             error
	helloSeq        uint64
	lastRecvUnixNs  int64
	connectedAtLast bool
}

func (v *viewer) report() viewerReport {
	v.mu.Lock()
	defer v.mu.Unlock()
	return viewerReport{first: v.first, last: v.last, events: v.events, gaps: v.gaps, markers: v.markers,
		skipped: v.skipped, delays: &v.delays, err: v.err, helloSeq: v.helloSeq, lastRecvUnixNs: v.lastRecv.Load()}
}

// settle waits until no viewer has received anything for quiet, or until
// limit, and returns the highest sequence number any of them saw.
func settle(vs []*viewer, quiet, limit time.Duration) uint64 {
	deadline := time.Now().Add(limit)
	for {
		var newest int64
		var top uint64
		for _, v := range vs {
			newest = max(newest, v.lastRecv.Load())
			top = max(top, v.lastSeq.Load())
		}
		all := true
		for _, v := range vs {
			if v.lastSeq.Load() != top {
				all = false
			}
		}
		if (all && time.Since(time.Unix(0, newest)) > quiet) || time.Now().After(deadline) {
			return top
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// hist counts delays in buckets of histStep up to histMax; longer ones are
// kept exactly. 100 viewers x 100,000 events stay cheap to merge.
type hist struct {
	b    []uint32
	over []time.Duration
	n    int64
}

const (
	histStep = 100 * time.Microsecond
	histMax  = 5 * time.Second
)

func (h *hist) add(d time.Duration) {
	if h.b == nil {
		h.b = make([]uint32, histMax/histStep)
	}
	h.n++
	if d < 0 {
		d = 0
	}
	if i := int(d / histStep); i < len(h.b) {
		h.b[i]++
		return
	}
	h.over = append(h.over, d)
}

func (h *hist) merge(o *hist) {
	if o.n == 0 {
		return
	}
	if h.b == nil {
		h.b = make([]uint32, histMax/histStep)
	}
	for i, c := range o.b {
		h.b[i] += c
	}
	h.over = append(h.over, o.over...)
	h.n += o.n
}

// percentile returns the upper edge of the bucket holding the p-th
// percentile (nearest rank).
func (h *hist) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(float64(h.n)*p/100 + 0.999999)
	rank = max(1, min(rank, h.n))
	var seen int64
	for i, c := range h.b {
		seen += int64(c)
		if seen >= rank {
			return time.Duration(i+1) * histStep
		}
	}
	return percentile(h.over, 100*float64(rank-seen)/float64(len(h.over)))
}
