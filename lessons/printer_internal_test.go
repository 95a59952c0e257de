package lessons

import (
	"strings"
	"testing"
)

// The player escapes what it prints before coloring it: a server's reply
// or a note quoting the trace cannot drive the terminal, and a folded
// header line keeps its tab.
func TestPlayerEscapesBeforeColoring(t *testing.T) {
	p := &Player{Color: true}
	got := p.c(cGreen, "250 hi\x1b[2J\u202e\tfolded")
	want := cGreen + `250 hi\x1b[2J\u202e` + "\tfolded" + "\033[0m"
	if got != want {
		t.Errorf("c = %q, want %q", got, want)
	}
	if got := printable("Subject: a\x07\r"); got != `Subject: a\x07\r` || strings.ContainsRune(got, 7) {
		t.Errorf("printable = %q", got)
	}
}
