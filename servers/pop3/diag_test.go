package pop3

import (
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// Issue 14: a student's POP3 mistakes get a diagnostic event after the
// reply, in the bus's language, with a hint.

// diagWant is one diagnostic a transcript must produce: its name, and
// what its text and its hint say, in English and in Chinese.
type diagWant struct {
	diag             string
	textEN, hintEN   string
	textZH, hintZH   string
	afterReplyPrefix string // the reply line the diagnostic follows
}

// runDiag runs script on a server traced in lang and returns the
// session's events.
func runDiag(t *testing.T, lang string, prepare func(*testServer), script func(*client)) []*tracer.Event {
	t.Helper()
	ts := newServerOn(t, tracer.NewBus(tracer.WithLang(lang)))
	if prepare != nil {
		prepare(ts)
	}
	sub := ts.bus.Subscribe(1 << 12)
	defer sub.Close()
	c := ts.greeted(t)
	script(c)
	return sessionEvents(t, sub, c)
}

// checkDiag finds the diagnostic named w.diag in evs and checks its text,
// its hint and that it comes after the reply it explains.
func checkDiag(t *testing.T, lang string, evs []*tracer.Event, w diagWant) {
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
		if w.afterReplyPrefix != "" {
			if i == 0 || evs[i-1].Dir != tracer.S2C || !strings.HasPrefix(evs[i-1].Text, w.afterReplyPrefix) {
				t.Errorf("%s: diagnostic %s does not follow the reply %q: %q", lang, w.diag, w.afterReplyPrefix, traceSummary(evs))
			}
		}
		return
	}
	t.Fatalf("%s: no diagnostic %s in %q", lang, w.diag, traceSummary(evs))
}

func TestDiagPassBeforeUser(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		evs := runDiag(t, lang, nil, func(c *client) {
			c.err("PASS bob", "PASS needs USER first")
			c.ok("QUIT")
		})
		checkDiag(t, lang, evs, diagWant{diag: "pass-before-user",
			textEN: "PASS came before USER", hintEN: "USER with the user name, then PASS with the password",
			textZH: "PASS 出现在 USER 之前", hintZH: "先用 USER 给出用户名，再用 PASS 给出密码",
			afterReplyPrefix: "-ERR PASS needs USER first"})
	}
}

func TestDiagPassUsedUp(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		evs := runDiag(t, lang, nil, func(c *client) {
			c.ok("USER bob")
			c.err("PASS wrong", "authentication failed")
			c.err("PASS bob", "PASS needs USER first")
			c.ok("QUIT")
		})
		checkDiag(t, lang, evs, diagWant{diag: "pass-used-up",
			textEN: "used up by the PASS the server refused", hintEN: "after a refused PASS, start the login again",
			textZH: "已被那次被拒绝的 PASS 用掉了", hintZH: "PASS 被拒绝后，请重新开始登录",
			afterReplyPrefix: "-ERR PASS needs USER first"})
		for _, e := range evs {
			if e.Kind == tracer.KindDiagnostic && e.Attrs[tracer.AttrDiag] == "pass-before-user" {
				t.Errorf("%s: a used-up USER diagnosed as no USER at all", lang)
			}
		}
	}
}

func TestDiagNoSuchMessage(t *testing.T) {
	two := func(ts *testServer) {
		ts.deliver(t, "bob", "Subject: one\r\n\r\nfirst\r\n")
		ts.deliver(t, "bob", "Subject: two\r\n\r\nsecond\r\n")
	}
	for _, lang := range []string{"en", "zh"} {
		evs := runDiag(t, lang, two, func(c *client) {
			c.ok("USER bob")
			c.ok("PASS bob")
			c.err("RETR 5", "no message 5")
			c.ok("DELE 1")
			c.err("RETR 1", "marked as deleted")
			c.ok("QUIT")
		})
		checkDiag(t, lang, evs, diagWant{diag: "no-such-message",
			textEN: "RETR 5: there is no message 5; this session's list has 2 messages, numbered 1 to 2",
			hintEN: "LIST (or STAT) says how many there are",
			textZH: "RETR 5：没有第 5 封邮件；本会话的列表中有 2 封邮件，编号从 1 到 2",
			hintZH: "LIST（或 STAT）会告诉你共有几封", afterReplyPrefix: "-ERR no message 5"})
		checkDiag(t, lang, evs, diagWant{diag: "deleted-message",
			textEN: "RETR 1: message 1 is marked with DELE in this session",
			hintEN: "RSET removes every mark of this session",
			textZH: "RETR 1：第 1 封邮件在本会话中已用 DELE 标记为删除",
			hintZH: "RSET 撤销本会话的所有删除标记", afterReplyPrefix: "-ERR message 1 is marked as deleted"})
	}
	// An empty maildrop says so.
	evs := runDiag(t, "en", nil, func(c *client) {
		c.ok("USER alice")
		c.ok("PASS alice")
		c.err("RETR 1", "the maildrop is empty")
		c.ok("QUIT")
	})
	checkDiag(t, "en", evs, diagWant{diag: "no-such-message", textEN: "RETR 1: the maildrop is empty in this session",
		hintEN: "The list is fixed at login"})
}

func TestDiagAfterQuit(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		evs := runDiag(t, lang, nil, func(c *client) {
			c.ok("USER bob")
			c.ok("PASS bob")
			// A script that goes on after QUIT, as printf ... | nc does.
			c.SendRaw("QUIT\r\nLIST\r\nPASS s3cretpw\r\n")
			if r := c.line(); !strings.HasPrefix(r, "+OK") {
				t.Fatalf("QUIT answered %q", r)
			}
			c.ExpectClosed()
		})
		checkDiag(t, lang, evs, diagWant{diag: "after-quit",
			textEN: "2 more lines came after QUIT (the first: LIST): QUIT ended the session",
			hintEN: "Connection closed by foreign host.",
			textZH: "QUIT 之后又来了 2 行（第一行：LIST）：QUIT 已经结束了会话",
			hintZH: "之后输入的内容会交给你的 shell"})
		for _, e := range evs {
			if strings.Contains(e.Text, "s3cretpw") {
				t.Errorf("%s: the password after QUIT reached the trace: %q", lang, e.Text)
			}
		}
	}
	// A QUIT with nothing after it is no mistake.
	evs := runDiag(t, "en", nil, func(c *client) {
		c.ok("QUIT")
		c.ExpectClosed()
	})
	for _, e := range evs {
		if e.Kind == tracer.KindDiagnostic {
			t.Errorf("a plain QUIT diagnosed: %q", e.Text)
		}
	}
}
