package webui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// Who may do what, in three checks that every request passes in order:
//
//  1. guard: the Host header names this server (DNS rebinding: a page of
//     evil.example whose name was re-pointed at this machine sends Host:
//     evil.example), and a state change comes from the page's own origin
//     (Origin, Sec-Fetch-Site), never from another site's page;
//  2. read: while every listener is on loopback the trace and the mail are
//     open to this machine; once one is beyond loopback, they need the
//     token;
//  3. control: a state change needs the token, or, while every listener is
//     on loopback, a loopback client.
//
// The token travels as "Authorization: Bearer TOKEN" (the CLI) or as an
// HttpOnly, SameSite=Strict cookie that opening /?token=TOKEN sets (the
// browser; the page's script never sees it, and the websocket handshake
// carries it like any same-origin request).

// tokenCookieName is the cookie that carries the token's proof.
const tokenCookieName = "mailscope_token"

// NewToken returns a fresh random web token (128 bits, hex).
func NewToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hostSet is what the Host header may name: extra names, the listeners'
// addresses and, for a listener on 0.0.0.0 or ::, the machine's; loopback
// names only while a listener can be reached through loopback.
type hostSet struct {
	names     map[string]bool // lower case; IP addresses in canonical form
	loopback  bool            // some listener is reachable through loopback
	listeners int
}

// newHostSet starts the set with the configured names and the machine's
// hostname (also its first label: "lab" for "lab.school.example").
func newHostSet(extra []string) *hostSet {
	hs := &hostSet{names: map[string]bool{}}
	for _, n := range extra {
		if n = normHost(n); n != "" {
			hs.names[n] = true
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		h = normHost(h)
		hs.names[h] = true
		if first, _, ok := strings.Cut(h, "."); ok && first != "" {
			hs.names[first] = true
		}
	}
	return hs
}

// addListener adds a listener's address to the names the Host header may
// carry: its IP, or every address of the machine's interfaces when it
// listens on all of them.
func (s *Server) addListener(a net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.hosts.Load()
	hs := &hostSet{names: make(map[string]bool, len(old.names)+8), loopback: old.loopback, listeners: old.listeners + 1}
	for n := range old.names {
		hs.names[n] = true
	}
	ip := addrIP(a)
	switch {
	case ip == nil:
	case ip.IsUnspecified():
		hs.loopback = true
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, ia := range addrs {
				if n, ok := ia.(*net.IPNet); ok {
					hs.names[n.IP.String()] = true
				}
			}
		}
	default:
		hs.loopback = hs.loopback || ip.IsLoopback()
		hs.names[ip.String()] = true
	}
	s.hosts.Store(hs)
}

func addrIP(a net.Addr) net.IP {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP
	}
	return net.ParseIP(hostOnly(a.String()))
}

// normHost reduces a Host value to its host: lower case, without port,
// IPv6 brackets, zone or trailing dot; an IP address in canonical form.
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(hostOnly(h)))
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// hostAllowed reports whether r's Host header names this server.
func (s *Server) hostAllowed(r *http.Request) bool {
	h := normHost(r.Host)
	if h == "" {
		return false
	}
	hs := s.hosts.Load()
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if isLoopbackHost(h) {
		if local != nil {
			return isLoopbackAddr(local)
		}
		return hs.loopback || hs.listeners == 0 // the handler mounted elsewhere (tests)
	}
	if local != nil {
		if ip := addrIP(local); ip != nil && ip.String() == h {
			return true // the address the client connected to
		}
	}
	return hs.names[h]
}

// guard applies the checks every request passes: the Host header names
// this server, a state change comes from the page's own origin, and every
// response gets headers that keep wire text inert.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !s.hostAllowed(r) {
			// RFC 9110 section 15.5.20: this server does not answer for that name.
			name := hostOnly(r.Host)
			writeError(w, http.StatusMisdirectedRequest, s.say("web.err.host", "name", quoteName(name), "flag", flagName(name)))
			return
		}
		if !safeMethod(r.Method) {
			if why := s.crossSite(r); why != "" {
				writeError(w, http.StatusForbidden, s.say("web.err.origin", "why", why))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "OPTIONS" }

// quoteName quotes a Host value for a message, bounded and printable.
func quoteName(n string) string {
	if len(n) > 100 {
		n = n[:100]
	}
	return strconv.Quote(n)
}

// flagName is the name to suggest for --web-host, or NAME when the Host
// value is not a plain name.
func flagName(n string) string {
	n = normHost(n)
	if n == "" || len(n) > 100 || strings.ContainsFunc(n, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':')
	}) {
		return "NAME"
	}
	return n
}

// crossSite says why a state change does not come from the page's own
// origin ("" when it does): a browser names the page that sent a request in
// Origin and, for a request from another site, in Sec-Fetch-Site. A request
// with neither (curl, the CLI) is not a browser's and passes.
func (s *Server) crossSite(r *http.Request) string {
	o := r.Header.Get("Origin")
	if o != "" && s.originListed(o) {
		return ""
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		if o == "" {
			o = "an unnamed origin"
		}
		return o + " (Sec-Fetch-Site: " + site + ")"
	}
	if o != "" && !sameOrigin(o, r) {
		return "origin " + o
	}
	return ""
}

// read guards the trace and the mail: open while every listener is on
// loopback, with the token once one is beyond; a signed-in student reads
// only their own (the handler asks viewerFrom). The request's context
// carries who reads.
func (s *Server) read(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.viewerOf(r)
		if !ok {
			s.needToken(w)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, v)))
	}
}

// viewer is who reads the trace and the mail: everyone's (the instructor,
// or anyone while no class runs on a loopback-only page), or one student's
// own (user).
type viewer struct {
	all  bool
	user string
}

type viewerKey struct{}

// viewerFrom returns who reads, as read put it in the request's context;
// a handler mounted without read sees everything.
func viewerFrom(r *http.Request) viewer {
	if v, ok := r.Context().Value(viewerKey{}).(viewer); ok {
		return v
	}
	return viewer{all: true}
}

// viewerOf says who r reads as: the token sees everything; a signed-in
// student their own; anyone else everything while the page is on loopback
// and no class runs (no student signed in, no --class), else nothing
// (ok false). Without a token there is no instructor to keep it for, and
// loopback stays open.
func (s *Server) viewerOf(r *http.Request) (viewer, bool) {
	if s.hasToken(r) {
		return viewer{all: true}, true
	}
	if st := s.studentOf(r); st != nil {
		return viewer{user: st.user}, true
	}
	if s.public.Load() || (s.classActive() && s.opts.Token != "") {
		return viewer{}, false
	}
	return viewer{all: true}, true
}

// classActive reports whether students use this page: a class runs, or a
// student has signed in.
func (s *Server) classActive() bool {
	return s.opts.Class || s.signins.any()
}

// needToken answers a request of a public server that lacks the token
// (RFC 6750 section 3: 401 with a Bearer challenge).
func (s *Server) needToken(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="mailscope"`)
	writeError(w, http.StatusUnauthorized, s.say("web.err.token"))
}

// control guards a state change: it needs the token, or, while every
// listener is on loopback, a loopback client. (guard has already refused
// requests from other sites' pages.)
func (s *Server) control(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.mayControl(r) {
			switch {
			case s.studentOf(r) != nil:
				// A signed-in student is told it is the instructor's,
				// not sent to look for the token.
				writeError(w, http.StatusForbidden, s.say("web.err.instructor"))
			case s.public.Load():
				s.needToken(w)
			case s.opts.Token == "":
				writeError(w, http.StatusForbidden, s.say("web.err.loopback"))
			default:
				w.Header().Set("WWW-Authenticate", `Bearer realm="mailscope"`)
				writeError(w, http.StatusUnauthorized, s.say("web.err.bearer"))
			}
			return
		}
		next(w, r)
	}
}

// mayControl reports whether r may use a control action.
// A signed-in student never controls, and once students use the page a
// loopback client needs the token too (when there is one).
func (s *Server) mayControl(r *http.Request) bool {
	if s.hasToken(r) {
		return true
	}
	if s.studentOf(r) != nil || (s.classActive() && s.opts.Token != "") {
		return false
	}
	return !s.public.Load() && isLoopbackHost(hostOnly(r.RemoteAddr))
}

// mayRead reports whether r may read the trace and the mail (all of it,
// or a student's own).
func (s *Server) mayRead(r *http.Request) bool {
	_, ok := s.viewerOf(r)
	return ok
}

// hasToken reports whether r carries the token: as a bearer token, or as
// the cookie, which counts only on a request of the page's own origin (a
// cookie ignores ports, so a page on another port of this host is
// same-site and would send it too).
func (s *Server) hasToken(r *http.Request) bool {
	if s.opts.Token == "" {
		return false
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.tokenOK(strings.TrimSpace(tok)) {
		return true
	}
	c, err := r.Cookie(tokenCookieName)
	if err != nil {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.cookieValue())) == 1
}

// tokenOK compares tok with the token in constant time.
func (s *Server) tokenOK(tok string) bool {
	return s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// cookieValue is what the cookie holds: a hash of the token, not the
// token, so that the cookie (sent to every port of this host) does not
// give away the token the CLI uses.
func (s *Server) cookieValue() string {
	sum := sha256.Sum256([]byte("mailscope web cookie\x00" + s.opts.Token))
	return hex.EncodeToString(sum[:])
}

// tokenCookie is the cookie set by /?token=TOKEN: HttpOnly (no script
// reads it), SameSite=Strict (no other site's request carries it), for the
// browser session.
func (s *Server) tokenCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: tokenCookieName, Value: s.cookieValue(), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

// checkOrigin decides whether a websocket may open (RFC 6455 section 10.2):
// no Origin (not a browser; the token rules still apply), the page's own
// origin, or an allowed one. A page on another port of this machine is
// another origin: it is refused.
func (s *Server) checkOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o == "" || sameOrigin(o, r) || s.originListed(o)
}

func (s *Server) originListed(o string) bool {
	for _, a := range s.opts.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin is the page's own: the scheme of the
// connection and the host:port the request was sent to (RFC 6454 section
// 5; default ports made explicit).
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(withPort(u.Host, scheme), withPort(r.Host, scheme))
}

func withPort(hostport, scheme string) string {
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), port)
}

// hostOnly strips the port from "host:port" or "[v6]:port".
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackAddr(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	return isLoopbackHost(hostOnly(a.String()))
}

// IsLoopback reports whether addr ("127.0.0.1:8025", ":8025") binds only
// loopback; the CLI uses it to warn before listening elsewhere.
func IsLoopback(addr string) bool {
	h := hostOnly(addr)
	return h != "" && isLoopbackHost(h)
}

// say is the catalog's text for key with its arguments (name, value
// pairs), in the language of the trace's explanations.
func (s *Server) say(key string, kv ...string) string {
	x := tracer.NewExplainer("en")
	if s.inst != nil && s.inst.Bus != nil && s.inst.Bus.Explainer != nil {
		x = s.inst.Bus.Explainer
	}
	return x.Format(tracer.M(key, kv...))
}
