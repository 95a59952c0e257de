package webui

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/mailscope/mailscope/servers/world"
)

// TestBrowserDashboard: the instructor (the token) sees the Class tab, a
// row per student, s01 marked stuck in words after three error replies,
// pauses the message queue on every server with one button, and the
// row's link opens s01's session in presenter mode, filtered to it.
func TestBrowserDashboard(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newClassWorld(t)
	classStudents(inst)
	newBrowser(t, base, "127.0.0.2").signin("s01", "pw01")
	w := dialWire(t, "127.0.0.2", inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("EHLO s01", "250")
	for range 3 {
		w.cmd("RCPT TO:<bob@b.example>", "503")
	}

	pg.step("loading the page with the token", chromedp.Navigate(base+"/?token=tok"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.wait("the Class tab", `!document.querySelector("#tab-class").hidden`)
	pg.click("opening the Class tab", `#tab-class`)
	pg.wait("s01 stuck", `!!document.querySelector('#d-rows tr[data-student="s01"].stuck') && document.querySelector('#d-rows tr[data-student="s01"] .d-state').textContent.includes("STUCK")`)
	pg.wait("s02 not here", `!!document.querySelector('#d-rows tr[data-student="s02"]') && document.querySelector('#d-rows tr[data-student="s02"] .d-state').textContent === "not connected yet"`)
	pg.shot("dashboard.png")
	pg.click("the class sheet", `#d-sheet-show`)
	pg.wait("a slip a student, with the password and the telnet form", `document.querySelectorAll("#d-sheet .sheet-slip").length === 2 && document.querySelector("#d-sheet").textContent.includes("Password: pw02") && /SMTP telnet \S+ \d+/.test(document.querySelector("#d-sheet").textContent)`)
	pg.wait("the fault menu in words", `[...document.querySelector("#d-fault").options].some(o => o.value === "hold" && o.textContent === "hold queue (hold)")`)
	pg.click("pausing the queue", `#d-hold`)
	pg.wait("the answer", `document.querySelector("#d-msg").textContent.startsWith("Done")`)
	for _, sv := range inst.World.Servers {
		if f := inst.FaultOf(sv.Name); f != "hold" {
			t.Errorf("%s's fault is %q, want hold", sv.Name, f)
		}
	}
	href := pg.eval(`document.querySelector('#d-rows tr[data-student="s01"] a.d-present').getAttribute("href")`)
	if !strings.Contains(href, "present=1") || !strings.Contains(href, "session=") {
		t.Fatalf("the present link is %q", href)
	}
	pg.checkExceptions()
	pg.step("following the link", chromedp.Navigate(base+href))
	pg.wait("presenter mode on s01's session", `window.__mailscope.present && window.__mailscope.filter.session !== "" && window.__mailscope.rows.length > 0 && window.__mailscope.rows.every(e => e.session === window.__mailscope.filter.session) && document.querySelector("#f-session").value === window.__mailscope.filter.session`)
	pg.checkExceptions()
}
