package webui

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestBrowserPresentRelabel: in presenter mode a switch of language says
// the whole ladder again, the explanations under the arrows and the
// marks (wrapped and measured once, they kept the old language until a
// reload), while stepping too.
func TestBrowserPresentRelabel(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1&lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob\n")
	pg.wait("the relay session closed", `[...window.__mailscope.sessions.values()].some(s => s.hop && s.closed)`)
	relay := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.hop && s.closed).id`)
	pg.wait("the relay session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(relay)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(relay) + `; f.dispatchEvent(new Event("change")); const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("explanations under the arrows", `document.querySelectorAll("#rows .why").length >= 3`)
	const cjk = `/[\u4e00-\u9fff]/`
	whyIn := func(lang string) string {
		test := cjk + `.test(w.textContent)`
		if lang == "en" {
			test = "!" + test
		}
		return `(() => { const w = [...document.querySelectorAll("#rows .why")]; return w.length >= 3 && w.every(w => ` + test + `); })()`
	}
	pg.wait("English explanations", whyIn("en"))

	pg.click("the Chinese switch", `.lang-btn[data-lang="zh"]`)
	pg.waitUpTo("Chinese explanations under every arrow", whyIn("zh"), 5*time.Second)
	// Stepping, then back to English: the ladder and the caption both.
	pg.step("Home", chromedp.KeyEvent(kb.Home))
	pg.step("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	pg.wait("stepping", `window.__mailscope.step === 1`)
	pg.click("the English switch", `.lang-btn[data-lang="en"]`)
	pg.waitUpTo("English explanations again", whyIn("en"), 5*time.Second)
	if got := pg.eval(`String(` + cjk + `.test(document.querySelector("#caption").textContent) || window.__mailscope.step !== 1)`); got != "false" {
		t.Errorf("after the switch back to English the caption says %q (step %s)", pg.eval(`document.querySelector("#caption").textContent`), pg.eval(`String(window.__mailscope.step)`))
	}
	pg.checkExceptions()
}

// TestBrowserPresentStepFits: stepping through an IMAP session at
// 1280x720, every current line is in view above the caption, all of it
// when it fits (LOGIN's reply with its capabilities is taller than a
// third of the view: its explanation was cut), and a folded reply's
// lines in the caption show whole (the third was cut in half).
func TestBrowserPresentStepFits(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	imapTalk(t, inst.Addr("B", world.IMAP), "a1 LOGIN bob bob", `a2 LIST "" "*"`, "a3 SELECT INBOX", "a4 LOGOUT")
	pg.wait("the IMAP session closed", `[...window.__mailscope.sessions.values()].some(s => s.proto === "imap" && s.closed)`)
	imap := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.proto === "imap" && s.closed).id`)
	pg.wait("the IMAP session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(imap)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(imap) + `; f.dispatchEvent(new Event("change")); return ""; })()`)
	pg.wait("the IMAP session alone", `window.__mailscope.filter.session === `+jsString(imap)+` && document.querySelectorAll("#rows .arrow").length > 3`)
	pg.step("Home", chromedp.KeyEvent(kb.Home))
	n, _ := strconv.Atoi(pg.eval(`String(window.__mailscope.rows.length)`))
	for i := 0; i < n; i++ {
		if i > 0 {
			pg.step("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
		}
		pg.wait("line "+strconv.Itoa(i), `window.__mailscope.step === `+strconv.Itoa(i))
		got := pg.eval(`(() => {
			const r = document.querySelector("#rows .row.current");
			if (!r) return "no current row drawn";
			const a = r.getBoundingClientRect(), l = document.querySelector("#ladder").getBoundingClientRect();
			const view = document.querySelector("#ladder").clientHeight;
			const ok = a.height <= view ? a.top >= l.top - 1 && a.bottom <= l.top + view + 1 : Math.abs(a.top - l.top) <= 1;
			return ok ? "ok" : "row " + Math.round(a.top) + ".." + Math.round(a.bottom) + " in the view " + Math.round(l.top) + ".." + Math.round(l.top + view);
		})()`)
		if got != "ok" {
			t.Errorf("line %d (%s): %s", i, pg.eval(`window.__mailscope.rows[window.__mailscope.step].text || window.__mailscope.rows[window.__mailscope.step].kind`), got)
		}
		if pg.eval(`String(!!(window.__mailscope.rows[window.__mailscope.step]._fold || []).length)`) == "true" {
			// The wire box shows whole lines: its height is a number of
			// line heights (three, the rest scrolls).
			lines := pg.eval(`(() => { const w = document.querySelector("#cap-wire"); return String(w.clientHeight / parseFloat(getComputedStyle(w).lineHeight)); })()`)
			want, _ := strconv.Atoi(pg.eval(`String(Math.min(3, 1 + window.__mailscope.rows[window.__mailscope.step]._fold.length))`))
			if f, _ := strconv.ParseFloat(lines, 64); f < float64(want)-0.05 || math.Abs(f-math.Round(f)) > 0.1 {
				t.Errorf("a folded reply's caption shows %s lines, want %d whole lines", lines, want)
			}
		}
	}
	pg.checkExceptions()
}

// TestBrowserPanelsRoom: at a projector's 1280x720 the ladder keeps most
// of the width with the explanation and a lesson open: the two share one
// column (side by side they left the ladder 474 px, 422 px in large type
// and 400 px in presenter mode with its panels open).
func TestBrowserPanelsRoom(t *testing.T) {
	inst, _, base := newWorldBus(t, Options{}, "127.0.0.1:0")
	pg := newPageSize(t, 1280, 720)
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob\n")
	for _, l := range [][3]string{{"started", "0", "SMTP by hand"}, {"current", "0", "open a second terminal"}, {"step-done", "0", "the server spoke first"}, {"current", "1", "say HELO\nto the server:\n\n  HELO laptop\n说\n你好"}} {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Text: l[2], Attrs: map[string]string{"lesson": "smtp-by-hand", "status": l[0], "step": l[1], "steps": "3", "title": "SMTP by hand"}})
	}
	pg.wait("the lesson panel", `!document.querySelector("#lesson-panel").hidden && document.querySelector("#lesson-panel li.current") !== null`)
	pg.wait("arrows", `document.querySelectorAll("#rows .arrow").length > 3`)
	room := func(when string, min int) {
		t.Helper()
		var got struct{ Ladder, ExplainH, LessonH, ExplainL, LessonL int }
		json.Unmarshal([]byte(pg.eval(`(() => { const r = (s) => document.querySelector(s).getBoundingClientRect();
			return JSON.stringify({Ladder: Math.round(r("#ladder").width), ExplainH: Math.round(r("#explain").height), LessonH: Math.round(r("#lesson-panel").height),
				ExplainL: Math.round(r("#explain").left), LessonL: Math.round(r("#lesson-panel").left)}); })()`)), &got)
		if got.Ladder < min {
			t.Errorf("%s: the ladder is %d px wide, want at least %d", when, got.Ladder, min)
		}
		if got.ExplainH < 100 || got.LessonH < 60 || got.ExplainL != got.LessonL {
			t.Errorf("%s: the explanation (%d px high, at x=%d) and the lesson (%d px high, at x=%d) are not one over the other", when, got.ExplainH, got.ExplainL, got.LessonH, got.LessonL)
		}
	}
	// The lesson's text is wrapped for a terminal: the panel joins its
	// lines into paragraphs, and keeps a blank line and an indented one.
	if got := pg.eval(`document.querySelector("#lesson-panel .lesson-now").textContent`); got != "say HELO to the server:\n\n  HELO laptop\n说你好" {
		t.Errorf("the lesson panel says %q", got)
	}
	room("the explanation and a lesson open", 700)
	pg.shot("panels-room.png")
	pg.click("Large type", `#large`)
	pg.wait("large type", `document.body.classList.contains("large")`)
	room("large type", 800)
	pg.click("Large type off", `#large`)
	pg.step("p", chromedp.KeyEvent("p"))
	pg.wait("presenter mode", `document.body.classList.contains("present")`)
	pg.click("Panels", `#p-panels`)
	pg.wait("the panels open", `document.body.classList.contains("panels-open")`)
	room("presenter mode with its panels", 780)
	pg.shot("panels-room-present.png")
	// The lesson panel closes (the next lesson opens it again).
	pg.click("closing the lesson panel", `#lesson-panel .lesson-close`)
	pg.wait("the lesson panel closed", `document.querySelector("#lesson-panel").hidden`)
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Text: "POP3", Attrs: map[string]string{"lesson": "pop3", "status": "started", "steps": "2", "title": "POP3"}})
	pg.wait("the next lesson's panel", `!document.querySelector("#lesson-panel").hidden`)
	pg.checkExceptions()
}

// TestBrowserFilterClearsExplanation: filtering to another session takes
// away the explanation of a line the filter hides (it stayed, explaining
// a line no longer on the ladder).
func TestBrowserFilterClearsExplanation(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob\n")
	pg.wait("two sessions closed", `[...window.__mailscope.sessions.values()].filter(s => s.closed).length >= 2`)
	pg.click("an arrow", `#rows .arrow`)
	pg.wait("its explanation", `!!document.querySelector("#explain-body .wire")`)
	other := pg.eval(`(() => { const S = window.__mailscope, ev = S.rows.find(e => e.seq === S.selected); return [...S.sessions.values()].find(s => s.id !== ev.session).id; })()`)
	pg.wait("the other session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(other)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(other) + `; f.dispatchEvent(new Event("change")); return ""; })()`)
	pg.wait("the filter", `window.__mailscope.filter.session === `+jsString(other))
	if got := pg.eval(`String(!document.querySelector("#explain-body .wire") && !!document.querySelector("#explain-body .hint") && window.__mailscope.selected === 0)`); got != "true" {
		t.Errorf("after filtering to %s the explanation panel still says: %s", other, pg.eval(`document.querySelector("#explain-body").textContent`))
	}
}
