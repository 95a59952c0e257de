package lessons

import (
	"strings"
	"testing"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":                  0,
		"POP3 terminal:":    14,
		"POP3 终端：":          11, // 终, 端 and the full-width colon take two columns each
		"提示：SMTP":           10,
		"（telnet）":          10,
		"★ 本课完成":            10, // ★ is ambiguous: one column outside a CJK locale
		"é":                 1,
		"e\u0301":           1, // a combining accent takes no column
		"한국어":               6,
		"ｈｉ":                4,
		"✅ ok":              5,
		"\U00020000":        2, // CJK extension B
		"127.0.0.1 10110":   15,
		"a1 LOGIN alice 密码": 19,
	} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	if got := Pad("终端", 6) + "|"; got != "终端  |" {
		t.Errorf("Pad: %q", got)
	}
}

// TestExpandKeepsColumns: the side-by-side commands of pop3-vs-imap stay
// in their columns when the addresses are filled in, in English and in
// Chinese (where the heading "POP3 终端：" is 11 columns wide, 8 runes).
func TestExpandKeepsColumns(t *testing.T) {
	vars := map[string]string{"A.pop3": "127.0.0.1 10110", "A.imap": "127.0.0.1 10143"}
	for _, text := range []string{
		"POP3 terminal:                IMAP terminal:\n" +
			"    telnet ${A.pop3}              telnet ${A.imap}\n" +
			"    USER alice                    a1 LOGIN alice alice\n" +
			"    PASS alice\n",
		"POP3 终端：                   IMAP 终端：\n" +
			"    telnet ${A.pop3}              telnet ${A.imap}\n" +
			"    USER alice                    a1 LOGIN alice alice\n" +
			"    PASS alice\n",
		// An address longer than the room beside it pushes the column,
		// on every line.
		"${A.pop3}  x\nshort      y\n",
	} {
		got := Expand(text, vars)
		if strings.Contains(got, "${") {
			t.Fatalf("not expanded: %q", got)
		}
		// Where each line's second column starts, in terminal columns.
		var starts []int
		for _, l := range strings.Split(got, "\n") {
			if c := cells(l); len(c) > 1 {
				starts = append(starts, c[1].col)
			}
		}
		for _, s := range starts[1:] {
			if d := s - starts[0]; d != 0 && d != 4 {
				t.Errorf("columns moved apart (%v):\n%s", starts, got)
				break
			}
		}
	}
	// Without placeholders that change width a text is left as it is.
	same := "a  b\n  c  d\n"
	if got := Expand(same+"${none}", nil); got != same+"${none}" {
		t.Errorf("changed: %q", got)
	}
}
