package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// chromium finds Debian's chromium (what .ci/run installs).
func chromium() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// page is a headless chromium driving the page, with steps that share one
// deadline. newPage skips the test where chromium is missing (outside CI).
type page struct {
	t        testing.TB
	ctx      context.Context
	deadline time.Time

	excMu      sync.Mutex
	exceptions []string
}

func newPage(t testing.TB) *page {
	t.Helper()
	return newPageSize(t, 1500, 950)
}

// newPageSize is newPage with a window of w x h pixels.
func newPageSize(t testing.TB, w, h int) *page {
	t.Helper()
	chrome := chromium()
	if chrome == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is required in CI (apt-get install chromium)")
		}
		t.Skip("chromium not found: install it (apt-get install -y chromium) to run the browser test")
	}
	// A profile of its own; chromium's helpers may still write to it for a
	// moment after it exits, so removal is retried.
	profile, err := os.MkdirTemp("", "mailscope-chromium")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// Start the browser with no deadline (a deadline on the first Run would
	// bound the browser's life); each step below has its own. A chromium
	// that dies while starting (it happens on loaded machines) gets a second
	// chance.
	// chromedp may report errors from its goroutines after the test ends,
	// when t.Logf would panic.
	var finished atomic.Bool
	t.Cleanup(func() { finished.Store(true) })
	logf := func(format string, args ...any) {
		if !finished.Load() {
			t.Logf("chromedp: "+format, args...)
		}
	}
	pg := &page{t: t, deadline: time.Now().Add(60 * time.Second)}
	for attempt := 1; ; attempt++ {
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chrome),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("no-first-run", true),
			chromedp.UserDataDir(filepath.Join(profile, strconv.Itoa(attempt))),
			chromedp.WindowSize(w, h),
		)
		c, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(logf))
		err := chromedp.Do(c)
		if err == nil {
			pg.ctx = c
			t.Cleanup(cancelAlloc)
			t.Cleanup(cancel)
			break
		}
		cancel()
		cancelAlloc()
		if attempt == 3 {
			t.Fatalf("starting %s: %v", chrome, err)
		}
		t.Logf("starting %s (attempt %d): %v", chrome, attempt, err)
	}
	messages := chromedp.Console(pg.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				pg.excMu.Lock()
				pg.exceptions = append(pg.exceptions, m.String())
				pg.excMu.Unlock()
			}
		}
	}()
	return pg
}

func (pg *page) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	pg.t.Helper()
	sctx, scancel := context.WithDeadline(pg.ctx, pg.deadline)
	defer scancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		pg.t.Fatalf("%s: %v", what, err)
	}
}

func (pg *page) eval(expr string) string {
	pg.t.Helper()
	sctx, scancel := context.WithDeadline(pg.ctx, pg.deadline)
	defer scancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
	for staleContext(err) && sctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		v, err = chromedp.Run(sctx, chromedp.Evaluate[string](expr))
	}
	if err != nil {
		pg.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func (pg *page) wait(what, predicate string) {
	pg.t.Helper()
	pg.waitUpTo(what, predicate, 20*time.Second)
}

// waitUpTo is wait with a timeout of its own.
func (pg *page) waitUpTo(what, predicate string, timeout time.Duration) {
	pg.t.Helper()
	sctx, scancel := context.WithDeadline(pg.ctx, pg.deadline)
	defer scancel()
	poll := chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(timeout))
	err := chromedp.Do(sctx, poll)
	for staleContext(err) && sctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		err = chromedp.Do(sctx, poll)
	}
	if err != nil {
		dump, _ := chromedp.Run(pg.ctx, chromedp.Evaluate[string](`JSON.stringify({ws: document.body.dataset.ws, auto: document.querySelector("#autoscroll").checked, events: window.__mailscope.events.length, rows: window.__mailscope.rows.length, rendered: [...document.querySelectorAll("#rows .row")].map(r => r.textContent.slice(0, 40))})`))
		pg.t.Fatalf("waiting for %s: %v\npage state: %s", what, err, dump)
	}
}

// click waits for an element and clicks it in one step inside the page:
// live updates re-render lists and rows, so a node looked up by the
// driver may be gone by the time a separate click message arrives.
func (pg *page) click(what, sel string) {
	pg.t.Helper()
	js := jsString(sel)
	pg.wait(what, `!!document.querySelector(`+js+`)`)
	if got := pg.eval(`(() => { const el = document.querySelector(` + js + `); if (!el) return "gone"; el.click(); return "ok"; })()`); got != "ok" {
		pg.wait(what, `!!document.querySelector(`+js+`)`)
		pg.eval(`document.querySelector(` + js + `).click(), ""`)
	}
}

func (pg *page) shot(name string) {
	pg.t.Helper()
	sctx, scancel := context.WithDeadline(pg.ctx, pg.deadline)
	defer scancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		pg.t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(pg.t.ArtifactDir(), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		pg.t.Fatal(err)
	}
	pg.t.Logf("screenshot: %s", p)
}

// checkExceptions fails the test for each uncaught exception of the page.
func (pg *page) checkExceptions() {
	pg.t.Helper()
	pg.excMu.Lock()
	defer pg.excMu.Unlock()
	for _, m := range pg.exceptions {
		pg.t.Errorf("page exception: %s", m)
	}
}

// TestBrowser drives the page in a real headless chromium: it loads and
// goes live; an SMTP session sent over a real socket appears as arrows;
// clicking an arrow explains it; the message view shows the MIME tree and
// the webmail's own requests appear as HTTP arrows; a hostile message is
// shown as text and runs nothing. Screenshots go to the test's artifact
// directory (go test -artifacts keeps them; the path is logged).
func TestBrowser(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)

	// The page loads and goes live.
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.wait("the world", `window.__mailscope.world.servers.length === 2`)

	// An SMTP session over a real socket appears live, arrow by arrow.
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", mimeMessage)
	pg.wait("the MAIL FROM arrow", `[...document.querySelectorAll("#rows .arrow .label")].some(l => l.textContent === "MAIL FROM:<alice@a.example>")`)
	pg.wait("the QUIT reply", `[...document.querySelectorAll("#rows .arrow.s2c .label")].some(l => l.textContent.startsWith("221 "))`)
	if n, _ := strconv.Atoi(pg.eval(`String(document.querySelectorAll("#rows .arrow").length)`)); n < 10 {
		t.Errorf("only %d arrows for an SMTP session", n)
	}
	if got := pg.eval(`document.querySelector("#lane-heads").textContent`); !strings.Contains(got, "client of A") || !strings.Contains(got, "server A") {
		t.Errorf("lanes: %q", got)
	}
	if cls := pg.eval(`[...document.querySelectorAll("#rows .arrow.s2c .label")].find(l => l.textContent.startsWith("250 ")).className`); !strings.Contains(cls, "r2") {
		t.Errorf("a 250 reply has classes %q, want the 2xx color r2", cls)
	}
	if pg.eval(`String(!!document.querySelector("#rows .mark.state"))`) != "true" {
		t.Error("no state mark on the lane")
	}
	// A multi-line reply is one arrow outside presenter mode too: EHLO's
	// capability lines fold into its first line, and its ▸ opens them.
	ehlo := `[...document.querySelectorAll("#rows .arrow.s2c .label")].find(l => /^▸250-/.test(l.textContent) && /  \[\+[0-9]+\]$/.test(l.textContent))`
	pg.wait("EHLO's reply folded into one arrow", `!!`+ehlo)
	// Its ▸ says what it opens: the reply's other lines, not a message body.
	if got := pg.eval(ehlo + `.querySelector(".toggle").title`); !strings.HasPrefix(got, "show the ") || !strings.Contains(got, "more lines of this reply") {
		t.Errorf("the fold's ▸ says %q", got)
	}
	pg.eval(ehlo + `.querySelector(".toggle").click(), ""`)
	pg.wait("EHLO's reply opened", `[...document.querySelectorAll("#rows pre.data")].some(p => /^250-/.test(p.textContent) && /\n250 /.test(p.textContent))`)
	pg.eval(`[...document.querySelectorAll("#rows .arrow.s2c .label")].find(l => /^▾250-/.test(l.textContent)).querySelector(".toggle").click(), ""`)
	pg.wait("EHLO's reply folded again", `!document.querySelector("#rows pre.data")`)

	// A U+202E in a HELO name is shown as an escape: it does not reverse
	// the rest of the server's reply, which quotes the name.
	heloSend(t, smtpA, "\u202eevil")
	// The server itself quotes the name 7-bit clean (\xe2\x80\xae): replies
	// are ASCII.
	pg.wait("the reply to the HELO with U+202E", `[...document.querySelectorAll("#rows .arrow.s2c .label")].some(l => l.textContent.includes("Hello \\xe2\\x80\\xaeevil ["))`)
	pg.click("clicking that reply", `#rows .row[data-seq="`+pg.eval(`[...document.querySelectorAll("#rows .arrow.s2c .label")].find(l => l.textContent.includes("\\xe2\\x80\\xaeevil")).closest(".row").dataset.seq`)+`"] .arrow`)
	pg.wait("its explanation", `document.querySelector("#explain-body .wire").textContent.includes("\\xe2\\x80\\xaeevil")`)
	if got := pg.eval(`String([...document.querySelectorAll("#rows, #session-list, #explain-body, #f-session")].some(e => e.textContent.includes("\u202e") || [...e.querySelectorAll("[title]")].some(x => x.title.includes("\u202e"))))`); got != "false" {
		t.Error("a U+202E reached the page as a bidi control")
	}
	// The words after the name are drawn left to right: "evil" before
	// "pleased" (reversed, "pleased" would come first).
	const leftToRight = `((n) => {
		const t = n.textContent;
		const x = (w) => { const r = document.createRange(), i = t.indexOf(w); r.setStart(n, i); r.setEnd(n, i + w.length); return r.getBoundingClientRect().left; };
		return String(x("Hello") < x("evil") && x("evil") < x("pleased"));
	})`
	// (The label's text node: the label may wrap it in a span of its own.)
	if pg.eval(leftToRight+`((l => { const w = document.createTreeWalker(l, NodeFilter.SHOW_TEXT); for (let n; (n = w.nextNode());) if (n.textContent.includes("evil")) return n; })([...document.querySelectorAll("#rows .arrow.s2c .label")].find(l => l.textContent.includes("\\xe2\\x80\\xaeevil"))))`) != "true" {
		t.Error("the reply after a HELO with U+202E is not drawn left to right")
	}
	// The check sees a reversal: on a raw U+202E it reports false.
	if pg.eval(`(() => { const s = document.createElement("span"); s.textContent = "Hello \u202eevil [127.0.0.1], pleased"; document.body.appendChild(s); const r = `+leftToRight+`(s.firstChild); s.remove(); return r; })()`) != "false" {
		t.Error("the left-to-right check does not see a raw U+202E's reversal")
	}

	// Clicking an arrow explains it.
	seq := pg.eval(`[...document.querySelectorAll("#rows .arrow .label")].find(l => l.textContent === "MAIL FROM:<alice@a.example>").closest(".row").dataset.seq`)
	pg.click("clicking the MAIL FROM arrow", `#rows .row[data-seq="`+seq+`"] .arrow`)
	pg.wait("the explanation", `document.querySelector("#explain-body .meaning") !== null`)
	expl := pg.eval(`document.querySelector("#explain-body").textContent`)
	for _, want := range []string{"MAIL FROM:<alice@a.example>", "RFC 5321", "state", "→"} {
		if !strings.Contains(expl, want) {
			t.Errorf("explanation panel lacks %q: %s", want, expl)
		}
	}
	pg.shot("timeline.png")

	// Clicking scrolled the ladder, which switches auto-scroll off (the
	// user is reading); switch it on again to follow the next session.
	if pg.eval(`String(document.querySelector("#autoscroll").checked)`) != "true" {
		pg.click("auto-scroll on", `#autoscroll`)
	}

	// The hostile message: its bytes in the ladder stay text.
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", hostileMessage())
	pg.wait("the hostile session's body on screen", `(() => { const d = window.__mailscope.rows.filter(e => e.kind === "data"); return d.length >= 2 && !!document.querySelector('#rows .row[data-seq="' + d[d.length - 1].seq + '"] .arrow.data'); })()`)
	dataSeq := pg.eval(`String(window.__mailscope.rows.filter(e => e.kind === "data").pop().seq)`)
	pg.click("expanding the hostile body", `#rows .row[data-seq="`+dataSeq+`"] .toggle`)
	pg.wait("the expanded hostile body", `[...document.querySelectorAll("#rows pre.data")].some(p => p.textContent.includes("<script>window.__xss=3</script>"))`)

	// The message view: the list, the MIME tree, the decoded text.
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `[...document.querySelectorAll("#mailboxes li .msg-subject")].some(s => s.textContent === "Lab report ✓")`)
	mimeID := pg.eval(`[...document.querySelectorAll("#mailboxes li")].find(li => li.textContent.includes("Lab report ✓")).dataset.id`)
	pg.click("opening the MIME message", `#mailboxes li[data-id="`+mimeID+`"]`)
	pg.wait("the MIME tree", `(document.querySelector("#mime-tree")||{textContent:""}).textContent.includes("multipart/alternative")`)
	tree := pg.eval(`document.querySelector("#mime-tree").textContent`)
	for _, want := range []string{"multipart/mixed", "multipart/alternative", "text/plain", "quoted-printable", "text/html", "application/octet-stream", "base64", "data.bin"} {
		if !strings.Contains(tree, want) {
			t.Errorf("MIME tree lacks %q: %s", want, tree)
		}
	}
	if txt := pg.eval(`document.querySelector("#decoded-text").textContent`); !strings.Contains(txt, "Café at noon.") {
		t.Errorf("decoded text: %q", txt)
	}
	if raw := pg.eval(`document.querySelector("#raw-source").textContent`); !strings.Contains(raw, "Caf=E9 at noon.") {
		t.Errorf("raw source: %q", raw)
	}
	pg.shot("message.png")

	// The hostile message opens as text.
	id := pg.eval(`[...document.querySelectorAll("#mailboxes li")].find(li => li.textContent.includes("onerror")).dataset.id`)
	pg.click("opening the hostile message", `#mailboxes li[data-id="`+id+`"]`)
	pg.wait("the hostile message", `(document.querySelector("#msg-subject")||{}).textContent === `+jsString(hostileSubject))
	if txt := pg.eval(`document.querySelector("#decoded-text").textContent`); !strings.Contains(txt, `<script>window.__xss=3</script>`) || !strings.Contains(txt, `<img src=x onerror="window.__xss=4">`) {
		t.Errorf("hostile body not shown as text: %q", txt)
	}

	// The webmail's requests are HTTP arrows in the timeline.
	pg.click("back to the timeline", `.tab[data-view="timeline"]`)
	pg.wait("the webmail's HTTP arrows", `[...document.querySelectorAll("#rows .arrow .label")].some(l => l.textContent.startsWith("GET /api/messages/"))`)
	if got := pg.eval(`document.querySelector("#lane-heads").textContent`); !strings.Contains(got, "alice's side") || strings.Count(got, "client of A") != 1 {
		t.Errorf("the webmail's requests are not drawn from the client lane of A: %q", got)
	}

	// Nothing ran: no flag, no element the hostile text could have made.
	state := pg.eval(`JSON.stringify({xss: typeof window.__xss, imgs: document.querySelectorAll("img").length, scripts: document.querySelectorAll("script").length, iframes: document.querySelectorAll("iframe").length})`)
	var dom struct {
		XSS                    string
		Imgs, Scripts, Iframes int
	}
	if err := json.Unmarshal([]byte(state), &dom); err != nil {
		t.Fatal(err)
	}
	if dom.XSS != "undefined" || dom.Imgs != 0 || dom.Scripts != 1 || dom.Iframes != 0 {
		t.Errorf("hostile text became markup: %+v", dom)
	}

	// Follow one message: the filter keeps only the events that carry its id.
	pg.click("opening the MIME message again", `.tab[data-view="messages"]`)
	pg.wait("the message list", `!!document.querySelector('#mailboxes li[data-id]')`)
	pg.click("opening it", `#mailboxes li[data-id="`+mimeID+`"]`)
	pg.wait("the follow button", `[...document.querySelectorAll("#message button")].some(b => b.textContent.startsWith("Follow "))`)
	msgID := pg.eval(`[...document.querySelectorAll("#message button")].find(b => b.textContent.startsWith("Follow ")).textContent.split(" ")[1]`)
	pg.eval(`[...document.querySelectorAll("#message button")].find(b => b.textContent.startsWith("Follow ")).click(), ""`)
	pg.wait("the followed message's events", `window.__mailscope.filter.msgid !== "" && window.__mailscope.rows.length > 0 && document.querySelectorAll("#rows .row").length > 0`)
	if bad := pg.eval(`String(window.__mailscope.rows.filter(e => e.msgid !== ` + jsString(msgID) + `).length)`); bad != "0" {
		t.Errorf("following %s shows %s events of other messages", msgID, bad)
	}
	if got := pg.eval(`String(window.__mailscope.rows.some(e => e.kind === "line" && e.text.startsWith("RCPT TO:")) && window.__mailscope.rows.some(e => e.kind === "http"))`); got != "true" {
		t.Errorf("following %s: want its SMTP lines and its HTTP fetch", msgID)
	}
	pg.step("all messages again", chromedp.SetValue(chromedp.CSS(`#f-msgid`), ""))
	pg.eval(`document.querySelector("#f-msgid").dispatchEvent(new Event("change")), ""`)

	// A deferred delivery shows its countdown on server A's lane.
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: "A", MsgID: "A-TEST", Text: "deferred: b.example did not answer",
		Attrs: map[string]string{"step": "deferred", "rcpt": "bob@b.example", "next_attempt": time.Now().Add(90 * time.Second).Format(time.RFC3339)}})
	pg.wait("the deferred mark's countdown", `[...document.querySelectorAll("#rows .mark.q-deferred .countdown")].some(c => /^next try in (1m [0-9]{2}s|[0-9]+s)$/.test(c.textContent))`)
	// Past its time with no attempt, it says so (never "trying now" for
	// good); once the attempt comes, it says when that was.
	pg.wait("the overdue countdown", `(() => { const c = [...document.querySelectorAll("#rows .mark.q-deferred .countdown")].pop(); if (!c.dataset.past) { c.dataset.past = "1"; c.dataset.deadline = String(Date.now() - 60000); } return /^overdue by 1m 0[0-9]s: no attempt yet$/.test(c.textContent) && c.classList.contains("overdue"); })()`)
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: "A", MsgID: "A-TEST", Text: "attempt 2 to b.example",
		Attrs: map[string]string{"step": "attempt", "rcpt": "bob@b.example"}})
	pg.wait("the countdown after the attempt", `/^attempt [0-9]+s later$/.test([...document.querySelectorAll("#rows .mark.q-deferred .countdown")].pop().textContent)`)

	// The fault switches: the page's own POST switches B down, and back.
	pg.click("opening the queue", `.tab[data-view="queue"]`)
	pg.wait("the fault switches", `!!document.querySelector('.fault-btn[data-server="B"][data-fault="down"]')`)
	pg.click("B down", `.fault-btn[data-server="B"][data-fault="down"]`)
	pg.wait("the switch to show B down", `document.querySelector('.fault-btn[data-server="B"][data-fault="down"]').classList.contains("active")`)
	if f := inst.FaultOf("B"); f != "down" {
		t.Errorf("after the switch B's fault is %q, want down", f)
	}
	pg.click("B up", `.fault-btn[data-server="B"][data-fault=""]`)
	pg.wait("the switch to show B without fault", `document.querySelector('.fault-btn[data-server="B"][data-fault=""]').classList.contains("active")`)
	pg.click("back to the timeline", `.tab[data-view="timeline"]`)

	// 10,000 events: the page keeps only the visible rows in the DOM.
	const many = 10000
	for i := 0; i < many; i++ {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLine, Session: "A-smtp-99", Server: "A", Proto: "smtp", Dir: tracer.C2S, Text: "NOOP " + strconv.Itoa(i)})
	}
	// A burst that size overflows a live viewer's queue (it would get a
	// skipped marker); a fresh page gets the whole kept history as replay.
	start := time.Now()
	pg.step("reloading the page", chromedp.Navigate(base+"/"))
	pg.wait("10,000 events", `window.__mailscope.events.length >= `+strconv.Itoa(many))
	pg.wait("the newest row", `[...document.querySelectorAll("#rows .label")].some(l => l.textContent === "NOOP `+strconv.Itoa(many-1)+`")`)
	t.Logf("10,000 events replayed and drawn in %s", time.Since(start).Round(time.Millisecond))
	if n, _ := strconv.Atoi(pg.eval(`String(document.querySelectorAll("#rows .row").length)`)); n == 0 || n > 200 {
		t.Errorf("%d rows in the DOM for %d events: rendering is not virtualized", n, many)
	}
	pg.eval(`(() => { const l = document.querySelector("#ladder"); l.scrollTop = l.scrollHeight / 2; return ""; })()`)
	pg.wait("rows in the middle after scrolling", `[...document.querySelectorAll("#rows .label")].some(l => /^NOOP 4[0-9]{3}$/.test(l.textContent))`)

	// A lesson's steps tick in the panel beside the ladder; its text, like
	// everything else, is shown as text.
	lesson := func(status, step, text string) {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Server: "A", Text: text,
			Attrs: map[string]string{"lesson": "smtp-by-hand", "status": status, "step": step, "steps": "3", "title": "Step " + step + " <b>title</b>"}})
	}
	lesson("started", "0", "SMTP by hand")
	lesson("current", "0", "open a second terminal: telnet ...")
	lesson("step-done", "0", "the server spoke first")
	lesson("current", "1", "say HELO")
	lesson("hint", "1", "<img src=x onerror=\"window.__xss=5\"> MAIL FROM needs a colon")
	pg.wait("the lesson panel", `!document.querySelector("#lesson-panel").hidden && document.querySelectorAll("#lesson-panel li.done").length === 1 && document.querySelector("#lesson-panel li.current") !== null`)
	if got := pg.eval(`document.querySelector("#lesson-panel .lesson-hint").textContent`); !strings.Contains(got, `<img src=x`) {
		t.Errorf("lesson hint not shown as text: %q", got)
	}
	pg.shot("timeline-lesson.png")

	// Large type for the projector.
	pg.click("large type", `#large`)
	if pg.eval(`String(document.body.classList.contains("large"))`) != "true" {
		t.Error("large type did not switch on")
	}
	pg.shot("timeline-large.png")

	if x := pg.eval(`typeof window.__xss`); x != "undefined" {
		t.Errorf("hostile lesson text ran: window.__xss is %s", x)
	}

	pg.checkExceptions()
}

// TestBrowserPublic drives the page of a web timeline beyond loopback:
// without the token it shows the token form and nothing else; a wrong
// token says so; the right one (typed in the form, kept as a cookie) brings
// the live timeline, the webmail and the fault switches, whose POST passes
// the origin checks.
func TestBrowserPublic(t *testing.T) {
	pg := newPage(t)
	const token = "0123456789abcdef0123456789abcdef"
	inst, _, base := newWorldOn(t, Options{Token: token}, "0.0.0.0:0")
	smtpA := inst.Addr("A", world.SMTP)
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", "Subject: for the token holders\n\nhello\n")

	pg.step("loading the page without the token", chromedp.Navigate(base+"/"))
	pg.wait("the token form", `!document.querySelector("#login").hidden && document.body.dataset.ws === "login"`)
	if n := pg.eval(`String(window.__mailscope.events.length)`); n != "0" {
		t.Errorf("the page without the token holds %s events", n)
	}
	pg.step("a wrong token", chromedp.Navigate(base+"/?token=wrong"))
	pg.wait("the wrong-token message", `!document.querySelector("#login").hidden && document.querySelector("#login-text").textContent.includes("not this mailscope")`)
	pg.shot("login.png")

	pg.eval(`document.querySelector("#login-token").value = ` + jsString(token) + `, document.querySelector("#login").submit(), ""`)
	pg.wait("the websocket with the token", `document.body.dataset.ws === "open"`)
	if u := pg.eval(`location.href`); strings.Contains(u, token) {
		t.Errorf("the token stayed in the address bar: %s", u)
	}
	pg.wait("the session sent before", `[...document.querySelectorAll("#rows .arrow .label")].some(l => l.textContent === "MAIL FROM:<alice@a.example>")`)
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `[...document.querySelectorAll("#mailboxes li .msg-subject")].some(s => s.textContent === "for the token holders")`)
	pg.click("opening the queue", `.tab[data-view="queue"]`)
	pg.click("B down", `.fault-btn[data-server="B"][data-fault="down"]`)
	pg.wait("the switch to show B down", `document.querySelector('.fault-btn[data-server="B"][data-fault="down"]').classList.contains("active")`)
	if f := inst.FaultOf("B"); f != "down" {
		t.Errorf("after the switch B's fault is %q, want down", f)
	}
	pg.checkExceptions()
}

// heloSend opens an SMTP session, says HELO name and quits.
func heloSend(t *testing.T, addr, name string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	for _, send := range []string{"", "HELO " + name, "QUIT"} {
		if send != "" {
			fmt.Fprintf(c, "%s\r\n", send)
		}
		if l, err := r.ReadString('\n'); err != nil || l[0] != '2' {
			t.Fatalf("SMTP after %q: %q %v", send, l, err)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// staleContext tells whether err comes from a script sent to the page's
// previous document. After a navigation chromedp learns of the new
// JavaScript context from an event it handles on its own goroutine, so a
// call made right after Navigate returns may still name the old one; the
// call is simply sent again.
func staleContext(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "Cannot find context with specified id") ||
		strings.Contains(s, "Execution context was destroyed") ||
		strings.Contains(s, "Inspected target navigated or closed")
}
