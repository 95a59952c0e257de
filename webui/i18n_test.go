package webui

import (
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestCatalogEndpoint: GET /api/catalog answers every catalog text in the
// language asked for (the instance's without one), with the instance's
// language and the RFC sections; it is open like /api/world, since the token
// form speaks the reader's language too; a language it does not have is a
// 400.
func TestCatalogEndpoint(t *testing.T) {
	_, _, base := newWorldLang(t, Options{Token: "0123456789abcdef0123456789abcdef"}, "0.0.0.0:0", "zh")
	var zh, en, def catalogView
	getJSON(t, base+"/api/catalog?lang=zh", &zh)
	getJSON(t, base+"/api/catalog?lang=en", &en)
	getJSON(t, base+"/api/catalog", &def)
	if zh.Lang != "zh" || zh.ServerLang != "zh" || en.Lang != "en" || en.ServerLang != "zh" || def.Lang != "zh" {
		t.Errorf("languages: zh %q/%q, en %q/%q, default %q", zh.Lang, zh.ServerLang, en.Lang, en.ServerLang, def.Lang)
	}
	for key, want := range map[string][2]string{
		"web.tab.timeline":        {"Timeline", "时间线"},
		"web.lesson.done":         {"★ Lesson complete", "★ 课程完成"},
		"smtp.state.greeted":      {"{verb} {name}", "{verb} {name}"},
		"smtp.class.2":            {"", ""},
		"web.lane.client":         {"client of {name}", "{name} 的客户端"},
		"http.response.error":     {"{status}", "{status}"},
		"web.q.empty":             {"queue is empty", "消息队列是空的"},
		"web.state.selected":      {"selected", "已选择"},
		"web.state.AUTHORIZATION": {"AUTHORIZATION", "授权状态"},
	} {
		if !strings.Contains(en.Texts[key], want[0]) || en.Texts[key] == "" {
			t.Errorf("en %s = %q, want it to hold %q", key, en.Texts[key], want[0])
		}
		if !strings.Contains(zh.Texts[key], want[1]) || zh.Texts[key] == "" || zh.Texts[key] == en.Texts[key] && key != "web.state.AUTHORIZATION" {
			t.Errorf("zh %s = %q, want Chinese holding %q", key, zh.Texts[key], want[1])
		}
	}
	if len(zh.Texts) != len(tracer.Keys()) || len(en.Texts) != len(zh.Texts) {
		t.Errorf("%d zh and %d en texts for %d catalog keys", len(zh.Texts), len(en.Texts), len(tracer.Keys()))
	}
	if zh.RFC["smtp.cmd.MAIL"] == "" {
		t.Error("no RFC section for smtp.cmd.MAIL")
	}
	get(t, base+"/api/catalog?lang=fr", http.StatusBadRequest, "application/json")
	// Everything else needs the token there, and says so in Chinese, from
	// the catalog.
	if body := get(t, base+"/api/queue", http.StatusUnauthorized, "application/json"); !strings.Contains(body, "都需要令牌") {
		t.Errorf("the refusal of a zh instance: %s", body)
	}
	// Cached by the browser, revalidated: the same run answers 304.
	resp := getJSON(t, base+"/api/catalog?lang=zh", nil)
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest("GET", base+"/api/catalog?lang=zh", nil)
	req.Header.Set("If-None-Match", etag)
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusNotModified || etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("revalidating the catalog (ETag %q): %v %v", etag, r2, err)
	} else {
		r2.Body.Close()
	}
}

// TestTokenRedirectKeepsLang: the token form of a page in Chinese sends
// lang=zh with the token; the redirect that takes the token out of the
// address keeps the language, right or wrong token.
func TestTokenRedirectKeepsLang(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	_, _, base := newWorldOn(t, Options{Token: token}, "0.0.0.0:0")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for q, want := range map[string]string{
		"token=" + token + "&lang=zh": "/?lang=zh",
		"token=wrong&lang=zh":         "/?lang=zh&login=failed",
		"token=wrong&lang=<b>":        "/?login=failed",
		"token=" + token:              "/",
	} {
		resp, err := client.Get(base + "/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("/?%s: HTTP %d to %q, want 303 to %q", q, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// TestHTTPTraceSaysItInLang: the webmail's own requests are explained from
// the catalog in the instance's language, with their arguments for a page
// in the other one.
func TestHTTPTraceSaysItInLang(t *testing.T) {
	inst, _, base := newWorldLang(t, Options{}, "127.0.0.1:0", "zh")
	get(t, base+"/api/mailboxes?server=A&user=alice", http.StatusOK, "application/json")
	req := waitFor(t, inst.Bus, "the http request line", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.C2S
	})
	resp := waitFor(t, inst.Bus, "the http status line", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.S2C && e.Session == req.Session
	})
	if x := req.Explain; x.Key != "http.request" || x.Args["server"] != "A" || !strings.Contains(x.Text, "网页邮件通过 HTTP 从服务器 A 拉取") || x.RFC == "" {
		t.Errorf("request explained as %+v", x)
	}
	if x := resp.Explain; x.Key != "http.response.ok" || x.Class != "2xx" || x.Args["status"] != "200 OK" || !strings.HasPrefix(x.Text, "200 OK：响应携带所请求的对象") {
		t.Errorf("response explained as %+v", x)
	}
	// The exchange then closes: the page showed every webmail request as
	// an open session for ever.
	cl := waitFor(t, inst.Bus, "the exchange's close", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindClose && e.Session == req.Session
	})
	if !strings.Contains(cl.Text, "HTTP 不保持会话") {
		t.Errorf("close says %q", cl.Text)
	}
}

// visibleEnglish finds English a reader would see in the page's files:
// text between the tags of index.html and its title, placeholder,
// aria-label and alt attributes, and in app.js the string literals that
// are sentences or capitalized words, and every literal put on the page
// through el(), option(), textContent, title or setStatus. Words a reader
// is meant to see as they are (the product's name, the telnet command of
// the hint, the language switch's "en") are allowed.
func visibleEnglish(html, js, css string) []string {
	allowed := map[string]bool{"mailscope": true, "telnet": true, "en": true}
	english := regexp.MustCompile(`[A-Za-z]{2,}`)
	var found []string
	check := func(where, s string) {
		for _, w := range english.FindAllString(s, -1) {
			if !allowed[w] {
				found = append(found, where+": "+strings.TrimSpace(s))
				return
			}
		}
	}
	html = regexp.MustCompile(`(?s)<!--.*?-->|<script.*?</script>|<style.*?</style>`).ReplaceAllString(html, "")
	for _, m := range regexp.MustCompile(`>([^<]+)<`).FindAllStringSubmatch(html, -1) {
		// The hint's command is a placeholder that app.js fills.
		if strings.HasPrefix(strings.TrimSpace(m[1]), "telnet 127.0.0.1") {
			continue
		}
		check("index.html text", m[1])
	}
	for _, m := range regexp.MustCompile(`\s(?:title|placeholder|aria-label|alt)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		check("index.html attribute", m[1])
	}

	js = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(js, "")
	js = regexp.MustCompile(`(?m)^\s*//.*$`).ReplaceAllString(js, "")
	literal := `'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|` + "`[^`]*`"
	// Sentences: two words with a space between, or a capitalized word.
	sentence := regexp.MustCompile(`[A-Za-z]{2,}[,:;!?]? +[a-z]{2,}|^\W*[A-Z][a-z]{2,}`)
	// Code that looks like words: CSS selectors, header names, catalog
	// keys, class lists (every word a class of style.css),
	// and the names of keyboard keys (KeyboardEvent.key).
	code := regexp.MustCompile(`^(?:web\.|[#.]|Content-Type$|use strict$|(?:Arrow(?:Up|Down|Left|Right)|Home|End|Enter|Escape|Page(?:Up|Down)|Tab)$)`)
	classes := map[string]bool{}
	for _, w := range regexp.MustCompile(`[a-z0-9-]+`).FindAllString(css, -1) {
		classes[w] = true
	}
	classList := func(s string) bool {
		for _, w := range strings.Fields(s) {
			if !classes[w] && !(strings.HasSuffix(w, "-") && strings.Contains(css, "."+w)) {
				return false
			}
		}
		return true
	}
	for _, m := range regexp.MustCompile(literal).FindAllString(js, -1) {
		s := m[1 : len(m)-1]
		if sentence.MatchString(s) && !code.MatchString(s) && !classList(s) {
			check("app.js literal", s)
		}
	}
	// Literals that go on the page whatever they look like.
	sinks := regexp.MustCompile(`(?:\bel\([^,()]+,[^,()]+,\s*|\boption\([^,()]+,\s*|\.textContent\s*=\s*|\.title\s*=\s*(?:vis\()?|\bsetStatus\([^,()]+,\s*|\bcontrolMsg\(\s*)(` + literal + `)`)
	for _, m := range sinks.FindAllStringSubmatch(js, -1) {
		s := m[1][1 : len(m[1])-1]
		if strings.HasPrefix(s, "web.") {
			continue // a catalog key
		}
		check("app.js on the page", s)
	}
	return found
}

// TestPageWordsFromCatalog: no English sentence is left in index.html or
// app.js for a reader to see: the words come from the catalog, and every
// key the page names is there in both languages.
func TestPageWordsFromCatalog(t *testing.T) {
	html, err := os.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range pageScripts(t) {
		all = append(all, s)
	}
	js := strings.Join(all, "\n")
	css, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range visibleEnglish(string(html), js, string(css)) {
		t.Errorf("English on the page, not from the catalog: %s", f)
	}
	// The check sees English where it is.
	if got := visibleEnglish(`<p>Waiting</p><b title="a tip">x</b>`, `el('p', 'hint', 'Pick a message.'); x.textContent = 'now'; const y = 'Lesson: ' + z; const c = 'row hint'; b.title = open ? 'collapse the body' : 'expand';`, ".row {} .hint {}"); len(got) != 7 {
		t.Errorf("visibleEnglish found %q, want 7 finds", got)
	}
	keys := regexp.MustCompile(`\bt(?:Or)?\('(web\.[^']+)'|data-t(?:-title|-aria|-placeholder)?="(web\.[^"]+)"`)
	n := 0
	for _, src := range []string{string(html), js} {
		for _, m := range keys.FindAllStringSubmatch(src, -1) {
			k := m[1] + m[2]
			if strings.HasSuffix(k, ".") {
				continue // a prefix: 'web.state.' + name
			}
			n++
			if !tracer.HasKey(k, "en") || !tracer.HasKey(k, "zh") {
				t.Errorf("the page names %s, which the catalog lacks in en or zh", k)
			}
		}
	}
	if n < 100 {
		t.Errorf("the page names only %d catalog keys", n)
	}
}

// TestMarkdownInLang: the Markdown transcript a student downloads for a
// lab report says its own words in the instance's language, as its
// explanations do, and writes RFC sections the Chinese way.
func TestMarkdownInLang(t *testing.T) {
	inst, _, base := newWorldLang(t, Options{}, "127.0.0.1:0", "zh")
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "alice@a.example", "Subject: hi\n\nhello\n")
	waitFor(t, inst.Bus, "the end of the session", func(e *tracer.Event) bool { return e.Kind == tracer.KindClose && e.Session == "A-smtp-1" })
	md := get(t, base+"/api/sessions/A-smtp-1/transcript?format=md", http.StatusOK, "text/markdown")
	for _, want := range []string{"# 会话 A-smtp-1", "- 服务器：A，协议：smtp", "| # | 时间 | 发送方 | 协议行 | 含义 |", "| C | `MAIL FROM:<alice@a.example>` |", "RFC 5321 第 4.1.1.2 节", "（事件 "} {
		if !strings.Contains(md, want) {
			t.Errorf("the zh transcript lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "section") || strings.Contains(md, "Session") {
		t.Errorf("English in the zh transcript:\n%s", md)
	}
}

// TestMessageErrorsAsKeys: what the message viewer could not parse comes
// with a catalog message too, so that the page says it in its reader's
// language; the parser's own detail is an argument, never a template.
func TestMessageErrorsAsKeys(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + strconv.Itoa(i) + "\r\n\r\n--b" + strconv.Itoa(i) + "\r\n")
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	var deepest *Part
	for p := ParseMessage([]byte(b.String())).Tree; p != nil; p = p.Parts[len(p.Parts)-1] {
		if p.Error != "" {
			deepest = p
		}
		if len(p.Parts) == 0 {
			break
		}
	}
	zh := tracer.NewExplainer("zh")
	if deepest == nil || deepest.ErrorMsg == nil || deepest.ErrorMsg.Key != "web.mime.toomany" || zh.Format(deepest.ErrorMsg) != "嵌套的部分太多：其余部分不再显示" ||
		deepest.Error != "too many nested parts: the rest is not shown" {
		t.Fatalf("the deepest part's error: %+v", deepest)
	}
	v := ParseMessage([]byte("Subject: x\r\nContent-Type: text/plain; charset=x-{unknown}\r\nContent-Transfer-Encoding: x-weird\r\n\r\nbody\r\n"))
	if m := v.Tree.ErrorMsg; m == nil || m.Key != "web.mime.undecoded" || !strings.Contains(zh.Format(m), "（按原样显示，未解码）") || !strings.HasSuffix(v.Tree.Error, " (shown undecoded)") {
		t.Errorf("unknown charset and encoding: %q %+v", v.Tree.Error, v.Tree.ErrorMsg)
	}
}
