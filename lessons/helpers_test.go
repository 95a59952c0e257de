package lessons_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// world is a running mailscope world on 127.0.0.1:0 listeners, with its web
// timeline (the webmail the HTTP lessons use).
type testWorld struct {
	inst  *servers.Instance
	addrs lessons.Addrs
}

// fastQueue makes the retry lesson quick: a first retry after 300ms, then a
// long wait, so that the lesson's ETRN is what delivers the message.
func fastQueue(w *world.World) {
	w.Queue.Retry = []time.Duration{300 * time.Millisecond, time.Hour}
	w.Queue.GiveUp = 2 * time.Hour
}

func startWorld(t *testing.T, lang string) *testWorld {
	t.Helper()
	w := world.Default()
	fastQueue(w)
	bus := tracer.NewBus(tracer.WithLang(lang))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inst, err := servers.Start(servers.Config{World: w, DataDir: t.TempDir(), Bus: bus, Logger: logger,
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		inst.Close()
		t.Fatal(err)
	}
	web := webui.New(inst, webui.Options{Logger: logger})
	go web.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		web.Shutdown(ctx)
		inst.Shutdown(ctx)
	})
	addrs := lessons.Addrs{"web": l.Addr().String()}
	for _, li := range inst.Listeners() {
		addrs[li.Server+"/"+string(li.Proto)] = li.Addr
	}
	return &testWorld{inst: inst, addrs: addrs}
}

// control performs a demo's control commands on the instance.
type control struct{ inst *servers.Instance }

func (c control) SetFault(ctx context.Context, server, fault string) error {
	f, err := servers.ParseFault(fault)
	if err != nil {
		return err
	}
	return c.inst.SetFault(server, f)
}

func (c control) Flush(ctx context.Context, domain string) error {
	_, err := c.inst.Flush(ctx, domain)
	return err
}

// updates collects an engine's updates.
type updates struct {
	mu sync.Mutex
	u  []lessons.Update
}

func (u *updates) add(x lessons.Update) {
	u.mu.Lock()
	u.u = append(u.u, x)
	u.mu.Unlock()
}

func (u *updates) all() []lessons.Update {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]lessons.Update(nil), u.u...)
}

func (u *updates) hints() []string {
	var ids []string
	for _, x := range u.all() {
		if x.Status == lessons.StatusHint {
			ids = append(ids, x.HintID)
		}
	}
	return ids
}

// follow runs an engine for l on w's bus.
func follow(t *testing.T, w *testWorld, l *lessons.Lesson, lang string) (*lessons.Engine, *updates) {
	t.Helper()
	sub := w.inst.Bus.Subscribe(1 << 16)
	u := &updates{}
	e := lessons.NewEngine(l, lessons.Options{Lang: lang, Vars: w.addrs.Vars(), Notify: u.add, Publish: w.inst.Bus.Publish})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx, sub.C()); close(done) }()
	t.Cleanup(func() { cancel(); sub.Close(); <-done })
	return e, u
}

// normalize replaces the parts of a transcript that change from run to run:
// message ids, dates, UIDVALIDITY, APOP timestamps, MIME boundaries of
// bounces, ports.
func normalize(s string) string {
	for _, r := range normalizers {
		s = r.re.ReplaceAllString(s, r.with)
	}
	// The order of capabilities is the server's business.
	return capabilities.ReplaceAllStringFunc(s, func(m string) string {
		f := strings.Fields(m[len("[CAPABILITY ") : len(m)-1])
		sort.Strings(f)
		return "[CAPABILITY " + strings.Join(f, " ") + "]"
	})
}

var capabilities = regexp.MustCompile(`\[CAPABILITY [^\]]*\]`)

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b([AB])-[A-Z2-7]{8}\b`), "$1-MSGID"},
	{regexp.MustCompile(`[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}`), "DATE"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`), "ISODATE"},
	{regexp.MustCompile(`<\d+\.\d+@([a-z.]+)>`), "<TIMESTAMP@$1>"},
	{regexp.MustCompile(`UIDVALIDITY \d+`), "UIDVALIDITY N"},
	{regexp.MustCompile(`(COPYUID|APPENDUID) \d+`), "$1 N"},
	{regexp.MustCompile(`"uidvalidity": \d+`), `"uidvalidity": N`},
	{regexp.MustCompile(`mailscope-dsn-[0-9a-f]+`), "mailscope-dsn-BOUNDARY"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\[127\.0\.0\.1\]:\d+`), "[127.0.0.1]:PORT"},
	{regexp.MustCompile(`(?m)^(\[web\] S: Content-Length:) \d+`), "$1 N"},
}

// demo plays lesson l against a fresh world and returns the normalized
// transcript and the engine's updates. Every step must be ticked.
func demo(t *testing.T, l *lessons.Lesson, lang string, vars map[string]string) (string, *updates, *testWorld) {
	t.Helper()
	w := startWorld(t, lang)
	tr, _, u := play(t, w, l, lang, vars)
	return normalize(tr), u, w
}

// play plays lesson l's demo on w and returns the transcript (not yet
// normalized), what the player printed on the terminal, and the engine's
// updates. Every step must be ticked.
func play(t *testing.T, w *testWorld, l *lessons.Lesson, lang string, vars map[string]string) (string, string, *updates) {
	t.Helper()
	e, u := follow(t, w, l, lang)
	var tr, out bytes.Buffer
	p := &lessons.Player{Lesson: l, Lang: lang, Addrs: w.addrs, Control: control{w.inst}, Out: &out, Transcript: &tr,
		Speed: 1e6, Vars: vars, Wait: e.Wait, ReplyTimeout: 10 * time.Second, StepTimeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if err := p.Play(ctx); err != nil {
		t.Fatalf("demo %s: %v\n--- terminal:\n%s\n--- updates: %v", l.ID, err, out.String(), describe(u.all()))
	}
	select {
	case <-e.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("demo %s: the engine did not finish (at step %d)", l.ID, e.Current())
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("demo took too long")
	}
	return tr.String(), out.String(), u
}

func describe(us []lessons.Update) string {
	var b bytes.Buffer
	for _, u := range us {
		b.WriteString("\n  " + string(u.Status) + " step " + itoa(u.Step) + " " + u.HintID)
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }
