package webui

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
)

// TestBrowserStudent: on a public page a student signs in with the form
// beside the token form and then sees their own session (from the
// browser's address, 127.0.0.1) and not another student's (a login as
// s02 from 127.0.0.2), with their name and a sign-out button.
func TestBrowserStudent(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newClassWorld(t)
	smtpFrom(t, inst, "127.0.0.1", "laptop", "", "", "s01@a.example", "s01@a.example", "Subject: mine\n\nx\n")
	smtpFrom(t, inst, "127.0.0.2", "laptop", "s02", "pw02", "s02@a.example", "s02@a.example", "Subject: theirs\n\ny\n")

	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the sign-in form", `!!document.querySelector("#signin") && !document.querySelector("#signin").hidden && document.querySelector("#signin-go").textContent === "Sign in"`)
	pg.wait("the sign-in before the instructor's token", `document.querySelector("#signin").nextElementSibling.id === "login"`)
	pg.eval(`document.querySelector("#signin-user").value = "s01", document.querySelector("#signin-pass").value = "wrong", document.querySelector("#signin-go").click(), ""`)
	pg.wait("the refusal", `document.querySelector("#signin-err").textContent.includes("Wrong user name or password")`)
	pg.eval(`document.querySelector("#signin-user").value = "s01", document.querySelector("#signin-pass").value = "pw01", document.querySelector("#signin-go").click(), ""`)
	pg.wait("the websocket after the sign-in", `document.body.dataset.ws === "open"`)
	pg.wait("who is signed in", `!!document.querySelector("#student") && document.querySelector("#student").textContent.includes("Signed in as s01")`)
	pg.wait("the student's own session", `[...document.querySelectorAll("#rows .arrow .label")].some(l => l.textContent === "MAIL FROM:<s01@a.example>")`)
	if got := pg.eval(`String(window.__mailscope.events.some(e => (e.text || "").includes("s02")))`); got != "false" {
		t.Error("the student's page holds an event of s02")
	}
	pg.click("the queue view", `.tab[data-view="queue"]`)
	pg.wait("fault switches shown, not usable; no flush", `document.querySelectorAll("#fault-switches button").length > 0 && [...document.querySelectorAll("#fault-switches button")].every(b => b.disabled) && document.querySelector("#flush-box").hidden`)
	pg.click("the timeline", `.tab[data-view="timeline"]`)
	pg.shot("student.png")
	pg.click("signing out", `#student button`)
	pg.wait("the sign-in form again", `!!document.querySelector("#signin") && !document.querySelector("#signin").hidden`)
	pg.checkExceptions()
}

// TestBrowserStudentLesson: a signed-in student picks smtp-by-hand on
// their page and starts it; they type the lesson over a real socket, and
// the lesson panel beside their ladder ticks every step the server
// checked, then the picker says the lesson is completed.
func TestBrowserStudentLesson(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newClassWorld(t)
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the sign-in form", `!!document.querySelector("#signin") && !document.querySelector("#signin").hidden`)
	pg.eval(`document.querySelector("#signin-user").value = "s01", document.querySelector("#signin-pass").value = "pw01", document.querySelector("#signin-go").click(), ""`)
	pg.wait("the lesson picker", `!!document.querySelector("#lesson-select") && document.querySelector("#lesson-select").options.length > 3 && document.querySelector("#lesson-start").textContent === "Start"`)
	pg.eval(`document.querySelector("#lesson-select").value = "smtp-by-hand", document.querySelector("#lesson-start").click(), ""`)
	pg.wait("the lesson panel", `!document.querySelector("#lesson-panel").hidden && document.querySelector("#lesson-panel .lesson-now").textContent.includes("telnet 127.0.0.1 ")`)
	smtpByHand(t, inst, "127.0.0.1", "laptop", "s01")
	pg.wait("every step ticked", `document.querySelectorAll("#lesson-panel .lesson-steps li.done").length === 8 && !!document.querySelector("#lesson-panel .lesson-done")`)
	pg.wait("the picker says completed", `document.querySelector("#lesson-select").selectedOptions[0].textContent.includes("completed")`)
	if got := pg.eval(`document.querySelector("#lesson-panel").textContent`); strings.Contains(got, "alice") {
		t.Errorf("the student's lesson names alice: %s", got)
	}
	pg.shot("student-lesson.png")
	pg.checkExceptions()
}

// TestBrowserStudentLateClaim: behind a NAT (two students signed in from
// one address), a student opens a session in a second terminal, gets its
// greeting, types in their first terminal (logged in), and only then
// claims the second by HELO: their page shows the second session whole,
// its open and greeting included, though those are older than the first
// terminal's lines it already holds.
func TestBrowserStudentLateClaim(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newClassWorld(t)
	newBrowser(t, base, "127.0.0.1").signin("s02", "pw02")
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the sign-in form", `!!document.querySelector("#signin") && !document.querySelector("#signin").hidden`)
	pg.eval(`document.querySelector("#signin-user").value = "s01", document.querySelector("#signin-pass").value = "pw01", document.querySelector("#signin-go").click(), ""`)
	pg.wait("the websocket after the sign-in", `document.body.dataset.ws === "open"`)

	second := dialWire(t, "127.0.0.1", inst.Addr("A", world.SMTP))
	second.reply("220")
	first := dialWire(t, "127.0.0.1", inst.Addr("A", world.SMTP))
	first.reply("220")
	first.cmd("EHLO pc", "250")
	first.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00s01\x00pw01")), "235")
	first.cmd("NOOP", "250")
	pg.wait("the first terminal's lines", `window.__mailscope.events.some(e => e.text === "NOOP")`)
	second.cmd("HELO s01", "250")
	pg.wait("the second session whole", `(() => {
		const h = window.__mailscope.events.find(e => e.text === "HELO s01");
		if (!h) return false;
		const mine = window.__mailscope.events.filter(e => e.session === h.session);
		return mine.some(e => e.kind === "open") && mine.some(e => (e.text || "").startsWith("220 "));
	})()`)
	pg.checkExceptions()
}

// TestBrowserStudentLessonChinese: a student's page in Chinese lists the
// lessons by their Chinese titles (the picker asked before the page's
// language was known, in English), and a lesson started lists every
// step by name, not "第 2 步".
func TestBrowserStudentLessonChinese(t *testing.T) {
	pg := newPage(t)
	_, _, base := newClassWorld(t)
	pg.step("loading the page", chromedp.Navigate(base+"/?lang=zh"))
	pg.wait("the sign-in form", `!!document.querySelector("#signin") && !document.querySelector("#signin").hidden`)
	pg.eval(`document.querySelector("#signin-user").value = "s01", document.querySelector("#signin-pass").value = "pw01", document.querySelector("#signin-go").click(), ""`)
	pg.wait("the picker in Chinese", `!!document.querySelector("#lesson-select") && document.querySelector("#lesson-select").options.length > 3 && document.querySelector("#lesson-select").options[0].textContent.startsWith("动手尝试 SMTP 交互") && document.querySelector("#lesson-start").textContent === "开始"`)
	pg.eval(`document.querySelector("#lesson-start").click(), ""`)
	pg.wait("every step by name", `document.querySelectorAll("#lesson-panel .lesson-steps li").length === 8 && [...document.querySelectorAll("#lesson-panel .lesson-steps li")].every(li => !/第 \d+ 步/.test(li.textContent)) && document.querySelector("#lesson-panel").textContent.includes("发送 HELO")`)
	pg.shot("student-zh.png")
	pg.checkExceptions()
}
