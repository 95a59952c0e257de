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
	"github.com/mailscope/mailscope/tracer"
)

// imapTalk sends IMAP commands over a real socket, each after the reply
// to the one before (its tagged completion).
func imapTalk(t *testing.T, addr string, cmds ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK") {
		t.Fatalf("IMAP greeting %q %v", l, err)
	}
	for _, cmd := range cmds {
		fmt.Fprintf(c, "%s\r\n", cmd)
		tag := strings.Fields(cmd)[0] + " "
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("IMAP after %q: %v", cmd, err)
			}
			if strings.HasPrefix(l, tag) {
				if !strings.HasPrefix(l, tag+"OK") {
					t.Fatalf("IMAP %q: %q", cmd, l)
				}
				break
			}
		}
	}
}

// TestBrowserPresenter drives presenter mode at a projector's 1280x720: a
// relay session (A to B) fills the width with two lanes, no arrow label is
// cut (element widths checked, not pixels) and each arrow carries its
// explanation; the keyboard steps through the lines (the current one
// highlighted and explained large) while a live event does not move the
// view; the SVG export holds the arrows and their words, as text.
func TestBrowserPresenter(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)

	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.wait("presenter mode", `document.body.classList.contains("present") && window.__mailscope.present === true`)
	// Full-width rows (the start-up note) stay right of the time column.
	pg.wait("the start-up note", `!!document.querySelector("#rows .row .full")`)
	if got := pg.eval(`String([...document.querySelectorAll("#rows .row")].filter(r => r.querySelector(".full")).every(r => r.querySelector(".full").getBoundingClientRect().left >= r.querySelector(".time").getBoundingClientRect().right))`); got != "true" {
		t.Error("a full-width row prints over the time column")
	}
	if got := pg.eval(`String(getComputedStyle(document.querySelector("#explain")).display + " " + getComputedStyle(document.querySelector("#sessions")).display)`); got != "none none" {
		t.Errorf("presenter mode: the side panels are %q, want folded", got)
	}

	// A message relayed from A to B.
	smtpSend(t, smtpA, "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob, through B\n")
	pg.wait("the relay session's QUIT reply", `[...window.__mailscope.sessions.values()].some(s => s.hop && s.closed)`)
	relay := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.hop && s.closed).id`)
	pg.wait("the relay session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(relay)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(relay) + `; f.dispatchEvent(new Event("change")); return ""; })()`)
	pg.wait("the relay session alone", `window.__mailscope.filter.session === `+jsString(relay)+` && document.querySelectorAll("#rows .arrow").length > 5`)
	if n := pg.eval(`String(window.__mailscope.lanes.length)`); n != "2" {
		t.Errorf("the relay session has %s lanes, want the 2 parties in view", n)
	}
	// The ladder has the width: its track is most of 1280 px.
	if w, _ := strconv.Atoi(pg.eval(`String(Math.round(document.querySelector("#ladder").clientWidth))`)); w < 1200 {
		t.Errorf("the ladder is %d px wide in presenter mode", w)
	}
	pg.eval(`(() => { const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the first rows", `!!document.querySelector("#rows .row .arrow")`)
	// No label is cut: no label's text is wider or taller than its box.
	var cut []string
	json.Unmarshal([]byte(pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .arrow .label")].filter(l => l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1).map(l => l.textContent + " " + l.scrollWidth + ">" + l.clientWidth + " " + l.scrollHeight + ">" + l.clientHeight))`)), &cut)
	for _, c := range cut {
		t.Errorf("a cut label: %s", c)
	}
	// Each label says its whole line (wrapping only takes spaces away).
	var whole []struct{ Label, Text string }
	json.Unmarshal([]byte(pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .row")].filter(r => r.querySelector(".arrow .label")).map(r => { const ev = window.__mailscope.rows.find(e => String(e.seq) === r.dataset.seq); return {Label: r.querySelector(".arrow .label").textContent, Text: ev.kind === "line" && !r.querySelector(".badge") ? ev.text : ""}; }))`)), &whole)
	if len(whole) < 5 {
		t.Fatalf("only %d arrows on screen", len(whole))
	}
	for _, w := range whole {
		if w.Text != "" && strings.ReplaceAll(strings.ReplaceAll(w.Label, "\n", ""), " ", "") != strings.ReplaceAll(w.Text, " ", "") && !strings.Contains(w.Label, "[+") {
			t.Errorf("label %q does not say the whole line %q", w.Label, w.Text)
		}
	}
	// The long lines of the relay (the greeting, MAIL FROM's reply) are
	// whole and the arrows carry their explanations.
	if n, _ := strconv.Atoi(pg.eval(`String(document.querySelectorAll("#rows .why").length)`)); n < 5 {
		t.Errorf("%d explanations under the arrows", n)
	}
	// The explanations' words have the page's background, as the labels
	// have: the lane lines pass behind them, not through them.
	if got := pg.eval(`(() => { const w = document.querySelector("#rows .why .wt"); return w ? getComputedStyle(w).backgroundColor : "no .why .wt"; })()`); got == "rgba(0, 0, 0, 0)" || got == "no .why .wt" {
		t.Errorf("an explanation's words have the background %q: the lane lines cross them", got)
	}
	// EHLO's capability lines are one arrow that opens on a click.
	// (The page draws per animation frame: wait for the drawing, on a
	// loaded machine too.)
	pg.waitUpTo("EHLO's reply folded into one arrow", `[...document.querySelectorAll("#rows .arrow .label")].some(l => /^250-/.test(l.textContent.replace(/^[▸▾]/, "")) && l.textContent.includes("[+"))`, 15*time.Second)
	pg.shot("presenter-relay.png")

	// Stepping with the keyboard.
	pg.step("Home", chromedp.KeyEvent(kb.Home))
	pg.wait("the first line stepped to", `window.__mailscope.step === 0`)
	for range 3 {
		pg.step("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	}
	pg.wait("the fourth line stepped to", `window.__mailscope.step === 3`)
	cur := pg.eval(`String(window.__mailscope.rows[3].seq)`)
	if got := pg.eval(`(document.querySelector("#rows .row.current") || {dataset: {}}).dataset.seq || ""`); got != cur {
		t.Errorf("the highlighted row is %q, want %s", got, cur)
	}
	if got := pg.eval(`String(!document.querySelector("#caption").hidden && document.querySelector("#cap-why").textContent.length > 10 && document.activeElement.dataset.seq === "` + cur + `")`); got != "true" {
		t.Errorf("the caption does not explain the current line or it lacks the focus: %s", pg.eval(`document.querySelector("#caption").textContent`))
	}
	pg.step("ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	pg.wait("back one line", `window.__mailscope.step === 2`)
	// A live event does not move the view while stepping.
	top := pg.eval(`String(document.querySelector("#ladder").scrollTop)`)
	for i := range 40 {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLine, Session: relay, Server: "B", Hop: "A->B", Proto: "smtp", Dir: tracer.C2S, Text: "NOOP " + strconv.Itoa(i)})
	}
	pg.wait("the live events taken in", `window.__mailscope.rows.some(e => e.text === "NOOP 39")`)
	if got := pg.eval(`String(document.querySelector("#ladder").scrollTop) + " " + window.__mailscope.step`); got != top+" 2" {
		t.Errorf("a live event moved the view while stepping: scrollTop and step %q, want %q", got, top+" 2")
	}
	// n jumps past the session (there is no other in view); m to the message.
	pg.step("m", chromedp.KeyEvent("m"))
	pg.wait("the next message", `window.__mailscope.step > 2 && (window.__mailscope.rows[window.__mailscope.step].msgid || window.__mailscope.rows[window.__mailscope.step].kind === "data")`)
	pg.shot("presenter-step.png")
	// s shows every session again, and only this one again, on the same line.
	stepSeq := pg.eval(`String(window.__mailscope.rows[window.__mailscope.step].seq)`)
	pg.step("s", chromedp.KeyEvent("s"))
	pg.wait("every session", `window.__mailscope.filter.session === "" && String(window.__mailscope.rows[window.__mailscope.step].seq) === "`+stepSeq+`"`)
	pg.step("s", chromedp.KeyEvent("s"))
	pg.wait("this session only", `window.__mailscope.filter.session === `+jsString(relay)+` && String(window.__mailscope.rows[window.__mailscope.step].seq) === "`+stepSeq+`" && window.__mailscope.lanes.length === 2`)

	// SVG export of the lines in view: the arrows, their labels and
	// explanations, as text.
	pg.click("exporting SVG", `#p-svg`)
	pg.wait("the SVG", `typeof window.__mailscope.lastSVG === "string"`)
	svg := pg.eval(`window.__mailscope.lastSVG`)
	// The lines in view: how many fit depends on the caption's height
	// under the ladder (2 to 6 at 1280x720), so at least two.
	if n := strings.Count(svg, `class="arrow-line"`); n < 2 {
		t.Errorf("the SVG has %d arrows", n)
	}
	for _, want := range []string{"<svg", "MAIL FROM:&lt;alice@a.example&gt;", "server B"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "<script") || strings.Contains(svg, "<foreignObject") {
		t.Error("the SVG holds markup beyond shapes and text")
	}

	pg.click("exporting PNG", `#p-png`)
	pg.wait("the PNG", `window.__mailscope.lastPNG > 10000`)

	// The scrubber and Play step through the recorded session.
	pg.eval(`(() => { const s = document.querySelector("#p-scrub"); s.value = "5"; s.dispatchEvent(new Event("input")); return ""; })()`)
	pg.wait("the scrubber's line", `window.__mailscope.step === 5`)
	// The scrubber, once clicked, leaves the stepping keys to the ladder.
	pg.eval(`(() => { document.querySelector("#p-scrub").focus(); return ""; })()`)
	pg.step("ArrowDown on the scrubber", chromedp.KeyEvent(kb.ArrowDown))
	pg.wait("the next line, not the scrubber's move", `window.__mailscope.step === 6`)
	pg.click("Play", `#p-play`)
	pg.wait("Play stepping on", `window.__mailscope.step >= 7`)
	pg.click("Pause", `#p-play`)

	// End: the last line is in view above the caption (the caption grows
	// with the line's explanation; the row is scrolled into what is left).
	// (From live, the caption hidden: it shows with the step.)
	pg.step("Escape before End", chromedp.KeyEvent(kb.Escape))
	pg.wait("live before End", `window.__mailscope.step === -1 && document.querySelector("#caption").hidden`)
	pg.step("End", chromedp.KeyEvent(kb.End))
	pg.wait("the last line", `window.__mailscope.step === window.__mailscope.rows.length - 1`)
	if got := pg.eval(`(() => { const r = document.querySelector("#rows .row.current"); if (!r) return "no current row drawn"; const a = r.getBoundingClientRect(), l = document.querySelector("#ladder").getBoundingClientRect(), c = document.querySelector("#caption").getBoundingClientRect(); return a.top >= l.top - 1 && a.bottom <= l.bottom + 1 && a.bottom <= c.top + 1 ? "ok" : "row " + a.top + ".." + a.bottom + ", ladder " + l.top + ".." + l.bottom + ", caption from " + c.top; })()`); got != "ok" {
		t.Errorf("after End the current line is not in view: %s", got)
	}

	// Escape goes back to live (after stepping up, which stopped the
	// following) and the newest lines are followed again; p leaves
	// presenter mode.
	pg.step("ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	pg.step("ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	pg.step("Escape", chromedp.KeyEvent(kb.Escape))
	pg.wait("live again", `window.__mailscope.step === -1 && document.querySelector("#autoscroll").checked`)
	for i := range 60 {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLine, Session: relay, Server: "B", Hop: "A->B", Proto: "smtp", Dir: tracer.C2S, Text: "NOOP live " + strconv.Itoa(i)})
	}
	pg.waitUpTo("the newest line followed into view", `(() => { const ev = window.__mailscope.rows.find(e => e.text === "NOOP live 59"); const r = ev && document.querySelector('#rows .row[data-seq="' + ev.seq + '"]'); if (!r) return false; const a = r.getBoundingClientRect(), l = document.querySelector("#ladder").getBoundingClientRect(); return a.top >= l.top - 1 && a.bottom <= l.bottom + 1; })()`, 10*time.Second)
	pg.step("p", chromedp.KeyEvent("p"))
	pg.wait("presenter mode off", `!document.body.classList.contains("present") && !location.search.includes("present")`)

	// An IMAP session in presenter mode, for the README: LIST's untagged
	// lines fold into one arrow.
	imapTalk(t, inst.Addr("B", world.IMAP), "a1 LOGIN bob bob", `a2 LIST "" "*"`, "a3 SELECT INBOX", "a4 FETCH 1 (FLAGS ENVELOPE)", "a5 LOGOUT")
	pg.wait("the IMAP session closed", `[...window.__mailscope.sessions.values()].some(s => s.proto === "imap" && s.closed)`)
	imap := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.proto === "imap" && s.closed).id`)
	pg.step("p", chromedp.KeyEvent("p"))
	pg.wait("the IMAP session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(imap)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(imap) + `; f.dispatchEvent(new Event("change")); const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the IMAP session alone", `window.__mailscope.filter.session === `+jsString(imap)+` && document.querySelectorAll("#rows .arrow").length > 3`)
	pg.step("stepping to the LIST reply", chromedp.KeyEvent(kb.Home))
	pg.eval(`(() => { const i = window.__mailscope.rows.findIndex(e => e.dir === "s2c" && /^\* LIST/.test(e.text)); for (let k = 0; k < i; k++) document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowDown"})); return ""; })()`)
	if got := pg.eval(`String(window.__mailscope.rows.some(e => /^\* LIST/.test(e.text) && e._fold && e._fold.length > 0))`); got != "true" {
		t.Error("LIST's untagged lines are not folded into one arrow")
	}
	pg.shot("presenter-imap.png")
	pg.checkExceptions()
}
