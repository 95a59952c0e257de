package webui

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers/world"
)

// pdfBytes is the attachment of htmlMessage: binary, with octets a text
// decoding would change.
var pdfBytes = []byte("%PDF-1.4\n\x00\x01\x02\xff\xfe binary \r\n end\n")

// htmlMessage is a newsletter as senders write them: a text and an HTML
// alternative, the HTML with a tracking pixel, a remote stylesheet and a
// script; and a PDF attachment whose name tries to climb out of a folder.
func htmlMessage() string {
	enc := base64.StdEncoding.EncodeToString(pdfBytes)
	return `From: News <news@a.example>
To: alice@a.example
Subject: Quarterly figures
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

The quarterly figures are attached.
--alt
Content-Type: text/html; charset=utf-8

<html><head><link rel="stylesheet" href="https://cdn.tracker.example/s.css">
<META HTTP-EQUIV="Refresh" CONTENT="0; URL=https://go.tracker.example/opened?m=42"></head>
<body style="background: url('http://img.tracker.example/bg.png')">
<p>The <b>quarterly</b> figures are attached.</p>
<script>document.title='pwned'</script>
<a href="https://news.example/read">read online</a>
<img src="http://t.tracker.example/open.gif?u=alice&amp;m=42" width="1" height="1" alt="">
</body></html>
--alt--
--outer
Content-Type: application/pdf; name="figures.pdf"
Content-Disposition: attachment; filename="../../etc/figures.pdf"
Content-Transfer-Encoding: base64

` + enc + `
--outer--
`
}

// TestMessagePreviewAttachmentSearch: a message with HTML, a remote image
// and an attachment, sent over real SMTP, is previewed sandboxed (the
// policy loads nothing remote and runs no script), lists what it blocked
// (the pixel marked), offers its attachment as a safe download, and is
// found by a search of its text.
func TestMessagePreviewAttachmentSearch(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	smtpA := inst.Addr("A", world.SMTP)
	smtpSend(t, smtpA, "news@a.example", "alice@a.example", htmlMessage())
	smtpSend(t, smtpA, "alice@a.example", "alice@a.example", "To: alice@a.example\nSubject: plain\n\nnothing to see\n")

	var ml mailboxList
	getJSON(t, base+"/api/mailboxes?server=A&user=alice", &ml)
	msgs := ml.Mailboxes[0].Messages
	if len(msgs) != 2 {
		t.Fatalf("INBOX: %+v", msgs)
	}
	id, plainID := msgs[0].ID, msgs[1].ID
	var m MessageView
	getJSON(t, base+"/api/messages/"+id, &m)
	if m.HTMLPart != "1.2" {
		t.Errorf("html part %q, want 1.2", m.HTMLPart)
	}
	want := map[string]bool{
		"https://cdn.tracker.example/s.css":              false,
		"https://go.tracker.example/opened?m=42":         false,
		"http://img.tracker.example/bg.png":              false,
		"http://t.tracker.example/open.gif?u=alice&m=42": true,
	}
	if len(m.Remote) != len(want) {
		t.Errorf("remote refs %+v, want %v", m.Remote, want)
	}
	for _, r := range m.Remote {
		pixel, ok := want[r.URL]
		if !ok || r.Pixel != pixel {
			t.Errorf("remote ref %+v", r)
		}
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Path != "2" || m.Attachments[0].Filename != "figures.pdf" ||
		m.Attachments[0].Size != len(pdfBytes) || m.Attachments[0].ContentType != "application/pdf" {
		t.Errorf("attachments %+v", m.Attachments)
	}

	// The preview: the HTML part, under a policy that sandboxes it and
	// allows nothing remote.
	resp, err := http.Get(base + "/api/messages/" + id + "/html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(string(body), "<b>quarterly</b>") {
		t.Fatalf("preview: HTTP %d %v %.200q", resp.StatusCode, resp.Header, body)
	}
	if strings.Contains(strings.ToLower(string(body)), "refresh") || resp.Header.Get("X-DNS-Prefetch-Control") != "off" {
		t.Errorf("preview keeps a meta refresh or allows DNS prefetch: %v %q", resp.Header, body)
	}
	for _, want := range []string{"sandbox", "default-src 'none'", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("preview CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"allow-scripts", "allow-same-origin", "img-src", "script-src", "http"} {
		if strings.Contains(csp, bad) {
			t.Errorf("preview CSP %q allows %q", csp, bad)
		}
	}
	get(t, base+"/api/messages/"+plainID+"/html", http.StatusNotFound, "application/json")
	get(t, base+"/api/messages/"+id+"/html?part=1.1", http.StatusNotFound, "application/json")

	// The attachment: as a download, its octets as sent, its name safe.
	resp, err = http.Get(base + "/api/messages/" + id + "/parts/2")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(pdfBytes) || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=figures.pdf` || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: HTTP %d %v %q", resp.StatusCode, resp.Header, body)
	}
	get(t, base+"/api/messages/"+id+"/parts/9", http.StatusNotFound, "application/json")
	get(t, base+"/api/messages/"+id+"/parts/1.x", http.StatusNotFound, "application/json")

	// Search: in the text, in the subject, nowhere; bad queries refused.
	search := func(q string) searchView {
		var v searchView
		getJSON(t, base+"/api/search?server=A&user=alice&q="+url.QueryEscape(q), &v)
		return v
	}
	if v := search("FIGURES ARE"); len(v.Results) != 1 || v.Results[0].ID != id || strings.Join(v.Results[0].Where, ",") != "body" {
		t.Errorf("search in the text: %+v", v)
	}
	if v := search("quarterly"); len(v.Results) != 1 || strings.Join(v.Results[0].Where, ",") != "subject,body" {
		t.Errorf("search in subject and text: %+v", v)
	}
	if v := search("alice@a.example"); len(v.Results) != 2 {
		t.Errorf("search of an address: %+v", v)
	}
	if v := search("no such words"); len(v.Results) != 0 || v.Results == nil {
		t.Errorf("search of nothing: %+v", v)
	}
	get(t, base+"/api/search?server=A&user=alice&q=", http.StatusBadRequest, "application/json")
	get(t, base+"/api/search?server=A&user=alice&q="+strings.Repeat("x", 300), http.StatusBadRequest, "application/json")
	get(t, base+"/api/search?server=A&user=nobody&q=x", http.StatusNotFound, "application/json")
}

// TestRemoteRefsAndNames: the blocked list finds what a browser would
// fetch by itself (not links a reader clicks), and download names cannot
// name a path or carry control characters.
func TestRemoteRefsAndNames(t *testing.T) {
	refs := RemoteRefs(`<a href="http://click.example/">x</a><IMG SRC='//p.example/x.gif' style="display:none">` +
		`<img srcset="https://a.example/1.png 1x, https://a.example/2.png 2x"><img src="cid:logo@x"><img src="data:image/png;base64,AA==">` +
		`<style>@import "https://css.example/a.css"; div{background:url(https://bg.example/b.png)}</style><iframe src="https://frame.example/">`)
	var got []string
	for _, r := range refs {
		got = append(got, r.Tag+" "+r.URL)
	}
	want := "img //p.example/x.gif|img srcset https://a.example/1.png|img srcset https://a.example/2.png|iframe https://frame.example/|style https://css.example/a.css|style https://bg.example/b.png"
	if strings.Join(got, "|") != want {
		t.Errorf("RemoteRefs:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	if !refs[0].Pixel {
		t.Errorf("a hidden image is not marked a pixel: %+v", refs[0])
	}
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		`C:\Users\x\evil.exe`:             "evil.exe",
		"...hidden":                       "hidden",
		"a\x1b[31mred\u202egpj.exe":       "a[31mredgpj.exe",
		"":                                "part-3.bin",
		"   ":                             "part-3.bin",
		"报告.pdf":                          "报告.pdf",
		strings.Repeat("a", 200) + ".pdf": strings.Repeat("a", 96) + ".pdf",
	} {
		if got := downloadName(in, "3"); got != want {
			t.Errorf("downloadName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPreviewLinksDisarmed: the preview's links lead nowhere (a click in
// the trial navigated the sandboxed frame to the phishing address, and the
// page's policy left the browser's error page in place of the mail): each
// link's address becomes "#", its title the address a hover shows; the
// mail's <base> goes and one that opens links in a new window (which the
// sandbox refuses) leads the document, after its doctype.
func TestPreviewLinksDisarmed(t *testing.T) {
	const base = `<base target="_blank">`
	for _, c := range []struct{ in, want string }{
		{`<!DOCTYPE html><html><head><base href="http://phish.example/" target="_top"></head><body><a href="http://phish.example/" target="_self" title="Your bank">Log in</a></body></html>`,
			`<!DOCTYPE html>` + base + `<html><head></head><body><a href="#" title="http://phish.example/">Log in</a></body></html>`},
		{`<A HREF=http://x.example/?a=1&amp;b=2 class=btn PING=http://t.example/>go</A>`,
			base + `<A href="#" title="http://x.example/?a=1&amp;b=2" class=btn>go</A>`},
		{`<map><area shape=rect coords="0,0,9,9" href='http://y.example/"q'></map>`,
			base + `<map><area href="#" title='http://y.example/"q' shape=rect coords="0,0,9,9"></map>`},
		{`<svg><a xlink:href="http://z.example/"><text>z</text></a></svg>`,
			base + `<svg><a href="#" title="http://z.example/"><text>z</text></a></svg>`},
		{`<a href="http://first.example/" href="http://second.example/">two</a>`,
			base + `<a href="#" title="http://first.example/">two</a>`},
		{`<a href="unlock">relative</a>`, base + `<a href="#" title="unlock">relative</a>`},
		// What is no link stays as it was.
		{`<a name="top">top</a><abbr title="t">t</abbr><link rel=stylesheet href="https://cdn.example/s.css"><p data-href="x">p</p>`,
			base + `<a name="top">top</a><abbr title="t">t</abbr><link rel=stylesheet href="https://cdn.example/s.css"><p data-href="x">p</p>`},
		{"\ufeff<!-- c -->\n<!doctype html>\n<p>hi", "\ufeff<!-- c -->\n<!doctype html>" + base + "\n<p>hi"},
		{"", base},
	} {
		if got := string(disarmLinks([]byte(c.in))); got != c.want {
			t.Errorf("disarmLinks(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}

	// As served to the page's frame.
	inst, _, srvBase := newWorld(t, Options{})
	smtpSend(t, inst.Addr("A", world.SMTP), "security@bank.example", "alice@a.example", phishMessage())
	var ml mailboxList
	getJSON(t, srvBase+"/api/mailboxes?server=A&user=alice", &ml)
	if len(ml.Mailboxes) == 0 || len(ml.Mailboxes[0].Messages) != 1 {
		t.Fatalf("mailboxes: %+v", ml)
	}
	resp, err := http.Get(srvBase + "/api/messages/" + ml.Mailboxes[0].Messages[0].ID + "/html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := strings.ReplaceAll(string(body), "\r\n", "\n")
	if resp.StatusCode != 200 || !strings.HasPrefix(got, "<!DOCTYPE html>"+base+"\n<html><head></head>") ||
		!strings.Contains(got, `<a href="#" title="http://phish.example/" style="display:block;`) || !strings.Contains(got, `<a href="#" title="unlock">Unlock it</a>`) ||
		strings.Contains(got, `href="http`) || strings.Contains(got, "_top") || strings.Contains(got, "_self") {
		t.Errorf("preview HTTP %d:\n%s", resp.StatusCode, got)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox;") || strings.Contains(csp, "allow-") {
		t.Errorf("preview CSP %q: a sandbox allowing nothing (no popups)", csp)
	}
}
