package webui

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// hostileSubject and hostileBody must show up as text, never run.
const (
	hostileSubject = `<img src=x onerror="window.__xss=1"> & <script>window.__xss=2</script>`
	hostileBody    = "<script>window.__xss=3</script>\n<img src=x onerror=\"window.__xss=4\">\n.a line that starts with a dot\n"
)

// mimeMessage is a multipart message: a quoted-printable ISO-8859-1 text
// part, an HTML alternative and a base64 attachment.
const mimeMessage = `From: Alice <alice@a.example>
To: Bob <bob@b.example>
Subject: =?UTF-8?Q?Lab_report_=E2=9C=93?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 at noon.
--inner
Content-Type: text/html; charset=utf-8

<p>Caf&eacute; <b>at noon</b></p>
--inner--
--outer
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgc=
--outer--
`

func hostileMessage() string {
	return "From: alice@a.example\nTo: alice@a.example\nSubject: " + hostileSubject + "\n\n" + hostileBody
}

// TestAPI runs a real world, sends real SMTP, and reads it back through
// every GET endpoint.
func TestAPI(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", mimeMessage)
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", hostileMessage())

	var w worldInfo
	getJSON(t, base+"/api/world", &w)
	if len(w.Servers) != 2 || w.Servers[0].Name != "A" || w.Servers[0].Listeners["smtp"] != smtpA || !w.Control {
		t.Errorf("/api/world = %+v", w)
	}

	// Sessions and transcripts come from the bus history.
	var sessions []SessionInfo
	getJSON(t, base+"/api/sessions", &sessions)
	if len(sessions) < 2 || sessions[0].ID != "A-smtp-1" || sessions[0].Proto != "smtp" || !sessions[0].Closed || len(sessions[0].MsgIDs) != 1 {
		t.Fatalf("/api/sessions = %+v", sessions)
	}
	text := get(t, base+"/api/sessions/A-smtp-1/transcript?format=text", http.StatusOK, "text/plain")
	for _, want := range []string{"C: MAIL FROM:<alice@a.example>", "S: 354 ", "RFC 5321", "state: "} {
		if !strings.Contains(text, want) {
			t.Errorf("text transcript lacks %q:\n%s", want, text)
		}
	}
	md := get(t, base+"/api/sessions/A-smtp-1/transcript?format=md", http.StatusOK, "text/markdown")
	for _, want := range []string{"# Session A-smtp-1", "| # | time | who | line | meaning |", "| C | `MAIL FROM:<alice@a.example>` |", "```\nFrom: Alice <alice@a.example>"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown transcript lacks %q:\n%s", want, md)
		}
	}
	jl := get(t, base+"/api/sessions/A-smtp-1/transcript?format=jsonl", http.StatusOK, "application/jsonl")
	sc := bufio.NewScanner(strings.NewReader(jl))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var e tracer.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Session != "A-smtp-1" {
			t.Fatalf("JSONL line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines < 10 {
		t.Errorf("JSONL transcript has %d lines", lines)
	}
	get(t, base+"/api/sessions/nope/transcript", http.StatusNotFound, "application/json")
	get(t, base+"/api/sessions/A-smtp-1/transcript?format=pdf", http.StatusBadRequest, "application/json")

	// The webmail: a mailbox listing, traced as HTTP on server A.
	var ml mailboxList
	getJSON(t, base+"/api/mailboxes?server=A&user=alice@a.example", &ml)
	if ml.User != "alice" || len(ml.Mailboxes) != 4 || ml.Mailboxes[0].Name != "INBOX" || len(ml.Mailboxes[0].Messages) != 2 {
		t.Fatalf("/api/mailboxes = %+v", ml)
	}
	first, second := ml.Mailboxes[0].Messages[0], ml.Mailboxes[0].Messages[1]
	if first.Subject != "Lab report ✓" || first.From != "Alice <alice@a.example>" || first.MsgID == "" {
		t.Errorf("listing of the MIME message: %+v", first)
	}
	if second.Subject != hostileSubject {
		t.Errorf("hostile subject listed as %q", second.Subject)
	}
	req := waitFor(t, inst.Bus, "the http request line", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.C2S && e.Text == "GET /api/mailboxes?server=A&user=alice@a.example HTTP/1.1"
	})
	if req.Server != "A" || req.Proto != "http" || req.Actor != "alice" || req.Explain == nil {
		t.Errorf("request event %+v", req)
	}
	resp := waitFor(t, inst.Bus, "the http status line", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.S2C && e.Session == req.Session
	})
	if resp.Text != "HTTP/1.1 200 OK" || resp.Size < 100 || resp.Attrs["status"] != "200" || resp.Explain.Class != "2xx" {
		t.Errorf("response event %+v", resp)
	}
	get(t, base+"/api/mailboxes?server=Z&user=alice", http.StatusBadRequest, "application/json")
	get(t, base+"/api/mailboxes?server=A&user=bob", http.StatusNotFound, "application/json")

	// One message: headers, MIME tree, decoded text, raw source.
	var m MessageView
	getJSON(t, base+"/api/messages/"+first.ID, &m)
	if m.Server != "A" || m.User != "alice" || m.Mailbox != "INBOX" || m.Subject != "Lab report ✓" || m.MsgID != first.MsgID {
		t.Errorf("message %+v", m)
	}
	if !strings.Contains(m.Raw, "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 at noon.") {
		t.Errorf("raw source is not the stored bytes:\n%s", m.Raw)
	}
	tree := m.Tree
	if tree == nil || tree.ContentType != "multipart/mixed" || len(tree.Parts) != 2 {
		t.Fatalf("tree %+v", tree)
	}
	alt, att := tree.Parts[0], tree.Parts[1]
	if alt.Path != "1" || alt.ContentType != "multipart/alternative" || len(alt.Parts) != 2 {
		t.Fatalf("part 1 %+v", alt)
	}
	plain, html := alt.Parts[0], alt.Parts[1]
	if plain.Path != "1.1" || plain.Encoding != "quoted-printable" || plain.Charset != "iso-8859-1" || plain.Text == nil || *plain.Text != "Café at noon." {
		t.Errorf("text part %+v (text %v)", plain, plain.Text)
	}
	if html.ContentType != "text/html" || html.Text == nil || !strings.Contains(*html.Text, "<b>at noon</b>") {
		t.Errorf("html part %+v", html)
	}
	if att.Path != "2" || att.Encoding != "base64" || att.Filename != "data.bin" || att.Disposition != "attachment" || att.Size != 8 || att.Text != nil {
		t.Errorf("attachment %+v", att)
	}
	waitFor(t, inst.Bus, "the message fetch traced with its message id", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindHTTP && e.Dir == tracer.C2S && strings.HasPrefix(e.Text, "GET /api/messages/"+first.ID) && e.MsgID == first.MsgID
	})
	var hm MessageView
	getJSON(t, base+"/api/messages/"+second.ID, &hm)
	if hm.Subject != hostileSubject || hm.Tree.Text == nil || *hm.Tree.Text != strings.ReplaceAll(hostileBody, "\n", "\r\n") {
		t.Errorf("hostile message: subject %q, text %v", hm.Subject, hm.Tree.Text)
	}
	get(t, base+"/api/messages/abc", http.StatusBadRequest, "application/json")
	get(t, base+"/api/messages/999-1", http.StatusNotFound, "application/json")
	get(t, base+"/api/messages/"+strings.Split(first.ID, "-")[0]+"-99", http.StatusNotFound, "application/json")

	// Queue and faults.
	var q queueView
	getJSON(t, base+"/api/queue", &q)
	if q.Entries == nil || q.Now.IsZero() || len(q.Faults) != 2 {
		t.Errorf("/api/queue = %+v", q)
	}
	var fv faultsView
	getJSON(t, base+"/api/faults", &fv)
	if len(fv.Faults) != len(servers.Faults) || len(fv.Servers) != 2 {
		t.Errorf("/api/faults = %+v", fv)
	}
}

// TestControl: faults and flush from loopback; refused from elsewhere
// unless the token is sent; refused from a foreign page's origin.
func TestControl(t *testing.T) {
	inst, srv, base := newWorld(t, Options{})
	post := func(url, ctype, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(base+"/api/faults?server=b&fault=down", "", "", nil); code != 200 || !strings.Contains(body, `"B":"down"`) {
		t.Fatalf("set fault: %d %s", code, body)
	}
	if f := inst.FaultOf("B"); f != servers.FaultDown {
		t.Errorf("FaultOf(B) = %q after the switch", f)
	}
	if code, body := post(base+"/api/faults", "application/json", `{"server":"B","fault":"clear"}`, nil); code != 200 || !strings.Contains(body, `"B":""`) {
		t.Errorf("clear fault: %d %s", code, body)
	}
	if code, _ := post(base+"/api/faults", "application/x-www-form-urlencoded", "server=B&fault=melted", nil); code != 400 {
		t.Errorf("unknown fault: HTTP %d, want 400", code)
	}
	if code, _ := post(base+"/api/faults?server=Q&fault=down", "", "", nil); code != 400 {
		t.Errorf("unknown server: HTTP %d, want 400", code)
	}
	if code, body := post(base+"/api/queue/flush?domain=b.example", "", "", nil); code != 200 || !strings.Contains(body, `"woken"`) {
		t.Errorf("flush: %d %s", code, body)
	}
	if code, _ := post(base+"/api/faults?server=B&fault=down", "", "", map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("POST from a foreign origin: HTTP %d, want 403", code)
	}
	if code, _ := post(base+"/api/faults?server=B&fault=down", "", "", map[string]string{"Origin": base}); code != 200 {
		t.Errorf("POST from the page's own origin: HTTP %d, want 200", code)
	}
	if code, _ := post(base+"/api/faults", "", "", nil); code != http.StatusMethodNotAllowed && code != 400 {
		t.Errorf("POST without server: %d", code)
	}
	if r := getJSON(t, base+"/api/faults", nil); r.StatusCode != 200 {
		t.Errorf("GET faults: %d", r.StatusCode)
	}

	// From another machine (a remote address that is not loopback).
	remote := func(s *Server, auth string) int {
		req := httptest.NewRequest("POST", "/api/faults?server=B&fault=slow", nil)
		req.RemoteAddr = "192.0.2.7:40000"
		req.Host = "127.0.0.1:8025" // through a tunnel to the loopback listener
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	if code := remote(srv, ""); code != http.StatusForbidden {
		t.Errorf("remote control without a token configured: HTTP %d, want 403", code)
	}
	withToken := New(inst, Options{Token: "s3cret", Logger: quietLogger()})
	if code := remote(withToken, ""); code != http.StatusUnauthorized {
		t.Errorf("remote control without the token: HTTP %d, want 401", code)
	}
	if code := remote(withToken, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("remote control with a wrong token: HTTP %d, want 401", code)
	}
	if code := remote(withToken, "Bearer s3cret"); code != 200 {
		t.Errorf("remote control with the token: HTTP %d, want 200", code)
	}
	if inst.FaultOf("B") != servers.FaultSlow {
		t.Errorf("fault after the token-bearing request: %q", inst.FaultOf("B"))
	}
}

// TestLoopbackHostAndHeaders: a loopback listener refuses a Host that is
// not loopback (DNS rebinding), and every answer carries the headers that
// keep wire text inert.
func TestLoopbackHostAndHeaders(t *testing.T) {
	_, _, base := newBusServer(t, Options{})
	req, _ := http.NewRequest("GET", base+"/api/sessions", nil)
	req.Host = "rebind.evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host rebind.evil.example on loopback: HTTP %d, want 421", resp.StatusCode)
	}
	req.Host = "localhost:8025"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("Host localhost: HTTP %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers of /: %v", resp.Header)
	}
	if !strings.Contains(string(b), `<script type="module" src="/static/app.js"`) {
		t.Errorf("/ is not the page: %.200s", b)
	}
	for _, p := range []string{"/static/app.js", "/static/style.css", "/static/favicon.svg"} {
		get(t, base+p, http.StatusOK, "")
	}
	// A module script runs only when served as JavaScript (the HTML
	// standard's strict MIME check for modules).
	for name := range pageScripts(t) {
		resp, err := http.Get(base + "/static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("/static/%s: HTTP %d, Content-Type %q", name, resp.StatusCode, ct)
		}
	}
	get(t, base+"/static/nope.js", http.StatusNotFound, "")
	if !IsLoopback("127.0.0.1:8025") || !IsLoopback("[::1]:8025") || !IsLoopback("localhost:1") || IsLoopback(":8025") || IsLoopback("0.0.0.0:8025") || IsLoopback("192.0.2.1:80") {
		t.Error("IsLoopback")
	}
}

// TestPageUsesTextOnly guards the page's rule: wire text goes into the DOM
// as text. No HTML sinks in the script, no inline script in the page.
func TestPageUsesTextOnly(t *testing.T) {
	for name, js := range pageScripts(t) {
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc", "createContextualFragment", "DOMParser"} {
			if strings.Contains(js, sink) {
				t.Errorf("%s uses %s", name, sink)
			}
		}
	}
	html, err := os.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(html), "<script") != 1 || !strings.Contains(string(html), `<script type="module" src="/static/app.js"></script>`) ||
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`).Match(html) {
		t.Error("index.html has inline script or event handler attributes")
	}
}

// pageScripts reads the page's modules (static/*.js), by file name.
func pageScripts(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("static/*.js")
	if err != nil || len(names) < 2 {
		t.Fatalf("the page's modules: %v %v", names, err)
	}
	js := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		js[filepath.Base(n)] = string(b)
	}
	return js
}

// TestParseMessageBounds: garbage and deep nesting do not break the viewer.
func TestParseMessageBounds(t *testing.T) {
	v := ParseMessage([]byte("no header at all, just text"))
	if v.Raw == "" {
		t.Error("raw source missing")
	}
	var b strings.Builder
	for i := 0; i < 40; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + strconv.Itoa(i) + "\r\n\r\n--b" + strconv.Itoa(i) + "\r\n")
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	v = ParseMessage([]byte(b.String()))
	depth := 0
	for p := v.Tree; p != nil && len(p.Parts) > 0; p = p.Parts[0] {
		depth++
	}
	if depth > maxPartDepth+1 {
		t.Errorf("tree depth %d beyond the bound %d", depth, maxPartDepth)
	}
	v = ParseMessage([]byte("Subject: x\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: x-weird\r\n\r\nbody\r\n"))
	if v.Tree == nil || v.Tree.Error == "" || v.Tree.Text == nil {
		t.Errorf("unknown charset and encoding: %+v", v.Tree)
	}
}

// get fetches url, checks the status and content type prefix, and returns
// the body.
func get(t *testing.T, url string, status int, ctype string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("GET %s: HTTP %d, want %d: %s", url, resp.StatusCode, status, b)
	}
	if ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
		t.Errorf("GET %s: Content-Type %q, want %s", url, resp.Header.Get("Content-Type"), ctype)
	}
	return string(b)
}

func TestLessonPost(t *testing.T) {
	inst, _, base := newWorld(t, Options{Logger: quietLogger()})
	sub := inst.Bus.Subscribe(100)
	defer sub.Close()
	post := func(body string) int {
		resp, err := http.Post(base+"/api/lesson", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"text":"say HELO","attrs":{"lesson":"smtp-by-hand","status":"current","step":"1"}}`); code != 200 {
		t.Fatalf("lesson post: %d", code)
	}
	for ev := range sub.C() {
		if ev.Kind == tracer.KindLesson {
			if ev.Text != "say HELO" || ev.Attrs["step"] != "1" {
				t.Fatalf("lesson event %+v", ev)
			}
			break
		}
	}
	if code := post(`{"text":"x"}`); code != 400 {
		t.Errorf("lesson post without attrs: %d, want 400", code)
	}
	if code := post(`not json`); code != 400 {
		t.Errorf("lesson post with bad JSON: %d, want 400", code)
	}
}
