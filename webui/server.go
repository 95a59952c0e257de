// Package webui serves mailscope's browser timeline: the page (a live ladder
// diagram of every protocol line, the message viewer, the queue and fault
// switches), the websocket that streams trace events to it, and a small JSON
// API over the running world.
//
// Protocols and formats it follows:
//   - RFC 6455 (WebSocket), through github.com/gorilla/websocket: one writer
//     goroutine per client fed by the bus subscription's bounded channel, ping
//     and pong with deadlines (section 5.5.2, 5.5.3), the Origin header checked
//     (section 10.2);
//   - RFC 9110 (HTTP semantics) for the API; the webmail's own requests are
//     traced as "http" events so that pull over HTTP can be compared with
//     POP3 and IMAP, and push with SMTP;
//   - RFC 5322 and RFC 2045-2049 (message format, MIME) for the message
//     viewer, parsed with github.com/emersion/go-message.
//
// Wire text is untrusted: the page renders every byte that came from a
// socket or a mailbox as text (textContent), never as HTML, and the server
// sends a Content-Security-Policy that forbids inline script.
package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailscope/mailscope/servers"
)

//go:embed static
var staticFS embed.FS

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = http.ErrServerClosed

// Defaults for Options fields left zero.
const (
	DefaultClientBuffer = 4096             // events queued per websocket client
	DefaultPingInterval = 20 * time.Second // ping period; a pong must come within twice that
	DefaultWriteTimeout = 10 * time.Second // deadline of one websocket write
	// DefaultFrameInterval is the least time between two websocket messages
	// to one client while events stream: a busy minute costs each client
	// thousands of messages instead of one per event (scripts/loadbench
	// fanout), and an event after a quiet spell still goes out at once.
	DefaultFrameInterval = 10 * time.Millisecond
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Token, when set, lets a client that sends "Authorization: Bearer TOKEN"
	// use the control actions (POST) from any address. Without it control
	// actions are accepted from loopback clients only.
	Token string
	// Logger receives warnings (a listener beyond loopback) and errors.
	Logger *slog.Logger
	// AllowedOrigins lists extra origins ("http://lab.example:8025", or "*"
	// for any) allowed to open the websocket and to POST. The page's own
	// origin, and for the websocket loopback origins, are always allowed.
	AllowedOrigins []string
	// ClientBuffer is each websocket client's queue of events; a client
	// that falls further behind loses events and gets a "skipped" marker.
	ClientBuffer int
	// PingInterval is how often clients are pinged.
	PingInterval time.Duration
	// WriteTimeout bounds one websocket write.
	WriteTimeout time.Duration
	// FrameInterval is the least time between two messages to one client;
	// events that arrive meanwhile share the next message. Negative: none.
	FrameInterval time.Duration
}

// Server is the web timeline of one running world.
type Server struct {
	inst  *servers.Instance
	opts  Options
	log   *slog.Logger
	epoch string // changes every run: a page resuming from an old run replays from the start
	http  *http.Server
	enc   *encCache

	// public is set once any listener is beyond loopback: the Host check
	// against DNS rebinding then no longer applies (names are expected).
	public atomic.Bool

	mu      sync.Mutex
	closing bool
	clients map[*client]struct{}
	// nclients is len(clients), read without the lock by every writer.
	nclients atomic.Int32
	wg       sync.WaitGroup // client goroutines
}

// New returns a server for inst. Call Serve or ListenAndServe to start it.
func New(inst *servers.Instance, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ClientBuffer <= 0 {
		opts.ClientBuffer = DefaultClientBuffer
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.FrameInterval == 0 {
		opts.FrameInterval = DefaultFrameInterval
	}
	var b [8]byte
	rand.Read(b[:])
	s := &Server{
		inst:    inst,
		opts:    opts,
		log:     opts.Logger,
		epoch:   hex.EncodeToString(b[:]),
		enc:     newEncCache(1 << 14),
		clients: make(map[*client]struct{}),
	}
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the server's routes wrapped in its security checks. Serve
// uses it; tests may mount it elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := staticFS.ReadFile("static/index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	mux.HandleFunc("GET /ws", s.handleWS)
	mux.HandleFunc("GET /api/world", s.handleWorld)
	mux.HandleFunc("GET /api/sessions", s.handleSessions)
	mux.HandleFunc("GET /api/sessions/{id}/transcript", s.handleTranscript)
	mux.HandleFunc("GET /api/mailboxes", s.handleMailboxes)
	mux.HandleFunc("GET /api/messages/{id}", s.handleMessage)
	mux.HandleFunc("GET /api/queue", s.handleQueue)
	mux.HandleFunc("POST /api/queue/flush", s.control(s.handleFlush))
	mux.HandleFunc("GET /api/faults", s.handleFaults)
	mux.HandleFunc("POST /api/faults", s.control(s.handleSetFault))
	mux.HandleFunc("POST /api/lesson", s.control(s.handleLesson))
	return s.guard(mux)
}

// Serve accepts connections on l until Shutdown or Close. A listener that
// is not on a loopback address is served with a warning: everyone who can
// reach it can read the trace and the mailboxes.
func (s *Server) Serve(l net.Listener) error {
	if !isLoopbackAddr(l.Addr()) {
		s.public.Store(true)
		s.log.Warn("the web timeline listens beyond loopback: anyone who can reach it can read the trace and the mailboxes; control actions need the token",
			"addr", l.Addr().String(), "token_set", s.opts.Token != "")
	}
	return s.http.Serve(l)
}

// ListenAndServe listens on addr ("127.0.0.1:8025") and serves.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting, lets API requests finish, then closes every
// websocket with a "going away" close frame (http.Server.Shutdown does not
// wait for hijacked connections, so the server tracks them itself). When
// ctx ends first the remaining connections are closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	err := s.http.Shutdown(ctx)
	for _, c := range s.snapshotClients() {
		c.stop()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range s.snapshotClients() {
			c.conn.NetConn().Close()
		}
		<-done
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	err := s.http.Close()
	for _, c := range s.snapshotClients() {
		c.stop()
		c.conn.NetConn().Close()
	}
	s.wg.Wait()
	return err
}

func (s *Server) snapshotClients() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		out = append(out, c)
	}
	return out
}

// guard applies the checks every request passes: while every listener is on
// loopback the Host header must name a loopback host (a DNS rebinding page
// would send its own name), and every response gets headers that keep wire
// text inert.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(local) && !s.public.Load() {
			if !isLoopbackHost(hostOnly(r.Host)) && !s.originListed("http://"+r.Host) {
				writeError(w, http.StatusMisdirectedRequest, "this mailscope listens on loopback only: use http://127.0.0.1 or http://localhost, not "+r.Host)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// control guards a control action: the request must come from the page's
// own origin (or an allowed one) and from loopback, unless it carries the
// configured bearer token.
func (s *Server) control(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !sameHost(o, r.Host) && !s.originListed(o) {
			writeError(w, http.StatusForbidden, "control actions are accepted only from mailscope's own page, not from origin "+o)
			return
		}
		if !s.mayControl(r) {
			if s.opts.Token == "" {
				writeError(w, http.StatusForbidden, "control actions are accepted from this machine only (loopback); start mailscope with a web token to allow them from elsewhere")
			} else {
				writeError(w, http.StatusUnauthorized, "control actions from another machine need the header Authorization: Bearer TOKEN")
			}
			return
		}
		next(w, r)
	}
}

// mayControl reports whether r may use a control action.
func (s *Server) mayControl(r *http.Request) bool {
	if s.opts.Token != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.opts.Token)) == 1 {
			return true
		}
	}
	return isLoopbackHost(hostOnly(r.RemoteAddr))
}

// checkOrigin decides whether a websocket may open (RFC 6455 section 10.2):
// no Origin (not a browser), the page's own host, a loopback origin, or an
// allowed one.
func (s *Server) checkOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if sameHost(o, r.Host) || s.originListed(o) {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && isLoopbackHost(u.Hostname())
}

func (s *Server) originListed(o string) bool {
	for _, a := range s.opts.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}

// sameHost reports whether origin names the host:port the request was sent to.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
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

var errNoStore = errors.New("this instance has no mail store")
