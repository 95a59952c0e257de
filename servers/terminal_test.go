package servers_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// rawControl finds, colors aside, a character in out that could drive or
// deceive a terminal: a C0 control other than LF, DEL, a C1 control, a
// bidi control or mark, or a byte that is not UTF-8.
func rawControl(out string) (near string, found bool) {
	out = regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
	for i, r := range out {
		bad := r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 ||
			r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x2028 && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
			r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD")
		if bad {
			return out[max(0, i-30):min(len(out), i+30)], true
		}
	}
	return "", false
}

// A HELO name made of terminal controls (clear screen, BEL, NUL, a
// right-to-left override) and an IMAP command named the same reach the
// colored console only escaped, in the lines and in the explanations that
// quote them, and the server's own reply prints after them in order.
func TestConsoleEscapesHostileWireText(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(1 << 16)
	defer sub.Close()
	evil := "evil\x1b[2J\x07\x00\u202emoc.elpmaxe"
	got := hostile(t, inst.Addr("A", world.SMTP), []byte("HELO "+evil+"\r\nQUIT\r\n"), 10*time.Second)
	if !strings.Contains(got, "250 ") {
		t.Fatalf("HELO refused: %q", got)
	}
	hostile(t, inst.Addr("A", world.IMAP), []byte("a1 X"+evil+"\r\na2 LOGOUT\r\n"), 10*time.Second)
	evs := traceUntilClosed(t, sub, 2)

	var out bytes.Buffer
	c := tracer.NewConsole(&out, tracer.ConsoleOptions{Color: true, Explain: true})
	for _, e := range evs {
		c.Print(e)
	}
	c.Flush()
	text := out.String()
	if near, found := rawControl(text); found {
		t.Fatalf("a raw control reaches the terminal near %q:\n%s", near, text)
	}
	esc := `evil\x1b[2J\x07\x00\u202emoc.elpmaxe`
	helo := strings.Index(text, "C: HELO "+esc)
	state := strings.Index(text, "HELO "+esc+": the client introduced itself")
	// The reply itself is 7-bit (RFC 5321 section 4.2): the server sent
	// the override's octets escaped, and the console shows that text.
	reply := strings.Index(text, `S: 250 a.example Hello evil\x1b[2J\x07\x00\xe2\x80\xaemoc.elpmaxe [127.0.0.1], pleased to meet you`)
	if helo < 0 || state < 0 || reply < 0 || !(helo < reply) {
		t.Errorf("HELO line at %d, its state explanation at %d, the reply at %d:\n%s", helo, state, reply, text)
	}
	// The explanation of the BAD names the command the client sent.
	if !strings.Contains(text, "C: a1 X"+esc) || !strings.Contains(text, `the command XEVIL\x1b[2J\x07\x00\u202eMOC.ELPMAXE;`) {
		t.Errorf("the IMAP command is not shown escaped:\n%s", text)
	}
}
