package pop3

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// transcriptMessage is the message the golden transcripts find in alice's
// INBOX, delivered as SMTP would store it.
const transcriptMessage = "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: Homework\r\n\r\nHi alice,\r\n.the dot on this line is doubled on the wire\r\nbob\r\n"

// TestTranscripts replays the golden transcripts in testdata/: "C: " lines
// are sent, the "S: " lines after them must come back exactly. <TS> stands
// for the greeting's APOP timestamp and <UIDVALIDITY> for the INBOX's.
// These are the sessions the lessons show students.
func TestTranscripts(t *testing.T) {
	for _, name := range []string{"telnet_keep.txt", "telnet_delete.txt", "errors.txt"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			ts := newServer(t, manyErrors)
			ts.deliver(t, "alice", transcriptMessage)
			uv := ts.inboxUIDValidity(t, "alice")
			c := ts.dial(t)
			var got []string
			var want []string
			for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
				// "S:" alone is an empty line from the server (an editor may
				// have eaten the space after it).
				switch {
				case l == "" || strings.HasPrefix(l, "#"):
					got = append(got, l)
					continue
				case strings.HasPrefix(l, "C:"):
					got = append(got, l)
					c.Send(strings.TrimPrefix(strings.TrimPrefix(l, "C:"), " "))
				case strings.HasPrefix(l, "S:"):
					s := c.line()
					s = tsRE.ReplaceAllString(s, "<TS>")
					s = strings.ReplaceAll(s, strconv.FormatUint(uint64(uv), 10)+".", "<UIDVALIDITY>.")
					got = append(got, strings.TrimRight("S: "+s, " "))
					l = strings.TrimRight(l, " ")
				default:
					t.Fatalf("transcript line %q: want C:, S:, # or empty", l)
				}
				want = append(want, l)
			}
			if g, w := strings.Join(nonComment(got), "\n"), strings.Join(nonComment(want), "\n"); g != w {
				t.Errorf("transcript differs; the server said:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

var tsRE = regexp.MustCompile(`<\d+\.\d+@a\.example>`)

func nonComment(ls []string) []string {
	var out []string
	for _, l := range ls {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func (ts *testServer) inboxUIDValidity(t testing.TB, user string) uint32 {
	t.Helper()
	mb, err := ts.st.Mailbox(t.Context(), "A", user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return mb.UIDValidity
}
