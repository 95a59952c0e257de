package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers/world"
)

// TestLessonPacesWatchedSteps: relay's steps 1-4 complete within a second
// of the student's dot; the lesson shows one explanation at a time and
// waits for Enter before the trace and the next step go on (issue 14).
func TestLessonPacesWatchedSteps(t *testing.T) {
	w := startTestWorld(t)
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := set.Get("relay")
	sub := w.inst.Bus.Subscribe(1 << 16)
	defer sub.Close()
	env := &lessonEnv{addrs: lessons.Addrs{"A/smtp": w.inst.Addr("A", world.SMTP)}, events: sub.C(), errc: make(chan error)}
	enter := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- followLesson(ctx, out, env, l, lessonView{lang: "en", enter: enter}, nil, 0)
	}()
	student(t, w.inst.Addr("A", world.SMTP), "HELO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<bob@b.example>", "DATA",
		"Subject: across\r\n\r\nhello\r\n.", "QUIT")
	pace := lessons.UI("en", "pace")
	doneText := func(n string) string {
		return strings.SplitN(lessons.UI("en", "step.done", "n", n, "text", ""), ":", 2)[0]
	}
	for n := 1; n <= 3; n++ {
		// Step n is explained, the lesson waits, and step n+1 is not.
		// The lesson prints from one goroutine, which now waits for
		// Enter: what is printed is all there is until then.
		waitOutput(t, ctx, out, pace, n)
		got := out.String()
		if !strings.Contains(got, doneText(itoa(n))) || strings.Contains(got, doneText(itoa(n+1))) {
			t.Fatalf("waiting after step %d, the output has:\n%s", n, got)
		}
		if !strings.HasSuffix(strings.TrimRight(got, " "), pace) {
			t.Fatalf("after the Enter prompt more was printed:\n%s", got)
		}
		enter <- struct{}{}
	}
	waitOutput(t, ctx, out, doneText("4"), 1)
	cancel()
	<-done
}

// waitOutput waits until out holds s at least n times.
func waitOutput(t *testing.T, ctx context.Context, out *syncBuffer, s string, n int) {
	t.Helper()
	for strings.Count(out.String(), s) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("no %d× %q in:\n%s", n, s, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
