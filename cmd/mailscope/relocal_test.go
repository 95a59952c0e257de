package main

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// TestLocalizerSaysLineExplanationsAgain: a lesson attached to an instance
// of the other language says the explanations of IMAP status responses
// (with {cmd} filled in and a response code), POP3 +OK and -ERR lines and
// a filled-in POP3 STAT reply in its own language: the instance's text is
// matched against the instance's catalog text and the values it filled in
// go into the lesson language's text.
func TestLocalizerSaysLineExplanationsAgain(t *testing.T) {
	for _, c := range []struct{ inst, lang string }{{"en", "zh"}, {"zh", "en"}} {
		xi, xl := tracer.NewExplainer(c.inst), tracer.NewExplainer(c.lang)
		fill := func(x *tracer.Explainer) *tracer.Explanation {
			return &tracer.Explanation{Key: "pop3.reply.OK.STAT", Class: "+OK",
				Text: strings.NewReplacer("{n}", "2", "{size}", "320").Replace(x.Text("pop3.reply.OK.STAT"))}
		}
		for _, l := range []struct {
			proto, text string
			ex          func(x *tracer.Explainer) *tracer.Explanation
		}{
			{"imap", "a1 OK LOGIN completed", func(x *tracer.Explainer) *tracer.Explanation { return x.IMAPStatus("tagged", "OK", "LOGIN", "") }},
			{"imap", "a2 NO [NONEXISTENT] no such mailbox", func(x *tracer.Explainer) *tracer.Explanation {
				return x.IMAPStatus("tagged", "NO", "SELECT", "NONEXISTENT")
			}},
			{"imap", "a3 BAD unknown command", func(x *tracer.Explainer) *tracer.Explanation { return x.IMAPStatus("tagged", "BAD", "FROB", "") }},
			{"pop3", "+OK bob", func(x *tracer.Explainer) *tracer.Explanation { return x.POP3Reply(true, "USER", "") }},
			{"pop3", "-ERR [IN-USE] locked", func(x *tracer.Explainer) *tracer.Explanation { return x.POP3Reply(false, "PASS", "IN-USE") }},
			{"pop3", "+OK 2 320", fill},
		} {
			e := &tracer.Event{Kind: tracer.KindLine, Dir: tracer.S2C, Proto: l.proto, Text: l.text, Explain: l.ex(xi)}
			want := l.ex(xl)
			got := localizer(c.inst, c.lang)(e)
			if got.Explain.Text != want.Text || got.Explain.EnhText != want.EnhText {
				t.Errorf("%s -> %s: %q explained as %q [%q], want %q [%q]", c.inst, c.lang, l.text, got.Explain.Text, got.Explain.EnhText, want.Text, want.EnhText)
			}
			// The citation too ("RFC 1939 第 6 节" under an English text
			// before).
			if got.Explain.RFC != want.RFC {
				t.Errorf("%s -> %s: %q cites %q, want %q", c.inst, c.lang, l.text, got.Explain.RFC, want.RFC)
			}
		}
	}
	// A text the instance did not take from its catalog (a newer or
	// older catalog) is left as it is rather than said wrongly.
	e := &tracer.Event{Kind: tracer.KindLine, Dir: tracer.S2C, Proto: "pop3", Text: "+OK",
		Explain: &tracer.Explanation{Key: "pop3.reply.OK.STAT", Text: "something else entirely"}}
	if got := localizer("en", "zh")(e); got.Explain.Text != "something else entirely" {
		t.Errorf("an unmatched text was replaced: %q", got.Explain.Text)
	}
}

// TestLangNote: the line lesson, demo and trace print when the instance
// explains in the other language, in the command's own language.
func TestLangNote(t *testing.T) {
	if n := langNote("en", "zh"); !strings.Contains(n, "英文") || !strings.Contains(n, "mailscope up --lang zh") {
		t.Errorf("zh note: %q", n)
	}
	if n := langNote("zh", "en"); !strings.Contains(n, "explains in Chinese") || !strings.Contains(n, "mailscope up --lang en") {
		t.Errorf("en note: %q", n)
	}
	if langNote("zh", "zh") != "" || langNote("", "en") != "" {
		t.Error("a note where the languages agree")
	}
}
