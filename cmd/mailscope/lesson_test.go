package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// testWorld is a running world on 127.0.0.1:0 listeners with its web
// timeline, for the lesson and demo commands to attach to.
type testWorld struct {
	inst *servers.Instance
	web  string // host:port
}

func startTestWorld(t *testing.T) *testWorld {
	t.Helper()
	w := world.Default()
	w.Queue.Retry = []time.Duration{300 * time.Millisecond, time.Hour}
	w.Queue.GiveUp = 2 * time.Hour
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inst, err := servers.Start(servers.Config{World: w, DataDir: t.TempDir(), Bus: tracer.NewBus(), Logger: logger,
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
	return &testWorld{inst: inst, web: l.Addr().String()}
}

// runCmd runs mailscope with args in this process and returns its output
// and error.
func runCmd(ctx context.Context, out io.Writer, args ...string) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	root.SetIn(strings.NewReader(""))
	return root.ExecuteContext(ctx)
}

func TestLessonsList(t *testing.T) {
	dir := t.TempDir()
	p, _ := lessons.LoadProgress(dir)
	p.StepDone("relay", 0, 5)
	p.StepDone("relay", 1, 5)
	for lang, want := range map[string][]string{
		"en": {"smtp-by-hand", "SMTP by hand", "2/5", "not started", "weaknesses"},
		"zh": {"动手尝试 SMTP 交互", "2/5", "未开始"},
	} {
		var out strings.Builder
		if err := runCmd(context.Background(), &out, "lessons", "--data", dir, "--lang", lang); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("lessons --lang %s: no %q in\n%s", lang, w, out.String())
			}
		}
	}
	var out strings.Builder
	if err := runCmd(context.Background(), &out, "lesson", "no-such-lesson", "--data", dir); err == nil || !strings.Contains(err.Error(), "smtp-by-hand") {
		t.Errorf("unknown lesson: %v", err)
	}
}

// TestDemoAttached plays demos against a running instance found through
// its web address: listeners from /api/world, events from /ws, faults and
// flushes through the control API.
func TestDemoAttached(t *testing.T) {
	w := startTestWorld(t)
	for _, id := range []string{"smtp-vs-http", "queue-retry-delay"} {
		t.Run(id, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			out := &syncBuffer{}
			err := runCmd(ctx, out, "demo", id, "--web", w.web, "--data", t.TempDir(), "--speed", "1000000",
				"--color", "never", "--var", "hold=1")
			if err != nil {
				t.Fatalf("demo %s: %v\n%s", id, err, out.String())
			}
			if !strings.Contains(out.String(), lessons.UI("en", "demo.done")) {
				t.Errorf("demo %s did not finish:\n%s", id, out.String())
			}
		})
	}
	// An attached demo posts its lesson events to the running instance, so
	// the browser's lesson panel ticks along: both lessons finished there.
	finished := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(finished) < 2 && time.Now().Before(deadline) {
		for _, e := range w.inst.Bus.History(0) {
			if e.Kind == tracer.KindLesson && e.Attrs["status"] == "finished" {
				finished[e.Attrs["lesson"]] = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !finished["smtp-vs-http"] || !finished["queue-retry-delay"] {
		t.Fatalf("the instance's bus saw these lessons finish: %v", finished)
	}
}

// TestLessonAttached follows smtp-by-hand in Chinese while a student's raw
// client types the commands, with a mistake: the lesson must explain the
// 501 in Chinese (the instance explains in English), show the hint, tick
// every step, save the progress and end.
func TestLessonAttached(t *testing.T) {
	w := startTestWorld(t)
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runCmd(ctx, out, "lesson", "smtp-by-hand", "--web", w.web, "--data", data, "--lang", "zh", "--color", "never")
	}()
	watching := strings.SplitN(lessons.UI("zh", "watching"), "{where}", 2)[0]
	for !strings.Contains(out.String(), watching) {
		select {
		case err := <-done:
			t.Fatalf("lesson ended: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("lesson did not start:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	smtpAddr := w.inst.Addr("A", world.SMTP)
	student(t, smtpAddr, "HELO laptop", "MAIL FROM alice", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA",
		"Subject: hi\r\n\r\nhello\r\n.", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA",
		"Subject: again\r\n\r\nhello\r\n.", "QUIT")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lesson: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		t.Fatalf("lesson did not finish:\n%s", out.String())
	}
	got := out.String()
	for _, want := range []string{"第 1/8 步", "✓ 第 8 步完成", "提示：MAIL FROM 后面要紧跟冒号", "★ 本课完成", "telnet 127.0.0.1 "} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the lesson's output:\n%s", want, got)
		}
	}
	// The line under the 501 is its explanation, in the lesson's language.
	m := regexp.MustCompile(`S: 501 [^\n]*\n([^\n]*)\n`).FindStringSubmatch(got)
	if m == nil || !regexp.MustCompile(`\p{Han}`).MatchString(m[1]) {
		t.Errorf("the 501 is not explained in Chinese: %q", m)
	}
	p, err := lessons.LoadProgress(data)
	if err != nil {
		t.Fatal(err)
	}
	if lp := p.Get("smtp-by-hand"); !lp.Completed {
		t.Errorf("progress not saved: %+v", lp)
	}
	// Started again, the completed lesson begins at step 1.
	if next := p.Get("smtp-by-hand").Next(); next != 0 {
		t.Errorf("a completed lesson resumes at step %d", next+1)
	}
}

// student types lines into an SMTP session, reading a reply after each.
func student(t *testing.T, addr string, lines ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	read := func() {
		for {
			l, err := r.ReadString('\n')
			if err != nil || len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	read()
	for _, l := range lines {
		fmt.Fprintf(c, "%s\r\n", l)
		read()
	}
}

// TestDemoInProcess runs a demo that starts the world itself (nobody
// answers at its web address), with the same flags as up.
func TestDemoInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	for attempt := 0; ; attempt++ {
		base := testPortBase()
		out := &syncBuffer{}
		rec := filepath.Join(t.TempDir(), "trace.jsonl")
		err := runCmd(ctx, out, "demo", "relay", "--data", t.TempDir(), "--port-base", fmt.Sprint(base), "--web", "127.0.0.1:0",
			"--speed", "1000000", "--exit", "--color", "never", "--record", rec)
		if err != nil && errors.Is(err, syscall.EADDRINUSE) && attempt < 5 {
			continue
		}
		if err != nil && strings.Contains(err.Error(), "address already in use") && attempt < 5 {
			continue
		}
		if err != nil {
			t.Fatalf("demo: %v\n%s", err, out.String())
		}
		got := out.String()
		for _, want := range []string{fmt.Sprintf("127.0.0.1:%d", base+25), "web timeline: http://127.0.0.1:", lessons.UI("en", "demo.done")} {
			if !strings.Contains(got, want) {
				t.Errorf("no %q in:\n%s", want, got)
			}
		}
		// In-process, the lesson's progress goes onto the bus for the
		// browser as lesson events.
		f, err := os.Open(rec)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var statuses []string
		tracer.ReadJSONL(f, func(e *tracer.Event) error {
			if e.Kind == tracer.KindLesson && e.Attrs["lesson"] == "relay" {
				statuses = append(statuses, e.Attrs["status"]+":"+e.Attrs["step"])
			}
			return nil
		})
		if len(statuses) == 0 || statuses[0] != "started:0" || statuses[len(statuses)-1] != "finished:4" {
			t.Errorf("lesson events on the bus: %v", statuses)
		}
		return
	}
}

// TestLessonInProcess starts the world with the lesson (nobody answers at
// its web address), follows a student through smtp-by-hand, and keeps the
// servers running after the lesson until it is stopped.
func TestLessonInProcess(t *testing.T) {
	for attempt := 0; attempt < 5; attempt++ {
		if lessonInProcess(t, testPortBase()) {
			return
		}
	}
	t.Fatal("no free port base found")
}

// lessonInProcess runs the test on one port base; false means the ports
// were taken.
func lessonInProcess(t *testing.T, base int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runCmd(ctx, out, "lesson", "smtp-by-hand", "--data", t.TempDir(), "--port-base", fmt.Sprint(base),
			"--web", "127.0.0.1:0", "--color", "never", "--trace=false")
	}()
	watching := strings.SplitN(lessons.UI("en", "watching"), "{where}", 2)[0]
	for !strings.Contains(out.String(), watching) {
		select {
		case err := <-done:
			if errors.Is(err, syscall.EADDRINUSE) || err != nil && strings.Contains(err.Error(), "address already in use") {
				return false
			}
			t.Fatalf("lesson ended: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("lesson did not start:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	student(t, fmt.Sprintf("127.0.0.1:%d", base+25), "HELO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA",
		"Subject: hi\r\n\r\nhello\r\n.", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA",
		"Subject: again\r\n\r\nhello\r\n.", "QUIT")
	for !strings.Contains(out.String(), "The servers keep running") {
		select {
		case err := <-done:
			t.Fatalf("lesson ended: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("lesson did not finish:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel() // Ctrl-C
	if err := <-done; err != nil {
		t.Fatalf("lesson after Ctrl-C: %v", err)
	}
	got := out.String()
	for _, want := range []string{"✓ Step 8 done", "★ Lesson complete", "S: 221 "} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	// Without --trace only the replies are shown, not the commands.
	if strings.Contains(got, "C: HELO laptop") {
		t.Errorf("--trace=false printed the client's lines:\n%s", got)
	}
	return true
}
