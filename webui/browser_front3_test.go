package webui

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
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
