package webui

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// request sends one request over a real socket; hdr may set "Host". It
// does not follow redirects.
func request(t *testing.T, client *http.Client, method, u string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	if client == nil {
		client = &http.Client{}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// wsStatus opens the websocket with hdr (may set "Host") and returns the
// handshake's status.
func wsStatus(t *testing.T, base string, hdr map[string]string, jar http.CookieJar) int {
	t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	d := websocket.Dialer{Jar: jar}
	c, resp, err := d.Dial(wsAddr(base, ""), h)
	if err == nil {
		c.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("websocket %v: %v", hdr, err)
	}
	return resp.StatusCode
}

// readRoutes are the routes that show the trace or mail.
var readRoutes = []string{"/api/sessions", "/api/sessions/A-smtp-1/transcript", "/api/mailboxes?server=A&user=alice",
	"/api/messages/1-1", "/api/queue", "/api/faults"}

// TestHostCheck: a Host that does not name this server (DNS rebinding) is
// refused with 421 on every route, the page, static files and the
// websocket included; loopback names and the address connected to pass.
func TestHostCheck(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "alice@a.example", "Subject: hi\n\nhello\n")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	forged := map[string]string{"Host": "rebind.evil.example:" + port}
	for _, p := range append([]string{"/", "/static/app.js", "/api/world"}, readRoutes...) {
		if code, _, body := request(t, nil, "GET", base+p, forged); code != http.StatusMisdirectedRequest || !strings.Contains(body, "--web-host rebind.evil.example") {
			t.Errorf("GET %s with a forged Host: HTTP %d %s, want 421 naming --web-host", p, code, body)
		}
	}
	for _, p := range []string{"/api/faults?server=B&fault=down", "/api/queue/flush", "/api/lesson"} {
		if code, _, _ := request(t, nil, "POST", base+p, forged); code != http.StatusMisdirectedRequest {
			t.Errorf("POST %s with a forged Host: HTTP %d, want 421", p, code)
		}
	}
	if inst.FaultOf("B") != servers.FaultNone {
		t.Errorf("a forged Host switched a fault: %q", inst.FaultOf("B"))
	}
	if code := wsStatus(t, base, forged, nil); code != http.StatusMisdirectedRequest {
		t.Errorf("websocket with a forged Host: HTTP %d, want 421", code)
	}
	for _, h := range []string{"localhost:" + port, "LocalHost:" + port, "127.0.0.1:" + port, "127.0.0.1", "localhost.", "[::1]:" + port} {
		if code, _, _ := request(t, nil, "GET", base+"/api/sessions", map[string]string{"Host": h}); code != 200 {
			t.Errorf("Host %s on loopback: HTTP %d, want 200", h, code)
		}
	}
	for _, h := range []string{"127.0.0.1.evil.example", "localhost.evil.example"} {
		if code, _, _ := request(t, nil, "GET", base+"/api/sessions", map[string]string{"Host": h}); code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q on loopback: HTTP %d, want 421", h, code)
		}
	}
}

// TestPublicHosts: on 0.0.0.0 the Host may name any address of the
// machine, its hostname, or a --web-host name; anything else is refused.
func TestPublicHosts(t *testing.T) {
	srv, _, _ := newBusServerOff(t, Options{Token: "s3cret", Hosts: []string{"Lab.School.Example"}})
	base := servePublic(t, srv)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	hosts := []string{"lab.school.example:" + port, "LAB.SCHOOL.EXAMPLE.", "127.0.0.1:" + port, "localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, strings.ToUpper(h)+":"+port)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
			hosts = append(hosts, net.JoinHostPort(n.IP.String(), port))
		}
	}
	auth := "Bearer s3cret"
	for _, h := range hosts {
		if code, _, body := request(t, nil, "GET", base+"/api/sessions", map[string]string{"Host": h, "Authorization": auth}); code != 200 {
			t.Errorf("Host %s on 0.0.0.0: HTTP %d %s, want 200", h, code, body)
		}
	}
	for _, h := range []string{"rebind.evil.example:" + port, "school.example", "192.0.2.99:" + port} {
		if code, _, _ := request(t, nil, "GET", base+"/api/sessions", map[string]string{"Host": h, "Authorization": auth}); code != http.StatusMisdirectedRequest {
			t.Errorf("Host %s on 0.0.0.0: HTTP %d, want 421", h, code)
		}
		if code := wsStatus(t, base, map[string]string{"Host": h, "Authorization": auth}, nil); code != http.StatusMisdirectedRequest {
			t.Errorf("websocket with Host %s on 0.0.0.0: HTTP %d, want 421", h, code)
		}
	}
}

// newBusServerOff is a server over a bare bus that is not yet serving.
func newBusServerOff(t *testing.T, opts Options) (*Server, *servers.Instance, string) {
	t.Helper()
	opts.Logger = quietLogger()
	inst := &servers.Instance{Bus: tracer.NewBus(), World: world.Default()}
	return New(inst, opts), inst, ""
}

// TestPublicNeedsToken: a web timeline beyond loopback lets nobody read
// the trace or the mail, or switch anything, without the token, not even
// a client on loopback; the token counts as a bearer token or as the
// cookie that /?token= sets, and it never reaches the trace.
func TestPublicNeedsToken(t *testing.T) {
	const token = "s3cret-token-value"
	inst, _, base := newWorldOn(t, Options{Token: token}, "0.0.0.0:0")
	smtpSend(t, inst.Addr("A", world.SMTP), "alice@a.example", "alice@a.example", "Subject: hi\n\nhello\n")

	// Without the token: reads and state changes refused from loopback.
	for _, p := range readRoutes {
		if code, h, _ := request(t, nil, "GET", base+p, nil); code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET %s without the token: HTTP %d, want 401 with a Bearer challenge", p, code)
		}
	}
	for _, p := range []string{"/api/faults?server=B&fault=down", "/api/queue/flush", "/api/lesson"} {
		if code, _, _ := request(t, nil, "POST", base+p, nil); code != http.StatusUnauthorized {
			t.Errorf("POST %s without the token from loopback: HTTP %d, want 401", p, code)
		}
	}
	if inst.FaultOf("B") != servers.FaultNone {
		t.Fatalf("a request without the token switched a fault: %q", inst.FaultOf("B"))
	}
	if code := wsStatus(t, base, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("websocket without the token: HTTP %d, want 401", code)
	}
	if code, _, _ := request(t, nil, "GET", base+"/api/sessions", map[string]string{"Authorization": "Bearer wrong"}); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: HTTP %d, want 401", code)
	}
	// The page and the world stay open: the page asks for the token.
	for _, p := range []string{"/", "/static/app.js"} {
		if code, _, _ := request(t, nil, "GET", base+p, nil); code != 200 {
			t.Errorf("GET %s: HTTP %d, want 200", p, code)
		}
	}
	var w worldInfo
	getJSON(t, base+"/api/world", &w)
	if !w.Public || w.Read || w.Control {
		t.Errorf("/api/world without the token: public %v read %v control %v", w.Public, w.Read, w.Control)
	}

	// With the bearer token.
	bearer := map[string]string{"Authorization": "Bearer " + token}
	for _, p := range readRoutes {
		if code, _, body := request(t, nil, "GET", base+p, bearer); code == http.StatusUnauthorized || code == http.StatusForbidden {
			t.Errorf("GET %s with the token: HTTP %d %s", p, code, body)
		}
	}
	if code, _, body := request(t, nil, "POST", base+"/api/faults?server=B&fault=down", bearer); code != 200 {
		t.Errorf("POST with the token: HTTP %d %s", code, body)
	}
	if code := wsStatus(t, base, bearer, nil); code != http.StatusSwitchingProtocols {
		t.Errorf("websocket with the token: HTTP %d", code)
	}

	// The cookie: a wrong token sets none, the right one an HttpOnly,
	// SameSite=Strict cookie, and the browser is sent on to / either way.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	if code, h, _ := request(t, client, "GET", base+"/?token=wrong", nil); code != http.StatusSeeOther || h.Get("Location") != "/?login=failed" || h.Get("Set-Cookie") != "" {
		t.Errorf("/?token=wrong: HTTP %d, Location %q, Set-Cookie %q", code, h.Get("Location"), h.Get("Set-Cookie"))
	}
	code, h, _ := request(t, client, "GET", base+"/?token="+token, nil)
	sc := h.Get("Set-Cookie")
	if code != http.StatusSeeOther || h.Get("Location") != "/" || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") || strings.Contains(sc, token) {
		t.Fatalf("/?token=: HTTP %d, Location %q, Set-Cookie %q", code, h.Get("Location"), sc)
	}
	u, _ := url.Parse(base)
	jar.SetCookies(u, (&http.Response{Header: http.Header{"Set-Cookie": {sc}}}).Cookies())
	for _, p := range readRoutes {
		if code, _, body := request(t, client, "GET", base+p, map[string]string{"Sec-Fetch-Site": "same-origin"}); code == http.StatusUnauthorized {
			t.Errorf("GET %s with the cookie: HTTP %d %s", p, code, body)
		}
	}
	if code, _, body := request(t, client, "POST", base+"/api/faults?server=B&fault=clear", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}); code != 200 {
		t.Errorf("POST with the cookie from the page: HTTP %d %s", code, body)
	}
	if code := wsStatus(t, base, map[string]string{"Origin": base}, jar); code != http.StatusSwitchingProtocols {
		t.Errorf("websocket with the cookie from the page: HTTP %d", code)
	}
	// A page on another port of the machine is same-site: the browser
	// sends it the cookie, which must not count.
	if code, _, _ := request(t, client, "GET", base+"/api/sessions", map[string]string{"Sec-Fetch-Site": "same-site"}); code != http.StatusUnauthorized {
		t.Errorf("the cookie on a same-site request: HTTP %d, want 401", code)
	}
	if code := wsStatus(t, base, map[string]string{"Origin": "http://127.0.0.1:3000"}, jar); code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("websocket with the cookie from another port's page: HTTP %d, want a refusal", code)
	}
	getJSON(t, base+"/api/world", nil)
	code, _, body := request(t, client, "GET", base+"/api/world", nil)
	if code != 200 || !strings.Contains(body, `"read":true`) || !strings.Contains(body, `"control":true`) {
		t.Errorf("/api/world with the cookie: %d %s", code, body)
	}

	// The token reaches neither the trace nor the answers.
	for _, e := range inst.Bus.History(0) {
		if strings.Contains(e.Text, token) || strings.Contains(string(e.Data), token) {
			t.Errorf("the token is in the trace: %+v", e)
		}
	}
}

// TestPublicNeedsTokenSet: Serve refuses a public listener without a token.
func TestPublicNeedsTokenSet(t *testing.T) {
	srv, _, _ := newBusServerOff(t, Options{})
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l); !errors.Is(err, ErrNoToken) {
		t.Errorf("Serve on 0.0.0.0 without a token: %v, want ErrNoToken", err)
	}
}

// TestCrossSitePost: a state change from another site's page is refused,
// whether the browser names it in Origin or only in Sec-Fetch-Site; the
// page's own requests pass.
func TestCrossSitePost(t *testing.T) {
	inst, _, base := newWorld(t, Options{})
	post := func(hdr map[string]string) int {
		code, _, _ := request(t, nil, "POST", base+"/api/faults?server=B&fault=down", hdr)
		return code
	}
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Sec-Fetch-Site": "cross-site", "Origin": base},
		{"Origin": "http://localhost:3000"},
		{"Origin": "null"},
		{"Origin": "https" + base[4:]},
	} {
		if code := post(hdr); code != http.StatusForbidden {
			t.Errorf("POST with %v: HTTP %d, want 403", hdr, code)
		}
		if f := inst.FaultOf("B"); f != servers.FaultNone {
			t.Fatalf("POST with %v switched B to %q", hdr, f)
		}
	}
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "same-origin", "Origin": base},
		{"Sec-Fetch-Site": "same-origin"},
		nil, // curl, the CLI
	} {
		if code := post(hdr); code != 200 {
			t.Errorf("POST with %v: HTTP %d, want 200", hdr, code)
		}
	}
}

// TestTracedURIHidesToken: a token in a traced request's query is masked.
func TestTracedURIHidesToken(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://127.0.0.1/api/mailboxes?server=A&token=s3cret&user=alice", nil)
	if got := tracedURI(r); strings.Contains(got, "s3cret") || !strings.Contains(got, "user=alice") {
		t.Errorf("tracedURI = %q", got)
	}
}
