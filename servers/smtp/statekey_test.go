package smtp_test

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// TestStateAfterDataSaysStored: the state mark after an accepted message
// says it was committed, not the reset's "forgotten" that students read as
// the message being thrown away; RSET's reset, a real discard, keeps its
// own words.
func TestStateAfterDataSaysStored(t *testing.T) {
	w := newWorld(t, nil)
	sub := w.inst.Bus.Subscribe(0)
	defer sub.Close()
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO laptop
		S*: 250 HELP
		C: AUTH PLAIN AGFsaWNlAGFsaWNl
		S: 235 *
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RCPT TO:<alice@a.example>
		S: 250 *
		C: DATA
		S: 354 *
		R: Subject: hi\r\n\r\nhello\r\n.\r\n
		S: 250 *
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RSET
		S: 250 *
		C: QUIT
		S: 221 *
		CLOSED`)
	var keys []string
	for _, e := range sessionEvents(t, sub) {
		if e.Kind == tracer.KindState && e.To == "greeted" && e.Explain != nil && (e.Explain.Key == "smtp.state.stored" || e.Explain.Key == "smtp.state.reset") {
			keys = append(keys, e.Explain.Key)
		}
	}
	if len(keys) != 2 || keys[0] != "smtp.state.stored" || keys[1] != "smtp.state.reset" {
		t.Fatalf("state keys back to greeted: %q, want [smtp.state.stored smtp.state.reset]", keys)
	}
	for _, lang := range tracer.Langs {
		x := tracer.NewExplainer(lang)
		if s := x.Text("smtp.state.stored"); s == "smtp.state.stored" || strings.Contains(s, "forgotten") || strings.Contains(s, "清除") {
			t.Errorf("%s: smtp.state.stored reads %q", lang, s)
		}
	}
}
