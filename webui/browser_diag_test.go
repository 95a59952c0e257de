package webui

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestBrowserFirstScreenAndDiagnostic: a newcomer's first screen says what
// to type although the start-up note is in the timeline; a diagnostic
// event is a mark with a warning sign and the word "diagnostic" between
// the client and its server, and a click shows what happened and what to
// do, in English and in Chinese.
func TestBrowserFirstScreenAndDiagnostic(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)

	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.wait("the world", `window.__mailscope.world.servers.length === 2`)
	pg.wait("the start-up note", `window.__mailscope.rows.some(e => e.kind === "note")`)
	if pg.eval(`String(document.querySelector("#empty-hint").hidden)`) != "false" {
		t.Errorf("the first screen hides the hint of what to type behind the start-up note")
	}
	_, port, _ := strings.Cut(smtpA, ":")
	if got := pg.eval(`document.querySelector("#empty-hint").innerText`); !strings.Contains(got, "telnet 127.0.0.1 "+port) {
		t.Errorf("the first screen's hint %q lacks the command to type", got)
	}
	pg.shot("first-screen.png")

	// A session, then a diagnostic on it, as a server emits one.
	heloSend(t, smtpA, "laptop")
	pg.wait("the session", `!!document.querySelector("#rows .arrow")`)
	if pg.eval(`String(document.querySelector("#empty-hint").hidden)`) != "true" {
		t.Errorf("the hint stays once a session shows")
	}
	sess := inst.Bus.NewSession("A", "smtp", "127.0.0.1:9")
	msg := tracer.M("data.sum.smtp", "lines", "3", "octets", "22")
	const explainKey = "data.smtp.body"
	sess.Emit(&tracer.Event{Kind: tracer.KindDiagnostic, Msg: msg,
		Explain: &tracer.Explanation{Key: explainKey}, Attrs: map[string]string{tracer.AttrDiag: "no-blank-line"}})

	for _, lang := range []string{"en", "zh"} {
		x := tracer.NewExplainer(lang)
		happened, todo := x.Format(msg), x.Key(explainKey).Text
		label := map[string]string{"en": "DIAGNOSTIC", "zh": "诊断"}[lang]
		if lang == "zh" {
			pg.click("switching to Chinese", `.lang-btn[data-lang="zh"]`)
			pg.wait("the Chinese page", `document.documentElement.lang === "zh"`)
		}
		pg.wait("the diagnostic mark ("+lang+")", `[...document.querySelectorAll("#rows .mark.diagnostic")].some(m => m.innerText.includes(`+jsString(happened)+`))`)
		mark := pg.eval(`document.querySelector("#rows .mark.diagnostic").innerText`)
		if !strings.Contains(mark, "⚠") || !strings.Contains(mark, label) {
			t.Errorf("%s: the diagnostic mark %q lacks the sign and the label %q", lang, mark, label)
		}
		if title := pg.eval(`document.querySelector("#rows .mark.diagnostic").title`); !strings.Contains(title, todo) {
			t.Errorf("%s: the mark's title %q lacks what to do %q", lang, title, todo)
		}
		if lanes := pg.eval(`document.querySelector("#lane-heads").textContent`); lang == "en" && !strings.Contains(lanes, "client of A") {
			t.Errorf("no client lane for the diagnostic: %q", lanes)
		}
		pg.click("clicking the diagnostic ("+lang+")", `#rows .mark.diagnostic`)
		pg.wait("its explanation ("+lang+")", `!!document.querySelector("#explain-body .diag-head")`)
		panel := pg.eval(`document.querySelector("#explain-body").innerText`)
		for _, want := range []string{happened, todo, "no-blank-line"} {
			if !strings.Contains(panel, want) {
				t.Errorf("%s: the explanation panel lacks %q:\n%s", lang, want, panel)
			}
		}
		pg.shot("diagnostic-" + lang + ".png")
	}
	pg.checkExceptions()
}
