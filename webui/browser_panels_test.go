package webui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestBrowserQueueAndPreview drives the queue view and the message view in
// a real chromium: a message waiting for B (down) shows its attempt with
// its hop, its coming attempts and give-up time, and a countdown that says
// "overdue" rather than "trying now" once well past; "retry now" adds an
// attempt, "bounce now" moves it to the finished rows, marked, with when.
// The fault switch says "up" and what each position does. A message with
// HTML, a tracking pixel and an attachment is previewed in a sandboxed
// frame, lists what was blocked with the note on tracking pixels, offers
// its attachment, and is found by the search box.
func TestBrowserQueueAndPreview(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	smtpSend(t, smtpA, "alice@a.example", "bob@b.example", "Subject: for B\n\nwaits\n")
	smtpSend(t, smtpA, "news@a.example", "alice@a.example", htmlMessage())
	waitFor(t, inst.Bus, "the first attempt deferred", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})

	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.click("opening the queue", `.tab[data-view="queue"]`)
	pg.wait("the attempt in the history", `[...document.querySelectorAll("#queue-rows .q-h-attempt")].some(li => li.textContent.includes("attempt via A → B 127.0.0.1:") && li.textContent.includes("refused"))`)
	if s := pg.eval(`document.querySelector("#queue-rows .q-schedule").textContent`); !strings.Contains(s, "coming attempts: ") || !strings.Contains(s, "gives up at ") {
		t.Errorf("schedule line: %q", s)
	}
	if s := pg.eval(`document.querySelector("#queue-rows .q-countdown").textContent`); !strings.HasPrefix(s, "in ") {
		t.Errorf("countdown: %q", s)
	}
	// Well past its time, a countdown says so (and never "trying now").
	// (A reload of the queue makes new rows: each is set back again.)
	pg.wait("the overdue countdown", `(() => { const c = document.querySelector("#queue-rows .q-countdown"); if (!c.dataset.past) { c.dataset.past = "1"; c.dataset.deadline = String(Date.now() - 60000); } return c.textContent.startsWith("overdue by 1m "); })()`)
	if got := pg.eval(`[document.querySelector('.fault-btn[data-server="B"][data-fault=""]').textContent, document.querySelector('.fault-btn[data-server="B"][data-fault="reject"]').title, [...document.querySelectorAll(".fault-does")].map(p => p.textContent).join("|")].join("#")`); got != "up#reject: recipients get 550 5.1.1, a permanent failure: senders bounce at once#server A: up: the server behaves normally and accepts mail|server B: down: its SMTP port refuses connections; senders keep the mail queued and retry on their schedule" {
		t.Errorf("fault switches: %q", got)
	}

	pg.click("retry now", `#queue-rows .q-retry`)
	pg.wait("the retry and the second attempt", `document.querySelectorAll("#queue-rows .q-h-retry-now").length === 1 && document.querySelectorAll("#queue-rows .q-h-attempt").length === 2`)
	pg.shot("panels-queue.png")
	// Under load the relay may still hold the recipient for the retry's
	// attempt (delivering: the button is disabled, the API answers 409).
	pg.waitUpTo("bounce now enabled", `(() => { const b = document.querySelector("#queue-rows .q-bounce"); return !!b && !b.disabled; })()`, 45*time.Second)
	pg.click("bounce now", `#queue-rows .q-bounce`)
	// The first click asks; nothing is bounced yet.
	pg.wait("bounce now asking to be confirmed", `(() => { const b = document.querySelector("#queue-rows .q-bounce"); return !!b && b.classList.contains("armed") && b.textContent === "Bounce now? Click again"; })()`)
	if n := pg.eval(`String(document.querySelectorAll("#queue-done-rows tr.q-bounced").length)`); n != "0" {
		t.Error("one click on bounce now bounced the message")
	}
	pg.click("bounce now, confirmed", `#queue-rows .q-bounce`)
	pg.waitUpTo("the bounced row among the finished", `[...document.querySelectorAll("#queue-done-rows tr.q-bounced")].some(tr => tr.querySelector(".q-when").textContent.startsWith("bounced at ") && !!tr.querySelector(".q-h-bounce-now"))`, 45*time.Second)
	pg.wait("the queue empty", `!document.querySelector("#queue-rows .q-row") && !document.querySelector("#queue-empty").hidden`)
	pg.shot("panels-queue-done.png")

	// The message view: the sandboxed preview, what it blocked, the
	// attachment, the search.
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `[...document.querySelectorAll("#mailboxes li .msg-subject")].some(s => s.textContent === "Quarterly figures")`)
	id := pg.eval(`[...document.querySelectorAll("#mailboxes li")].find(li => li.textContent.includes("Quarterly figures")).dataset.id`)
	pg.click("opening the newsletter", `#mailboxes li[data-id="`+id+`"]`)
	pg.wait("the preview frame", `!!document.querySelector("#msg-preview")`)
	if got := pg.eval(`(() => { const f = document.querySelector("#msg-preview"); return f.getAttribute("sandbox") + "|" + f.getAttribute("src"); })()`); got != "|/api/messages/"+id+"/html?part=1.2" {
		t.Errorf("preview frame sandbox|src = %q", got)
	}
	waitFor(t, inst.Bus, "the frame's request answered", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.S2C && e.Attrs["content_type"] == "text/html" && e.Attrs["status"] == "200"
	})
	blocked := pg.eval(`[...document.querySelectorAll("#msg-blocked li")].map(li => (li.className === "pixel" ? "P " : "") + li.querySelector("code").textContent).join("|")`)
	if blocked != "https://cdn.tracker.example/s.css|https://go.tracker.example/opened?m=42|http://img.tracker.example/bg.png|P http://t.tracker.example/open.gif?u=alice&m=42" {
		t.Errorf("blocked list: %q", blocked)
	}
	if note := pg.eval(`document.querySelector(".m-pixelnote").textContent`); !strings.Contains(note, "opened, when") || !strings.Contains(note, "IP address") {
		t.Errorf("pixel note: %q", note)
	}
	if got := pg.eval(`(() => { const a = document.querySelector("#msg-attachments a"); return a.getAttribute("href") + "|" + a.getAttribute("download") + "|" + a.textContent; })()`); got != "/api/messages/"+id+"/parts/2|figures.pdf|Download figures.pdf (application/pdf, "+strconv.Itoa(len(pdfBytes))+" octets)" {
		t.Errorf("attachment link: %q", got)
	}
	pg.eval(`document.querySelector("#m-search").value = "QUARTERLY", document.querySelector("#m-search-form").requestSubmit(), ""`)
	pg.wait("the search result", `document.querySelectorAll("#search-results li").length === 1`)
	if got := pg.eval(`document.querySelector("#search-results li").dataset.id + "|" + document.querySelector("#mailboxes h2").textContent`); got != id+`|1 message matches “QUARTERLY”` {
		t.Errorf("search: %q", got)
	}
	if pg.eval(`String(window.__xss === undefined && document.title !== "pwned")`) != "true" {
		t.Error("the message's script ran")
	}
	pg.eval(`document.querySelector("#msg-preview").scrollIntoView(), ""`)
	pg.shot("panels-message.png")
	pg.checkExceptions()
}
