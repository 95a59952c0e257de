package imap_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// Issue 14: a student's IMAP mistakes get a diagnostic event after the
// response, in the bus's language, with a hint.

// diagWant is one diagnostic a transcript must produce: its name, and
// what its text and its hint say in English and Chinese, and the response
// it must follow.
type diagWant struct {
	diag           string
	textEN, hintEN string
	textZH, hintZH string
	after          string // the server line just before it
}

// langEnv starts a server traced on a bus in lang and subscribes to it.
func langEnv(t *testing.T, lang string) (*env, *tracer.Subscription) {
	t.Helper()
	e := newEnvOn(t, t.TempDir(), tracer.NewBus(tracer.WithLang(lang)))
	sub := e.bus.Subscribe(10000)
	t.Cleanup(sub.Close)
	return e, sub
}

// checkDiag finds the diagnostic w.diag in evs and checks its text, hint
// and place.
func checkDiag(t *testing.T, lang string, evs []*tracer.Event, w diagWant) *tracer.Event {
	t.Helper()
	text, hint := w.textEN, w.hintEN
	if lang == "zh" {
		text, hint = w.textZH, w.hintZH
	}
	for i, e := range evs {
		if e.Kind != tracer.KindDiagnostic || e.Attrs[tracer.AttrDiag] != w.diag {
			continue
		}
		if !strings.Contains(e.Text, text) {
			t.Errorf("%s: diagnostic %s says %q, want %q", lang, w.diag, e.Text, text)
		}
		if e.Explain == nil || !strings.Contains(e.Explain.Text, hint) {
			t.Errorf("%s: diagnostic %s hint %+v, want %q", lang, w.diag, e.Explain, hint)
		}
		if w.after != "" && (i == 0 || evs[i-1].Dir != tracer.S2C || !strings.HasPrefix(evs[i-1].Text, w.after)) {
			t.Errorf("%s: diagnostic %s does not follow %q: %s", lang, w.diag, w.after, summary(evs))
		}
		return e
	}
	t.Fatalf("%s: no diagnostic %s in %s", lang, w.diag, summary(evs))
	return nil
}

func summary(evs []*tracer.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString("\n  " + string(e.Kind) + " " + string(e.Dir) + " " + e.Text)
	}
	return b.String()
}

// TestDiagNoTag: "LOGIN bob pw" without a tag is answered * BAD with an
// example, the connection stays, and the password is nowhere: not in the
// response, the trace, the record file or the console.
func TestDiagNoTag(t *testing.T) {
	const pw = "s3cret-pw"
	for _, lang := range []string{"en", "zh"} {
		e, sub := langEnv(t, lang)
		c := greeted(t, e.addr)
		c.Send("LOGIN bob " + pw)
		l := c.Expect("* BAD IMAP commands start with a tag, like a1 LOGIN bob <password>: this line was not run *")
		if strings.Contains(l, pw) {
			t.Errorf("the password in the response: %q", l)
		}
		c.Send("a1 LOGIN bob bob")
		c.untilTagged("a1", "a1 OK *")
		c.Send("select INBOX")
		c.Expect("* BAD IMAP commands start with a tag, like a1 select INBOX: *")
		c.Send("a2 LOGOUT")
		c.untilTagged("a2", "a2 OK *")
		evs := sessionEvents(t, sub)
		d := checkDiag(t, lang, evs, diagWant{diag: "no-tag",
			textEN: "This line has no tag: it begins with the command name LOGIN. The server did not run it and answered * BAD; the connection stays open.",
			hintEN: "IMAP commands start with a tag, like a1 LOGIN bob <password>.",
			textZH: "这一行没有标签：它以命令名 LOGIN 开头。服务器没有执行它，回答了 * BAD；连接仍然保持。",
			hintZH: "IMAP 命令以标签开头，例如 a1 LOGIN bob <密码>。",
			after:  "* BAD IMAP commands start with a tag"})
		if d.Explain.RFC == "" {
			t.Errorf("%s: the hint cites no RFC", lang)
		}
		var sel *tracer.Event
		for _, ev := range evs {
			if ev.Kind == tracer.KindDiagnostic && ev != d {
				sel = ev
			}
		}
		if sel == nil || !strings.Contains(sel.Explain.Text, "a1 select INBOX") {
			t.Errorf("%s: untagged select's hint %+v", lang, sel)
		}
		var rec, con bytes.Buffer
		r := tracer.NewRecorder(&rec)
		cons := tracer.NewConsole(&con, tracer.ConsoleOptions{Explain: true, Data: true, Lang: lang})
		for _, ev := range evs {
			r.Write(ev)
			cons.Print(ev)
			if strings.Contains(ev.Text, pw) || ev.Explain != nil && strings.Contains(ev.Explain.Text, pw) {
				t.Errorf("%s: the password in the trace: %q", lang, ev.Text)
			}
		}
		r.Flush()
		cons.Flush()
		if strings.Contains(rec.String(), pw) || strings.Contains(con.String(), pw) {
			t.Errorf("%s: the password in the record file or on the console", lang)
		}
		if !strings.Contains(con.String(), map[string]string{"en": "diagnostic: ", "zh": "诊断："}[lang]) {
			t.Errorf("%s: the console shows no diagnostic:\n%s", lang, con.String())
		}
		if strings.Contains(c.Transcript(), pw) {
			t.Errorf("%s: the password in the test's transcript", lang)
		}
	}
}

// TestDiagNoTagBounded: lines without a tag in a row are answered
// maxUntagged times; the next one closes the connection, as imapserver
// did at once (a client of another protocol gets no more).
func TestDiagNoTagBounded(t *testing.T) {
	e, sub := langEnv(t, "en")
	c := greeted(t, e.addr)
	for _, l := range []string{"LOGIN bob bob", "CAPABILITY", "NOOP"} {
		c.Send(l)
		c.Expect("* BAD IMAP commands start with a tag, *")
	}
	c.Send("LOGIN bob bob")
	c.Expect("* BYE too many lines without a tag: *")
	c.ExpectClosed()
	evs := sessionEvents(t, sub)
	checkDiag(t, "en", evs, diagWant{diag: "no-tag", textEN: "begins with the command name LOGIN", hintEN: "a1 LOGIN bob <password>"})
	if last := evs[len(evs)-2]; last.Kind != tracer.KindDiagnostic || !strings.Contains(last.Text, "4 lines in a row without a tag") {
		t.Errorf("no diagnostic before the close: %s", summary(evs))
	}

	// A tagged command in between starts the count again.
	c = greeted(t, e.addr)
	for i := 0; i < 2; i++ {
		c.Send("LOGIN bob bob")
		c.Expect("* BAD *")
		c.Send("n1 NOOP")
		c.untilTagged("n1", "n1 OK *")
	}
	c.Send("LOGIN bob bob")
	c.Expect("* BAD *")
	c.Send("LOGIN bob bob")
	c.Expect("* BAD *")
	c.Send("n2 LOGOUT")
	c.untilTagged("n2", "n2 OK *")
}

// TestDiagFolderCase: COPY, SELECT and APPEND naming "homework" after
// CREATE Homework are told about the case; a name with no near match is
// not diagnosed.
func TestDiagFolderCase(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		e, sub := langEnv(t, lang)
		e.deliver("alice", msg("hello", "hi"))
		c := loggedIn(t, e.addr, "alice")
		c.Send("a1 CREATE Homework")
		c.untilTagged("a1", "a1 OK *")
		c.Send("a2 SELECT INBOX")
		c.untilTagged("a2", "a2 OK *")
		c.Send("a3 COPY 1 homework")
		// The reply, all a telnet user sees, names the folder meant too.
		c.untilTagged("a3", `a3 NO [TRYCREATE] there is no folder named "homework", but there is "Homework": folder names are case-sensitive`)
		c.Send("a4 COPY 1 Nowhere")
		c.untilTagged("a4", `a4 NO [TRYCREATE] there is no folder named "Nowhere": CREATE it first`)
		c.Send("a5 LOGOUT")
		c.untilTagged("a5", "a5 OK *")
		evs := sessionEvents(t, sub)
		checkDiag(t, lang, evs, diagWant{diag: "folder-case",
			textEN: `There is no folder "homework", but there is "Homework": the two names differ only in upper and lower case.`,
			hintEN: `folder names are case-sensitive`,
			textZH: `没有名为“homework”的文件夹，但有“Homework”：两个名字只是大小写不同。`,
			hintZH: `文件夹名区分大小写`,
			after:  "a3 NO [TRYCREATE]"})
		n := 0
		for _, ev := range evs {
			if ev.Kind == tracer.KindDiagnostic {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d diagnostics, want 1 (Nowhere has no near match): %s", lang, n, summary(evs))
		}
	}
	// SELECT and APPEND too.
	e, sub := langEnv(t, "en")
	c := loggedIn(t, e.addr, "alice")
	c.Send("a1 CREATE Homework")
	c.untilTagged("a1", "a1 OK *")
	c.Send("a2 SELECT HOMEWORK")
	c.untilTagged("a2", `a2 NO [NONEXISTENT] there is no folder named "HOMEWORK", but there is "Homework": *`)
	c.Send("a3 APPEND homework {2+}\r\nhi")
	c.untilTagged("a3", "a3 NO [TRYCREATE] *")
	c.Send("a4 LOGOUT")
	c.untilTagged("a4", "a4 OK *")
	evs := sessionEvents(t, sub)
	checkDiag(t, "en", evs, diagWant{diag: "folder-case", textEN: `no folder "HOMEWORK", but there is "Homework"`, hintEN: "Only INBOX is case-insensitive", after: "a2 NO [NONEXISTENT]"})
	from := 0
	for i, ev := range evs {
		if strings.HasPrefix(ev.Text, "a3 APPEND") {
			from = i
		}
	}
	checkDiag(t, "en", evs[from:], diagWant{diag: "folder-case", textEN: `no folder "homework", but there is "Homework"`, hintEN: "Only INBOX", after: "a3 NO [TRYCREATE]"})
}

// TestDiagDoneTag: "a10 DONE" during IDLE ends it with BAD and a
// diagnostic that DONE has no tag; "done" in lower case ends it well
// (RFC 2177's grammar is case-insensitive).
func TestDiagDoneTag(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		e, sub := langEnv(t, lang)
		c := selectedBox(t, e.addr, "INBOX")
		c.Send("a9 IDLE")
		c.Expect("+ *")
		c.Send("a10 DONE")
		c.untilTagged("a9", "a9 BAD *")
		c.Send("a11 IDLE")
		c.Expect("+ *")
		c.Send("done")
		c.untilTagged("a11", "a11 OK *")
		c.Send("a12 LOGOUT")
		c.untilTagged("a12", "a12 OK *")
		evs := sessionEvents(t, sub)
		checkDiag(t, lang, evs, diagWant{diag: "done-tag",
			textEN: `"a10 DONE": during IDLE the server waits for the word DONE alone on the line, without a tag`,
			hintEN: "type just DONE. The response that ends the IDLE carries the IDLE command's tag (a9).",
			textZH: "“a10 DONE”：IDLE 期间，服务器等待的是单独一行的 DONE，不带标签",
			hintZH: "只输入 DONE 即可。结束 IDLE 的响应带的是 IDLE 命令的标签（a9）。",
			after:  "a9 BAD"})
	}
}

// TestDiagIdleCommand: another tagged command typed during IDLE (the
// lesson's next one, before DONE) ends the IDLE with BAD without running;
// the diagnostic says so and what to type.
func TestDiagIdleCommand(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		e, sub := langEnv(t, lang)
		c := selectedBox(t, e.addr, "INBOX")
		c.Send("c4 IDLE")
		c.Expect("+ *")
		c.Send("c5 LOGOUT")
		c.untilTagged("c4", "c4 BAD *")
		c.Send("c6 LOGOUT")
		c.untilTagged("c6", "c6 OK *")
		evs := sessionEvents(t, sub)
		checkDiag(t, lang, evs, diagWant{diag: "idle-command",
			textEN: `"c5 LOGOUT" came during IDLE: the server waits for DONE alone on a line, so it ended the IDLE with BAD and did not run LOGOUT.`,
			hintEN: "type DONE first (no tag); its OK carries the IDLE's tag (c4). Then send LOGOUT again with a new tag.",
			textZH: "“c5 LOGOUT”是在 IDLE 期间输入的",
			hintZH: "先输入 DONE（不带标签）；它的 OK 带的是 IDLE 的标签（c4）。然后用新标签再发送一次 LOGOUT。",
			after:  "c4 BAD"})
	}
}

// TestDiagNoTagAuthenticate: an untagged AUTHENTICATE with an initial
// response is refused like LOGIN, its credentials stay out of the trace,
// and the session goes on, traced as usual.
func TestDiagNoTagAuthenticate(t *testing.T) {
	const ir = "AGJvYgBzM2NyZXQtcHc=" // base64 of "\x00bob\x00s3cret-pw"
	e, sub := langEnv(t, "en")
	c := greeted(t, e.addr)
	c.Send("AUTHENTICATE PLAIN " + ir)
	c.Expect("* BAD IMAP commands start with a tag, like a1 AUTHENTICATE PLAIN: *")
	c.Send("a1 LOGIN bob bob")
	c.untilTagged("a1", "a1 OK *")
	c.Send("a2 SELECT INBOX")
	c.untilTagged("a2", "a2 OK *")
	c.Send("a3 LOGOUT")
	c.untilTagged("a3", "a3 OK *")
	evs := sessionEvents(t, sub)
	checkDiag(t, "en", evs, diagWant{diag: "no-tag", textEN: "command name AUTHENTICATE", hintEN: "a1 AUTHENTICATE PLAIN."})
	for _, ev := range evs {
		if strings.Contains(ev.Text, ir) || strings.Contains(ev.Text, "s3cret-pw") {
			t.Errorf("credentials in the trace: %q", ev.Text)
		}
		if ev.Text == "a2 SELECT INBOX" && (ev.Explain == nil || ev.Explain.Key != "imap.cmd.SELECT") {
			t.Errorf("SELECT after the refused AUTHENTICATE explained as %+v", ev.Explain)
		}
	}
}

// TestDiagDoneWithoutIdle: a DONE with no IDLE under way (typed twice) is
// answered * BAD and explained; imapserver closed the connection without a
// word.
func TestDiagDoneWithoutIdle(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		e, sub := langEnv(t, lang)
		c := selectedBox(t, e.addr, "INBOX")
		c.Send("a5 IDLE")
		c.Expect("+ *")
		c.Send("DONE")
		c.untilTagged("a5", "a5 OK *")
		c.Send("DONE")
		c.Expect("* BAD DONE ends an IDLE, and no IDLE is under way: *")
		c.Send("a6 LOGOUT")
		c.untilTagged("a6", "a6 OK *")
		evs := sessionEvents(t, sub)
		checkDiag(t, lang, evs, diagWant{diag: "done-no-idle",
			textEN: "DONE, but no IDLE is under way", hintEN: "DONE only ends an IDLE",
			textZH: "收到 DONE，但当前没有进行中的 IDLE", hintZH: "DONE 只用来结束 IDLE",
			after: "* BAD DONE ends an IDLE"})
	}
}
