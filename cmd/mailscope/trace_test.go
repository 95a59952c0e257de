package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

func TestWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8025":         "ws://127.0.0.1:8025/ws",
		"http://127.0.0.1:8025/":        "ws://127.0.0.1:8025/ws",
		"127.0.0.1:8025":                "ws://127.0.0.1:8025/ws",
		"https://lab.example/mailscope": "wss://lab.example/mailscope/ws",
		"ws://[::1]:8025?x=1":           "ws://[::1]:8025/ws",
	} {
		u, err := wsURL(in)
		if err != nil || u.String() != want {
			t.Errorf("wsURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "http://[::1"} {
		if _, err := wsURL(bad); err == nil {
			t.Errorf("wsURL(%q) accepted", bad)
		}
	}
}

// webServer runs a web timeline over bus on addr ("127.0.0.1:0").
func webServer(t *testing.T, bus *tracer.Bus, addr string) (*webui.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := webui.New(&servers.Instance{Bus: bus, World: world.Default()}, webui.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return srv, l.Addr().String()
}

// tracing runs mailscope trace against url and returns a reader of its
// output lines and a stop func that waits for it to return.
func tracing(t *testing.T, url string, replay int) (*bufio.Scanner, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runTrace(ctx, pw, io.Discard, &traceOptions{url: url, color: "never", explain: true, replay: replay})
		pw.Close()
	}()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			go io.Copy(io.Discard, pr) // let it finish writing
			select {
			case stopErr = <-done:
			case <-time.After(10 * time.Second):
				t.Error("mailscope trace did not stop")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return bufio.NewScanner(pr), stop
}

// expectLine reads lines until one matches re.
func expectLine(t *testing.T, sc *bufio.Scanner, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if rx.MatchString(sc.Text()) {
				found <- sc.Text()
				return
			}
		}
		close(found)
	}()
	select {
	case l, ok := <-found:
		if !ok {
			t.Fatalf("trace output ended without a line matching %s", re)
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("no trace line matching %s", re)
	}
	return ""
}

func smtpLine(bus *tracer.Bus, dir tracer.Dir, text string) {
	s := bus.NewSession("A", "smtp", "127.0.0.1:5000")
	e := &tracer.Event{Kind: tracer.KindLine, Dir: dir, Text: text}
	if dir == tracer.C2S {
		e.Explain = bus.Explainer.SMTPCommand(strings.Fields(text)[0])
	}
	s.Emit(e)
}

// TestTraceReplaysAndFollows: trace prints the recent history like up's
// console (prefix, C:/S:, explanation), then live events.
func TestTraceReplaysAndFollows(t *testing.T) {
	bus := tracer.NewBus()
	for i := 0; i < 50; i++ {
		smtpLine(bus, tracer.C2S, "NOOP")
	}
	smtpLine(bus, tracer.C2S, "MAIL FROM:<alice@a.example>")
	_, addr := webServer(t, bus, "127.0.0.1:0")
	sc, stop := tracing(t, "http://"+addr, 5)
	expectLine(t, sc, `^\d\d:\d\d:\d\d\.\d{3} \[A smtp-\d+\] C: MAIL FROM:<alice@a\.example>$`)
	expectLine(t, sc, `^      MAIL FROM: .*\(RFC 5321 section 4\.1\.1\.2\)$`)
	bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: "A", Text: "queued for relay to bob@b.example"})
	expectLine(t, sc, `\[A\] queue: queued for relay to bob@b\.example$`)
	if err := stop(); err != nil {
		t.Errorf("trace returned %v after Ctrl-C", err)
	}
}

// TestTraceReconnects: when the instance restarts on the same address,
// trace says so and follows the new run.
func TestTraceReconnects(t *testing.T) {
	bus := tracer.NewBus()
	smtpLine(bus, tracer.C2S, "HELO first-run")
	srv, addr := webServer(t, bus, "127.0.0.1:0")
	sc, _ := tracing(t, "http://"+addr, -1)
	expectLine(t, sc, `C: HELO first-run$`)
	srv.Close()

	bus2 := tracer.NewBus()
	smtpLine(bus2, tracer.C2S, "HELO second-run")
	var err error
	for i := 0; i < 50; i++ { // the old listener's port is free again at once on Linux; elsewhere give it a moment
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			l.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	webServer(t, bus2, addr)
	expectLine(t, sc, `C: HELO second-run$`)
}

// TestTraceUnreachable: a clear error when nothing listens.
func TestTraceUnreachable(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	err := runTrace(context.Background(), io.Discard, io.Discard, &traceOptions{url: "http://" + addr, color: "never"})
	if err == nil || !strings.Contains(err.Error(), "mailscope up") {
		t.Errorf("trace against nothing: %v", err)
	}
}

// TestUpServesWebTimeline runs the binary: up starts the web timeline on
// --web, prints its address, serves the API and the websocket that trace
// follows, and stops cleanly with a viewer connected.
func TestUpServesWebTimeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	p := start(t, t.TempDir(), "--web", "127.0.0.1:0")
	rx := regexp.MustCompile(`web timeline: (http://127\.0\.0\.1:\d+) `)
	var url string
	deadline := time.Now().Add(20 * time.Second)
	for url == "" {
		if m := rx.FindStringSubmatch(p.out.String()); m != nil {
			url = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no web timeline address in the banner:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(url + "/api/world")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/world: %s", resp.Status)
	}
	sc, _ := tracing(t, url, -1)
	send(t, p.smtp(), "via the web")
	expectLine(t, sc, `\[A smtp-1\] C: MAIL FROM:<alice@a\.example>$`)
	expectLine(t, sc, `\[A\] queue: delivered to the mailbox of alice@a\.example`)

	p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-func() chan error { c := make(chan error, 1); go func() { c <- p.wait() }(); return c }():
		if err != nil {
			t.Errorf("mailscope exited with %v after Ctrl-C with a viewer connected:\n%s", err, p.out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("mailscope did not stop with a viewer connected:\n%s", p.out.String())
	}
}

// TestTraceSkippedMarker: a skipped marker carries the seq of the event
// after it; both are printed, and the marker is not taken for a duplicate.
func TestTraceSkippedMarker(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`[{"seq":0,"kind":"hello","attrs":{"epoch":"e1"}}]`))
		c.WriteMessage(websocket.TextMessage, []byte(`[{"seq":4,"kind":"note","text":"four"},{"seq":9,"kind":"skipped","skipped":4,"text":"skipped 4 events: this viewer fell behind"},{"seq":9,"kind":"note","text":"nine"}]`))
		c.ReadMessage() // until the client goes
	}))
	defer srv.Close()
	sc, _ := tracing(t, srv.URL, -1)
	expectLine(t, sc, `note: four$`)
	expectLine(t, sc, `skipped: skipped 4 events`)
	expectLine(t, sc, `note: nine$`)
}
