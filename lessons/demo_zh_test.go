package lessons_test

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// englishProse is two English words in a row, the second in lower case:
// prose ("the client introduced itself", "connection closed", "message
// body: 5 lines"), not a protocol token ("RCPT TO:<bob@b.example>"), an
// address, a state name ("connected -> greeted") or a command ("telnet
// 127.0.0.1 10025").
var englishProse = regexp.MustCompile(`\b[A-Za-z][a-z]+(, | )[a-z]{2,}\b`)

// stamped is a console line's time and [server session] prefix.
var stamped = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} (\[[^\]]*\] )?`)

// hasHan reports whether s holds a Chinese character.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// englishOnly reports whether s is an English sentence with no Chinese in
// it.
func englishOnly(s string) bool {
	return !hasHan(s) && englishProse.MatchString(s)
}

// TestDemosSpeakChinese plays every lesson's demo with --lang zh, the way
// the course is taught, and fails on every sentence a student is shown
// that has no Chinese in it: on the demo's terminal (the runner's own
// words, step titles and explanations, notes), in the lesson's updates
// (summary, instructions, hints, conclusion: what mailscope lesson and the
// web page show), and on the console trace (each event's text and its
// explanation). Wire lines (C: and S: lines, what the demo types and what
// the servers answer, message data) are the protocol itself and are not
// translated; protocol tokens, addresses and commands are not sentences.
//
// Each offender is printed with where it was seen, so that the owner of
// the text can be found: "terminal" and "update" lines are the lesson
// runner's (lessons/ui.go and tracer/explain_cli.go) or the lesson's
// (lessons/content), "console" lines are the trace's (the servers' event
// prose, tracer/explain*.go).
func TestDemosSpeakChinese(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range set.Lessons {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			w := startWorld(t, "zh")
			tr, out, u := play(t, w, l, "zh", demoVars)
			var console bytes.Buffer
			c := tracer.NewConsole(&console, tracer.ConsoleOptions{Explain: true, Lang: "zh"})
			for _, e := range w.inst.Bus.History(0) {
				c.Print(e)
			}
			c.Flush()
			if l.ID == "relay" && testing.Verbose() {
				// go test -v -run TestDemosSpeakChinese/relay shows the
				// zh demo as the class sees it.
				t.Logf("terminal:\n%s\nconsole:\n%s", out, console.String())
			}
			bad := englishLines(tr, out, console.String(), u.all())
			if len(bad) > 0 {
				t.Errorf("%d lines shown in English with --lang zh:\n%s", len(bad), strings.Join(bad, "\n"))
			}
		})
	}
}

// englishLines returns the lines of a zh demo that hold English prose and
// no Chinese, each prefixed by where it was shown, without repeats.
func englishLines(transcript, terminal, console string, updates []lessons.Update) []string {
	// What crossed the wire, as the transcript has it: "[pop] S: +OK".
	wire := map[string]bool{}
	for _, l := range strings.Split(transcript, "\n") {
		if i := strings.Index(l, "] "); strings.HasPrefix(l, "[") && i > 0 {
			rest := l[i+2:]
			if strings.HasPrefix(rest, "C: ") || strings.HasPrefix(rest, "S: ") {
				wire[strings.TrimSpace(rest[3:])] = true
			}
		}
	}
	seen := map[string]bool{}
	var bad []string
	add := func(where, s string) {
		s = strings.TrimSpace(s)
		if !englishOnly(s) || seen[where+s] {
			return
		}
		seen[where+s] = true
		bad = append(bad, "  "+where+": "+s)
	}
	for _, l := range strings.Split(terminal, "\n") {
		t := strings.TrimSpace(l)
		if wire[t] || strings.HasPrefix(t, "$ ") {
			continue
		}
		add("terminal", t)
	}
	for _, u := range updates {
		for _, s := range []string{u.Title, u.Text} {
			for _, p := range paragraphs(s) {
				add("update "+string(u.Status), p)
			}
		}
	}
	for _, l := range strings.Split(console, "\n") {
		if strings.HasPrefix(l, "    | ") {
			continue // a lesson update's further lines, checked above
		}
		if strings.HasPrefix(l, "      ") {
			add("console explanation", l)
			if strings.Contains(l, "section") && !seen["section"+l] {
				// Inside Chinese an RFC's section is 第 N 节.
				seen["section"+l] = true
				bad = append(bad, "  console explanation: \"section\" in: "+strings.TrimSpace(l))
			}
			continue
		}
		rest := stamped.ReplaceAllString(l, "")
		if strings.HasPrefix(rest, "C: [") || strings.HasPrefix(rest, "S: [") {
			// A message's data summary: mailscope's words about the
			// data, not the data.
			add("console data", rest[3:])
			continue
		}
		if strings.HasPrefix(rest, "C: ") || strings.HasPrefix(rest, "S: ") {
			continue // a wire line
		}
		if strings.HasPrefix(rest, "lesson: ") {
			continue // the updates, checked above
		}
		if strings.HasPrefix(rest, "state: ") && stateNames.MatchString(rest[7:]) {
			continue // "not authenticated -> authenticated": the explanation follows
		}
		kind, text, ok := strings.Cut(rest, ": ")
		if !ok || strings.Contains(kind, " ") {
			kind, text = "event", strings.TrimPrefix(rest, "-- ")
		}
		add("console "+kind, text)
	}
	sort.SliceStable(bad, func(i, j int) bool { return where(bad[i]) < where(bad[j]) })
	return bad
}

// stateNames is a state line's text: the protocol's state names.
var stateNames = regexp.MustCompile(`^[a-z]+( [a-z]+)?( -> [a-z]+( [a-z]+)?)?$`)

// paragraphs splits a lesson text into its paragraphs of prose, each on
// one line: a Chinese sentence wrapped over lines ("...：a1 LOGIN alice
// alice，a2 SELECT INBOX。") is judged whole. Indented lines are what the
// student types (commands, a message's lines) and are left out.
func paragraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	for _, l := range strings.Split(s, "\n") {
		switch {
		case strings.TrimSpace(l) == "":
			flush()
		case strings.HasPrefix(l, " "), strings.HasPrefix(l, "\t"):
			flush()
		default:
			cur = append(cur, l)
		}
	}
	flush()
	return out
}

// where is the place an offender was shown ("console state").
func where(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), ": ")
	return w
}
