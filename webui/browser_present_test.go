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
	// ... and says all of it: wrapped, not cut with an ellipsis.
	if got := pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .row .full")].filter(f => f.scrollWidth > f.clientWidth + 1 || f.getBoundingClientRect().bottom > f.closest(".row").getBoundingClientRect().bottom + 1).map(f => f.textContent.slice(0, 60)))`); got != "[]" {
		t.Errorf("full-width rows cut in presenter mode: %s", got)
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
	// The caption's "line 3 of N" counts them.
	pg.wait("the caption's total with the live events", `document.querySelector("#cap-pos").textContent.startsWith("line 3 of " + window.__mailscope.rows.length)`)
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
	// (The page's CSP refuses inline style: the export's texts must not
	// carry a style attribute, one console error each.)
	pg.eval(`(() => { window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective)); return ""; })()`)
	pg.click("exporting SVG", `#p-svg`)
	pg.wait("the SVG", `typeof window.__mailscope.lastSVG === "string"`)
	svg := pg.eval(`window.__mailscope.lastSVG`)
	if got := pg.eval(`(window.__csp || []).join(" ")`); got != "" {
		t.Errorf("the export broke the page's CSP: %s", got)
	}
	if !strings.Contains(svg, `font-size="`) || strings.Contains(svg, ` style="`) {
		t.Error("the SVG's texts have no font-size attribute or have a style attribute")
	}
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

// exportSVG clicks the SVG export and returns the file.
func (pg *page) exportSVG(what string) string {
	pg.t.Helper()
	pg.eval(`window.__mailscope.lastSVG = null, ""`)
	pg.click(what, `#p-svg`)
	pg.wait(what, `typeof window.__mailscope.lastSVG === "string"`)
	return pg.eval(`window.__mailscope.lastSVG`)
}

// svgJS is a script's start that puts the last exported SVG in the page
// (hidden), as svg, with W its width, ladder the ladder's box and norm a
// colour as the browser writes it.
const svgJS = `
	const box = document.createElement("div");
	box.style.cssText = "position:absolute;left:0;top:0;visibility:hidden";
	box.appendChild(document.importNode(new DOMParser().parseFromString(window.__mailscope.lastSVG, "image/svg+xml").documentElement, true));
	document.body.appendChild(box);
	const svg = box.querySelector("svg"), W = +svg.getAttribute("width");
	const ladder = document.querySelector("#ladder").getBoundingClientRect();
	const norm = (c) => { const d = document.createElement("i"); d.style.color = c; document.body.appendChild(d); const r = getComputedStyle(d).color; d.remove(); return r; };
	const num = (n, a) => +n.getAttribute(a);
	const out = [...svg.querySelectorAll("text, rect")].filter(n => n.parentNode === svg && n.getAttribute("width") !== "100%").filter(n => { const b = n.getBBox(); return b.x < 0 || b.x + b.width > W + 0.5; }).map(n => (n.textContent || n.getAttribute("class")) + " " + Math.round(n.getBBox().x) + ".." + Math.round(n.getBBox().x + n.getBBox().width) + " of " + W);
`

// TestBrowserExportAsShown: the SVG export of a relay session shows what
// the page shows (a tester found these differences): the state marks
// where the page draws them (between 40% and 60% of the track, not at the
// picture's right edge), the lanes' subtitles under their labels, the
// connection's dashed arrow and every label in the page's colours in the
// light, dark and high-contrast themes, and EHLO's capability lines when
// the reader opened them (▸), with the rows after them below them.
func TestBrowserExportAsShown(t *testing.T) {
	// A tall window: the whole session is in view, in one picture.
	pg := newPageSize(t, 1280, 1800)
	inst, _, base := newWorld(t, Options{})
	pg.step("a tall window", chromedp.EmulateViewport(1280, 1800))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1&lang=en"))
	pg.wait("presenter mode", `document.body.classList.contains("present") && document.body.dataset.ws === "open"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob, through B\n")
	pg.wait("the relay session's end", `[...window.__mailscope.sessions.values()].some(s => s.hop && s.closed)`)
	relay := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.hop && s.closed).id`)
	pg.wait("the relay session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(relay)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(relay) + `; f.dispatchEvent(new Event("change")); const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the relay session alone, from its start", `window.__mailscope.filter.session === `+jsString(relay)+` && document.querySelectorAll("#rows .mark.state").length >= 2 && !!document.querySelector("#rows .row.k-open .arrow") && !!document.querySelector("#rows .row.k-data .arrow")`)

	// EHLO's capabilities, opened.
	ehlo := pg.eval(`String(window.__mailscope.rows.find(e => e._fold && e._fold.length > 2 && /^250-/.test(e.text)).seq)`)
	pg.click("opening EHLO's reply", `#rows .row[data-seq="`+ehlo+`"] .toggle`)
	pg.wait("EHLO's lines on the page", `!!document.querySelector('#rows .row[data-seq="`+ehlo+`"] pre.data')`)
	if got := pg.eval(`(() => { const p = document.querySelector('#rows .row[data-seq="` + ehlo + `"] pre.data'); return String(p.scrollHeight <= p.clientHeight + 1); })()`); got != "true" {
		t.Fatal("the opened EHLO reply does not show all its lines on the page")
	}

	// The session is taller than the window: it is exported from its
	// start (the connection, EHLO) and from its end (the message body).
	type result struct {
		Out                                []string
		Marks, Subs, Colours, Data         []string
		MarksChecked, SubsChecked, Checked int
		OpenLine, OpenText, DataText, EHLO bool
	}
	check := func(theme, where string) result {
		var r result
		got := pg.eval(`(() => {` + svgJS + `
			const res = {Out: out, Marks: [], Subs: [], Colours: [], Data: [], MarksChecked: 0, SubsChecked: 0, Checked: 0};
			const texts = [...svg.querySelectorAll("text")];
			// 1. Each mark's pill is centred where the page centres it.
			const pills = [...svg.querySelectorAll("rect.mark")].map(r => ({cx: num(r, "x") + num(r, "width") / 2, first: r.nextElementSibling.textContent,
				look: [r.getAttribute("fill"), r.getAttribute("stroke"), r.nextElementSibling.getAttribute("fill")].join(" / ")}));
			for (const m of document.querySelectorAll("#rows .mark")) {
				const b = m.getBoundingClientRect();
				if (b.bottom < ladder.top || b.top > ladder.bottom) continue;
				const first = m.childNodes[0].textContent.split("\n")[0];
				const p = pills.find(p => p.first === first);
				if (!p) { res.Marks.push("no pill for " + first); continue; }
				const cx = b.left + b.width / 2 - ladder.left;
				if (Math.abs(p.cx - cx) > 2) res.Marks.push(first + ": at " + Math.round(p.cx) + " in the picture, " + Math.round(cx) + " on the page");
				// ... in the page's colours (fill, border, text) in this theme.
				const cs = getComputedStyle(m), look = [cs.backgroundColor, cs.borderTopColor, cs.color].join(" / ");
				if (p.look !== look) res.Marks.push(first + ": " + p.look + " in the picture, " + look + " on the page");
				res.MarksChecked++;
			}
			// 2. Each lane's subtitle under its label.
			for (const h of document.querySelectorAll("#lane-heads .lane-head")) {
				const label = h.childNodes[0].textContent, sub = (h.querySelector("small") || {}).textContent;
				if (!sub) continue;
				const l = texts.find(n => n.textContent === label), s = texts.find(n => n.textContent === sub);
				if (!l || !s) { res.Subs.push(label + " / " + sub + ": " + (l ? "" : "no label ") + (s ? "" : "no subtitle")); continue; }
				if (Math.abs(num(l, "x") - num(s, "x")) > 0.5 || num(s, "y") <= num(l, "y")) res.Subs.push(sub + " is not under " + label);
				res.SubsChecked++;
			}
			// 3. Each arrow's label and line in the page's colours.
			for (const row of document.querySelectorAll("#rows .row")) {
				const a = row.querySelector(".arrow"), lt = row.querySelector(".arrow .label .lt");
				const b = row.getBoundingClientRect();
				if (!a || !lt || b.bottom < ladder.top || b.top > ladder.bottom) continue;
				const first = lt.textContent.split("\n")[0];
				const n = texts.find(n => n.textContent === first && n.getAttribute("text-anchor") === "middle");
				if (!n) { res.Colours.push("no text for " + first); continue; }
				const want = getComputedStyle(row.querySelector(".arrow .label")).color;
				if (norm(n.getAttribute("fill")) !== want) res.Colours.push(first + ": " + n.getAttribute("fill") + " in the picture, " + want + " on the page");
				res.Checked++;
				if (row.classList.contains("k-open")) {
					res.OpenText = true;
					const line = [...svg.querySelectorAll("line")].find(l => l.getAttribute("stroke-dasharray") === "4 3");
					const stroke = getComputedStyle(a).borderBottomColor;
					if (!line) res.Colours.push("no dashed connect arrow");
					else if (norm(line.getAttribute("stroke")) !== stroke) res.Colours.push("the connect arrow is " + line.getAttribute("stroke") + " in the picture, " + stroke + " on the page");
					else res.OpenLine = true;
				}
				if (row.classList.contains("k-data")) res.DataText = true;
			}
			// 4. EHLO's opened lines, in their box, the next row below it.
			const pre = document.querySelector('#rows .row[data-seq="` + ehlo + `"] pre.data');
			const pb = pre && pre.getBoundingClientRect();
			if (!pre || pb.top < ladder.top || pb.bottom > ladder.bottom) { box.remove(); return JSON.stringify(res); }
			res.EHLO = true;
			const lines = [...svg.querySelectorAll("text.data-line")].map(n => n.textContent);
			const want = pre.textContent.split("\n");
			if (lines.join("\n") !== want.join("\n")) res.Data.push("the opened reply's lines are " + JSON.stringify(lines) + " in the picture, " + JSON.stringify(want) + " on the page");
			const rect = svg.querySelector("rect.data");
			const last = [...svg.querySelectorAll("text.data-line")].pop();
			if (!rect) res.Data.push("no box for the opened reply");
			else if (last) {
				const bottom = num(rect, "y") + num(rect, "height");
				if (num(last, "y") > bottom) res.Data.push("the last line is below its box");
				const next = last.nextElementSibling;
				if (!next || num(next, "y") - 10 < bottom) res.Data.push("the row after the opened reply overlaps it: " + (next ? next.textContent + " at " + num(next, "y") : "none") + ", box to " + bottom);
				const label = texts.find(n => n.textContent.startsWith("250-") && n.getAttribute("text-anchor") === "middle");
				if (!label || num(label, "y") > num(rect, "y")) res.Data.push("the box is not under the reply's arrow");
			}
			box.remove();
			return JSON.stringify(res);
		})()`)
		if err := json.Unmarshal([]byte(got), &r); err != nil {
			t.Fatal(got, err)
		}
		for _, o := range r.Out {
			t.Errorf("%s, %s: outside the exported picture: %s", theme, where, o)
		}
		for _, l := range [][]string{r.Marks, r.Subs, r.Colours, r.Data} {
			for _, e := range l {
				t.Errorf("%s, %s: %s", theme, where, e)
			}
		}
		if r.MarksChecked < 2 || r.SubsChecked < 2 || r.Checked < 5 {
			t.Errorf("%s, %s: checked %d marks, %d subtitles, %d arrows", theme, where, r.MarksChecked, r.SubsChecked, r.Checked)
		}
		return r
	}
	for _, theme := range []string{"light", "dark", "contrast"} {
		pg.eval(`(() => { for (let k = 0; k < 3 && document.body.dataset.theme !== "` + theme + `"; k++) document.querySelector("#theme").click(); return ""; })()`)
		pg.wait("the "+theme+" theme", `document.body.dataset.theme === "`+theme+`"`)
		// (The page takes a scroll to 0 for its own after the reader's
		// scroll: a resize draws the rows.)
		pg.eval(`(() => { document.querySelector("#autoscroll").checked = false; const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); window.dispatchEvent(new Event("resize")); return ""; })()`)
		pg.wait("the session's start", `document.querySelector("#ladder").scrollTop === 0 && !!document.querySelector('#rows .row[data-seq="`+ehlo+`"] pre.data')`)
		pg.exportSVG("exporting SVG, " + theme)
		if r := check(theme, "start"); !r.OpenText || !r.OpenLine || !r.EHLO {
			t.Errorf("%s: the connection's label (%v), its line (%v) or EHLO's opened lines (%v) not checked", theme, r.OpenText, r.OpenLine, r.EHLO)
		}
		pg.eval(`(() => { document.querySelector("#autoscroll").checked = false; const l = document.querySelector("#ladder"); l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event("scroll")); return ""; })()`)
		pg.wait("the session's end", `(() => { const r = document.querySelector("#rows .row.k-data"), l = document.querySelector("#ladder").getBoundingClientRect(); return !!r && r.getBoundingClientRect().top >= l.top && r.getBoundingClientRect().bottom <= l.bottom; })()`)
		pg.exportSVG("exporting SVG, " + theme + ", the end")
		if r := check(theme, "end"); !r.DataText {
			t.Errorf("%s: the message body's arrow not checked", theme)
		}
	}
	pg.click("exporting PNG", `#p-png`)
	pg.wait("the PNG", `window.__mailscope.lastPNG > 10000`)
	pg.checkExceptions()
}

// TestBrowserExportKinsoku: Chinese lines wrap as Chinese typesetting
// wants: no line begins with a closing punctuation mark (，。、；：？！）」』》
// and the like) nor ends with an opening one (（「『《), and a line breaks
// between Chinese characters rather than at an early space ("MAIL" alone
// on a line), in wrapLines at any width, on the page (explanations, marks) and in the SVG export of a
// session in Chinese (a tester found a line of the export starting with
// "，").
func TestBrowserExportKinsoku(t *testing.T) {
	pg := newPageSize(t, 1280, 1800)
	inst, _, base := newWorld(t, Options{})
	pg.step("a tall window", chromedp.EmulateViewport(1280, 1800))
	pg.step("loading the page in presenter mode, in Chinese", chromedp.Navigate(base+"/?present=1&lang=zh"))
	pg.wait("presenter mode in Chinese", `document.body.classList.contains("present") && document.body.dataset.ws === "open" && document.documentElement.lang === "zh"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob, through B\n")
	pg.wait("the relay session's end", `[...window.__mailscope.sessions.values()].some(s => s.hop && s.closed)`)
	relay := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.hop && s.closed).id`)
	pg.wait("the relay session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(relay)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(relay) + `; f.dispatchEvent(new Event("change")); document.querySelector("#autoscroll").checked = false; const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the relay session alone, from its start", `window.__mailscope.filter.session === `+jsString(relay)+` && !!document.querySelector("#rows .row.k-open") && document.querySelectorAll("#rows .why").length > 5`)

	const rules = `
		const NS = "，。、；：？！．）」』》〉】〕］｝〗〙〛”’…‥", NE = "（「『《〈【〔［｛〖〘〚“‘";
		// lineFaults says what is wrong with the lines a text was broken into.
		const lineFaults = (lines, where) => {
			const bad = [];
			lines.forEach((l, k) => {
				if (k > 0 && NS.includes(l[0])) bad.push(where + ": a line begins with " + l[0] + ": " + JSON.stringify(lines));
				if (k < lines.length - 1 && NE.includes(l[l.length - 1])) bad.push(where + ": a line ends with " + l[l.length - 1] + ": " + JSON.stringify(lines));
			});
			return bad;
		};
	`
	// wrapLines itself, at widths from 3 to 40 characters, on the page's
	// Chinese explanations and marks and on a sentence of every kind of
	// mark: the lines keep the rule, the width and every character.
	pg.eval(`Promise.all([import("/static/ladder.js"), import("/static/i18n.js")]).then(([l, i]) => { window.__ladder = l; window.__i18n = i; }), ""`)
	pg.wait("the ladder's module", `!!window.__ladder && !!window.__i18n`)
	var faults []string
	json.Unmarshal([]byte(pg.eval(`(() => {`+rules+`
		const L = window.__ladder, font = "16px " + getComputedStyle(document.body).fontFamily;
		const texts = window.__mailscope.rows.map(e => window.__i18n.explainText(e.explain)).concat(window.__mailscope.rows.map(e => L.markText(e, e.attrs && e.attrs.step))).filter(s => s && !s.includes("\n"));
		texts.push("服务器拒绝了收件人（550 5.1.1），因为“bob@b.example”不存在。客户端可以换一个收件人、再试一次，或者发送QUIT：会话结束！「注意」：这是永久错误；不要重试？《RFC 5321》第4.2节……说明了这一点。");
		const bad = [];
		for (const text of texts) {
			for (let width = 48; width <= 640; width += 5) {
				const lines = L.wrapLines(text, font, width);
				bad.push(...lineFaults(lines, "width " + width));
				// (Only a line of one character and its marks may hang a
				// mark past the width.)
				if (lines.some(l => [...l].length > 1 && L.textWidth(l, font) > width + 0.01 && ![...l].slice(1).every(c => NS.includes(c) || NE.includes(c)))) bad.push("width " + width + ": a line is wider: " + JSON.stringify(lines));
				if (lines.some(l => l.startsWith(" "))) bad.push("width " + width + ": a line begins with a space: " + JSON.stringify(lines));
				if (lines.join("").replace(/ /g, "") !== text.replace(/ /g, "")) bad.push("width " + width + ": characters lost: " + JSON.stringify(lines));
			}
		}
		// Chinese breaks between its characters: a line does not end at
		// an early space when Chinese follows it.
		const mail = "MAIL FROM：开始一封新邮件，给出信封发件人（退信的去处）。";
		for (let width = Math.ceil(L.textWidth("MAIL FROM：开", font)); width < L.textWidth(mail, font); width += 5) {
			const lines = L.wrapLines(mail, font, width);
			if (!lines[0].startsWith("MAIL FROM：开")) bad.push("width " + width + ": the first line ends at the space: " + JSON.stringify(lines));
		}
		return JSON.stringify([...new Set(bad)].slice(0, 20));
	})()`)), &faults)
	for _, f := range faults {
		t.Errorf("wrapLines: %s", f)
	}

	// The page's own lines and the export's.
	pg.exportSVG("exporting SVG")
	json.Unmarshal([]byte(pg.eval(`(() => {`+rules+svgJS+`
		const bad = [];
		for (const n of document.querySelectorAll("#rows .why, #rows .mark")) bad.push(...lineFaults(n.childNodes[0].textContent.split("\n"), "the page"));
		bad.push(...lineFaults([...svg.querySelectorAll("text")].map(n => n.textContent), "the export"));
		box.remove();
		return JSON.stringify(bad.concat(out));
	})()`)), &faults)
	for _, f := range faults {
		t.Error(f)
	}
	if n := pg.eval(`String((window.__mailscope.lastSVG.match(/[\u4e00-\u9fff]/g) || []).length)`); n == "0" {
		t.Error("the export holds no Chinese")
	}
	pg.checkExceptions()
}
