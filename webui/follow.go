package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/tracer"
)

// A Follower reads the trace of a running mailscope from its /ws, the
// client side of the stream ServeWS writes: it resumes after the last event
// it has seen when the connection drops, starts again from the beginning
// when the hello event names another run (mailscope was restarted), and
// lets skipped markers through. mailscope trace, lesson and demo follow an
// instance through it. A Follower is for one goroutine: Connect, then Run.
//
// The follower lives here, beside the server side of the same protocol
// (the hello event, ?after, ?epoch, ?last), rather than in tracer: it
// dials with gorilla/websocket and net/http, which the event model at the
// bottom of the tree has no need of.
type Follower struct {
	// URL is the web timeline's address, "http://127.0.0.1:8025" (or
	// "HOST:PORT"); error messages name it as given.
	URL string
	// Token is the web token a public instance asks for ("" on loopback).
	Token string
	// Header is sent with every connection besides the token: a signed-in
	// student's cookie (Cookie: mailscope_student=...).
	Header http.Header
	// After and Epoch say where to resume: after event After of run
	// Epoch. With both empty the first connection asks for the Last most
	// recent events (Last < 0: all that are kept).
	After uint64
	Epoch string
	Last  int
	// ReadLimit bounds one websocket message (default 16 MiB).
	ReadLimit int64
	// Retries: Run gives up after that many failed reconnections in a
	// row (0: never).
	Retries int
	// Log, if set, hears what the follower does on its own: a lost
	// connection, a retry, a restart of the instance, a message it could
	// not read.
	Log func(msg string)

	conn    *websocket.Conn
	dec     tracer.EventDecoder
	started bool // the first connection was made: resume by After and Epoch
}

// followReadWait is how long a silent connection is trusted: the server
// pings more often than that.
const followReadWait = 90 * time.Second

// Back-off between failed reconnections: from followBackoff, doubling, up
// to followBackoffMax.
const (
	followBackoff    = 500 * time.Millisecond
	followBackoffMax = 5 * time.Second
)

func (f *Follower) log(format string, args ...any) {
	if f.Log != nil {
		f.Log(fmt.Sprintf(format, args...))
	}
}

// Connect makes the first connection. Its error says why the instance
// could not be followed: nothing answers at URL, or it refused (its reason
// is escaped: it is the other side's text).
func (f *Follower) Connect(ctx context.Context) error {
	if _, err := wsURL(f.URL); err != nil {
		return err
	}
	conn, resp, err := f.dial(ctx)
	if err != nil {
		return dialError(f.URL, resp, err)
	}
	f.conn, f.started = conn, true
	return nil
}

// Run delivers the events of the instance, in order and each once, until
// ctx ends (then it returns nil) or Retries reconnections in a row failed.
// deliver gets the events of one websocket message; the hello event is the
// follower's and is not delivered. Run connects first if Connect was not
// called, and then fails as Connect does.
func (f *Follower) Run(ctx context.Context, deliver func([]*tracer.Event)) error {
	if f.conn == nil {
		if err := f.Connect(ctx); err != nil {
			return err
		}
	}
	backoff, fails := followBackoff, 0
	for {
		err := f.read(ctx, f.conn, deliver)
		f.conn = nil
		if ctx.Err() != nil {
			return nil
		}
		f.log("connection lost (%v); reconnecting", err)
		for f.conn == nil {
			conn, _, err := f.dial(ctx)
			if err == nil {
				f.conn, backoff, fails = conn, followBackoff, 0
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if fails++; f.Retries > 0 && fails >= f.Retries {
				return fmt.Errorf("lost the trace of %s: %v", f.URL, err)
			}
			f.log("%v; retrying in %s", err, backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, followBackoffMax)
		}
	}
}

// dial opens /ws, asking for what comes after the last event seen.
func (f *Follower) dial(ctx context.Context) (*websocket.Conn, *http.Response, error) {
	u, err := wsURL(f.URL)
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	if f.started || f.After != 0 || f.Epoch != "" {
		q.Set("after", strconv.FormatUint(f.After, 10))
		q.Set("epoch", f.Epoch)
	} else if f.Last >= 0 {
		q.Set("last", strconv.Itoa(f.Last))
	}
	u.RawQuery = q.Encode()
	h := f.Header.Clone()
	if f.Token != "" {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", "Bearer "+f.Token)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	return d.DialContext(ctx, u.String(), h)
}

// read delivers the events of one connection until it ends.
func (f *Follower) read(ctx context.Context, conn *websocket.Conn, deliver func([]*tracer.Event)) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	limit := f.ReadLimit
	if limit <= 0 {
		limit = 16 << 20
	}
	conn.SetReadLimit(limit)
	conn.SetReadDeadline(time.Now().Add(followReadWait))
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(followReadWait))
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	// Each websocket message is a JSON array of events, in order; its
	// bytes are read into one reused buffer.
	var buf bytes.Buffer
	for {
		_, r, err := conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		conn.SetReadDeadline(time.Now().Add(followReadWait))
		evs, err := f.decode(buf.Bytes())
		if err != nil {
			f.log("a message of the server could not be read: %v", err)
			continue
		}
		deliver(f.fresh(evs))
	}
}

// decode reads one message: a JSON array of events, or (from an older
// mailscope) one event.
func (f *Follower) decode(b []byte) ([]*tracer.Event, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var e tracer.Event
		if err := json.Unmarshal(t, &e); err != nil {
			return nil, err
		}
		return []*tracer.Event{&e}, nil
	}
	return f.dec.Decode(b)
}

// fresh keeps the events not seen before, in place, and follows the hello
// event's run: from another run (mailscope was restarted) every sequence
// number is new again. A skipped marker borrows the seq of the event after
// it: it is neither a duplicate nor a position to resume from.
func (f *Follower) fresh(evs []*tracer.Event) []*tracer.Event {
	out := evs[:0]
	for _, e := range evs {
		if e.Kind == KindHello {
			ep := e.Attrs["epoch"]
			if ep != "" && f.Epoch != "" && ep != f.Epoch {
				f.log("mailscope was restarted; following the new run")
				f.After = 0
			}
			f.Epoch = ep
			continue
		}
		if e.Kind != tracer.KindSkipped {
			if e.Seq <= f.After {
				continue
			}
			f.After = e.Seq
		}
		out = append(out, e)
	}
	return out
}

// wsURL turns the web address into the websocket address.
func wsURL(base string) (*url.URL, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", base, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("--url %q: use http://HOST:PORT", base)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("--url %q: no host", base)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/ws"
	u.RawQuery = ""
	return u, nil
}

// dialError says why the first connection failed.
func dialError(base string, resp *http.Response, err error) error {
	if resp != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			// The other side's words, printed on a terminal: escaped.
			return fmt.Errorf("%s refused the trace: %s", base, tracer.Printable(e.Error))
		}
		return fmt.Errorf("%s refused the trace: %s", base, resp.Status)
	}
	return fmt.Errorf("cannot reach mailscope at %s: %v (is `mailscope up` running there? --url names another address)", base, err)
}
