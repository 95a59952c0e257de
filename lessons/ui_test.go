package lessons_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// TestSaveFailedInLessonLanguage: when the progress cannot be saved the
// runner says so in the lesson's language (it said "saving lesson
// progress: ..." in English to a zh class before).
func TestSaveFailedInLessonLanguage(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := set.Get("smtp-by-hand")
	data := filepath.Join(t.TempDir(), "data")
	prog, err := lessons.LoadProgress(data)
	if err != nil {
		t.Fatal(err)
	}
	// The data directory becomes a file: the progress cannot be written.
	if err := os.WriteFile(data, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	u := &updates{}
	e := lessons.NewEngine(l, lessons.Options{Lang: "zh", Progress: prog, Notify: u.add})
	e.Begin()
	e.Feed(&tracer.Event{Seq: 1, Kind: tracer.KindLine, Server: "A", Proto: "smtp", Session: "A-smtp-1", Dir: tracer.S2C,
		Text: "220 a.example ESMTP", Explain: &tracer.Explanation{Key: "smtp.reply.220"}})
	var got string
	for _, x := range u.all() {
		if x.Status == lessons.StatusError {
			got = x.Text
		}
	}
	if !strings.HasPrefix(got, "无法保存课程进度：") {
		t.Errorf("error update: %q", got)
	}
}

// TestUITextsInCatalog: the runner's words come from the catalog, in both
// languages, with their arguments filled in.
func TestUITextsInCatalog(t *testing.T) {
	if m := lessons.MissingUITexts(); len(m) > 0 {
		t.Errorf("missing: %v", m)
	}
	if got := lessons.UI("zh", "step", "n", "2", "steps", "8", "title", "HELO"); got != "第 2/8 步：HELO" {
		t.Errorf("zh step: %q", got)
	}
	if got := lessons.UI("en", "finished", "title", "SMTP by hand"); got != "★ Lesson complete: SMTP by hand" {
		t.Errorf("en finished: %q", got)
	}
}
