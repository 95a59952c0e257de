package webui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// pageProse is a script that returns what a reader sees on the page as
// text, without the wire: document.body.innerText with the protocol lines
// (arrows of line and http events, the explanation panel's wire box and
// byte dumps, message sources and header values, the hint's command)
// taken out, and the page's own tooltips and labels added. What servers
// say of themselves without a catalog key (prose outside the page's part of
// issue 13) is taken out too and returned apart, to be logged.
const pageProse = `(() => {
	const S = window.__mailscope;
	const wire = [...document.querySelectorAll('#rows .k-line .arrow .label, #rows .k-http .arrow .label, #explain-body .wire, #explain-body pre, code, pre, ' +
		'#f-session, #f-msgid, #f-server, #m-server, #m-user, .sess-id, .sess-dl, .msg-subject, .msg-title, .msg-meta, #mailboxes h2, #message table, ' +
		'#queue-rows td:nth-child(1), #queue-rows td:nth-child(3), #queue-rows td:nth-child(4), .lesson-now, .lesson-explain, .lesson-hint, .lesson-steps')];
	const unkeyed = [];
	for (const row of document.querySelectorAll('#rows .row')) {
		const ev = S.events.find((e) => String(e.seq) === row.dataset.seq);
		if (ev && !ev.msg && !['line', 'http', 'data', 'open', 'state', 'close'].includes(ev.kind)) {
			unkeyed.push(ev.text);
			wire.push(row);
		}
	}
	// Hidden, not removed: innerText leaves out what is not visible, and
	// the layout does not move.
	const was = wire.map((e) => e.style.visibility);
	wire.forEach((e) => { e.style.visibility = 'hidden'; });
	const text = document.body.innerText;
	wire.forEach((e, i) => { e.style.visibility = was[i]; });
	const own = [...document.querySelectorAll('[title], [aria-label], [placeholder]')]
		.filter((e) => !e.closest('#rows .arrow, #rows .mark, #message table, .sess-dl') && e.checkVisibility())
		.map((e) => [e.title, e.getAttribute('aria-label'), e.placeholder].filter(Boolean).join('\n'));
	return JSON.stringify({text: text + '\n' + own.join('\n'), unkeyed: unkeyed});
})()`

// englishWords returns the English words in s that a reader of the
// Chinese page would meet: words of two letters or more, in tokens without
// digits or the punctuation of addresses, ids and paths, other than
// protocol words in capitals (EHLO, RFC, UID) and names (the product, the
// users, the protocols in lower case, the name the test's client gives in
// EHLO, which explanations quote).
func englishWords(s string) []string {
	allowed := map[string]bool{"mailscope": true, "telnet": true, "alice": true, "bob": true, "en": true, "laptop": true,
		"smtp": true, "pop3": true, "imap": true, "http": true}
	var found []string
	token := regexp.MustCompile(`[^\s\p{Han}，。：；、（）“”！？·→◆✕★⚠]+`)
	code := regexp.MustCompile(`[0-9@./:<>_=\\\-\[\]{}#]`)
	word := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, tok := range token.FindAllString(s, -1) {
		if code.MatchString(tok) {
			continue
		}
		for _, w := range word.FindAllString(tok, -1) {
			if w == strings.ToUpper(w) || allowed[strings.ToLower(w)] {
				continue
			}
			found = append(found, w)
		}
	}
	return found
}

// proseCheck fails the test on English in what the page shows.
func (pg *page) proseCheck(where string) {
	pg.t.Helper()
	var v struct {
		Text    string
		Unkeyed []string
	}
	if err := json.Unmarshal([]byte(pg.eval(pageProse)), &v); err != nil {
		pg.t.Fatal(err)
	}
	if w := englishWords(v.Text); len(w) > 0 {
		pg.t.Errorf("%s: English words on the Chinese page: %q in\n%s", where, w, v.Text)
	}
	for _, u := range v.Unkeyed {
		pg.t.Logf("%s: server prose without a catalog key (not the page's): %q", where, u)
	}
}

var (
	han      = regexp.MustCompile(`\p{Han}`)
	queueID  = regexp.MustCompile(`\b[A-Z]-[A-Z0-9]{8}\b`)
	uniqueID = regexp.MustCompile(`\b[0-9]{6,}\.[0-9]+\b`)
)

// TestBrowserChinese drives the page of a mailscope started with --lang
// zh: it opens in Chinese (html lang="zh", the tabs, lanes and panels from
// the catalog), an SMTP session over a real socket shows its state changes
// and explanations in Chinese, and the reader's text holds no English
// outside the protocol lines, in the timeline, the messages view and the
// queue. The switch to English relabels the page without a reload: the
// events stay, the explanations are composed again from the catalog's
// English exactly as an English mailscope says them, and the choice is kept
// in the address.
func TestBrowserChinese(t *testing.T) {
	pg := newPage(t)
	inst, _, base := newWorldLang(t, Options{}, "127.0.0.1:0", "zh")
	smtpA := inst.Addr("A", world.SMTP)

	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	if got := pg.eval(`document.documentElement.lang`); got != "zh" {
		t.Errorf(`<html lang=%q>, want "zh"`, got)
	}
	if got := pg.eval(`[...document.querySelectorAll(".tab:not([hidden])")].map(b => b.textContent).join("|")`); got != "时间线|邮件|消息队列与故障" {
		t.Errorf("tabs: %q", got)
	}
	if got := pg.eval(`document.title`); !han.MatchString(got) {
		t.Errorf("title %q", got)
	}
	if got := pg.eval(`document.querySelector("#explain h2").textContent + document.querySelector("#empty-hint").textContent`); !strings.Contains(got, "解释") || !strings.Contains(got, "telnet 127.0.0.1 ") {
		t.Errorf("explanation heading and empty hint: %q", got)
	}
	if CI := os.Getenv("CI"); CI != "" {
		if pg.eval(`String(document.fonts.check('16px "Noto Sans CJK SC"', "时间线"))`) != "true" {
			t.Error("no CJK font: the browser tests need fonts-noto-cjk (.ci/run installs it)")
		}
	}

	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", "Subject: zh test\n\nhello\n")
	pg.wait("the QUIT reply", `[...document.querySelectorAll("#rows .arrow.s2c .label")].some(l => l.textContent.startsWith("221 "))`)
	if got := pg.eval(`document.querySelector("#lane-heads").textContent`); !strings.Contains(got, "服务器 A") || !strings.Contains(got, "A 的客户端") {
		t.Errorf("lanes: %q", got)
	}
	states := pg.eval(`[...document.querySelectorAll("#rows .mark.state")].map(m => m.textContent).join("\n")`)
	if !strings.Contains(states, "已连接 → 已问候") || !han.MatchString(strings.ReplaceAll(states, "已连接 → 已问候", "")) {
		t.Errorf("state marks are not in Chinese: %q", states)
	}
	// The close comes after the 221 and is drawn in the next frame.
	pg.waitUpTo("the close mark in Chinese", `[...document.querySelectorAll("#rows .mark.close")].some(m => m.textContent.includes("已关闭"))`, 15*time.Second)

	// The MAIL FROM line explained in Chinese, its RFC section the Chinese way.
	seq := pg.eval(`[...document.querySelectorAll("#rows .arrow .label")].find(l => l.textContent === "MAIL FROM:<alice@a.example>").closest(".row").dataset.seq`)
	pg.click("clicking the MAIL FROM arrow", `#rows .row[data-seq="`+seq+`"] .arrow`)
	pg.wait("the explanation", `document.querySelector("#explain-body .meaning") !== null`)
	expl := pg.eval(`document.querySelector("#explain-body").innerText`)
	for _, want := range []string{"客户端 → 服务器", "RFC 5321 第 4.1.1.2 节", "状态", "服务器"} {
		if !strings.Contains(expl, want) {
			t.Errorf("explanation panel lacks %q:\n%s", want, expl)
		}
	}
	if m := pg.eval(`document.querySelector("#explain-body .meaning").textContent`); !han.MatchString(m) {
		t.Errorf("the MAIL FROM explanation is not Chinese: %q", m)
	}
	pg.proseCheck("the timeline")
	pg.shot("timeline-zh.png")

	// The lesson panel says its own words in Chinese.
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Text: "手动 SMTP", Attrs: map[string]string{"lesson": "smtp-by-hand", "status": "started", "steps": "1", "title": "手动 SMTP"}})
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Text: "完成", Attrs: map[string]string{"lesson": "smtp-by-hand", "status": "finished", "steps": "1"}})
	pg.wait("the finished lesson", `(document.querySelector("#lesson-panel .lesson-done") || {}).textContent === "★ 课程完成"`)
	if got := pg.eval(`document.querySelector("#lesson-panel h2").textContent`); got != "课程：手动 SMTP" {
		t.Errorf("lesson title %q", got)
	}

	// The messages view and the queue, in Chinese.
	pg.click("opening the Messages tab", `.tab[data-view="messages"]`)
	pg.wait("alice's INBOX", `[...document.querySelectorAll("#mailboxes li .msg-subject")].some(s => s.textContent === "zh test")`)
	pg.click("opening the message", `#mailboxes li[data-id]`)
	pg.wait("the MIME tree", `!!document.querySelector("#mime-tree .mime-node")`)
	if got := pg.eval(`[...document.querySelectorAll("#message h2")].map(h => h.textContent).join("|")`); !strings.Contains(got, "头部行（RFC 5322）") || !strings.Contains(got, "原始内容") {
		t.Errorf("message view headings %q", got)
	}
	pg.proseCheck("the messages view")
	pg.click("opening the queue", `.tab[data-view="queue"]`)
	pg.wait("the fault switches", `!!document.querySelector('.fault-btn[data-server="B"][data-fault="down"]')`)
	if got := pg.eval(`document.querySelector('.fault-btn[data-server="B"][data-fault="down"]').textContent + "|" + document.querySelector("#queue-table th:nth-child(5)").textContent`); got != "宕机|状态" {
		t.Errorf("queue view: %q", got)
	}
	pg.proseCheck("the queue view")
	pg.shot("queue-zh.png")
	pg.click("back to the timeline", `.tab[data-view="timeline"]`)

	// Switch to English: the same events, relabelled, no reload.
	events := pg.eval(`String(window.__mailscope.events.length)`)
	pg.eval(`window.__notReloaded = true, ""`)
	pg.click("the English switch", `.lang-btn[data-lang="en"]`)
	pg.wait("English labels", `document.documentElement.lang === "en" && document.querySelector('.tab[data-view="timeline"]').textContent === "Timeline"`)
	if got := pg.eval(`String(window.__notReloaded === true) + " " + window.__mailscope.events.length`); got != "true "+events {
		t.Errorf("after the switch: reloaded and events %q, want true %s", got, events)
	}
	if u := pg.eval(`location.search`); u != "?lang=en" {
		t.Errorf("the address keeps %q, want ?lang=en", u)
	}
	if got := pg.eval(`document.querySelector("#lane-heads").textContent`); !strings.Contains(got, "client of A") || !strings.Contains(got, "server A") || han.MatchString(got) {
		t.Errorf("lanes in English: %q", got)
	}
	// The explanations composed again in English read exactly as an
	// English mailscope writes them, arguments included.
	en := tracer.NewExplainer("en")
	states = pg.eval(`[...document.querySelectorAll("#rows .mark.state")].map(m => m.textContent).join("\n")`)
	greeted := "◆ connected → greeted · " + en.Format(tracer.M("smtp.state.greeted", "verb", "EHLO", "name", "laptop"))
	if han.MatchString(states) || !strings.Contains(states, greeted) {
		t.Errorf("state marks in English: %q, want a line %q", states, greeted)
	}
	if m := pg.eval(`document.querySelector("#explain-body .meaning").textContent`); m != en.SMTPCommand("MAIL").Text {
		t.Errorf("the MAIL FROM explanation in English is %q, want %q", m, en.SMTPCommand("MAIL").Text)
	}
	reply := pg.eval(`(() => { const rows = window.__mailscope.rows; const i = rows.findIndex(e => e.text === "MAIL FROM:<alice@a.example>"); return String(rows.slice(i).find(e => e.dir === "s2c").seq); })()`)
	pg.click("clicking the reply to MAIL FROM", `#rows .row[data-seq="`+reply+`"] .arrow`)
	pg.wait("its explanation", `document.querySelector("#explain-body .wire").textContent.startsWith("250 ")`)
	want := en.SMTPReply(250, "2.1.0", "MAIL")
	if m := pg.eval(`document.querySelector("#explain-body .meaning").textContent`); m != want.Text {
		t.Errorf("the 250 explanation in English is %q, want %q", m, want.Text)
	}
	if got := pg.eval(`document.querySelector("#explain-body").innerText`); !strings.Contains(got, "2.1.0 — "+want.EnhText) {
		t.Errorf("the enhanced code in English: want %q in\n%s", want.EnhText, got)
	}
	pg.shot("timeline-en-from-zh.png")

	// A reload keeps the language the address names, and the events.
	pg.step("reloading", chromedp.Navigate(base+"/?lang=en"))
	pg.wait("the replayed session in English", `document.documentElement.lang === "en" && window.__mailscope.events.length >= `+events+` && [...document.querySelectorAll("#rows .mark.state")].some(m => m.textContent.startsWith("◆ connected → greeted"))`)
	// And back to Chinese with the switch.
	pg.click("the Chinese switch", `.lang-btn[data-lang="zh"]`)
	pg.wait("Chinese again", `document.documentElement.lang === "zh" && document.querySelector('.tab[data-view="timeline"]').textContent === "时间线" && location.search === "?lang=zh"`)
	if n, _ := strconv.Atoi(pg.eval(`String(document.querySelectorAll("#rows .mark.state").length)`)); n == 0 {
		t.Error("no state marks after switching back")
	}
	pg.proseCheck("the timeline after switching back")
	pg.checkExceptions()
}

// TestEnglishWords: the check finds English prose and lets protocol words,
// addresses and ids through.
func TestEnglishWords(t *testing.T) {
	got := englishWords("客户端 → 服务器 · smtp · A-smtp-1\nRFC 5321 第 4.1.1.2 节 EHLO alice@a.example 12:00:01.123\nthe client introduced itself 已问候 connected")
	if strings.Join(got, " ") != "the client introduced itself connected" {
		t.Errorf("englishWords found %q", got)
	}
}

// step is one command of a conversation and how its answer ends.
type step struct {
	send string
	done func(line string) bool
}

// converse talks a line protocol over a real socket: it reads the greeting
// until greeted says it ended, then sends each command and reads its answer.
func converse(t *testing.T, addr string, greeted func(string) bool, steps []step) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	read := func(what string, done func(string) bool) {
		t.Helper()
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if done(l) {
				return
			}
		}
	}
	read("the greeting", greeted)
	for _, s := range steps {
		fmt.Fprintf(c, "%s\r\n", s.send)
		read(s.send, s.done)
	}
}

// mailSessions plays the same SMTP, POP3 and IMAP sessions on inst, with
// errors among them: what TestBrowserOtherLanguage compares.
func mailSessions(t *testing.T, inst *servers.Instance) {
	t.Helper()
	smtpLast := func(l string) bool { return len(l) < 4 || l[3] != '-' }
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "alice@a.example", "Subject: hi\n\nhello\n")
	converse(t, inst.Addr("A", world.SMTP), smtpLast, []step{{"EHLO laptop", smtpLast}, {"MAIL FROM alice", smtpLast},
		{"RCPT TO:<bob@b.example>", smtpLast}, {"VRFY alice", smtpLast}, {"NOOP", smtpLast}, {"RSET", smtpLast},
		{"HELP", smtpLast}, {"XYZZY", smtpLast}, {"QUIT", smtpLast}})
	one := func(string) bool { return true }
	multi := func(l string) bool { return l == ".\r\n" || strings.HasPrefix(l, "-ERR") }
	converse(t, inst.Addr("A", world.POP3), one, []step{{"CAPA", multi}, {"USER alice", one}, {"PASS alice", one},
		{"STAT", one}, {"LIST", multi}, {"UIDL", multi}, {"TOP 1 0", multi}, {"RETR 1", multi}, {"DELE 1", one},
		{"RSET", one}, {"NOOP", one}, {"APOP", one}, {"QUIT", one}})
	tagged := func(tag string) func(string) bool {
		return func(l string) bool { return strings.HasPrefix(l, tag+" ") }
	}
	converse(t, inst.Addr("A", world.IMAP), one, []step{{"a1 CAPABILITY", tagged("a1")}, {"a2 LOGIN alice alice", tagged("a2")},
		{"a3 SELECT INBOX", tagged("a3")}, {"a4 FETCH 1 (FLAGS UID)", tagged("a4")}, {"a5 STORE 1 +FLAGS (\\Flagged)", tagged("a5")},
		{"a6 FOOBAR", tagged("a6")}, {"a7 SELECT Nowhere", tagged("a7")}, {"a8 NOOP", tagged("a8")}, {"a9 LOGOUT", tagged("a9")}})
	waitFor(t, inst.Bus, "the IMAP session's end", func(e *tracer.Event) bool { return e.Kind == tracer.KindClose && e.Proto == "imap" })
}

// said is an event's prose as a reader sees it: the explanation and the
// response code's meaning of a line, or what a state change says.
type said struct {
	Session, Kind, Text, Explain, Enh string
}

// TestBrowserOtherLanguage: a page in the other language than mailscope's
// says every explanation of SMTP, POP3 and IMAP sessions (replies,
// errors, response codes, state changes) exactly as a mailscope started in
// the page's language says it, or else keeps the server's text; it never
// makes up a sentence. Both ways: an English page on a Chinese mailscope and
// a Chinese page on an English one.
func TestBrowserOtherLanguage(t *testing.T) {
	pg := newPage(t)
	worlds := map[string]*servers.Instance{}
	bases := map[string]string{}
	for _, lang := range []string{"en", "zh"} {
		inst, _, base := newWorldLang(t, Options{}, "127.0.0.1:0", lang)
		mailSessions(t, inst)
		worlds[lang], bases[lang] = inst, base
	}
	for server, page := range map[string]string{"zh": "en", "en": "zh"} {
		var want []said
		for _, e := range worlds[page].Bus.History(0) {
			if (e.Kind == tracer.KindLine || e.Kind == tracer.KindState) && e.Explain != nil {
				want = append(want, said{e.Session, string(e.Kind), e.Text, e.Explain.Text, e.Explain.EnhText})
			}
		}
		pg.step("loading the "+page+" page of the "+server+" mailscope", chromedp.Navigate(bases[server]+"/?lang="+page))
		pg.wait("the sessions", `document.documentElement.lang === "`+page+`" && window.__mailscope.events.some(e => e.kind === "close" && e.proto === "imap")`)
		var got []said
		js := `JSON.stringify(window.__mailscope.events.filter(e => (e.kind === "line" || e.kind === "state") && e.explain).map(e => ({Session: e.session, Kind: e.kind, Text: e.text,
			Explain: window.__mailscope.say.explain(e.explain), Enh: window.__mailscope.say.enh(e.explain)})))`
		if err := json.Unmarshal([]byte(pg.eval(js)), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s page of the %s mailscope: %d explained events, the %s mailscope has %d", page, server, len(got), page, len(want))
		}
		kept := 0
		for i := range got {
			g, w := got[i], want[i]
			if g.Session != w.Session || g.Kind != w.Kind {
				t.Fatalf("event %d: %s %s on the page, %s %s in the %s mailscope", i, g.Session, g.Kind, w.Session, w.Kind, page)
			}
			// Queue ids are random: each run names its messages anew.
			// So are POP3 unique ids: the UIDVALIDITY in them is the second
			// each world's mailbox was made, and the two worlds start apart.
			g.Explain, w.Explain = uniqueID.ReplaceAllString(g.Explain, "UID"), uniqueID.ReplaceAllString(w.Explain, "UID")
			g.Explain, w.Explain = queueID.ReplaceAllString(g.Explain, "ID"), queueID.ReplaceAllString(w.Explain, "ID")
			if g.Explain != w.Explain || g.Enh != w.Enh {
				var srv said
				json.Unmarshal([]byte(pg.eval(`JSON.stringify((e => ({Explain: e.explain.text, Enh: e.explain.enh_text || ""}))(window.__mailscope.events.filter(e => (e.kind === "line" || e.kind === "state") && e.explain)[`+strconv.Itoa(i)+`]))`)), &srv)
				if g.Explain == srv.Explain && g.Enh == srv.Enh {
					kept++ // not composed from the catalog: the server's words
					t.Logf("%s page of the %s mailscope keeps the server's words for %s %q: %q", page, server, g.Session, g.Text, g.Explain)
					continue
				}
				t.Errorf("%s page of the %s mailscope, %s %q:\n  page: %q [%q]\n  want: %q [%q]", page, server, g.Session, g.Text, g.Explain, g.Enh, w.Explain, w.Enh)
			}
		}
		t.Logf("%s page of the %s mailscope: %d explanations compared, %d in the server's words", page, server, len(got), kept)
		if kept > len(got)/10 {
			t.Errorf("%s page of the %s mailscope: %d of %d explanations not translated", page, server, kept, len(got))
		}
	}
	pg.checkExceptions()
}
