package webui

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestBrowserPresentFits: in presenter mode at a projector's 1280x720
// nothing on any tab is wider than the screen (the instructor trial found
// the Messages tab 1,466 px wide, its Received header and the preview's
// heading cut at the right: the tracking-pixel slide).
func TestBrowserPresentFits(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	// The newsletter as Python's email package writes it: a long boundary
	// and subject, and attachments.
	smtpSend(t, inst.Addr("A", world.SMTP), "news@a.example", "alice@a.example", lectureNewsletter())

	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1"))
	pg.wait("presenter mode", `document.body.classList.contains("present") && document.body.dataset.ws === "open"`)
	fits := func(where string) {
		t.Helper()
		if got := pg.eval(`(() => { const w = innerWidth, d = document.documentElement.scrollWidth; if (d <= w) return "ok"; return d + " > " + w + ": " + [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 1 && e.getClientRects().length).slice(0, 6).map(e => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)).join(", "); })()`); got != "ok" {
			t.Errorf("%s in presenter mode is wider than the screen: %s", where, got)
		}
	}
	pg.wait("the SMTP session drawn", `document.querySelectorAll("#rows .arrow").length > 5`)
	fits("the timeline")
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `[...document.querySelectorAll("#mailboxes li .msg-subject")].some(s => s.textContent === "Lecture 3: HTML newsletter with tracking pixel")`)
	fits("the message list")
	id := pg.eval(`[...document.querySelectorAll("#mailboxes li")].find(li => li.textContent.includes("Lecture 3: HTML newsletter with tracking pixel")).dataset.id`)
	pg.click("opening the HTML newsletter", `#mailboxes li[data-id="`+id+`"]`)
	pg.wait("the preview", `!!document.querySelector("#message .m-preview") && (document.querySelector("#message").textContent.includes("Received"))`)
	fits("the HTML message")
	pg.click("opening the queue", `.tab[data-view="queue"]`)
	fits("the queue")
	pg.checkExceptions()
}

// lectureNewsletter is the instructor's tracking-pixel slide: an HTML
// newsletter with a pixel, a long boundary and two attachments.
func lectureNewsletter() string {
	return `From: Shop <news@shop.example>
To: alice@a.example
Subject: Lecture 3: HTML newsletter with tracking pixel
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="===============8618640747617112291=="

--===============8618640747617112291==
Content-Type: multipart/alternative; boundary="===============5556059211234567890=="

--===============5556059211234567890==
Content-Type: text/plain; charset="utf-8"

Plain part: big sale on teaching mail servers.
--===============5556059211234567890==
Content-Type: text/html; charset="utf-8"

<html><body><h1 style="color:red">Big sale!</h1>
<img src="http://tracker.example/pixel.gif?u=alice&amp;campaign=42" width="1" height="1">
<img src="https://cdn.example/banner.png" alt="banner">
</body></html>
--===============5556059211234567890==--
--===============8618640747617112291==
Content-Type: text/csv
Content-Disposition: attachment; filename="grades.csv"

name,grade
alice,A
--===============8618640747617112291==
Content-Type: application/pdf
Content-Disposition: attachment; filename="syllabus lecture3.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--===============8618640747617112291==--
`
}

// TestBrowserExportColoursMarks: lane lines pass behind label text, and
// the SVG export of a relay session keeps
// the page's reply colours (a 2xx reply green, as on the page) and every
// mark and text inside the picture (the trial found the first state mark
// at B's lane running 11 px past the right edge, and every reply black).
func TestBrowserExportColoursMarks(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page in presenter mode", chromedp.Navigate(base+"/?present=1"))
	pg.wait("presenter mode", `document.body.classList.contains("present") && document.body.dataset.ws === "open"`)
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: relayed\n\nto bob, through B\n")
	pg.wait("the relay session's end", `[...window.__mailscope.sessions.values()].some(s => s.hop && s.closed)`)
	relay := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.hop && s.closed).id`)
	pg.wait("the relay session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(relay)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(relay) + `; f.dispatchEvent(new Event("change")); const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the relay session alone, from its start", `window.__mailscope.filter.session === `+jsString(relay)+` && !!document.querySelector("#rows .mark.state") && document.querySelectorAll("#rows .arrow").length > 5`)
	// The dashed lane lines pass behind the labels' words: every label
	// text a lane line crosses has the page's background behind it.
	var through []string
	json.Unmarshal([]byte(pg.eval(`(() => {
		const xs = [...document.querySelectorAll(".lane-line")].map(l => l.getBoundingClientRect().left + 1);
		const bg = getComputedStyle(document.body).backgroundColor;
		const texts = [...document.querySelectorAll("#rows .arrow .label")].map(l => l.querySelector(".lt") || l);
		return JSON.stringify(texts.filter(s => [...s.getClientRects()].some(r => xs.some(x => x > r.left && x < r.right))).filter(s => getComputedStyle(s).backgroundColor !== bg).map(s => s.textContent + ": " + getComputedStyle(s).backgroundColor));
	})()`)), &through)
	for _, s := range through {
		t.Errorf("a lane line runs through a label's words: %s", s)
	}
	pg.click("exporting SVG", `#p-svg`)
	pg.wait("the SVG", `typeof window.__mailscope.lastSVG === "string"`)
	// The SVG drawn in the page: every text and pill inside its width.
	got := pg.eval(`(() => {
		const box = document.createElement("div");
		box.style.cssText = "position:absolute;left:0;top:0;visibility:hidden";
		const svg = new DOMParser().parseFromString(window.__mailscope.lastSVG, "image/svg+xml").documentElement;
		box.appendChild(document.importNode(svg, true));
		document.body.appendChild(box);
		const s = box.querySelector("svg"), W = +s.getAttribute("width");
		const out = [...s.querySelectorAll("text, rect.mark")].filter(n => { const b = n.getBBox(); return b.x < 0 || b.x + b.width > W + 0.5; }).map(n => (n.textContent || "pill") + " " + Math.round(n.getBBox().x) + ".." + Math.round(n.getBBox().x + n.getBBox().width) + " of " + W);
		const green = getComputedStyle(document.body).getPropertyValue("--r2").trim();
		const marks = s.querySelectorAll("rect.mark").length;
		const greens = [...s.querySelectorAll("text")].filter(n => n.getAttribute("fill") === green && /^2\d\d[ -]/.test(n.textContent)).length;
		box.remove();
		return JSON.stringify({out, marks, greens});
	})()`)
	var r struct {
		Out           []string
		Marks, Greens int
	}
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatal(got, err)
	}
	for _, o := range r.Out {
		t.Errorf("outside the exported picture: %s", o)
	}
	if r.Marks == 0 {
		t.Error("the exported marks have no pill")
	}
	if r.Greens == 0 {
		t.Error("no 2xx reply is green in the export, as on the page")
	}
	pg.click("exporting PNG", `#p-png`)
	pg.wait("the PNG", `window.__mailscope.lastPNG > 10000`)

	// A long full-width line (a note across the ladder) wraps in the
	// picture rather than running off its edge.
	long := "a note that runs on: " + strings.Repeat("the queue keeps the message and tries again later; ", 8) + "END"
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: long})
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ""; f.dispatchEvent(new Event("change"));
		const a = document.querySelector("#autoscroll"); a.checked = true; a.dispatchEvent(new Event("change")); return ""; })()`)
	pg.wait("the note on the ladder", `[...document.querySelectorAll("#rows .full")].some(n => n.textContent.endsWith("END"))`)
	pg.eval(`window.__mailscope.lastSVG = null, ""`)
	pg.click("exporting SVG with the note", `#p-svg`)
	pg.wait("the SVG", `typeof window.__mailscope.lastSVG === "string"`)
	var note struct {
		Out   []string
		Lines int
	}
	json.Unmarshal([]byte(pg.eval(`(() => {
		const box = document.createElement("div");
		box.style.cssText = "position:absolute;left:0;top:0;visibility:hidden";
		box.appendChild(document.importNode(new DOMParser().parseFromString(window.__mailscope.lastSVG, "image/svg+xml").documentElement, true));
		document.body.appendChild(box);
		const s = box.querySelector("svg"), W = +s.getAttribute("width");
		const texts = [...s.querySelectorAll("text")];
		const out = texts.filter(n => { const b = n.getBBox(); return b.x < 0 || b.x + b.width > W + 0.5; }).map(n => n.textContent.slice(0, 40) + " " + Math.round(n.getBBox().x + n.getBBox().width) + " of " + W);
		const first = texts.findIndex(n => n.textContent.startsWith("a note that runs on"));
		const last = texts.findIndex(n => n.textContent.endsWith("END"));
		box.remove();
		return JSON.stringify({Out: out, Lines: first < 0 || last < 0 ? 0 : last - first + 1});
	})()`)), &note)
	for _, o := range note.Out {
		t.Errorf("outside the exported picture: %s", o)
	}
	if note.Lines < 2 {
		t.Errorf("the long note is %d lines in the export, want it wrapped whole", note.Lines)
	}
	pg.checkExceptions()
}

// TestBrowserLargeTypeWraps: Large type without presenter mode, the
// README's projector setting, cuts no label at 1280x720: labels wrap as in
// presenter mode (the trial found 12 of 21 labels of an IMAP session cut
// with "…").
func TestBrowserLargeTypeWraps(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.click("Large type", `#large`)
	pg.wait("large type", `document.body.classList.contains("large") && !document.body.classList.contains("present")`)
	imapTalk(t, inst.Addr("B", world.IMAP), "a1 LOGIN bob bob", `a2 LIST "" "*"`, "a3 SELECT INBOX", "a4 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)", "a5 LOGOUT")
	pg.wait("the IMAP session closed", `[...window.__mailscope.sessions.values()].some(s => s.proto === "imap" && s.closed)`)
	imap := pg.eval(`[...window.__mailscope.sessions.values()].find(s => s.proto === "imap" && s.closed).id`)
	pg.wait("the IMAP session in the filter menu", `[...document.querySelectorAll("#f-session option")].some(o => o.value === `+jsString(imap)+`)`)
	pg.eval(`(() => { const f = document.querySelector("#f-session"); f.value = ` + jsString(imap) + `; f.dispatchEvent(new Event("change")); const l = document.querySelector("#ladder"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); return ""; })()`)
	pg.wait("the IMAP session alone", `window.__mailscope.filter.session === `+jsString(imap)+` && document.querySelectorAll("#rows .arrow .label").length > 5`)
	var cut []string
	json.Unmarshal([]byte(pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .arrow .label")].filter(l => l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1).map(l => l.textContent + " " + l.scrollWidth + ">" + l.clientWidth))`)), &cut)
	for _, c := range cut {
		t.Errorf("large type cuts a label: %s", c)
	}
	pg.click("Large type off", `#large`)
	pg.wait("small type", `!document.body.classList.contains("large") && document.querySelectorAll("#rows .arrow .label").length > 5`)
	if got := pg.eval(`String([...document.querySelectorAll("#rows .row")].every(r => Math.abs(r.getBoundingClientRect().height - parseFloat(getComputedStyle(document.body).getPropertyValue("--row-h"))) < 1))`); got != "true" {
		t.Error("rows keep their wrapped heights after Large type is off")
	}
	pg.checkExceptions()
}

// TestBrowserQueueMarkWords: the operator's queue marks on the ladder say
// the catalog's words ("retry now: an operator made attempt 4 …"), never
// the internal step key ("retry-now: retry now: …", as the trial found),
// in English and in Chinese.
func TestBrowserQueueMarkWords(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	// The events the relay publishes for the queue's Retry now and Bounce
	// now (servers/relay/history.go).
	for _, e := range []struct{ step, key string }{{tracer.StepRetryNow, "queue.retrynow"}, {tracer.StepBounceNow, "queue.bouncenow"}} {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: "A", MsgID: "A-FRONT3",
			Msg:   tracer.M(e.key, "server", "A", "rcpt", "bob@b.example", "n", "4", "attempts", "3"),
			Attrs: map[string]string{tracer.AttrStep: e.step, tracer.AttrRcpt: "bob@b.example"}})
	}
	check := func(lang, retry, bounce string) {
		t.Helper()
		pg.wait("the two queue marks", `document.querySelectorAll("#rows .mark.queue").length === 2 && document.documentElement.lang === "`+lang+`"`)
		var marks []string
		json.Unmarshal([]byte(pg.eval(`JSON.stringify([...document.querySelectorAll("#rows .mark.queue")].map(m => m.textContent))`)), &marks)
		if len(marks) != 2 || !strings.HasPrefix(marks[0], retry) || !strings.HasPrefix(marks[1], bounce) {
			t.Errorf("%s: queue marks %q, want them to start %q and %q", lang, marks, retry, bounce)
		}
		for _, m := range marks {
			if strings.Contains(m, "retry-now") || strings.Contains(m, "bounce-now") {
				t.Errorf("%s: a queue mark shows the internal step: %q", lang, m)
			}
		}
	}
	check("en", "retry now: an operator", "bounce now: an operator")
	pg.click("中文", `.lang-btn[data-lang="zh"]`)
	check("zh", "立即重试：", "立即退信：")
	pg.checkExceptions()
}

// TestSearchAttachmentNames: the message search (over HTTP) finds a
// message by its attachments' file names, and says so (the trial's
// "grades.csv" and "syllabus" found nothing).
func TestSearchAttachmentNames(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	smtpSend(t, inst.Addr("A", world.SMTP), "news@a.example", "alice@a.example", lectureNewsletter())
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "alice@a.example", "To: alice@a.example\nSubject: plain\n\nnothing to see\n")
	for _, q := range []string{"grades.csv", "SYLLABUS", "lecture3.pdf"} {
		var v searchView
		getJSON(t, base+"/api/search?server=A&user=alice&q="+url.QueryEscape(q), &v)
		if len(v.Results) != 1 || strings.Join(v.Results[0].Where, ",") != "attachment" || v.Results[0].Subject != "Lecture 3: HTML newsletter with tracking pixel" {
			t.Errorf("search %q: %+v, want the newsletter, found in an attachment's name", q, v.Results)
		}
	}
	var v searchView
	getJSON(t, base+"/api/search?server=A&user=alice&q=.pdf.csv", &v)
	if len(v.Results) != 0 {
		t.Errorf("search of no name: %+v", v.Results)
	}
}
