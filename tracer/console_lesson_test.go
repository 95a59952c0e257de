package tracer

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A lesson update's text is prose over several lines (a step with the
// commands to type): the console keeps its line breaks, indented under
// the label, instead of printing \x0a; a control or bidi character in it
// is still escaped.
func TestConsoleLessonLines(t *testing.T) {
	var b bytes.Buffer
	c := NewConsole(&b, ConsoleOptions{Lang: "en"})
	c.Print(&Event{Time: time.Now(), Kind: KindLesson, Text: "Start a message:\n\n    MAIL FROM:<alice@a.example>\r\n\x1b[2J\u202eend\t."})
	c.Flush()
	out := b.String()
	if strings.Contains(out, `\x0a`) {
		t.Errorf("line breaks printed as \\x0a:\n%s", out)
	}
	for _, want := range []string{"lesson: Start a message:\n", "\n    | \n", "\n    |     MAIL FROM:<alice@a.example>\n", `\x1b[2J\u202eend\t.`} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	if bad, ok := terminalSafe(out); !ok {
		t.Errorf("unescaped control near %q", bad)
	}
}

// TestConsoleStudentLesson: a class's lesson events (attribute user) print
// one line when a step is done or the lesson finished, and nothing for
// the instruction texts and hints of every student.
func TestConsoleStudentLesson(t *testing.T) {
	var b strings.Builder
	c := NewConsole(&b, ConsoleOptions{Lang: "zh"})
	ev := func(status string) *Event {
		return &Event{Time: time.Now(), Kind: KindLesson, Text: "long instruction\nPASS <password>",
			Attrs: map[string]string{AttrUser: "s07", "lesson": "smtp-by-hand", "status": status, "step": "2", "steps": "8", "title": "发送 HELO"}}
	}
	for _, s := range []string{"started", "current", "hint", "step-done", "finished"} {
		c.Print(ev(s))
	}
	c.Flush()
	out := b.String()
	if strings.Contains(out, "long instruction") || strings.Count(out, "\n") != 2 {
		t.Errorf("console printed:\n%s", out)
	}
	if !strings.Contains(out, "s07：smtp-by-hand 第 3/8 步完成") || !strings.Contains(out, "s07 完成了课程 smtp-by-hand") {
		t.Errorf("console printed:\n%s", out)
	}
}
