package webui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mailscope/mailscope/servers/world"
)

// contrastJS lists the visible texts of the page whose contrast with what
// is behind them is below WCAG 2.x AA (4.5:1, 3:1 for large text), the
// colours composed with their alpha and the opacity of their ancestors.
const contrastJS = `(() => {
	const parse = (c) => { const m = /rgba?\(([^)]+)\)/.exec(c); if (!m) return null; const p = m[1].split(",").map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
	const mix = (top, a, under) => ({r: top.r * a + under.r * (1 - a), g: top.g * a + under.g * (1 - a), b: top.b * a + under.b * (1 - a)});
	const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
	const bgOf = (el) => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) { const b = parse(getComputedStyle(e).backgroundColor); if (b && b.a > 0) { layers.push(b); if (b.a >= 1) break; } }
		let c = {r: 255, g: 255, b: 255};
		for (let i = layers.length - 1; i >= 0; i--) c = mix(layers[i], layers[i].a, c);
		return c;
	};
	const bad = [];
	for (const el of document.querySelectorAll("body *")) {
		if (!el.getClientRects().length) continue;
		if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
		const cs = getComputedStyle(el);
		if (cs.visibility === "hidden" || el.closest("[hidden]")) continue;
		let op = 1;
		for (let e = el; e; e = e.parentElement) op *= parseFloat(getComputedStyle(e).opacity);
		const fg = parse(cs.color), bg = bgOf(el);
		const f = mix(fg, fg.a * op, bg);
		const l1 = lum(f), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
		const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
		if (ratio < ((size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5)) {
			bad.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + "." + [...el.classList].join(".")) + " " + JSON.stringify(el.textContent.slice(0, 30)) + " " + ratio.toFixed(2) + " " + cs.color + " on rgb(" + [bg.r, bg.g, bg.b].map(Math.round) + ")");
		}
	}
	return JSON.stringify([...new Set(bad)]);
})()`

// TestBrowserAccess checks layout and access: the keyboard walks the
// session list without tabbing through its download links, steps through
// the ladder's lines and opens a line's explanation with Enter; every text
// has AA contrast in the light, dark and high-contrast themes and in
// presenter mode; and on a phone's 390 px the ladder stays usable.
func TestBrowserAccess(t *testing.T) {
	pg := newPageSize(t, 1280, 800)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	for range 3 {
		smtpSend(t, smtpA, "alice@a.example", "alice@a.example", "Subject: access\n\nhello\n")
	}
	smtpSend(t, smtpA, "alice@a.example", "bob@b.example", "Subject: relayed\n\nhello bob\n")
	pg.wait("the sessions in the list", `document.querySelectorAll("#session-list .sess-id").length >= 5`)

	// Two clients of A at once: a lane each, as Wireshark draws a column
	// per endpoint.
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", smtpA)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if l, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(l, "220") {
			t.Fatalf("greeting %q %v", l, err)
		}
	}
	for _, c := range conns {
		fmt.Fprintf(c, "NOOP\r\n")
	}
	pg.wait("a second client lane of A", `document.querySelector("#lane-heads").textContent.includes("client 2 of A")`)
	for _, c := range conns {
		c.Close()
	}

	// The session list: one tab stop, arrows move, the focused session's
	// links become tab stops.
	if n := pg.eval(`String(document.querySelectorAll('#session-list [tabindex="0"], #session-list a:not([tabindex="-1"])').length)`); n != "1" {
		t.Errorf("the session list has %s tab stops, want 1", n)
	}
	pg.eval(`document.querySelector('#session-list .sess-id[tabindex="0"]').focus(), ""`)
	first := pg.eval(`document.activeElement.textContent`)
	pg.step("ArrowDown in the session list", chromedp.KeyEvent(kb.ArrowDown))
	if got := pg.eval(`document.activeElement.classList.contains("sess-id") ? document.activeElement.textContent : "(not a session)"`); got == first || got == "(not a session)" {
		t.Errorf("ArrowDown in the session list moved the focus to %q", got)
	}
	if n := pg.eval(`String(document.querySelectorAll('#session-list [tabindex="0"]').length)`); n != "4" {
		t.Errorf("with a session focused the list has %s tab stops, want its button and its 3 links", n)
	}

	// The ladder: focus it, step with the arrow keys, Enter explains.
	pg.eval(`document.querySelector("#ladder").focus(), ""`)
	pg.step("ArrowUp on the ladder", chromedp.KeyEvent(kb.ArrowUp))
	pg.wait("a line stepped to", `window.__mailscope.step >= 0 && document.activeElement.classList.contains("row")`)
	for range 4 {
		pg.step("ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	}
	pg.step("Enter", chromedp.KeyEvent(kb.Enter))
	seq := pg.eval(`String(window.__mailscope.rows[window.__mailscope.step].seq)`)
	pg.wait("its explanation", `window.__mailscope.selected === `+seq+` && !!document.querySelector("#explain-body .wire") && document.activeElement.id === "explain"`)

	// AA contrast in every theme, and in presenter mode.
	for _, theme := range []string{"light", "dark", "contrast"} {
		for _, present := range []bool{false, true} {
			pg.eval(`(() => { document.body.dataset.theme = "` + theme + `"; return ""; })()`)
			if present != (pg.eval(`String(document.body.classList.contains("present"))`) == "true") {
				pg.click("presenter mode", `#present`)
			}
			var bad []string
			if err := json.Unmarshal([]byte(pg.eval(contrastJS)), &bad); err != nil {
				t.Fatal(err)
			}
			for _, b := range bad {
				t.Errorf("theme %s, presenter %v: contrast below AA: %s", theme, present, b)
			}
		}
	}
	if pg.eval(`String(document.body.classList.contains("present"))`) == "true" {
		pg.click("presenter mode off", `#present`)
	}
	pg.eval(`(() => { document.body.dataset.theme = "light"; return ""; })()`)

	// A phone: 390 px wide.
	pg.step("a phone's screen", chromedp.EmulateViewport(390, 844))
	pg.wait("the narrow layout", `window.innerWidth === 390`)
	pg.eval(`(() => { window.dispatchEvent(new Event("resize")); const l = document.querySelector("#ladder"); l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("arrows on the narrow ladder", `document.querySelectorAll("#rows .arrow").length > 3`)
	var phone struct {
		Ladder, Page int
		Heads        []float64
		Labels       int
	}
	json.Unmarshal([]byte(pg.eval(`JSON.stringify({Ladder: document.querySelector("#ladder").clientWidth, Page: document.documentElement.scrollWidth,
		Heads: [...document.querySelectorAll(".lane-head")].flatMap(h => { const r = h.getBoundingClientRect(); return [r.left, r.right]; }),
		Labels: [...document.querySelectorAll("#rows .arrow .label")].filter(l => l.clientWidth >= 40).length})`)), &phone)
	if phone.Ladder < 340 || phone.Page > 391 {
		t.Errorf("at 390 px the ladder is %d px wide and the page %d px", phone.Ladder, phone.Page)
	}
	for _, x := range phone.Heads {
		if x < -1 || x > 391 {
			t.Errorf("a lane head reaches beyond the screen: %v", phone.Heads)
			break
		}
	}
	if phone.Labels < 3 {
		t.Errorf("only %d arrow labels have room at 390 px", phone.Labels)
	}
	pg.shot("phone.png")
	if !strings.Contains(pg.eval(`document.querySelector("#lane-heads").textContent`), "server A") {
		t.Error("no server lane at 390 px")
	}
	pg.checkExceptions()
}
