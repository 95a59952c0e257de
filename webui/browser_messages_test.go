package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mailscope/mailscope/servers/world"
)

// TestBrowserMessagesKeys: the message list is usable from the keyboard
// alone (the instructor trial found no way to open a message without a
// mouse: Tab went from the Search button out of the view). Tab reaches the
// list, which is one tab stop with a visible focus ring; the arrow keys
// move between messages, Enter opens one.
func TestBrowserMessagesKeys(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)
	smtpSend(t, smtpA, "bob@a.example", "alice@a.example", "Subject: older note\n\nfirst\n")
	smtpSend(t, smtpA, "bob@a.example", "alice@a.example", "Subject: newer note\n\nsecond\n")

	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's two messages", `document.querySelectorAll("#mailboxes li[data-id]").length === 2`)
	if n := pg.eval(`String(document.querySelectorAll('#mailboxes [tabindex="0"], #mailboxes a[href]').length)`); n != "1" {
		t.Errorf("the message list has %s tab stops, want 1", n)
	}

	pg.eval(`document.querySelector("#m-search-form button[type=submit]").focus(), ""`)
	pg.step("Tab from the Search button", chromedp.KeyEvent(kb.Tab))
	focused := `(() => { const a = document.activeElement, li = a && a.closest("#mailboxes li"); return li ? li.querySelector(".msg-subject").textContent : "(not a message: " + (a ? a.tagName + "#" + a.id + "." + a.className : "none") + ")"; })()`
	if got := pg.eval(focused); got != "newer note" {
		t.Fatalf("Tab after Search focuses %s, want the newest message", got)
	}
	// The focus shows: a ring drawn inside the list's scroll box.
	if got := pg.eval(`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth + " " + document.activeElement.matches(":focus-visible"); })()`); !strings.HasPrefix(got, "solid ") || strings.HasPrefix(got, "solid 0px") || !strings.HasSuffix(got, " true") {
		t.Errorf("focused message's outline: %s", got)
	}
	pg.step("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	if got := pg.eval(focused); got != "older note" {
		t.Errorf("ArrowDown focuses %s, want the older message", got)
	}
	pg.step("ArrowDown at the end", chromedp.KeyEvent(kb.ArrowDown))
	pg.step("ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	pg.step("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	if got := pg.eval(focused); got != "older note" {
		t.Errorf("ArrowDown, ArrowUp, ArrowDown focuses %s, want the older message", got)
	}
	pg.step("Enter", chromedp.KeyEvent(kb.Enter))
	pg.wait("the older message open", `!!document.querySelector("#msg-subject") && document.querySelector("#msg-subject").textContent === "older note"`)
	if got := pg.eval(focused); got != "older note" {
		t.Errorf("after Enter the focus is on %s, want it to stay on the message", got)
	}
	if got := pg.eval(`[...document.querySelectorAll('#mailboxes [tabindex="0"]')].map(b => b.closest("li").querySelector(".msg-subject").textContent).join("|") + "#" + document.querySelector("#mailboxes li.current .msg-subject").textContent`); got != "older note#older note" {
		t.Errorf("tab stop # current message: %q", got)
	}
	// Shift+Tab leaves the list for the Search button: one stop, not one
	// per message.
	pg.step("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := pg.eval(`document.activeElement.type + "|" + !!document.activeElement.closest("#m-search-form")`); got != "submit|true" {
		t.Errorf("Shift+Tab from the list focuses %s, want the Search button", got)
	}
	pg.checkExceptions()
}

// TestBrowserMessagesPreviewLinks: a link in the sandboxed HTML preview
// is not followed (the trial's click on a phishing mail's "Log in here"
// navigated the frame, which the page's policy blocked: the preview became
// the browser's error page until the message was opened again). The click
// leaves the mail's document in the frame; a note under the preview says
// links are not followed, and the decoded text says the HTML is rendered
// above.
func TestBrowserMessagesPreviewLinks(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpSend(t, inst.Addr("A", world.SMTP), "security@bank.example", "alice@a.example", phishMessage())

	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `!!document.querySelector("#mailboxes li[data-id]")`)
	pg.click("opening the phishing mail", `#mailboxes li[data-id] .msg-open`)
	pg.wait("the preview frame", `!!document.querySelector("#msg-preview")`)
	// Count the frame's loads from a fresh one: a followed link is another.
	pg.eval(`(() => { const f = document.querySelector("#msg-preview"); f.dataset.loads = "0"; f.addEventListener("load", () => { f.dataset.loads = String(+f.dataset.loads + 1); }); f.src = f.getAttribute("src"); f.scrollIntoView(); return ""; })()`)
	pg.wait("the preview loaded", `document.querySelector("#msg-preview").dataset.loads === "1"`)
	src := pg.eval(`document.querySelector("#msg-preview").src`)
	// The preview's document, wherever chromium runs it: a sandboxed frame
	// is a target of its own (another process), an error page may be a
	// frame of the page's.
	frameURL := func() string {
		sctx, cancel := context.WithTimeout(pg.ctx, 10*time.Second)
		defer cancel()
		var urls []string
		tree, err := chromedp.Call(sctx, cdppage.GetFrameTree, cdp.Empty{})
		if err != nil {
			t.Fatalf("frame tree: %v", err)
		}
		for _, c := range tree.FrameTree.ChildFrames {
			urls = append(urls, c.Frame.URL)
		}
		targets, err := chromedp.CallBrowser(sctx, target.GetTargets, target.GetTargetsParams{})
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, ti := range targets.TargetInfos {
			if ti.Type == "iframe" {
				urls = append(urls, ti.URL)
			}
		}
		return strings.Join(urls, " ")
	}
	if got := frameURL(); got != src {
		t.Fatalf("preview frame's URL %q, want %q", got, src)
	}

	// A real click on the link: the mail's body begins with it, a block
	// 300x60 px at the frame's top left.
	pg.eval(`document.querySelector("#msg-preview").scrollIntoView({block: "center", behavior: "instant"}), ""`)
	var r struct{ X, Y float64 }
	json.Unmarshal([]byte(pg.eval(`(() => { const b = document.querySelector("#msg-preview").getBoundingClientRect(); return JSON.stringify({x: b.left + 2 + 40, y: b.top + 2 + 20}); })()`)), &r)
	if got := pg.eval(fmt.Sprintf(`String(document.elementFromPoint(%g, %g) === document.querySelector("#msg-preview"))`, r.X, r.Y)); got != "true" {
		t.Fatalf("the preview is not at %v", r)
	}
	// The frame runs in a process of its own: let its new place on the
	// screen reach the compositor before the click.
	time.Sleep(500 * time.Millisecond)
	pg.step("clicking “Log in here” in the preview", chromedp.MouseClickXY(r.X, r.Y))
	// The click reached the frame's document: the frame has the focus.
	if got := pg.eval(`document.activeElement.id`); got != "msg-preview" {
		t.Fatalf("the click at %v went to #%s, not into the preview", r, got)
	}
	// A followed link loads the frame again (the browser's error page
	// included): give it three seconds.
	for range 30 {
		if pg.eval(`document.querySelector("#msg-preview").dataset.loads`) != "1" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := frameURL(); got != src {
		t.Errorf("after the click the preview frame shows %q, want the mail (%q)", got, src)
	}
	if got := pg.eval(`document.querySelector("#msg-preview").dataset.loads`); got != "1" {
		t.Errorf("the click loaded the frame again (%s loads)", got)
	}
	if got := pg.eval(`document.querySelector("#msg-linknote").textContent`); !strings.Contains(got, "not followed") || !strings.Contains(got, "Hover") {
		t.Errorf("note under the preview: %q", got)
	}
	heads := pg.eval(`[...document.querySelectorAll("#decoded-text h3")].map(h => h.textContent).join("|")`)
	if !strings.Contains(heads, "text/html (as source; rendered above in the sandboxed preview, with remote content blocked)") || strings.Contains(heads, "never rendered") {
		t.Errorf("decoded text headings: %q", heads)
	}

	// In Chinese too.
	pg.click("中文", `.lang-btn[data-lang="zh"]`)
	pg.wait("the note in Chinese", `document.querySelector("#msg-linknote") && document.querySelector("#msg-linknote").textContent.includes("链接不会被打开")`)
	if heads := pg.eval(`[...document.querySelectorAll("#decoded-text h3")].map(h => h.textContent).join("|")`); !strings.Contains(heads, "上方的沙箱预览渲染了它") {
		t.Errorf("decoded text headings in Chinese: %q", heads)
	}
	pg.checkExceptions()
}

// phishMessage is a phishing mail: its login link is the first thing in
// its body, a big block, and its own <base> would send relative links
// elsewhere.
func phishMessage() string {
	return `From: Bank <security@bank.example>
To: alice@a.example
Subject: Your account is locked
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Log in here: http://phish.example/
--b
Content-Type: text/html; charset=utf-8

<!DOCTYPE html>
<html><head><base href="http://phish.example/" target="_top"></head>
<body style="margin:0">
<a href="http://phish.example/" style="display:block;width:300px;height:60px;background:#c00;color:#fff" target="_self">Log in here</a>
<p>Your account is locked. <a href="unlock">Unlock it</a>.</p>
</body></html>
--b--
`
}

// TestBrowserMessagesRelabel: a search's answer and the message list say
// their words again in the language switched to, dates included (the
// trial found "1 message(s) match", "Show all" and "found in subject" in
// English, and US dates, on a Chinese page); a switch made on another tab
// shows when the Messages tab opens again.
func TestBrowserMessagesRelabel(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpSend(t, inst.Addr("A", world.SMTP), "news@a.example", "alice@a.example", "From: news@a.example\nSubject: the pixel lesson\n\nabout tracking\n")

	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `!!document.querySelector("#mailboxes li[data-id]")`)
	pg.eval(`document.querySelector("#m-search").value = "pixel", document.querySelector("#m-search-form").requestSubmit(), ""`)
	pg.wait("the search result", `document.querySelectorAll("#search-results li").length === 1`)
	answer := `[document.querySelector(".m-search-head h2").textContent, document.querySelector(".m-search-head button").textContent, document.querySelector("#search-results .msg-meta").textContent].join("|")`
	got := pg.eval(answer)
	if !strings.HasPrefix(got, "1 message matches “pixel”|Show all|INBOX · news@a.example · ") || !strings.HasSuffix(got, " · found in subject") || !regexp.MustCompile(` [AP]M · `).MatchString(got) {
		t.Errorf("search answer in English: %q", got)
	}

	pg.click("中文", `.lang-btn[data-lang="zh"]`)
	pg.wait("the answer in Chinese", `document.querySelector(".m-search-head h2").textContent.startsWith("1 封")`)
	got = pg.eval(answer)
	if !strings.HasPrefix(got, "1 封邮件匹配 “pixel”|显示全部|INBOX · news@a.example · ") || !strings.HasSuffix(got, " · 匹配位置：主题") ||
		!regexp.MustCompile(` · \d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2} · `).MatchString(got) {
		t.Errorf("search answer in Chinese: %q", got)
	}

	// Back to the whole list; a switch made on the timeline tab shows when
	// the Messages tab opens again.
	pg.click("显示全部", `.m-search-head button`)
	pg.wait("the mailbox list", `!!document.querySelector("#mailboxes li[data-id]") && !document.querySelector("#search-results")`)
	pg.click("opening the message", `#mailboxes li[data-id] .msg-open`)
	pg.wait("the message", `!!document.querySelector("#decoded-text")`)
	if got := pg.eval(`document.querySelector("#mailboxes .msg-meta").textContent`); !regexp.MustCompile(`^news@a.example · \d{4}/\d{1,2}/\d{1,2} `).MatchString(got) {
		t.Errorf("message list date in Chinese: %q", got)
	}
	pg.click("opening the timeline", `.tab[data-view="timeline"]`)
	pg.click("en", `.lang-btn[data-lang="en"]`)
	pg.click("opening the Messages tab again", `.tab[data-view="messages"]`)
	pg.wait("the view in English", `/ [AP]M · /.test(document.querySelector("#mailboxes .msg-meta").textContent) && document.querySelector("#decoded-text").previousElementSibling.textContent === "Decoded text"`)
	pg.checkExceptions()
}
