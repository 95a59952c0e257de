package tracer

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// sgr matches the color sequences the console writes itself.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// terminalSafe returns the first character of out, colors aside, that
// could drive or deceive a terminal: a control other than LF, DEL, a C1
// control, a bidi control, or a byte that is not UTF-8.
func terminalSafe(out string) (bad string, ok bool) {
	out = sgr.ReplaceAllString(out, "")
	for i, r := range out {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"),
			r < 0x20 && r != '\n', r == 0x7f, unprintable(r):
			return out[max(0, i-20):min(len(out), i+20)], false
		}
	}
	return "", true
}

// Every text of an event reaches the terminal escaped: the line, the
// explanation (which may quote a HELO name or an IMAP command), the server
// and session a lesson update names, the flags; the console's own colors
// still work.
func TestConsoleEscapesEveryField(t *testing.T) {
	evil := "x\x1b[2J\x07\x00\u202eevil\u2066\u009b"
	evs := []*Event{
		{Kind: KindLine, Dir: C2S, Server: "A", Session: "A-smtp-1", Text: "HELO " + evil, Flags: []Flag{Flag(evil)},
			Explain: &Explanation{Text: "HELO " + evil + ": the client introduced itself", Enh: evil, EnhText: evil, RFC: evil}},
		{Kind: KindLine, Dir: S2C, Server: "A", Session: "A-smtp-1", Text: "250 a.example Hello " + evil + " [127.0.0.1]"},
		{Kind: KindState, Server: "A", Session: "A-smtp-1", Text: evil, Explain: &Explanation{Key: "state", Text: evil}},
		{Kind: KindLesson, Server: evil, Session: evil, Hop: evil, Text: evil},
		{Kind: KindFault, Server: "A", Text: evil},
		{Kind: KindSkipped, Text: evil},
		{Kind: KindData, Dir: C2S, Text: evil, Data: "Subject: " + evil + "\r\n\r\n" + evil + "\r\n"},
		{Kind: KindOpen, Text: evil},
		{Kind: KindQueue, Text: evil},
		{Kind: Kind(evil), Text: evil},
	}
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		c := NewConsole(&b, ConsoleOptions{Color: color, Explain: true, Data: true})
		for _, e := range evs {
			e.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			c.Print(e)
		}
		c.Flush()
		out := b.String()
		if bad, ok := terminalSafe(out); !ok {
			t.Errorf("color %v: a raw control reaches the terminal near %q:\n%s", color, bad, out)
		}
		if color && !strings.Contains(out, "\x1b[36;1mC: HELO x\\x1b[2J") {
			t.Errorf("the client line is not colored, or not escaped inside its color:\n%q", out)
		}
		for _, want := range []string{
			`C: HELO x\x1b[2J\x07\x00\u202eevil\u2066\u009b`,
			`S: 250 a.example Hello x\x1b[2J\x07\x00\u202eevil\u2066\u009b [127.0.0.1]`,
			`HELO x\x1b[2J\x07\x00\u202eevil\u2066\u009b: the client introduced itself`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: no %q in\n%s", color, want, out)
			}
		}
	}
}
