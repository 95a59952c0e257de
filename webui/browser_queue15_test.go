package webui

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// queueCellsJS lists the queue's cells whose text is wider than the cell
// or that break an id, a server, an address or a header over two lines
// (a Range over the text has one box per line), as "text" strings.
const queueCellsJS = `(() => {
  const bad = [];
  const one = (c) => { const r = document.createRange(); r.selectNodeContents(c); const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top))); return tops.size <= 1; };
  for (const c of document.querySelectorAll("#queue-table th, #queue-done th, #queue-table tr.q-row td:nth-child(-n+6), #queue-done tr.q-row td:nth-child(-n+7)")) {
    if (!c.textContent) continue;
    if (c.scrollWidth > c.clientWidth + 1) bad.push("wider: " + c.textContent);
    if (!one(c)) bad.push("broken: " + c.textContent);
  }
  return JSON.stringify(bad);
})()`

// TestBrowserQueue15Words: the queue view's words after the instructor
// trial: the retry schedule in the page's words ("1m", "1 分钟", never
// Go's "1m0s"); the flush status line said again after a switch of
// language, with "1 recipient"; "接下来的尝试：" with a full-width colon;
// a bounce's last error in Chinese; the ladder's deferred mark with one
// countdown, the live one; and tables whose ids and addresses never break,
// at 1280 and at 390 px.
func TestBrowserQueue15Words(t *testing.T) {
	pg := newPageSize(t, 1280, 720)
	inst, _, base := newWorld(t, Options{})
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "bob@b.example", "Subject: for B\n\nwaits\n")
	waitFor(t, inst.Bus, "the first attempt deferred", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})
	pg.step("loading the page", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)

	// The ladder: an attempt tries to open a session; the deferred mark
	// says its wait once, live.
	pg.wait("the deferred mark's countdown", `!!document.querySelector("#rows .mark.queue.q-deferred .countdown") && document.querySelector("#rows .mark.queue.q-deferred .countdown").textContent !== ""`)
	if s := pg.eval(`document.querySelector("#rows .mark.queue.q-deferred").textContent`); strings.Contains(s, "(in ") || !strings.Contains(s, "attempt 2 at ") {
		t.Errorf("deferred mark: %q, want the attempt's time and only the live countdown", s)
	}
	if s := pg.eval(`document.querySelector("#rows .mark.queue.q-attempt").textContent`); !strings.Contains(s, "A tries to open an SMTP session to B") {
		t.Errorf("attempt mark: %q", s)
	}

	pg.click("opening the queue", `.tab[data-view="queue"]`)
	pg.wait("the queued row", `!!document.querySelector("#queue-rows .q-row")`)
	if s := pg.eval(`document.querySelector("#queue-schedule").textContent`); !strings.Contains(s, "15s, 30s, 1m, 2m, 5m") || !strings.Contains(s, " 10m after") || strings.Contains(s, "m0s") {
		t.Errorf("schedule: %q", s)
	}
	if bad := pg.eval(queueCellsJS); bad != "[]" {
		t.Errorf("1280px: cells %s", bad)
	}
	pg.click("flush", `#flush`)
	pg.wait("the flush's status line", `document.querySelector("#control-msg").textContent === "flush all domains: 1 recipient to try now"`)

	pg.click("中文", `.lang-btn[data-lang="zh"]`)
	pg.wait("the status line in Chinese", `document.querySelector("#control-msg").textContent === "立即投递 所有域名：现在尝试 1 个收件人"`)
	pg.wait("the schedule in Chinese", `document.querySelector("#queue-schedule").textContent.includes("15 秒、30 秒、1 分钟、2 分钟、5 分钟")`)
	if s := pg.eval(`document.querySelector("#queue-rows .q-schedule").textContent`); !strings.HasPrefix(s, "接下来的尝试：") {
		t.Errorf("coming attempts in Chinese: %q", s)
	}

	pg.step("a phone's screen", chromedp.EmulateViewport(390, 844))
	pg.wait("the narrow layout", `window.innerWidth === 390`)
	if bad := pg.eval(queueCellsJS); bad != "[]" {
		t.Errorf("390px: cells %s", bad)
	}
	// The table scrolls by itself; the page does not.
	if s := pg.eval(`String(document.querySelector("#queue-table").getBoundingClientRect().right <= window.innerWidth)`); s != "true" {
		t.Errorf("390px: the queue table runs past the window")
	}
	pg.step("a projector's 1280x720", chromedp.EmulateViewport(1280, 720))

	pg.waitUpTo("bounce now enabled", `(() => { const b = document.querySelector("#queue-rows .q-bounce"); return !!b && !b.disabled; })()`, 45*time.Second)
	pg.click("bounce now", `#queue-rows .q-bounce`)
	pg.wait("bounce now asking to be confirmed", `!!document.querySelector("#queue-rows .q-bounce.armed")`)
	pg.click("bounce now, confirmed", `#queue-rows .q-bounce`)
	pg.waitUpTo("the bounced row", `!!document.querySelector("#queue-done-rows tr.q-bounced .q-h-bounce-now")`, 45*time.Second)
	if s := pg.eval(`document.querySelector("#queue-done-rows tr.q-bounced").textContent`); !strings.Contains(s, "最后的错误：连接被拒绝") || strings.Contains(s, "connection refused") {
		t.Errorf("bounce history in Chinese: %q", s)
	}
	if bad := pg.eval(queueCellsJS); bad != "[]" {
		t.Errorf("1280px, with a finished row: cells %s", bad)
	}
	pg.checkExceptions()
}
