package lessons_test

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/lessons"
)

// A new student's trial of the lessons (issue 14): steps that ticked on
// the wrong action, a demo that hung on its second run, hints that came
// late or answered another mistake than the one the server diagnosed.

// TestSMTPByHandWantsAlice: smtp-by-hand step 3 ticks on alice's MAIL FROM,
// not on any sender, and step 4 on alice as the recipient, not on a
// recipient of another server, which gets a hint saying that A would
// relay it. Before the fix both wrong actions ticked.
func TestSMTPByHandWantsAlice(t *testing.T) {
	w := startWorld(t, "en")
	_, u := followFrom(t, w, "smtp-by-hand", 2)
	c := dial(t, w.addrs.Addr("A", "smtp"), "smtp")
	c.send("HELO laptop")
	c.send("MAIL FROM:<bob@b.example>")
	waitFor(t, u, "hint smtp-other-sender", hint("smtp-other-sender"))
	notDone(t, u, 2, "MAIL FROM:<bob@b.example>")
	c.send("RSET")
	c.send("MAIL FROM:<alice@a.example>")
	waitFor(t, u, "step 3 done", stepDone(2))

	c.send("RCPT TO:<bob@b.example>")
	x := waitFor(t, u, "hint smtp-remote-recipient", hint("smtp-remote-recipient"))
	if !strings.Contains(x.Text, "relay") {
		t.Errorf("the hint for a remote recipient does not say relay: %q", x.Text)
	}
	notDone(t, u, 3, "RCPT TO:<bob@b.example>")
	c.send("RCPT TO:<alice@a.example>")
	waitFor(t, u, "step 4 done", stepDone(3))
}

// TestIMAPDemoTwice plays the imap demo twice on one world: the second
// time message 1 is \Seen already, and the demo clears the flag before it
// reads the message, so that step 5 ticks. Before the fix the second run
// waited for step 5 forever (here: failed after StepTimeout).
func TestIMAPDemoTwice(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := set.Get("imap")
	w := startWorld(t, "en")
	play(t, w, l, "en", demoVars)
	tr, _, u := play(t, w, l, "en", demoVars)
	if !strings.Contains(tr, `STORE 1 -FLAGS.SILENT (\Seen)`) {
		t.Errorf("the second run did not clear \\Seen:\n%s", tr)
	}
	if h := u.hints(); len(h) > 0 {
		t.Errorf("hints during the second run: %v", h)
	}
}
