package lessons_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/lessons"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

// demoHints are the hints each demo provokes on purpose (a mistake shown
// to the class); any other hint during a demo is a bug in the lesson.
var demoHints = map[string][]string{
	"smtp-by-hand": {"smtp-mail-syntax"},
	"pop3-vs-imap": {"pop3-cannot"},
}

// demoVars shorten the waits a lesson asks for (HOLDFOR).
var demoVars = map[string]string{"hold": "1"}

// TestDemos plays every lesson's demo against real servers on 127.0.0.1:0:
// the engine must tick every step from the trace, and the client/server
// lines must equal the golden transcript in testdata/ID.txt (go test
// -update rewrites them).
func TestDemos(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range set.Lessons {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			got, u, _ := demo(t, l, "en", demoVars)
			var done int
			for _, x := range u.all() {
				if x.Status == lessons.StatusStepDone {
					done++
				}
			}
			if done != len(l.Steps) {
				t.Errorf("%d steps ticked, want %d:%s", done, len(l.Steps), describe(u.all()))
			}
			if got := u.hints(); !slices.Equal(got, demoHints[l.ID]) {
				t.Errorf("hints during the demo: %v, want %v", got, demoHints[l.ID])
			}
			golden := filepath.Join("testdata", l.ID+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./lessons -run TestDemos -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("transcript differs from %s (go test -update rewrites it):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

// diff shows the first lines that differ.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + a + "\n  got:  " + c + "\n")
			shown++
		}
	}
	return b.String()
}
