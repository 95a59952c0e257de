package lessons

import (
	"regexp"
	"strings"
	"testing"
)

// TestLoadFor: the class lessons rewritten for a student name neither
// alice nor bob anywhere, in texts or matchers, spell no password, and
// keep the texts' columns aligned.
func TestLoadFor(t *testing.T) {
	set, err := LoadFor("s07")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.IDs(); strings.Join(got, " ") != strings.Join(ClassLessons, " ") {
		t.Errorf("lessons %v, want %v", got, ClassLessons)
	}
	world := regexp.MustCompile(`\b(alice|bob|Alice|Bob)\b|HELO laptop|s07/s07|LOGIN s07 s07|密码就是用户名|password is the user's name`)
	texts := func(l *Lesson) []string {
		out := []string{l.Title.En, l.Title.Zh, l.Summary.En, l.Summary.Zh, l.Conclusion.En, l.Conclusion.Zh}
		for _, s := range l.Steps {
			out = append(out, s.Title.En, s.Title.Zh, s.Instruction.En, s.Instruction.Zh, s.Explain.En, s.Explain.Zh)
			for _, h := range s.Hints {
				out = append(out, h.Text.En, h.Text.Zh)
			}
		}
		for _, h := range l.hints {
			out = append(out, h.Text.En, h.Text.Zh)
		}
		return out
	}
	for _, l := range set.Lessons {
		for _, s := range texts(l) {
			if world.MatchString(s) {
				t.Errorf("%s: a text still names a world user: %q", l.ID, world.FindString(s))
			}
		}
		if l.MissingTexts() != nil {
			t.Errorf("%s: missing texts %v", l.ID, l.MissingTexts())
		}
	}
	l := set.Get("smtp-by-hand")
	var mail *Matcher
	for _, s := range l.Steps {
		for _, m := range s.Done {
			if strings.Contains(m.ReplyTo, "MAIL FROM") {
				mail = m
			}
		}
	}
	if mail == nil || !strings.Contains(mail.ReplyTo, `<s07@a\.example>`) {
		t.Errorf("smtp-by-hand's MAIL FROM matcher %+v, want the student's address", mail)
	}
	pop := set.Get("pop3")
	all := strings.Join(texts(pop), "\n")
	if !strings.Contains(all, "PASS <password>") || !strings.Contains(all, "PASS <你的密码>") || !strings.Contains(all, "USER s07") {
		t.Errorf("pop3 does not ask for the student's own login and password:\n%s", all)
	}
	imap := strings.Join(texts(set.Get("imap")), "\n")
	if !strings.Contains(imap, "a1 LOGIN s07 <password>") {
		t.Errorf("imap does not ask for LOGIN s07 <password>")
	}
	// The columns of pop3-vs-imap's side-by-side text stay aligned.
	both := set.Get("pop3-vs-imap")
	for _, s := range both.Steps {
		for _, line := range strings.Split(s.Instruction.En, "\n") {
			if strings.Contains(line, "USER s07") && strings.Contains(line, "LOGIN") {
				if i, j := strings.Index(line, "USER"), strings.Index(line, "a1 LOGIN"); j > 0 && j-i < 20 {
					t.Errorf("columns lost: %q", line)
				}
			}
		}
	}
	if _, err := LoadFor("Bob Smith"); err == nil {
		t.Error("LoadFor took a name that is no class account")
	}
	// The world's own lessons are untouched.
	orig, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(texts(orig.Get("pop3")), "\n"), "PASS bob") {
		t.Error("Load's pop3 lost PASS bob")
	}
}
