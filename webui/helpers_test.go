package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serve starts srv on a fresh loopback listener and returns its base URL.
func serve(t testing.TB, srv *Server) string {
	t.Helper()
	return serveOn(t, srv, "127.0.0.1:0")
}

// servePublic starts srv on all addresses (0.0.0.0:0), which makes it
// public, and returns a base URL through 127.0.0.1: the test still talks
// over loopback only.
func servePublic(t *testing.T, srv *Server) string {
	t.Helper()
	return serveOn(t, srv, "0.0.0.0:0")
}

// serveOn starts srv on a fresh listener on addr and returns its base URL,
// through 127.0.0.1 when addr is all addresses.
func serveOn(t testing.TB, srv *Server, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	if a := l.Addr().(*net.TCPAddr); a.IP.IsUnspecified() {
		return fmt.Sprintf("http://127.0.0.1:%d", a.Port)
	}
	return "http://" + l.Addr().String()
}

// newBusServer is a web server over a bare bus (no store): enough for the
// websocket tests.
func newBusServer(t *testing.T, opts Options) (*Server, *tracer.Bus, string) {
	t.Helper()
	bus := tracer.NewBus()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	srv := New(&servers.Instance{Bus: bus, World: world.Default()}, opts)
	return srv, bus, serve(t, srv)
}

// newWorld runs a real world (servers A and B on 127.0.0.1:0, data in a
// temporary directory) and its web server.
func newWorld(t testing.TB, opts Options) (*servers.Instance, *Server, string) {
	t.Helper()
	return newWorldOn(t, opts, "127.0.0.1:0")
}

// newWorldOn is newWorld with the web server on addr; "0.0.0.0:0" makes it
// public, and the base URL returned still names 127.0.0.1.
func newWorldOn(t testing.TB, opts Options, addr string) (*servers.Instance, *Server, string) {
	t.Helper()
	return newWorldLang(t, opts, addr, "en")
}

// newWorldLang is newWorldOn in a language, as mailscope up --lang runs it:
// the bus explains in lang.
func newWorldLang(t testing.TB, opts Options, addr, lang string) (*servers.Instance, *Server, string) {
	t.Helper()
	return newWorldBus(t, opts, addr, tracer.WithLang(lang))
}

// newWorldBus is newWorldOn with a bus made with busOpts (and the world's
// credential mask).
func newWorldBus(t testing.TB, opts Options, addr string, busOpts ...tracer.BusOption) (*servers.Instance, *Server, string) {
	t.Helper()
	w := world.Default()
	inst, err := servers.Start(servers.Config{
		World:   w,
		Bus:     tracer.NewBus(append(busOpts, tracer.WithMask(w.MaskCredentials))...),
		DataDir: t.TempDir(),
		Logger:  quietLogger(),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	srv := New(inst, opts)
	return inst, srv, serveOn(t, srv, addr)
}

func wsAddr(base, query string) string {
	u, _ := url.Parse(base)
	u.Scheme = "ws"
	u.Path = "/ws"
	u.RawQuery = query
	return u.String()
}

// evConn reads events one by one from the websocket's batches.
type evConn struct {
	*websocket.Conn
	pending []*tracer.Event
}

// dial opens the websocket and reads the hello.
func dial(t *testing.T, base, query string) (*evConn, *tracer.Event) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(wsAddr(base, query), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ws?%s: %v (HTTP %d)", query, err, status)
	}
	t.Cleanup(func() { c.Close() })
	ec := &evConn{Conn: c}
	hello := readEvent(t, ec)
	if hello.Kind != KindHello || hello.Attrs["epoch"] == "" {
		t.Fatalf("first message is %+v, want a hello with an epoch", hello)
	}
	return ec, hello
}

// next returns the next event, reading a message when none is pending.
func (c *evConn) next(timeout time.Duration) (*tracer.Event, error) {
	for len(c.pending) == 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
		_, b, err := c.ReadMessage()
		if err != nil {
			return nil, err
		}
		var evs []*tracer.Event
		if err := json.Unmarshal(b, &evs); err != nil {
			return nil, fmt.Errorf("not a JSON array of events: %.200q: %v", b, err)
		}
		if len(evs) == 0 {
			return nil, fmt.Errorf("an empty batch")
		}
		c.pending = evs
	}
	e := c.pending[0]
	c.pending = c.pending[1:]
	return e, nil
}

func readEvent(t *testing.T, c *evConn) *tracer.Event {
	t.Helper()
	e, err := c.next(10 * time.Second)
	if err != nil {
		t.Fatalf("reading the websocket: %v", err)
	}
	return e
}

// note publishes n numbered note events.
func note(bus *tracer.Bus, n int, prefix string) {
	for i := 0; i < n; i++ {
		bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: fmt.Sprintf("%s %d", prefix, i)})
	}
}

// getJSON fetches url into v and returns the response.
func getJSON(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %q", url, err, b)
		}
	}
	return resp
}

// smtpSend talks SMTP to addr over a real socket: EHLO, MAIL, RCPT, DATA
// (dot-stuffing the message) and QUIT, failing the test on any unexpected
// reply. msg uses "\n" line endings.
func smtpSend(t *testing.T, addr, from, to, msg string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	expect := func(code string) {
		t.Helper()
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("SMTP read: %v", err)
			}
			if !strings.HasPrefix(l, code) {
				t.Fatalf("SMTP: got %q, want %s", l, code)
			}
			if len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	cmd := func(line, code string) {
		t.Helper()
		fmt.Fprintf(c, "%s\r\n", line)
		expect(code)
	}
	expect("220")
	cmd("EHLO laptop", "250")
	cmd("MAIL FROM:<"+from+">", "250")
	cmd("RCPT TO:<"+to+">", "250")
	cmd("DATA", "354")
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(msg, "\n"), "\n") {
		if strings.HasPrefix(l, ".") {
			l = "." + l // RFC 5321 section 4.5.2
		}
		b.WriteString(l + "\r\n")
	}
	b.WriteString(".\r\n")
	io.WriteString(c, b.String())
	expect("250")
	cmd("QUIT", "221")
}

// waitFor reads events from the bus history until fn accepts one, or fails
// after the deadline. It subscribes, so it does not poll.
func waitFor(t *testing.T, bus *tracer.Bus, what string, fn func(*tracer.Event) bool) *tracer.Event {
	t.Helper()
	sub, hist := bus.SubscribeFrom(0, 4096)
	defer sub.Close()
	for _, e := range hist {
		if fn(e) {
			return e
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		select {
		case e := <-sub.C():
			if fn(e) {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no event: %s", what)
			return nil
		}
	}
}
