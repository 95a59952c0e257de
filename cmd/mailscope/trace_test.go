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

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

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
		done <- runTrace(ctx, pw, io.Discard, &traceOptions{controlOptions: controlOptions{url: url}, color: "never", explain: true, replay: replay})
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
	err := runTrace(context.Background(), io.Discard, io.Discard, &traceOptions{controlOptions: controlOptions{url: "http://" + addr}, color: "never"})
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

// TestTraceEscapesWireText: mailscope trace prints wire text and what
// quotes it escaped: a HELO name of terminal controls and a right-to-left
// override, in the line, in the state explanation and in the server's
// reply, and the server field of a lesson update posted to the API.
func TestTraceEscapesWireText(t *testing.T) {
	w := startTestWorld(t)
	sc, _ := tracing(t, "http://"+w.web, -1)
	evil := "evil\x1b[2J\x07\x00\u202emoc.elpmaxe"
	student(t, w.inst.Addr("A", world.SMTP), "HELO "+evil, "QUIT")
	body := `{"text":"hint \u001b]0;owned\u0007","server":"A\u001b[2J\u202e","attrs":{"lesson":"smtp-by-hand","status":"hint"}}`
	resp, err := http.Post("http://"+w.web+"/api/lesson", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/lesson: %s", resp.Status)
	}
	esc := regexp.QuoteMeta(`evil\x1b[2J\x07\x00\u202emoc.elpmaxe`)
	var lines []string
	for _, re := range []string{
		`C: HELO ` + esc + ` <8bit,nul>$`,
		`^      HELO ` + esc + `: the client introduced itself \(RFC 5321 section 4\.1\.1\.1\)$`,
		// The reply quotes the name 7-bit clean: the server escapes it.
		`S: 250 a\.example Hello ` + regexp.QuoteMeta(`evil\x1b[2J\x07\x00\xe2\x80\xaemoc.elpmaxe`) + ` \[127\.0\.0\.1\], pleased to meet you$`,
		`S: 221 `,
		regexp.QuoteMeta(`[A\x1b[2J\u202e] lesson: hint \x1b]0;owned\x07`) + `$`,
	} {
		lines = append(lines, expectLine(t, sc, re))
	}
	for _, l := range lines {
		for _, r := range l {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Errorf("raw %U in the trace line %q", r, l)
			}
		}
	}
}

// TestLessonPrinterEscapes: the lesson's own printer escapes its texts
// before coloring them, keeping their line breaks, and demo's trace
// summary (a relay line, a queue event naming its server) goes the same way.
func TestLessonPrinterEscapes(t *testing.T) {
	var b strings.Builder
	p := &lessonPrinter{out: &b, color: true, lang: "en", id: "x"}
	evil := "a\x1b[2J\x07\u202eb"
	for _, st := range []lessons.Status{lessons.StatusStarted, lessons.StatusCurrent, lessons.StatusStepDone,
		lessons.StatusHint, lessons.StatusFinished, lessons.StatusError} {
		p.update(lessons.Update{Status: st, Title: evil, Text: evil + "\nsecond line"})
	}
	b.WriteString(p.c(cDimCode, traceSummary(&tracer.Event{Kind: tracer.KindQueue, Server: evil, Text: evil}, "en")) + "\n")
	b.WriteString(p.c(cDimCode, traceSummary(&tracer.Event{Kind: tracer.KindLine, Hop: evil, Dir: tracer.C2S, Text: evil}, "en")) + "\n")
	out := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(b.String(), "")
	for _, r := range out {
		if r < 0x20 && r != '\n' || r >= 0x202a && r <= 0x202e {
			t.Fatalf("raw %U in the lesson's output:\n%q", r, out)
		}
	}
	if !strings.Contains(out, `a\x1b[2J\x07\u202eb`) || !strings.Contains(out, "\n  second line\n") {
		t.Errorf("the texts are not escaped line by line:\n%s", out)
	}
}

// TestQueueListingEscapes: mailscope queue prints a remote server's reply
// (the last error) and the envelope addresses escaped.
func TestQueueListingEscapes(t *testing.T) {
	var b strings.Builder
	evil := "x\x1b[2J\t\u202ey"
	printQueue(&b, "en", time.Now(), []servers.QueueEntry{{Server: "A", MsgID: "A-1", Sender: evil, Rcpt: evil, Status: "deferred", LastError: "451 " + evil}}, nil)
	if strings.ContainsAny(b.String(), "\x1b\u202e") || !strings.Contains(b.String(), `451 x\x1b[2J\t\u202ey`) {
		t.Errorf("queue listing:\n%q", b.String())
	}
}

// TestTraceRefusalEscaped: the error text of a server refusing the trace
// is the other side's and is printed escaped.
func TestTraceRefusalEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":"no \u001b[2J\u202e"}`)
	}))
	defer srv.Close()
	err := runTrace(context.Background(), io.Discard, io.Discard, &traceOptions{controlOptions: controlOptions{url: srv.URL}, color: "never"})
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\u202e") || !strings.Contains(err.Error(), `no \x1b[2J\u202e`) {
		t.Errorf("refusal: %v", err)
	}
}
