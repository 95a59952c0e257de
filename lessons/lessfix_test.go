package lessons_test

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
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

// TestDiagnosticHints: the mistakes the servers diagnose get the lesson
// hint that says what the diagnostic says, at once (not after the next
// command), and no generic hint that contradicts it.
func TestDiagnosticHints(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range lessons.Langs {
		t.Run(lang, func(t *testing.T) {
			w := startWorld(t, lang)
			mail(t, w.addrs.Addr("B", "smtp"), "bob@b.example", "Subject: to copy", "", "A message for COPY.")
			_, u := follow(t, w, set.Get("imap"), lang)
			c := dial(t, w.addrs.Addr("B", "imap"), "imap")
			checkText := func(x lessons.Update, want string) {
				t.Helper()
				if !strings.Contains(x.Text, want) {
					t.Errorf("hint %s: %q does not contain %q", x.HintID, x.Text, want)
				}
				if lang == "zh" && !cjk.MatchString(x.Text) || lang == "en" && cjk.MatchString(x.Text) {
					t.Errorf("hint %s is not in %s: %q", x.HintID, lang, x.Text)
				}
			}
			// Untagged LOGIN: the hint comes before anything else is sent.
			untagged := func(line string) {
				t.Helper()
				if _, err := c.c.Write([]byte(line + "\r\n")); err != nil {
					t.Fatal(err)
				}
				if r := c.reply(""); !strings.HasPrefix(r[0], "* BAD") {
					t.Fatalf("%s: %q, want * BAD", line, r)
				}
			}
			untagged("LOGIN bob bob")
			checkText(waitFor(t, u, "hint imap-no-tag", hint("imap-no-tag")), "a1 LOGIN bob bob")
			c.send("a1 LOGIN bob bob")
			c.send("a2 SELECT INBOX")
			// Untagged COPY: the hint answers the diagnostic of the COPY
			// (before the fix it was the LOGIN-only text, or none).
			untagged("COPY 1 homework")
			x := waitFor(t, u, "second hint imap-no-tag", func(x lessons.Update) bool {
				return hint("imap-no-tag")(x) && x.Event.Kind == tracer.KindDiagnostic && strings.Contains(x.Event.Text, "COPY")
			})
			checkText(x, "a2 SELECT INBOX")
			// A folder name in the wrong case.
			c.send("a7 CREATE Homework")
			c.send("a8 COPY 1 homework")
			checkText(waitFor(t, u, "hint imap-folder-case", hint("imap-folder-case")), map[string]string{"en": "case-sensitive", "zh": "区分大小写"}[lang])
			// A tagged DONE.
			if _, err := c.c.Write([]byte("a9 IDLE\r\n")); err != nil {
				t.Fatal(err)
			}
			c.reply("") // + idling
			if _, err := c.c.Write([]byte("a10 DONE\r\n")); err != nil {
				t.Fatal(err)
			}
			c.reply("") // a9 BAD
			checkText(waitFor(t, u, "hint imap-done-tag", hint("imap-done-tag")), map[string]string{"en": "type just DONE", "zh": "只输入 DONE"}[lang])
			for _, id := range u.hints() {
				if id == "imap-bad" {
					t.Errorf("the generic BAD hint was shown too: %v", u.hints())
				}
			}
			dones := 0
			for _, e := range w.inst.Bus.History(0) {
				if e.Kind == tracer.KindDiagnostic && e.Attrs[tracer.AttrDiag] == "done-tag" {
					dones++
				}
			}
			if dones != 1 {
				t.Errorf("%d done-tag diagnostics, want 1", dones)
			}

			// POP3: PASS before USER was not a refused login.
			_, up := follow(t, w, set.Get("pop3"), lang)
			p := dial(t, w.addrs.Addr("B", "pop3"), "pop3")
			p.send("PASS bob")
			checkText(waitFor(t, up, "hint pop3-pass-order", hint("pop3-pass-order")), "USER bob")
			for _, id := range up.hints() {
				if id == "pop3-bad-pass" {
					t.Errorf("PASS before USER got the refused-login hint: %v", up.hints())
				}
			}
		})
	}
}

// TestDiagnosedReplyOneHint: a reply to a command the SMTP server
// diagnosed gets no generic line hint. A line typed after the "." that
// ended the message is answered 500, with the message-ended diagnostic;
// before, the lesson also showed smtp-unknown-command ("the server did
// not understand that line as a command"), which contradicts it. A later
// mistake the server does not diagnose still gets its line hint.
func TestDiagnosedReplyOneHint(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := startWorld(t, "en")
	_, u := follow(t, w, set.Get("smtp-by-hand"), "en")
	c := dial(t, w.addrs.Addr("A", "smtp"), "smtp")
	c.send("HELO laptop")
	c.send("MAIL FROM:<alice@a.example>")
	c.send("RCPT TO:<alice@a.example>")
	c.send("DATA")
	c.send("Subject: early dot", "", "first line", ".")
	if r := c.send("SECOND line of the body"); !strings.HasPrefix(r[0], "500") {
		t.Fatalf("stray line: %q, want 500", r)
	}
	if r := c.send("DATA"); !strings.HasPrefix(r[0], "503") {
		t.Fatalf("DATA without MAIL: %q, want 503", r)
	}
	waitFor(t, u, "hint smtp-need-mail", hint("smtp-need-mail"))
	if h := u.hints(); len(h) != 1 {
		t.Errorf("hints %v, want only smtp-need-mail", h)
	}
	diag := false
	for _, e := range w.inst.Bus.History(0) {
		diag = diag || e.Kind == tracer.KindDiagnostic && e.Attrs[tracer.AttrDiag] == "message-ended"
	}
	if !diag {
		t.Error("no message-ended diagnostic")
	}
}
