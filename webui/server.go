// Package webui serves mailscope's browser timeline: the page (a live ladder
// diagram of every protocol line, the message viewer, the queue and fault
// switches), the websocket that streams trace events to it, and a small JSON
// API over the running world.
//
// Protocols and formats it follows:
//   - RFC 6455 (WebSocket), through github.com/gorilla/websocket: one writer
//     goroutine per client fed by the bus subscription's bounded channel, ping
//     and pong with deadlines (section 5.5.2, 5.5.3), the Origin header checked
//     (section 10.2: the page's own origin only);
//   - RFC 9110 (HTTP semantics) for the API; the webmail's own requests are
//     traced as "http" events so that pull over HTTP can be compared with
//     POP3 and IMAP, and push with SMTP. A Host that does not name this
//     server gets 421 Misdirected Request (section 15.5.20), the defence
//     against DNS rebinding; the token travels as a Bearer token (RFC 6750)
//     or in an HttpOnly, SameSite=Strict cookie (RFC 6265);
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
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
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
	// thousands of messages instead of one per event (cmd/loadbench
	// fanout), and an event after a quiet spell still goes out at once.
	DefaultFrameInterval = 10 * time.Millisecond
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Token is the web token. While every listener is on loopback it only
	// lets a client elsewhere (through a tunnel or a proxy) use the control
	// actions. Once a listener is beyond loopback ("public"), every control
	// action and every read of mail or of the trace needs it, from loopback
	// too: as "Authorization: Bearer TOKEN", or as the cookie a browser gets
	// by opening /?token=TOKEN. Serve refuses a public listener without one
	// (NewToken makes one).
	Token string
	// Hosts are names, besides this machine's addresses and hostname, that
	// the Host header may carry (mailscope up --web-host): the names under
	// which students reach a public web timeline. Any other name is refused
	// with 421, the defence against DNS rebinding.
	Hosts []string
	// Logger receives a note when a listener is beyond loopback, and errors.
	Logger *slog.Logger
	// AllowedOrigins lists extra origins ("http://lab.example:8025", or "*"
	// for any) allowed to open the websocket and to POST. The page's own
	// origin is always allowed.
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
	// Class says a class uses this page (mailscope up --class): students
	// sign in (POST /api/signin) and each sees their own sessions and
	// mail; reading everything needs the token, on loopback too. Without
	// it, the first student's sign-in turns this on.
	Class bool
}

// Server is the web timeline of one running world.
type Server struct {
	inst  *servers.Instance
	opts  Options
	log   *slog.Logger
	epoch string // changes every run: a page resuming from an old run replays from the start
	// started is when this server was made (a restart, for the class
	// dashboard: progress.go).
	started time.Time
	http    *http.Server
	enc     *encCache
	// catalog holds GET /api/catalog's answer per language, encoded once.
	catalog [2]struct {
		once sync.Once
		body []byte
	}

	// public is set once any listener is beyond loopback: reads and control
	// actions then need the token, from loopback too.
	public atomic.Bool
	// hosts are the names and addresses the Host header may carry; Serve
	// adds each listener's.
	hosts atomic.Pointer[hostSet]

	mu      sync.Mutex
	closing bool
	clients map[*client]struct{}
	// nclients is len(clients), read without the lock by every writer.
	nclients atomic.Int32
	wg       sync.WaitGroup // client goroutines

	// signins are the students signed in (signin.go); owners says whose
	// each session is (owner.go), started when a student first needs it.
	signins    *signins
	owners     *owners
	ownersOnce sync.Once
	// lessons are the students' lessons (classlessons.go).
	lessons     *classLessons
	lessonsOnce sync.Once
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
		started: time.Now(),
		enc:     newEncCache(1 << 14),
		clients: make(map[*client]struct{}),
		signins: newSignins(),
	}
	if inst != nil {
		s.signins.ipFails = len(inst.Students)
		if len(inst.Students) > 0 && inst.DataDir != "" {
			kept, err := s.signins.keepIn(inst.DataDir)
			if err != nil {
				s.log.Warn("the class's sign-ins of the last run are lost", "err", err)
			}
			for _, st := range kept {
				s.ownerIndex().signedIn(st.ip, st.user)
			}
			if inst.Bus != nil {
				s.classLessonsOf().resume()
			}
		}
	}
	s.hosts.Store(newHostSet(opts.Hosts))
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
	mux.HandleFunc("GET /{$}", s.handlePage)
	// The world (lanes, users, listeners, whether a token is needed) is
	// open: the page needs it to ask for the token. Everything that shows
	// the trace or mail is read through s.read.
	mux.HandleFunc("GET /api/world", s.handleWorld)
	// The catalog is static text, open for the same reason: the token form
	// speaks the reader's language too.
	mux.HandleFunc("GET /api/catalog", s.handleCatalog)
	mux.HandleFunc("GET /ws", s.read(s.handleWS))
	mux.HandleFunc("GET /api/sessions", s.read(s.handleSessions))
	mux.HandleFunc("GET /api/sessions/{id}/transcript", s.read(s.handleTranscript))
	mux.HandleFunc("GET /api/mailboxes", s.read(s.handleMailboxes))
	mux.HandleFunc("GET /api/messages/{id}", s.read(s.handleMessage))
	mux.HandleFunc("GET /api/messages/{id}/html", s.read(s.handleHTML))
	mux.HandleFunc("GET /api/messages/{id}/parts/{path}", s.read(s.handlePart))
	mux.HandleFunc("GET /api/search", s.read(s.handleSearch))
	mux.HandleFunc("GET /api/queue", s.read(s.handleQueue))
	mux.HandleFunc("POST /api/queue/flush", s.control(s.handleFlush))
	mux.HandleFunc("POST /api/queue/{id}/retry", s.control(s.handleRetryNow))
	mux.HandleFunc("POST /api/queue/{id}/bounce", s.control(s.handleBounceNow))
	mux.HandleFunc("GET /api/faults", s.read(s.handleFaults))
	mux.HandleFunc("POST /api/faults", s.control(s.handleSetFault))
	mux.HandleFunc("POST /api/lesson", s.control(s.handleLesson))
	mux.HandleFunc("GET /api/lessons", s.read(s.handleLessons))
	mux.HandleFunc("POST /api/lessons/{id}/start", s.handleLessonStart)
	mux.HandleFunc("POST /api/lessons/stop", s.handleLessonStop)
	mux.HandleFunc("GET /api/class", s.control(s.handleClass))
	mux.HandleFunc("GET /api/class/progress", s.control(s.handleProgress))
	mux.HandleFunc("GET /api/class/progress.csv", s.control(s.handleProgressCSV))
	// A student signs in with their account of the world (signin.go).
	mux.HandleFunc("POST /api/signin", s.handleSignin)
	mux.HandleFunc("POST /api/signout", s.handleSignout)
	return s.guard(mux)
}

// ErrNoToken is returned by Serve for a listener beyond loopback when
// Options.Token is empty.
var ErrNoToken = errors.New("a web timeline beyond loopback needs a token (Options.Token)")

// Serve accepts connections on l until Shutdown or Close. A listener that
// is not on a loopback address makes the server public: reads and control
// actions then need the token, which must be set. Its address (each of the
// machine's addresses, for 0.0.0.0 or ::) joins the names the Host header
// may carry.
func (s *Server) Serve(l net.Listener) error {
	if !isLoopbackAddr(l.Addr()) {
		if s.opts.Token == "" {
			l.Close()
			return ErrNoToken
		}
		s.public.Store(true)
		// Info, not Warn: the CLI says it in its banner, in the user's language.
		s.log.Info("the web timeline listens beyond loopback: reading mail and the trace, and control actions, need the token",
			"addr", l.Addr().String())
	}
	s.addListener(l.Addr())
	return s.http.Serve(l)
}

// handlePage serves the page. Opened as /?token=TOKEN (the address
// `mailscope up` prints) it first sets the token cookie and sends the
// browser on to / so that the token leaves the address bar and the
// history; a wrong token comes back as /?login=failed.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("token") {
		q := url.Values{}
		if s.tokenOK(r.URL.Query().Get("token")) {
			http.SetCookie(w, s.tokenCookie(r))
		} else {
			q.Set("login", "failed")
		}
		// The page's language stays in the address.
		if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
			q.Set("lang", l)
		}
		to := "/"
		if len(q) > 0 {
			to += "?" + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	b, _ := staticFS.ReadFile("static/index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
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
	s.stopOwners()
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
	s.stopOwners()
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

var errNoStore = errors.New("this instance has no mail store")
