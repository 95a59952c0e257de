package webui

import (
	"time"

	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mailscope/mailscope/servers/world"
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
