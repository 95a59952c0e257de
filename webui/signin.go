package webui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A student signs in to the web page with their account of the world (the
// user name and password they use for SMTP AUTH, POP3 and IMAP) and then
// sees only their own sessions, mailboxes, messages, transcripts and queue
// entries (owner.go says which are theirs). The sign-in is a random
// session id in an HttpOnly, SameSite=Strict cookie (RFC 6265 section
// 4.1.2.6, 8.8); the address it came from is remembered, since a session
// from that address is the student's (owners, rule 4). The instructor
// keeps the web token and sees everything.
//
// Once a student has signed in (or the instance runs a class), the trace
// and the mail are no longer open to an anonymous reader on loopback:
// reading needs the token or a sign-in.

// studentCookieName is the cookie of a signed-in student.
const studentCookieName = "mailscope_student"

// Sign-in limits: failed attempts per client address within signinWindow
// (then 429 until the window ends, without checking the password), and
// the signed-in students remembered.
const (
	maxSigninFails = 5
	signinWindow   = 5 * time.Minute
	maxSignins     = 10000
	// maxSigninsPerUser bounds one student's signed-in browsers.
	maxSigninsPerUser = 20
	signinMaxAge      = 12 * time.Hour
)

// student is one signed-in browser.
type student struct {
	user string
	ip   string
	at   time.Time
}

// signins are the students signed in to this server.
type signins struct {
	mu    sync.Mutex
	ids   map[string]*student // idKey(cookie value) -> student
	fails map[string]*failCount
	// ever is set by the first sign-in: from then on anonymous loopback
	// readers no longer see everything.
	ever bool
	// path is the file the sign-ins are kept in (signin_store.go), "" for
	// none.
	path string
	// ipFails is how many failed attempts one address may make in
	// signinWindow: maxSigninFails, or the class's size when that is
	// more. A class behind NAT is many students on one address, each of
	// whom may mistype; a count per account instead would let one
	// student lock another out by typing their name with wrong passwords.
	ipFails int
}

type failCount struct {
	n     int
	start time.Time
}

func newSignins() *signins {
	return &signins{ids: map[string]*student{}, fails: map[string]*failCount{}}
}

// blocked reports whether ip has used up its failed attempts, and until when.
func (si *signins) blocked(ip string, now time.Time) (time.Time, bool) {
	si.mu.Lock()
	defer si.mu.Unlock()
	f := si.fails[ip]
	if f == nil || now.Sub(f.start) > signinWindow {
		return time.Time{}, false
	}
	return f.start.Add(signinWindow), f.n >= si.limit()
}

// limit is the failed attempts one address may make in signinWindow.
func (si *signins) limit() int { return max(maxSigninFails, si.ipFails) }

// failed counts a failed attempt of ip.
func (si *signins) failed(ip string, now time.Time) {
	si.mu.Lock()
	defer si.mu.Unlock()
	f := si.fails[ip]
	if f == nil || now.Sub(f.start) > signinWindow {
		if len(si.fails) >= maxSignins {
			for k, v := range si.fails {
				if now.Sub(v.start) > signinWindow {
					delete(si.fails, k)
				}
			}
		}
		f = &failCount{start: now}
		si.fails[ip] = f
	}
	f.n++
}

// add remembers a new sign-in and returns its cookie value, or "" when
// too many are signed in.
func (si *signins) add(user, ip string, now time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	si.mu.Lock()
	defer si.mu.Unlock()
	if len(si.ids) >= maxSignins {
		for k, st := range si.ids {
			if now.Sub(st.at) > signinMaxAge {
				delete(si.ids, k)
			}
		}
		if len(si.ids) >= maxSignins {
			return ""
		}
	}
	// One student's browsers are bounded too, so that signing in again
	// and again cannot fill the table for the class: the oldest goes.
	var oldest string
	n := 0
	for k, st := range si.ids {
		if st.user == user {
			n++
			if oldest == "" || st.at.Before(si.ids[oldest].at) {
				oldest = k
			}
		}
	}
	if n >= maxSigninsPerUser {
		delete(si.ids, oldest)
	}
	si.ids[idKey(id)] = &student{user: user, ip: ip, at: now}
	si.ever = true
	si.saveLocked()
	return id
}

// get returns the student a cookie value names.
func (si *signins) get(id string) *student {
	si.mu.Lock()
	defer si.mu.Unlock()
	st := si.ids[idKey(id)]
	if st == nil || time.Since(st.at) > signinMaxAge {
		return nil
	}
	return st
}

// remove forgets a sign-in and reports who it was, and whether the same
// student is still signed in from the same address (another browser).
func (si *signins) remove(id string) (*student, bool) {
	si.mu.Lock()
	defer si.mu.Unlock()
	st := si.ids[idKey(id)]
	delete(si.ids, idKey(id))
	if st == nil {
		return nil, false
	}
	si.saveLocked()
	for _, o := range si.ids {
		if o.user == st.user && o.ip == st.ip {
			return st, true
		}
	}
	return st, false
}

// any reports whether a student has signed in during this run.
func (si *signins) any() bool {
	si.mu.Lock()
	defer si.mu.Unlock()
	return si.ever
}

// signinForm is the body of POST /api/signin (JSON or a form).
type signinForm struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// signinAnswer is the answer of POST /api/signin and GET /api/me.
type signinAnswer struct {
	User       string `json:"user,omitempty"`
	Instructor bool   `json:"instructor,omitempty"`
}

// handleSignin signs a student in: the user and password of the world,
// checked as the servers check them (every server of the world, in
// constant time), at most maxSigninFails failures per address in
// signinWindow.
func (s *Server) handleSignin(w http.ResponseWriter, r *http.Request) {
	ip := ipOf(r.RemoteAddr)
	now := time.Now()
	if until, ok := s.signins.blocked(ip, now); ok {
		// RFC 6585 section 4.
		w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(until).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, s.say("web.signin.toomany", "n", strconv.Itoa(s.signins.limit())))
		return
	}
	var f signinForm
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&f); err != nil {
			writeError(w, http.StatusBadRequest, "JSON body: "+err.Error())
			return
		}
	} else {
		f.User, f.Password = formValue(r, "user"), formValue(r, "password")
	}
	user, ok := s.checkPassword(strings.TrimSpace(f.User), f.Password)
	if !ok {
		s.signins.failed(ip, now)
		w.Header().Set("WWW-Authenticate", `Bearer realm="mailscope"`)
		writeError(w, http.StatusUnauthorized, s.say("web.signin.failed"))
		return
	}
	id := s.signins.add(user, ip, now)
	if id == "" {
		writeError(w, http.StatusServiceUnavailable, s.say("web.signin.full"))
		return
	}
	s.ownerIndex().signedIn(ip, user)
	http.SetCookie(w, &http.Cookie{Name: studentCookieName, Value: id, Path: "/", MaxAge: int(signinMaxAge.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, signinAnswer{User: user})
}

// handleSignout ends a student's sign-in.
func (s *Server) handleSignout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(studentCookieName); err == nil {
		if st, still := s.signins.remove(c.Value); st != nil && !still {
			s.ownerIndex().signedOut(st.ip, st.user)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: studentCookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, signinAnswer{})
}

// checkPassword returns the world's name of the user login names when
// password is theirs on some server. Every server's password is compared,
// in constant time, whatever matched first.
func (s *Server) checkPassword(login, password string) (string, bool) {
	if s.inst == nil || s.inst.World == nil || login == "" || len(login) > 200 || len(password) > 200 {
		return "", false
	}
	name, ok := "", false
	for _, sv := range s.inst.World.Servers {
		u := sv.User(login)
		if u == nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1 && !ok {
			name, ok = u.Name, true
		}
	}
	return name, ok
}

// studentOf returns the student r's cookie names, or nil. Like the token's
// cookie, it counts only on a request of the page's own origin.
func (s *Server) studentOf(r *http.Request) *student {
	c, err := r.Cookie(studentCookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return nil
	}
	return s.signins.get(c.Value)
}

// ownerIndex returns the index of who owns which session, started on the
// first call.
func (s *Server) ownerIndex() *owners {
	s.ownersOnce.Do(func() {
		var w = s.inst.World
		s.owners = newOwners(w)
		if s.inst.Bus != nil {
			s.owners.follow(s.inst.Bus)
		}
	})
	if s.owners == nil {
		return newOwners(s.inst.World) // after Close: an empty index
	}
	return s.owners
}

// stopOwners stops the owner index, if it was started.
func (s *Server) stopOwners() {
	s.ownersOnce.Do(func() {}) // none from now on
	if s.owners != nil {
		s.owners.stop()
	}
}
