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
	x     *tracer.Explainer // the bus's: the instance's language
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
	t := &httpTrace{sess: sess, proto: r.Proto, x: bus.Explainer}
	if t.x == nil {
		t.x = tracer.NewExplainer("en")
	}
	x := t.x.Explain("http.request", "server", server)
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
	key := "http.response.error"
	if status < 300 {
		key = "http.response.ok"
	}
	x := t.x.Explain(key, "status", strconv.Itoa(status)+" "+http.StatusText(status), "size", strconv.Itoa(size))
	x.Class = strconv.Itoa(status/100) + "xx"
	attrs := map[string]string{"status": strconv.Itoa(status), "size": strconv.Itoa(size)}
	if ctype != "" {
		attrs["content_type"] = ctype
	}
	t.sess.Emit(&tracer.Event{Kind: tracer.KindHTTP, Dir: tracer.S2C, Size: size, Attrs: attrs, Explain: x,
		Text: t.proto + " " + strconv.Itoa(status) + " " + http.StatusText(status)})
	// The exchange is over (the browser may keep its TCP connection for
	// the next request, which is another exchange): the session closes,
	// or the page would show every webmail request as open for ever.
	t.sess.Emit(&tracer.Event{Kind: tracer.KindClose, Msg: tracer.M("http.done")})
}
