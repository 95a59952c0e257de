package webui

import (
	"net/http"
	"strconv"

	"github.com/mailscope/mailscope/tracer"
)

// httpTrace is one webmail request seen as an access protocol: a request
// line from the browser to the mail server whose mailbox it reads, and a
// status line back, in the same trace as SMTP, POP3 and IMAP so that pull
// over HTTP can be compared with the others.
type httpTrace struct {
	sess  *tracer.Session
	proto string
	lang  string
}

// traceHTTP publishes the request line of r as an http event of server (the
// webmail acting for user, the session's actor) and returns the trace whose
// done publishes the response.
func (s *Server) traceHTTP(r *http.Request, server, user, msgID string) *httpTrace {
	bus := s.inst.Bus
	if bus == nil {
		return nil
	}
	sess := bus.NewSession(server, "http", r.RemoteAddr)
	sess.Label(user, "", msgID)
	lang := "en"
	if bus.Explainer != nil {
		lang = bus.Explainer.Lang()
	}
	t := &httpTrace{sess: sess, proto: r.Proto, lang: lang}
	x := &tracer.Explanation{Key: "http.request", RFC: "RFC 9110 section 9.3.1",
		Text: "The webmail pulls from server " + server + " over HTTP: one request, answered by one response carrying one object. Compare POP3 and IMAP (also pull) with SMTP (push)."}
	if lang == "zh" {
		x.Text = "网页邮件通过 HTTP 从服务器 " + server + " 拉取：一个请求，一个响应，每个响应只带一个对象。可与同为拉协议的 POP3、IMAP 以及推协议 SMTP 对比。"
	}
	sess.Emit(&tracer.Event{Kind: tracer.KindHTTP, Dir: tracer.C2S, Peer: r.RemoteAddr,
		Text: r.Method + " " + tracedURI(r) + " " + r.Proto, Explain: x})
	return t
}

// tracedURI is the request target as the trace shows it: a token in the
// query is replaced, since credentials never reach the trace.
func tracedURI(r *http.Request) string {
	q := r.URL.Query()
	if !q.Has("token") {
		return r.URL.RequestURI()
	}
	q.Set("token", "***")
	u := *r.URL
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// done publishes the status line with the size of the body sent.
func (t *httpTrace) done(size, status int, ctype string) {
	if t == nil {
		return
	}
	class := strconv.Itoa(status/100) + "xx"
	what := "an error message"
	if status < 300 {
		what = "the requested object"
	}
	x := &tracer.Explanation{Key: "http.response." + class, Class: class, RFC: "RFC 9110 section 15",
		Text: class + " " + http.StatusText(status) + ": the response carries " + what + ", " + strconv.Itoa(size) + " octets. The connection may stay open for the next request, but each response holds one object."}
	if t.lang == "zh" {
		x.Text = class + " " + http.StatusText(status) + "：响应携带" + map[bool]string{true: "所请求的对象", false: "一条错误信息"}[status < 300] +
			"，共 " + strconv.Itoa(size) + " 字节。连接可以保持给下一个请求使用，但每个响应只带一个对象。"
	}
	attrs := map[string]string{"status": strconv.Itoa(status), "size": strconv.Itoa(size)}
	if ctype != "" {
		attrs["content_type"] = ctype
	}
	t.sess.Emit(&tracer.Event{Kind: tracer.KindHTTP, Dir: tracer.S2C, Size: size, Attrs: attrs, Explain: x,
		Text: t.proto + " " + strconv.Itoa(status) + " " + http.StatusText(status)})
}
