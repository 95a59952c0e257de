package webui

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Classroom mode (issue 17): two students of a test world, s01 and s02,
// each with a browser and a terminal on their own loopback address, and
// the instructor with the token.

// newClassWorld runs a world whose servers A and B both have users s01
// and s02 (passwords pw01, pw02) besides alice and bob, and its web server
// on all addresses (public, token "tok"); the base URL names 127.0.0.1.
func newClassWorld(t *testing.T) (*servers.Instance, *Server, string) {
	t.Helper()
	w := world.Default()
	for i := range w.Servers {
		w.Servers[i].Users = append(w.Servers[i].Users, world.User{Name: "s01", Password: "pw01"}, world.User{Name: "s02", Password: "pw02"})
	}
	inst, err := servers.Start(servers.Config{
		World:   w,
		Bus:     tracer.NewBus(tracer.WithMask(true)),
		DataDir: t.TempDir(),
		Logger:  quietLogger(),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	srv := New(inst, Options{Token: "tok", Logger: quietLogger()})
	return inst, srv, servePublic(t, srv)
}

// fromAddr dials from the loopback address ip (127.0.0.2 is as much
// loopback as 127.0.0.1 on Linux).
func fromAddr(ip string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
}

// browser is an HTTP client on address ip with its own cookies: a
// student's browser, or the instructor's with the token.
type browser struct {
	t     *testing.T
	ip    string
	base  string
	jar   http.CookieJar
	c     *http.Client
	token string
}

func newBrowser(t *testing.T, base, ip string) *browser {
	jar, _ := cookiejar.New(nil)
	d := fromAddr(ip)
	return &browser{t: t, ip: ip, base: base, jar: jar,
		c: &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 20 * time.Second}}
}

// do sends a request and returns the status and body.
func (b *browser) do(method, path, ctype, body string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (b *browser) get(path string, v any) int {
	b.t.Helper()
	code, body := b.do("GET", path, "", "")
	if v != nil && code == 200 {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			b.t.Fatalf("GET %s: %v in %q", path, err, body)
		}
	}
	return code
}

func (b *browser) signin(user, pass string) {
	b.t.Helper()
	code, body := b.do("POST", "/api/signin", "application/x-www-form-urlencoded", url.Values{"user": {user}, "password": {pass}}.Encode())
	if code != 200 || !strings.Contains(body, `"user":"`+strings.ToLower(user)+`"`) {
		b.t.Fatalf("sign in as %s from %s: %d %s", user, b.ip, code, body)
	}
}

// events opens the websocket and reads what it gives until the replay
// is over and quiet follows, then returns every event.
func (b *browser) events() []*tracer.Event {
	b.t.Helper()
	d := websocket.Dialer{NetDialContext: fromAddr(b.ip).DialContext, Jar: b.jar}
	hdr := http.Header{}
	if b.token != "" {
		hdr.Set("Authorization", "Bearer "+b.token)
	}
	c, resp, err := d.Dial(wsAddr(b.base, ""), hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		b.t.Fatalf("websocket from %s: %v (%d)", b.ip, err, status)
	}
	defer c.Close()
	var out []*tracer.Event
	for {
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, msg, err := c.ReadMessage()
		if err != nil {
			return out
		}
		evs, err := tracer.ParseEvents(msg)
		if err != nil {
			b.t.Fatal(err)
		}
		out = append(out, evs...)
	}
}

// wire is a line-protocol client (SMTP, POP3) from one address.
type wire struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialWire(t *testing.T, ip, addr string) *wire {
	t.Helper()
	c, err := fromAddr(ip).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &wire{t: t, c: c, r: bufio.NewReader(c)}
}

// reply reads one reply (an SMTP reply's every line) and checks it starts
// with want.
func (w *wire) reply(want string) string {
	w.t.Helper()
	var all string
	for {
		l, err := w.r.ReadString('\n')
		if err != nil {
			w.t.Fatalf("read: %v (so far %q)", err, all)
		}
		all += l
		if !strings.HasPrefix(l, want) {
			w.t.Fatalf("got %q, want %s", l, want)
		}
		if len(l) < 4 || l[3] != '-' {
			return all
		}
	}
}

func (w *wire) cmd(line, want string) string {
	w.t.Helper()
	fmt.Fprintf(w.c, "%s\r\n", line)
	return w.reply(want)
}

// smtpFrom sends one message to A from ip: EHLO helo, AUTH PLAIN when
// user is set, MAIL, RCPT, DATA and QUIT.
func smtpFrom(t *testing.T, inst *servers.Instance, ip, helo, user, pass, from, to, body string) {
	t.Helper()
	w := dialWire(t, ip, inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("EHLO "+helo, "250")
	if user != "" {
		w.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)), "235")
	}
	w.cmd("MAIL FROM:<"+from+">", "250")
	w.cmd("RCPT TO:<"+to+">", "250")
	w.cmd("DATA", "354")
	w.cmd(strings.ReplaceAll(strings.TrimSuffix(body, "\n"), "\n", "\r\n")+"\r\n.", "250")
	w.cmd("QUIT", "221")
}

// sessionSaying returns the session whose open event came from ip and
// whose client said text.
func sessionSaying(t *testing.T, bus *tracer.Bus, ip, text string) string {
	t.Helper()
	peers := map[string]string{}
	e := waitFor(t, bus, "a session from "+ip+" saying "+text, func(e *tracer.Event) bool {
		if e.Kind == tracer.KindOpen {
			peers[e.Session] = ipOf(e.Peer)
		}
		return e.Kind == tracer.KindLine && e.Dir == tracer.C2S && e.Text == text && peers[e.Session] == ip
	})
	return e.Session
}

func sessionIDs(infos []SessionInfo) map[string]bool {
	m := map[string]bool{}
	for _, s := range infos {
		m[s.ID] = true
	}
	return m
}

// TestClassAttributionAndIsolation: s01 signs in from 127.0.0.1, s02 from
// 127.0.0.2. Sessions are attributed by address (s01's message over SMTP,
// and its relay hop A->B through the message's trace id), by login (a
// POP3 session from s01's address that logs in as s02 is s02's) and by
// HELO claim (an SMTP session from s01's address that says EHLO s02). s02
// then tries every route to s01's mail, sessions and transcripts,
// guessed ids included, and gets nothing; the instructor sees both.
func TestClassAttributionAndIsolation(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	bus := inst.Bus
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	s1 := newBrowser(t, base, "127.0.0.1")
	s2 := newBrowser(t, base, "127.0.0.2")
	anon := newBrowser(t, base, "127.0.0.1")

	s1.signin("s01", "pw01")
	s2.signin("S02", "pw02") // the world's spelling comes back: s02
	if code, _ := s2.do("POST", "/api/signin", "application/json", `{"user":"s01","password":"pw02"}`); code != 401 {
		t.Errorf("a wrong password: %d, want 401", code)
	}

	// By address: s01's terminal on 127.0.0.1, a message relayed to B, held
	// in A's queue first while B is down.
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	smtpFrom(t, inst, "127.0.0.1", "laptop", "", "", "s01@a.example", "s01@b.example", "Subject: s01 secret\n\nthe s01 body\n")
	s1smtp := sessionSaying(t, bus, "127.0.0.1", "EHLO laptop")
	queued := waitFor(t, bus, "s01's message deferred", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})
	msgid := queued.MsgID

	// The queue: s01 sees the entry, s02 does not, the instructor does.
	var q queueView
	if s1.get("/api/queue", &q); len(q.Entries) != 1 || q.Entries[0].MsgID != msgid {
		t.Errorf("s01's queue: %+v", q.Entries)
	}
	if s2.get("/api/queue", &q); len(q.Entries) != 0 || len(q.Done) != 0 {
		t.Errorf("s02's queue shows s01's entry: %+v", q.Entries)
	}
	if teacher.get("/api/queue", &q); len(q.Entries) != 1 {
		t.Errorf("the instructor's queue: %+v", q.Entries)
	}
	qid := fmt.Sprint(q.Entries[0].ID)
	// A signed-in student is refused as one (403, RFC 9110 section
	// 15.5.4: who they are is known, it is not theirs to do), not sent to
	// look for the token.
	for _, act := range []string{"retry", "bounce"} {
		if code, body := s2.do("POST", "/api/queue/"+qid+"/"+act, "", ""); code != 403 || !strings.Contains(body, "instructor") {
			t.Errorf("a student's %s of a queue entry: %d %s, want 403", act, code, body)
		}
	}
	if code, _ := s1.do("POST", "/api/faults?server=B&fault=up", "", ""); code != 403 {
		t.Errorf("a student switches a fault: %d, want 403", code)
	}
	if err := inst.SetFault("B", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	if code, _ := teacher.do("POST", "/api/queue/flush", "", ""); code != 200 {
		t.Fatalf("flush: %d", code)
	}
	hop := waitFor(t, bus, "the relay hop of s01's message", func(e *tracer.Event) bool {
		return e.Session != "" && e.Hop == "A->B" && e.MsgID == msgid && e.Server == "B"
	}).Session
	waitFor(t, bus, "s01's message delivered", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.MsgID == msgid && e.Attrs[tracer.AttrStep] == tracer.StepDelivered
	})

	// By login: a POP3 session from s01's address that logs in as s02.
	p := dialWire(t, "127.0.0.1", inst.Addr("B", world.POP3))
	p.reply("+OK")
	p.cmd("USER s02", "+OK")
	p.cmd("PASS pw02", "+OK")
	p.cmd("QUIT", "+OK")
	s2pop := sessionSaying(t, bus, "127.0.0.1", "USER s02")

	// By HELO claim: an SMTP session from s01's address that says EHLO s02.
	smtpFrom(t, inst, "127.0.0.1", "s02", "", "", "s02@a.example", "s02@a.example", "Subject: s02 note\n\nhello me\n")
	s2claim := sessionSaying(t, bus, "127.0.0.1", "EHLO s02")

	// And s01 logs in by SMTP AUTH from s02's address: the login wins.
	smtpFrom(t, inst, "127.0.0.2", "laptop", "s01", "pw01", "s01@a.example", "s01@a.example", "Subject: s01 local\n\nsecond s01 body\n")
	s1auth := sessionSaying(t, bus, "127.0.0.2", "EHLO laptop")
	waitFor(t, bus, "the local delivery", func(e *tracer.Event) bool {
		return e.Session == s1auth && e.Kind == tracer.KindClose
	})

	o := srv.ownerIndex()
	o.wait(bus.Seq())
	for id, want := range map[string]string{s1smtp: "s01", hop: "s01", s2pop: "s02", s2claim: "s02", s1auth: "s01"} {
		if got := o.owner(id); got != want {
			t.Errorf("session %s belongs to %q, want %q", id, got, want)
		}
	}
	mine := map[string][]string{"s01": {s1smtp, hop, s1auth}, "s02": {s2pop, s2claim}}

	// The session list, the websocket and the transcripts.
	for _, st := range []struct {
		b          *browser
		user, peer string
	}{{s1, "s01", "s02"}, {s2, "s02", "s01"}} {
		var list []SessionInfo
		st.b.get("/api/sessions", &list)
		ids := sessionIDs(list)
		for _, id := range mine[st.user] {
			if !ids[id] {
				t.Errorf("%s's session list lacks its session %s", st.user, id)
			}
		}
		for _, id := range mine[st.peer] {
			if ids[id] {
				t.Errorf("%s's session list shows %s's session %s", st.user, st.peer, id)
			}
			for _, f := range []string{"text", "md", "jsonl"} {
				if code := st.b.get("/api/sessions/"+id+"/transcript?format="+f, nil); code != 404 {
					t.Errorf("%s downloads %s's transcript %s (%s): %d, want 404", st.user, st.peer, id, f, code)
				}
			}
		}
		for _, id := range mine[st.user] {
			if code, body := st.b.do("GET", "/api/sessions/"+id+"/transcript?format=text", "", ""); code != 200 || body == "" {
				t.Errorf("%s's own transcript %s: %d", st.user, id, code)
			}
		}
		seen := map[string]bool{}
		for _, e := range st.b.events() {
			seen[e.Session] = true
			if e.MsgID == msgid && st.user == "s02" || strings.Contains(e.Text, "pw0") || strings.Contains(e.Data, st.peer+" body") {
				t.Errorf("%s's websocket shows %+v", st.user, e)
			}
			if (e.Kind == tracer.KindLine || e.Kind == tracer.KindData) && e.Session != "" && o.owner(e.Session) != st.user && o.msgOwner(e.MsgID) != st.user {
				t.Errorf("%s's websocket shows a line of %s (%s)", st.user, e.Session, o.owner(e.Session))
			}
		}
		for _, id := range mine[st.user] {
			if !seen[id] {
				t.Errorf("%s's websocket lacks its session %s", st.user, id)
			}
		}
	}

	// Mailboxes and messages: s02 cannot list s01's, nor read one by a
	// guessed key, nor search it; every key the instructor can read is
	// tried.
	var w worldInfo
	if s2.get("/api/world", &w); w.Student != "s02" || !w.Read || w.Control || len(w.Servers) != 2 || strings.Join(w.Servers[0].Users, ",") != "s02" {
		t.Errorf("s02's world: %+v", w)
	}
	for _, sv := range []string{"A", "B"} {
		for _, u := range []string{"s01", "alice", "bob"} {
			if code := s2.get("/api/mailboxes?server="+sv+"&user="+u, nil); code != 404 {
				t.Errorf("s02 lists %s's mailboxes on %s: %d", u, sv, code)
			}
			if code := s2.get("/api/search?server="+sv+"&user="+u+"&q=s01", nil); code != 404 {
				t.Errorf("s02 searches %s's mail on %s: %d", u, sv, code)
			}
		}
	}
	var mb mailboxList
	if s2.get("/api/mailboxes?server=A&user=s02", &mb); len(mb.Mailboxes) == 0 || len(mb.Mailboxes[0].Messages) != 1 {
		t.Errorf("s02's own mailbox on A: %+v", mb)
	}
	var s1box mailboxList
	if s1.get("/api/mailboxes?server=B&user=s01", &s1box); len(s1box.Mailboxes) == 0 || len(s1box.Mailboxes[0].Messages) != 1 {
		t.Fatalf("s01's mailbox on B: %+v", s1box)
	}
	found := 0
	for mbox := 1; mbox <= 40; mbox++ {
		for uid := 1; uid <= 3; uid++ {
			key := fmt.Sprintf("%d-%d", mbox, uid)
			var m MessageView
			if teacher.get("/api/messages/"+key, &m) != 200 {
				continue
			}
			found++
			for _, path := range []string{"/api/messages/" + key, "/api/messages/" + key + "/html", "/api/messages/" + key + "/parts/1"} {
				code2, body2 := s2.do("GET", path, "", "")
				if m.User != "s02" && (code2 != 404 || strings.Contains(body2, "secret") || strings.Contains(body2, "body")) {
					t.Errorf("s02 reads %s's message %s: %d %.80s", m.User, path, code2, body2)
				}
			}
			if code := s2.get("/api/messages/"+key, nil); m.User == "s02" && code != 200 {
				t.Errorf("s02's own message %s: %d", key, code)
			}
		}
	}
	if found < 3 {
		t.Errorf("the instructor read %d messages, want 3 (s01 on B, s01 and s02 on A)", found)
	}

	// The instructor sees both students' sessions; a reader with neither
	// token nor sign-in sees nothing, on loopback too.
	var all []SessionInfo
	teacher.get("/api/sessions", &all)
	ids := sessionIDs(all)
	for _, si := range all {
		if want := o.owner(si.ID); si.Owner != want {
			t.Errorf("the instructor's list says %s is %q's, the index %q", si.ID, si.Owner, want)
		}
		if si.ID == s2pop && si.Owner != "s02" {
			t.Errorf("the instructor's list: %s belongs to %q, want s02", si.ID, si.Owner)
		}
	}
	for _, id := range append(mine["s01"], mine["s02"]...) {
		if !ids[id] {
			t.Errorf("the instructor's session list lacks %s", id)
		}
	}
	seen := map[string]bool{}
	for _, e := range teacher.events() {
		seen[e.Session] = true
	}
	for _, id := range append(mine["s01"], mine["s02"]...) {
		if !seen[id] {
			t.Errorf("the instructor's websocket lacks %s", id)
		}
	}
	if code := anon.get("/api/sessions", nil); code != 401 {
		t.Errorf("an anonymous reader: %d, want 401", code)
	}
}

// TestClassSharedAddress: behind NAT both students sign in from one
// address: a session from it that neither logs in nor claims is nobody's
// (the instructor's only); EHLO s01 makes it s01's. A HELO naming no user
// of the world claims nothing.
func TestClassSharedAddress(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	newBrowser(t, base, "127.0.0.2").signin("s01", "pw01")
	newBrowser(t, base, "127.0.0.2").signin("s02", "pw02")
	smtpFrom(t, inst, "127.0.0.2", "laptop", "", "", "s01@a.example", "s02@a.example", "Subject: hi\n\nx\n")
	anon := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO laptop")
	smtpFrom(t, inst, "127.0.0.2", "nobody", "", "", "s01@a.example", "s02@a.example", "Subject: hi\n\nx\n")
	none := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO nobody")
	smtpFrom(t, inst, "127.0.0.2", "S01", "", "", "s01@a.example", "s02@a.example", "Subject: hi\n\nx\n")
	claimed := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO S01")
	o := srv.ownerIndex()
	o.wait(inst.Bus.Seq())
	for id, want := range map[string]string{anon: "", none: "", claimed: "s01"} {
		if got := o.owner(id); got != want {
			t.Errorf("session %s belongs to %q, want %q", id, got, want)
		}
	}
}

// TestClassNATKeepsEarlierSessions: s01 alone signed in from an address
// and telnetted from it; when s02 signs in from the same address (a NAT),
// s01's earlier session stays s01's, and a new one without a claim is
// nobody's.
func TestClassNATKeepsEarlierSessions(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	newBrowser(t, base, "127.0.0.2").signin("s01", "pw01")
	smtpFrom(t, inst, "127.0.0.2", "laptop", "", "", "s01@a.example", "s01@a.example", "Subject: hi\n\nx\n")
	before := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO laptop")
	o := srv.ownerIndex()
	o.wait(inst.Bus.Seq())
	newBrowser(t, base, "127.0.0.2").signin("s02", "pw02")
	smtpFrom(t, inst, "127.0.0.2", "pc", "", "", "s01@a.example", "s01@a.example", "Subject: hi\n\nx\n")
	after := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO pc")
	o.wait(inst.Bus.Seq())
	for id, want := range map[string]string{before: "s01", after: ""} {
		if got := o.owner(id); got != want {
			t.Errorf("session %s belongs to %q, want %q", id, got, want)
		}
	}
}

// TestSigninBounded: the sixth wrong password from one address within the
// window is refused unchecked (429, Retry-After), also with the right
// password; another address still signs in. The cookie is HttpOnly and
// SameSite=Strict.
func TestSigninBounded(t *testing.T) {
	_, _, base := newClassWorld(t)
	b := newBrowser(t, base, "127.0.0.2")
	for i := 0; i < maxSigninFails; i++ {
		if code, _ := b.do("POST", "/api/signin", "application/json", `{"user":"s01","password":"guess"}`); code != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i+1, code)
		}
	}
	if code, body := b.do("POST", "/api/signin", "application/json", `{"user":"s01","password":"pw01"}`); code != 429 || !strings.Contains(body, "minutes") {
		t.Fatalf("after %d failures: %d %s, want 429", maxSigninFails, code, body)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", base+"/api/signin", strings.NewReader(`{"user":"s01","password":"pw01"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := newBrowser(t, base, "127.0.0.1").c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != 200 || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") || !strings.HasPrefix(set, studentCookieName+"=") {
		t.Errorf("sign-in from another address: %d, Set-Cookie %q", resp.StatusCode, set)
	}
}

// TestClassLateClaimLive: a student watches live; a session from an
// address two students share becomes theirs only at its EHLO s01 line:
// the student's websocket still gets the session whole, its open and
// greeting first, in order. An IMAP LOGIN from the same address makes
// that session s01's too.
func TestClassLateClaimLive(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	s1 := newBrowser(t, base, "127.0.0.2")
	s1.signin("s01", "pw01")
	newBrowser(t, base, "127.0.0.2").signin("s02", "pw02")

	d := websocket.Dialer{NetDialContext: fromAddr("127.0.0.2").DialContext, Jar: s1.jar}
	c, _, err := d.Dial(wsAddr(base, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ec := &evConn{Conn: c}
	readEvent(t, ec) // hello

	smtpFrom(t, inst, "127.0.0.2", "s01", "", "", "s01@a.example", "s01@a.example", "Subject: late\n\nx\n")
	im := dialWire(t, "127.0.0.2", inst.Addr("B", world.IMAP))
	im.reply("* OK")
	fmt.Fprintf(im.c, "a1 LOGIN s01 pw01\r\n")
	for l := ""; !strings.HasPrefix(l, "a1 "); {
		if l, err = im.r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(im.c, "a2 LOGOUT\r\n")

	var got []*tracer.Event
	sawLogin := false
	for !sawLogin {
		e, err := ec.next(10 * time.Second)
		if err != nil {
			t.Fatalf("after %v: %v", texts(got), err)
		}
		if e.Session != "" {
			got = append(got, e)
		}
		sawLogin = e.Proto == "imap" && e.Kind == tracer.KindState && strings.EqualFold(e.To, "authenticated")
	}
	if len(got) < 4 || got[0].Kind != tracer.KindOpen || !strings.HasPrefix(got[2].Text, "220") || got[3].Text != "EHLO s01" {
		t.Fatalf("the claimed session's first events: %v", texts(got[:min(4, len(got))]))
	}
	var last uint64
	sessions := map[string]bool{}
	for _, e := range got {
		if e.Seq <= last {
			t.Errorf("event %d after %d: out of order", e.Seq, last)
		}
		last = e.Seq
		sessions[e.Session] = true
	}
	o := srv.ownerIndex()
	for id := range sessions {
		if id != "" && o.owner(id) != "s01" {
			t.Errorf("s01's websocket shows %s of %q", id, o.owner(id))
		}
	}
	imapOpen := false
	for _, e := range got {
		imapOpen = imapOpen || e.Proto == "imap" && e.Kind == tracer.KindOpen
	}
	if !imapOpen {
		t.Error("the IMAP session that logged in as s01 came without its open event")
	}
}

func texts(evs []*tracer.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind)+" "+e.Text)
	}
	return out
}

// TestClassLoopbackAfterSignin: on a loopback-only page everything is
// open, as before, until a student signs in; then an anonymous reader on
// loopback gets 401 and may not control, the token still reads and
// controls, and the student (on loopback too) reads only their own and
// controls nothing.
func TestClassLoopbackAfterSignin(t *testing.T) {
	w := world.Default()
	w.Servers[0].Users = append(w.Servers[0].Users, world.User{Name: "s01", Password: "pw01"})
	inst, err := servers.Start(servers.Config{World: w, Bus: tracer.NewBus(), DataDir: t.TempDir(), Logger: quietLogger(),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	base := serve(t, New(inst, Options{Token: "tok", Logger: quietLogger()}))
	anon := newBrowser(t, base, "127.0.0.1")
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	if code := anon.get("/api/sessions", nil); code != 200 {
		t.Fatalf("before any sign-in, loopback reads: %d, want 200", code)
	}
	smtpFrom(t, inst, "127.0.0.1", "laptop", "", "", "alice@a.example", "alice@a.example", "Subject: a\n\nb\n")
	s1 := newBrowser(t, base, "127.0.0.2")
	s1.signin("s01", "pw01")
	if code := anon.get("/api/sessions", nil); code != 401 {
		t.Errorf("after a sign-in, an anonymous loopback reader: %d, want 401", code)
	}
	if code, _ := anon.do("POST", "/api/faults?server=B&fault=down", "", ""); code == 200 {
		t.Error("after a sign-in, an anonymous loopback client switches faults")
	}
	if code, _ := s1.do("POST", "/api/faults?server=B&fault=down", "", ""); code == 200 {
		t.Error("a signed-in student switches faults")
	}
	var list []SessionInfo
	if code := teacher.get("/api/sessions", &list); code != 200 || len(list) == 0 {
		t.Errorf("the token reads: %d, %d sessions", code, len(list))
	}
	if code := s1.get("/api/sessions", &list); code != 200 || len(list) != 0 {
		t.Errorf("the student reads %d sessions (%d), want none of theirs", len(list), code)
	}
	if code, _ := teacher.do("POST", "/api/faults?server=B&fault=down", "", ""); code != 200 {
		t.Errorf("the token switches a fault: %d", code)
	}
}

// TestClassLoginKinds: every way of logging in makes the session the
// user's, from an address no student signed in from: POP3 APOP (RFC 1939
// section 7), IMAP AUTHENTICATE PLAIN (RFC 9051 section 6.2.2, with the
// initial response of SASL-IR) and SMTP AUTH LOGIN.
func TestClassLoginKinds(t *testing.T) {
	inst, srv, _ := newClassWorld(t)
	p := dialWire(t, "127.0.0.3", inst.Addr("A", world.POP3))
	greet := p.reply("+OK")
	stamp := greet[strings.IndexByte(greet, '<') : strings.LastIndexByte(greet, '>')+1]
	p.cmd(fmt.Sprintf("APOP s01 %x", md5.Sum([]byte(stamp+"pw01"))), "+OK")
	p.cmd("QUIT", "+OK")
	pop := sessionSaying(t, inst.Bus, "127.0.0.3", "QUIT")

	im := dialWire(t, "127.0.0.3", inst.Addr("A", world.IMAP))
	im.reply("* OK")
	fmt.Fprintf(im.c, "a1 AUTHENTICATE PLAIN %s\r\n", base64.StdEncoding.EncodeToString([]byte("\x00s01\x00pw01")))
	for l := ""; !strings.HasPrefix(l, "a1 "); {
		var err error
		if l, err = im.r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, "a1 ") && !strings.HasPrefix(l, "a1 OK") {
			t.Fatalf("AUTHENTICATE: %q", l)
		}
	}
	fmt.Fprintf(im.c, "a2 NOOP\r\n")
	im.reply("a2 OK")
	imap := sessionSaying(t, inst.Bus, "127.0.0.3", "a2 NOOP")

	sm := dialWire(t, "127.0.0.3", inst.Addr("A", world.SMTP))
	sm.reply("220")
	sm.cmd("EHLO laptop", "250")
	sm.cmd("AUTH LOGIN", "334")
	sm.cmd(base64.StdEncoding.EncodeToString([]byte("s01")), "334")
	sm.cmd(base64.StdEncoding.EncodeToString([]byte("pw01")), "235")
	sm.cmd("NOOP", "250")
	smtp := sessionSaying(t, inst.Bus, "127.0.0.3", "NOOP")

	o := srv.ownerIndex()
	o.wait(inst.Bus.Seq())
	for _, id := range []string{pop, imap, smtp} {
		if got := o.owner(id); got != "s01" {
			t.Errorf("session %s belongs to %q, want s01", id, got)
		}
	}
}

// TestSigninPerUserBounded: signing in again and again keeps at most
// maxSigninsPerUser browsers of one student; the oldest cookie stops
// working, the newest works.
func TestSigninPerUserBounded(t *testing.T) {
	_, _, base := newClassWorld(t)
	first := newBrowser(t, base, "127.0.0.2")
	first.signin("s01", "pw01")
	for i := 0; i < maxSigninsPerUser; i++ {
		newBrowser(t, base, "127.0.0.2").signin("s01", "pw01")
	}
	last := newBrowser(t, base, "127.0.0.2")
	last.signin("s01", "pw01")
	if code := first.get("/api/sessions", nil); code != 401 {
		t.Errorf("the oldest sign-in after %d more: %d, want 401", maxSigninsPerUser+1, code)
	}
	if code := last.get("/api/sessions", nil); code != 200 {
		t.Errorf("the newest sign-in: %d, want 200", code)
	}
}

// TestClassBounceIsSenders: the bounce of s01's message goes back to
// s01's address on B (the sender is s01@b.example): a message of its own
// whose trace id is the first's with -bounce. Its queue steps and its relay
// hop to B are s01's, not s02's.
func TestClassBounceIsSenders(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	newBrowser(t, base, "127.0.0.1").signin("s01", "pw01")
	smtpFrom(t, inst, "127.0.0.1", "laptop", "", "", "s01@b.example", "nobody@b.example", "Subject: lost\n\nx\n")
	e := waitFor(t, inst.Bus, "the bounce's hop to B", func(e *tracer.Event) bool {
		return e.Session != "" && e.Hop == "A->B" && strings.HasSuffix(e.MsgID, "-bounce")
	})
	q := waitFor(t, inst.Bus, "the bounce queued", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && strings.HasSuffix(e.MsgID, "-bounce")
	})
	o := srv.ownerIndex()
	o.wait(inst.Bus.Seq())
	for _, ev := range []*tracer.Event{e, q} {
		if !o.visible(ev, "s01") || o.visible(ev, "s02") {
			t.Errorf("the bounce's %s event (%s): s01 sees it %v, s02 %v", ev.Kind, ev.MsgID, o.visible(ev, "s01"), o.visible(ev, "s02"))
		}
	}
	if got := o.owner(e.Session); got != "s01" {
		t.Errorf("the bounce's hop %s belongs to %q, want s01", e.Session, got)
	}
}

// TestSignoutKeepsOtherBrowser: a student signed in from two browsers on
// one address signs out of one; their sessions from that address stay
// theirs while the other browser is signed in, and not after.
func TestSignoutKeepsOtherBrowser(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	a, b := newBrowser(t, base, "127.0.0.2"), newBrowser(t, base, "127.0.0.2")
	a.signin("s01", "pw01")
	b.signin("s01", "pw01")
	smtpFrom(t, inst, "127.0.0.2", "laptop", "", "", "s01@a.example", "s01@a.example", "Subject: a\n\nb\n")
	id := sessionSaying(t, inst.Bus, "127.0.0.2", "EHLO laptop")
	o := srv.ownerIndex()
	o.wait(inst.Bus.Seq())
	if code, _ := a.do("POST", "/api/signout", "", ""); code != 200 {
		t.Fatalf("sign out: %d", code)
	}
	if got := o.owner(id); got != "s01" {
		t.Errorf("after one browser signed out, %s belongs to %q, want s01", id, got)
	}
	b.do("POST", "/api/signout", "", "")
	if got := o.owner(id); got != "" {
		t.Errorf("after both signed out, %s belongs to %q, want nobody", id, got)
	}
	if code := b.get("/api/sessions", nil); code != 401 {
		t.Errorf("a signed-out browser reads: %d, want 401", code)
	}
}

// TestSigninNATClass: in a class of 30 behind one address (a lab's NAT),
// 29 students' typos do not lock the 30th out of the page: the address
// may fail as often as the class is large, then it gets 429.
func TestSigninNATClass(t *testing.T) {
	inst, _, _ := newClassWorld(t)
	for i := range 30 {
		inst.Students = append(inst.Students, world.Student{Name: fmt.Sprintf("x%02d", i)})
	}
	srv := New(inst, Options{Token: "tok", Logger: quietLogger()})
	base := servePublic(t, srv)
	b := newBrowser(t, base, "127.0.0.2")
	for i := range 29 {
		if code, _ := b.do("POST", "/api/signin", "application/json", fmt.Sprintf(`{"user":"x%02d","password":"typo"}`, i)); code != 401 {
			t.Fatalf("typo %d: %d, want 401", i+1, code)
		}
	}
	b.signin("s01", "pw01")
	b.do("POST", "/api/signin", "application/json", `{"user":"s02","password":"typo"}`)
	if code, body := b.do("POST", "/api/signin", "application/json", `{"user":"s02","password":"pw02"}`); code != 429 || !strings.Contains(body, "(30)") {
		t.Errorf("after 30 failures: %d %s, want 429", code, body)
	}
}

// TestClassSigninsSurviveRestart: a student signed in to a class's page
// is still signed in after the page's server is made again on the same
// data directory (mailscope restarted); the file keeps no cookie value
// and only its owner may read it.
func TestClassSigninsSurviveRestart(t *testing.T) {
	inst, _, _ := newClassWorld(t)
	classStudents(inst)
	first := New(inst, Options{Token: "tok", Logger: quietLogger()})
	b := newBrowser(t, servePublic(t, first), "127.0.0.2")
	b.signin("s01", "pw01")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	first.Shutdown(ctx)

	again := New(inst, Options{Token: "tok", Logger: quietLogger()})
	b.base = servePublic(t, again)
	var w worldInfo
	if code := b.get("/api/world", &w); code != 200 || w.Student != "s01" {
		t.Fatalf("after the restart: %d, student %q", code, w.Student)
	}
	fi, err := os.Stat(filepath.Join(inst.DataDir, signinsFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", signinsFile, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(filepath.Join(inst.DataDir, signinsFile))
	for _, c := range b.jar.Cookies(mustURL(t, b.base)) {
		if strings.Contains(string(raw), c.Value) {
			t.Errorf("the file keeps the cookie's value: %s", raw)
		}
	}
}
