package webui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

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

// cvdJS simulates protanopia, deuteranopia and tritanopia on the colours
// that tell rows apart and lists the pairs that look alike with nothing but
// colour to tell them apart.
const cvdJS = `(() => {
	const M = {
		protan: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
		deutan: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
		tritan: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
	};
	const rgb = (c) => { const m = /rgba?\(([^)]+)\)/.exec(c); return m ? m[1].split(",").slice(0, 3).map(Number) : [0, 0, 0]; };
	const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
	const sim = (c, m) => { const l = c.map(lin); return m.map(r => r[0] * l[0] + r[1] * l[1] + r[2] * l[2]); };
	const near = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < 0.08;
	const out = [];
	const rows = [...document.querySelectorAll("#rows .row")].filter(r => r.querySelector(".stag"));
	for (const [name, m] of Object.entries(M)) {
		for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) {
			const a = rows[i], b = rows[j];
			const ca = getComputedStyle(a).getPropertyValue("--c"), cb = getComputedStyle(b).getPropertyValue("--c");
			if (ca === cb) continue;
			const ta = a.querySelector(".stag").textContent, tb = b.querySelector(".stag").textContent;
			if (near(sim(rgb(ca.startsWith("#") ? "rgb(" + [1, 3, 5].map(k => parseInt(ca.trim().slice(k, k + 2), 16)) + ")" : ca), m),
				sim(rgb(cb.startsWith("#") ? "rgb(" + [1, 3, 5].map(k => parseInt(cb.trim().slice(k, k + 2), 16)) + ")" : cb), m)) && ta === tb) out.push(name + ": sessions " + ta + " and " + tb);
		}
		const ok = document.querySelector("#rows .label.r2"), bad = document.querySelector("#rows .label.r5");
		if (ok && bad && near(sim(rgb(getComputedStyle(ok).color), m), sim(rgb(getComputedStyle(bad).color), m)) &&
			getComputedStyle(ok).fontWeight === getComputedStyle(bad).fontWeight) out.push(name + ": a success and an error reply");
	}
	return JSON.stringify([...new Set(out)]);
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
	fmt.Fprintf(conns[0], "NOOP\r\n")
	fmt.Fprintf(conns[1], "BOGUS\r\n") // an error reply, for the colour-blindness check

	pg.wait("a second client lane of A", `document.querySelector("#lane-heads").textContent.includes("client 2 of A")`)
	for _, c := range conns {
		c.Close()
	}
	// The list changes as the sessions close: test the keys once it is
	// still (a close arriving between focus and key redrew the list).
	pg.waitUpTo("both sessions closed in the list", `[...window.__mailscope.sessions.values()].filter(s => s.proto === "smtp").length >= 2 && [...window.__mailscope.sessions.values()].filter(s => s.proto === "smtp").every(s => s.closed)`, 15*time.Second)
	// ... and the list shows it (the list is redrawn up to a second after
	// a busy update).
	pg.waitUpTo("both sessions closed on the list's lines", `(() => { const li = [...document.querySelectorAll("#session-list li")].filter(l => l.dataset.id.includes("-smtp-")); return li.length >= 2 && li.every(l => l.querySelector(".sess-meta").textContent.endsWith("closed")); })()`, 15*time.Second)

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
	// Enter filters the ladder to the focused session; the list is built
	// again, and the focus stays on that session's button (it fell to the
	// page's body), with a focus ring on the ladder when it gets there.
	focused := pg.eval(`document.activeElement.textContent`)
	pg.step("Enter on a session", chromedp.KeyEvent(kb.Enter))
	pg.wait("the ladder filtered to it", `window.__mailscope.filter.session === `+jsString(focused))
	if got := pg.eval(`document.activeElement.classList.contains("sess-id") ? document.activeElement.textContent : document.activeElement.tagName`); got != focused {
		t.Errorf("after Enter on session %s the focus is on %q", focused, got)
	}
	pg.step("Enter again: every session", chromedp.KeyEvent(kb.Enter))
	pg.wait("the filter off", `window.__mailscope.filter.session === ""`)
	pg.eval(`document.querySelector("#ladder").focus(), ""`)
	if got := pg.eval(`getComputedStyle(document.querySelector("#ladder")).outlineStyle`); got == "none" {
		t.Error("the focused ladder has no focus ring")
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

	// Colour is never the only difference, checked with a simulation of
	// the common colour blindnesses (Machado et al. 2009, severity 1): where
	// two sessions' colours, or a success's and an error's, look alike to
	// a protan, deutan or tritan reader, the rows still differ by their
	// session tag (shape and number) and an error by its weight.
	pg.wait("an error reply on screen", `!!document.querySelector("#rows .label.r5") && !!document.querySelector("#rows .label.r2")`)
	var cvd []string
	json.Unmarshal([]byte(pg.eval(cvdJS)), &cvd)
	for _, c := range cvd {
		t.Errorf("colour alone tells apart: %s", c)
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
	// The time column says all: the session tag over the time, inside
	// the row (the time was cut, or ran into the next row).
	if got := pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .row .time")].filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1 || e.getBoundingClientRect().bottom > e.closest(".row").getBoundingClientRect().bottom + 1).map(e => e.textContent + " " + e.scrollWidth + "x" + e.scrollHeight + " in " + e.clientWidth + "x" + e.clientHeight))`); got != "[]" {
		t.Errorf("time cells cut at 390 px: %s", got)
	}
	// The explanation goes under the ladder, with its own height: its
	// layout is contained (contain: strict on a wide screen), but not its
	// size here.
	pg.click("an arrow on the phone", `#rows .arrow`)
	if h, _ := strconv.Atoi(pg.eval(`String(Math.round(document.querySelector("#explain").getBoundingClientRect().height))`)); h < 60 {
		t.Errorf("at 390 px the explanation under the ladder is %d px high", h)
	}
	pg.shot("phone.png")
	if !strings.Contains(pg.eval(`document.querySelector("#lane-heads").textContent`), "server A") {
		t.Error("no server lane at 390 px")
	}
	pg.checkExceptions()
}
