package loadbench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/mailscope/mailscope/webui"
)

// Class simulates a class (issue 17, "Scale"): one `mailscope up --class
// N`, and for each student a mail session typed at human pace (a line
// every 1-3 s; SMTP to their own mailbox, claimed by HELO, and IMAP,
// logged in, one after the other) and their own websocket viewer, signed
// in with their password; beside them the instructor's dashboard polls
// /api/class/progress and one unfiltered viewer watches everything.
//
// Every client runs on 127.0.0.1: the students share one address, as a lab
// behind NAT does, so sessions are theirs by login (IMAP) and by HELO
// claim (SMTP), never by address (webui/owner.go, rules 1 and 3).
//
// A line's delay runs from the moment it was on the wire (the client wrote
// it, or read the server's reply) to the moment the student's viewer read
// the websocket message that held it: one process, one clock. A line that
// came before the session was the student's (a greeting, before HELO or
// LOGIN) reaches them only once it is: its delay runs from the claim.
// Matching is per session, by order and text: the session's open event
// names the client's port.
func Class(args []string) error {
	fs := flag.NewFlagSet("class", flag.ExitOnError)
	var c common
	c.register(fs, 1)
	// Below 32768, the start of Linux's ephemeral ports: 200 clients'
	// ports never collide with the listeners.
	pb := fs.Lookup("port-base")
	pb.DefValue = "29000"
	pb.Value.Set(pb.DefValue)
	var o classOpts
	fs.IntVar(&o.students, "students", 100, "students (mailscope up --class N)")
	fs.DurationVar(&o.dur, "duration", 90*time.Second, "how long the students type after all connected")
	fs.DurationVar(&o.minGap, "min-gap", time.Second, "shortest pause between two lines a student types")
	fs.DurationVar(&o.maxGap, "max-gap", 3*time.Second, "longest pause between two lines a student types")
	fs.DurationVar(&o.poll, "poll", 2500*time.Millisecond, "the dashboard's poll interval (webui/static/dashboard.js, POLL_MS)")
	fs.BoolVar(&o.atOnce, "reconnect-at-once", false, "open the next session as soon as the last one closed, without\nthe pause a student takes before typing the telnet command")
	fs.StringVar(&o.token, "token", os.Getenv("MAILSCOPE_TOKEN"), "without -bin: the control token of the running mailscope")
	fs.Parse(args)
	if o.students < 1 || o.maxGap < o.minGap {
		return errors.New("class: -students must be positive and -max-gap at least -min-gap")
	}
	for run := 0; run < c.runs; run++ {
		r, err := classRun(&c, o)
		if err != nil {
			return err
		}
		r.print(o, run+1, c.runs)
	}
	return nil
}

type classOpts struct {
	students       int
	dur            time.Duration
	minGap, maxGap time.Duration
	poll           time.Duration
	atOnce         bool
	token          string
}

// classRun starts (or attaches to) mailscope with a class and runs one
// simulated lesson.
func classRun(c *common, o classOpts) (*classResult, error) {
	srv := attached(c.portBase, c.pid)
	if c.bin != "" {
		// mailscope up takes its control token from MAILSCOPE_TOKEN.
		o.token = webui.NewToken()
		os.Setenv("MAILSCOPE_TOKEN", o.token)
		s, err := startServer(c.bin, c.portBase, "", c.keep, "--class", strconv.Itoa(o.students))
		os.Unsetenv("MAILSCOPE_TOKEN")
		if err != nil {
			return nil, err
		}
		defer s.stop()
		srv = s
	} else if o.token == "" || c.pid == 0 {
		return nil, errors.New("class without -bin needs -pid and the control token (-token or MAILSCOPE_TOKEN)")
	}
	defer c.profile()()
	web := "http://" + srv.webAddr()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	accounts, err := classAccounts(hc, web, o.token)
	if err != nil {
		return nil, err
	}
	if len(accounts) < o.students {
		return nil, fmt.Errorf("the class has %d accounts, want %d", len(accounts), o.students)
	}
	accounts = accounts[:o.students]
	names := map[string]bool{}
	for _, a := range accounts {
		names[a.Name] = true
	}
	logf("class: %d students on pid %d, web %s; signing in and opening viewers", o.students, srv.pid, web)

	res := &classResult{students: o.students, load0: loadavg()}
	res.rss0, _, _ = memory(srv.pid)
	conns := &connIndex{byPort: map[int][]*wireConn{}}
	sts := make([]*simStudent, len(accounts))
	var ctl *classViewer
	defer func() {
		for _, s := range sts {
			if s != nil {
				s.view.close()
			}
		}
		if ctl != nil {
			ctl.close()
		}
	}()
	for i, a := range accounts {
		cookie, err := signIn(hc, web, a.Name, a.Password)
		if err != nil {
			return nil, fmt.Errorf("sign-in of %s: %w", a.Name, err)
		}
		v, err := dialClassViewer(srv.webAddr(), a.Name, http.Header{"Cookie": {cookie}}, names)
		if err != nil {
			return nil, fmt.Errorf("viewer of %s: %w", a.Name, err)
		}
		sts[i] = &simStudent{name: a.Name, pass: a.Password, idx: i, srv: srv, view: v, conns: conns, o: o}
	}
	ctl, err = dialClassViewer(srv.webAddr(), "", http.Header{"Authorization": {"Bearer " + o.token}}, names)
	if err != nil {
		return nil, fmt.Errorf("the instructor's viewer: %w", err)
	}
	time.Sleep(300 * time.Millisecond) // every hello read

	dash := &dashboard{hc: hc, url: web + "/api/class/progress", token: o.token, every: o.poll, stop: make(chan struct{}), done: make(chan struct{})}
	go dash.run()
	cpu0, self0, t0 := cpuTime(srv.pid), cpuTime(os.Getpid()), time.Now()
	deadline := t0.Add(o.dur)
	var wg sync.WaitGroup
	for _, s := range sts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(deadline)
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	res.cpuServer = (cpuTime(srv.pid) - cpu0).Seconds() / elapsed.Seconds()
	res.cpuSelf = (cpuTime(os.Getpid()) - self0).Seconds() / elapsed.Seconds()
	res.elapsed = elapsed
	views := []*classViewer{ctl}
	for _, s := range sts {
		views = append(views, s.view)
	}
	settleClass(views, 2*time.Second, 60*time.Second)
	close(dash.stop)
	<-dash.done
	res.rss1, res.hwm, err = memory(srv.pid)
	if err != nil {
		return nil, err
	}
	res.load1 = loadavg()
	res.dash = dash.lat
	res.dashErrs = dash.errs
	res.dashErr = dash.firstErr
	for _, s := range sts {
		if s.err != nil {
			res.studentErrs++
			if res.firstStudentErr == nil {
				res.firstStudentErr = fmt.Errorf("%s: %w", s.name, s.err)
			}
		}
		res.sessions += s.sessions
		res.messages += s.messages
		res.errReplies += s.errReplies
		vr := s.view.match(conns, s.own())
		res.student.add(vr)
	}
	var all []*wireConn
	for _, s := range sts {
		all = append(all, s.own()...)
	}
	res.instructor.add(ctl.match(conns, all))
	for _, c := range all {
		res.wireLines += len(c.expected())
	}
	return res, nil
}

// classAccount is a student of GET /api/class.
type classAccount struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// classAccounts reads the class sheet with the control token.
func classAccounts(hc *http.Client, web, token string) ([]classAccount, error) {
	req, _ := http.NewRequest("GET", web+"/api/class", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET /api/class: %s %s", resp.Status, bytes.TrimSpace(b))
	}
	var sheet struct {
		Students []classAccount `json:"students"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sheet); err != nil {
		return nil, fmt.Errorf("GET /api/class: %w", err)
	}
	return sheet.Students, nil
}

// signIn posts a student's password to /api/signin (webui/signin.go) and
// returns the cookie to send with /ws.
func signIn(hc *http.Client, web, user, pass string) (string, error) {
	body, _ := json.Marshal(map[string]string{"user": user, "password": pass})
	resp, err := hc.Post(web+"/api/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /api/signin: %s", resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "mailscope_student" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", errors.New("POST /api/signin set no mailscope_student cookie")
}

// dashboard polls the class progress as the instructor's page does: the
// next request a poll interval after the previous answer.
type dashboard struct {
	hc       *http.Client
	url      string
	token    string
	every    time.Duration
	lat      []time.Duration
	errs     int
	firstErr error
	stop     chan struct{}
	done     chan struct{}
}

func (d *dashboard) run() {
	defer close(d.done)
	for {
		t := time.Now()
		err := d.get()
		if err != nil {
			d.errs++
			if d.firstErr == nil {
				d.firstErr = err
			}
		} else {
			d.lat = append(d.lat, time.Since(t))
		}
		select {
		case <-d.stop:
			return
		case <-time.After(d.every):
		}
	}
}

func (d *dashboard) get() error {
	req, _ := http.NewRequest("GET", d.url, nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := d.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/class/progress: %s", resp.Status)
	}
	if !json.Valid(b) {
		return errors.New("GET /api/class/progress: not JSON")
	}
	return nil
}

// wireLine is one line a student's client wrote ('c') or read ('s'), as
// the trace shows it (a password as ****), and when.
type wireLine struct {
	dir  byte
	text string
	at   time.Time
	body bool // a line of a message body: the trace sums the body up in one data event
}

// wireConn is one mail connection of a student.
type wireConn struct {
	student string
	proto   string
	port    int       // the client's port: the session's open event names it
	dialed  time.Time // before the connect
	mu      sync.Mutex
	lines   []wireLine
	claimAt time.Time // when the line that makes the session the student's was written
}

func (w *wireConn) add(l wireLine) {
	w.mu.Lock()
	w.lines = append(w.lines, l)
	w.mu.Unlock()
}

// expected returns the lines that are line events of the trace, by direction.
func (w *wireConn) expected() []wireLine {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []wireLine
	for _, l := range w.lines {
		if !l.body {
			out = append(out, l)
		}
	}
	return out
}

// connIndex finds the connection of a session's open event by the
// client's port (a port may serve two connections one after the other:
// the newest dialled before the event is the one).
type connIndex struct {
	mu     sync.Mutex
	byPort map[int][]*wireConn
}

func (ci *connIndex) add(w *wireConn) {
	ci.mu.Lock()
	ci.byPort[w.port] = append(ci.byPort[w.port], w)
	ci.mu.Unlock()
}

func (ci *connIndex) find(peer string, at time.Time) *wireConn {
	_, p, err := net.SplitHostPort(peer)
	if err != nil {
		return nil
	}
	port, _ := strconv.Atoi(p)
	ci.mu.Lock()
	defer ci.mu.Unlock()
	var best *wireConn
	for _, w := range ci.byPort[port] {
		if !w.dialed.After(at) && (best == nil || w.dialed.After(best.dialed)) {
			best = w
		}
	}
	return best
}

// simStudent types mail sessions at human pace: SMTP and IMAP in turn
// (half the class starts with each), until the deadline; the session
// under way then ends without pauses.
type simStudent struct {
	name, pass string
	idx        int
	srv        *server
	view       *classViewer
	conns      *connIndex
	o          classOpts

	mine       []*wireConn
	sessions   int
	messages   int
	errReplies int
	err        error
}

func (s *simStudent) own() []*wireConn { return s.mine }

func (s *simStudent) run(deadline time.Time) {
	rng := rand.New(rand.NewPCG(uint64(s.idx), 17))
	if s.o.atOnce {
		// Students do not start in step.
		time.Sleep(time.Duration(rng.Int64N(int64(s.o.maxGap) + 1)))
	}
	smtp := s.idx%2 == 0
	for n := 1; time.Now().Before(deadline); n++ {
		t := &typist{s: s, rng: rng, deadline: deadline}
		var err error
		if smtp {
			err = t.smtp(n)
		} else {
			err = t.imap(n)
		}
		s.sessions++
		if err != nil {
			s.err = err
			return
		}
		smtp = !smtp
	}
}

// typist is one session of a student.
type typist struct {
	s        *simStudent
	rng      *rand.Rand
	deadline time.Time
	w        *wireConn
	c        net.Conn
	r        *bufio.Reader
}

func (t *typist) dial(proto string) error {
	if !t.s.o.atOnce {
		// The student types the telnet command: a whole pause, even
		// near the deadline (a quick reconnect makes the previous
		// session's close event newer than this one's open).
		time.Sleep(t.gap())
	}
	t.w = &wireConn{student: t.s.name, proto: proto, dialed: time.Now()}
	c, err := net.DialTimeout("tcp", t.s.srv.addr(0, proto), 10*time.Second)
	if err != nil {
		return err
	}
	t.c, t.r = c, bufio.NewReaderSize(c, 4096)
	t.w.port = c.LocalAddr().(*net.TCPAddr).Port
	t.s.conns.add(t.w)
	t.s.mine = append(t.s.mine, t.w)
	return nil
}

// pause waits as a student does before the next line; after the deadline
// the session ends without pauses.
func (t *typist) pause() {
	d := t.gap()
	if until := time.Until(t.deadline); until < d {
		d = max(until, 0)
	}
	time.Sleep(d)
}

// gap is a random pause between -min-gap and -max-gap.
func (t *typist) gap() time.Duration {
	return t.s.o.minGap + time.Duration(t.rng.Int64N(int64(t.s.o.maxGap-t.s.o.minGap)+1))
}

// write types one line: shown is the line as the trace shows it ("" for
// the line itself).
func (t *typist) write(line, shown string, body, claim bool) error {
	t.pause()
	if shown == "" {
		shown = line
	}
	t.c.SetDeadline(time.Now().Add(time.Minute))
	now := time.Now()
	if claim {
		t.w.mu.Lock()
		t.w.claimAt = now
		t.w.mu.Unlock()
	}
	t.w.add(wireLine{dir: 'c', text: shown, at: now, body: body})
	_, err := t.c.Write([]byte(line + "\r\n"))
	return err
}

// readLine reads one line of a reply and notes when.
func (t *typist) readLine() (string, error) {
	t.c.SetDeadline(time.Now().Add(time.Minute))
	l, err := t.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	l = strings.TrimRight(l, "\r\n")
	t.w.add(wireLine{dir: 's', text: l, at: time.Now()})
	return l, nil
}

// smtpReply reads a reply (all its lines) and returns its code.
func (t *typist) smtpReply() (int, error) {
	for {
		l, err := t.readLine()
		if err != nil {
			return 0, err
		}
		if len(l) < 3 {
			return 0, fmt.Errorf("short SMTP reply %q", l)
		}
		if len(l) > 3 && l[3] == '-' {
			continue
		}
		code, _ := strconv.Atoi(l[:3])
		if code >= 400 {
			t.s.errReplies++
		}
		return code, nil
	}
}

// smtp sends the student a message to their own mailbox on server A,
// claiming the session with HELO (RFC 5321 section 4.1.1.1).
func (t *typist) smtp(n int) error {
	if err := t.dial("smtp"); err != nil {
		return err
	}
	defer t.c.Close()
	if _, err := t.smtpReply(); err != nil {
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	me := t.s.name + "@a.example"
	steps := []struct {
		line        string
		body, claim bool
	}{
		{line: "HELO " + t.s.name, claim: true},
		{line: "MAIL FROM:<" + me + ">"},
		{line: "RCPT TO:<" + me + ">"},
		{line: "DATA"},
		{line: "Subject: note " + strconv.Itoa(n) + " of " + t.s.name, body: true},
		{line: "", body: true},
		{line: "typed by hand, line by line", body: true},
		{line: "."},
		{line: "QUIT"},
	}
	for _, st := range steps {
		if err := t.write(st.line, "", st.body, st.claim); err != nil {
			return err
		}
		if st.body {
			continue
		}
		code, err := t.smtpReply()
		if err != nil {
			return fmt.Errorf("SMTP %q: %w", st.line, err)
		}
		if st.line == "." && code == 250 {
			t.s.messages++
		}
	}
	return nil
}

// imap logs in on server A's IMAP server (RFC 9051 section 6.2.3), opens
// the inbox, fetches the newest message's flags and size, and logs out.
func (t *typist) imap(n int) error {
	if err := t.dial("imap"); err != nil {
		return err
	}
	defer t.c.Close()
	if _, err := t.readLine(); err != nil {
		return fmt.Errorf("IMAP greeting: %w", err)
	}
	tag := 0
	cmd := func(args, shown string, claim bool) ([]string, error) {
		tag++
		tg := "t" + strconv.Itoa(tag)
		if shown != "" {
			shown = tg + " " + shown
		}
		if err := t.write(tg+" "+args, shown, false, claim); err != nil {
			return nil, err
		}
		var got []string
		for {
			l, err := t.readLine()
			if err != nil {
				return got, err
			}
			got = append(got, l)
			if strings.HasPrefix(l, tg+" ") {
				if !strings.HasPrefix(l, tg+" OK") {
					t.s.errReplies++
				}
				return got, nil
			}
		}
	}
	if _, err := cmd("LOGIN "+t.s.name+" "+t.s.pass, "LOGIN "+t.s.name+" ****", true); err != nil {
		return fmt.Errorf("IMAP LOGIN: %w", err)
	}
	got, err := cmd("SELECT INBOX", "", false)
	if err != nil {
		return fmt.Errorf("IMAP SELECT: %w", err)
	}
	exists := 0
	for _, l := range got {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "*" && f[2] == "EXISTS" {
			exists, _ = strconv.Atoi(f[1])
		}
	}
	next := "NOOP"
	if exists > 0 {
		next = "FETCH " + strconv.Itoa(exists) + " (FLAGS RFC822.SIZE)"
	}
	for _, c := range []string{next, "NOOP", "LOGOUT"} {
		if _, err := cmd(c, "", false); err != nil {
			return fmt.Errorf("IMAP %s: %w", strings.Fields(c)[0], err)
		}
	}
	return nil
}

// classViewer is a websocket viewer of /ws that keeps what it read of
// every event for matching at the end: a student's (user) or the
// instructor's (user "").
type classViewer struct {
	conn  *websocket.Conn
	user  string
	names map[string]bool // the class's logins: another's in an event is a leak

	mu       sync.Mutex
	evs      []seenEvent
	markers  int
	skipped  uint64
	leaks    int
	leak     string
	err      error
	lastRecv atomic.Int64
	done     chan struct{}
}

// seenEvent is what the matching needs of one event.
type seenEvent struct {
	seq     uint64
	read    time.Time // the websocket message was read
	time    time.Time // the event's time (mailscope's clock: the same)
	session string
	kind    string
	dir     string
	text    string
	peer    string
}

// wsEvent is the part of an event (tracer.AppendEvent) the viewer reads.
type wsEvent struct {
	Seq     uint64            `json:"seq"`
	Time    time.Time         `json:"time"`
	Session string            `json:"session"`
	Kind    string            `json:"kind"`
	Dir     string            `json:"dir"`
	Text    string            `json:"text"`
	Peer    string            `json:"peer"`
	Actor   string            `json:"actor"`
	From    string            `json:"from"`
	To      string            `json:"to"`
	Skipped uint64            `json:"skipped"`
	Attrs   map[string]string `json:"attrs"`
	Msg     *withArgs         `json:"msg"`
	Explain *withArgs         `json:"explain"`
}

// withArgs is a catalog message or an explanation: its arguments may name
// a user.
type withArgs struct {
	Args map[string]string `json:"args"`
}

func argsOf(w *withArgs) map[string]string {
	if w == nil {
		return nil
	}
	return w.Args
}

func dialClassViewer(web, user string, hdr http.Header, names map[string]bool) (*classViewer, error) {
	conn, err := dialWS(web, "", hdr)
	if err != nil {
		return nil, err
	}
	v := &classViewer{conn: conn, user: user, names: names, done: make(chan struct{})}
	go v.readLoop()
	return v, nil
}

func (v *classViewer) readLoop() {
	defer close(v.done)
	for {
		_, b, err := v.conn.ReadMessage()
		now := time.Now()
		if err != nil {
			v.mu.Lock()
			if v.err == nil {
				v.err = err
			}
			v.mu.Unlock()
			return
		}
		v.lastRecv.Store(now.UnixNano())
		var evs []wsEvent
		if err := json.Unmarshal(b, &evs); err != nil {
			v.mu.Lock()
			v.err = fmt.Errorf("websocket message: %w", err)
			v.mu.Unlock()
			return
		}
		v.mu.Lock()
		for i := range evs {
			v.take(&evs[i], now)
		}
		v.mu.Unlock()
	}
}

// loginWord finds words like a class's logins (s01, s001, ...).
var loginWord = regexp.MustCompile(`\bs[0-9]{2,3}\b`)

func (v *classViewer) take(e *wsEvent, now time.Time) {
	switch e.Kind {
	case "hello":
		return
	case "skipped":
		v.markers++
		v.skipped += e.Skipped
		return
	}
	v.evs = append(v.evs, seenEvent{seq: e.Seq, read: now, time: e.Time, session: e.Session, kind: e.Kind, dir: e.Dir, text: e.Text, peer: e.Peer})
	if v.user == "" {
		return
	}
	// Another student's login anywhere in what the event says is a leak.
	fields := []string{e.Text, e.Actor, e.From, e.To}
	for _, m := range []map[string]string{e.Attrs, argsOf(e.Msg), argsOf(e.Explain)} {
		for _, x := range m {
			fields = append(fields, x)
		}
	}
	for _, f := range fields {
		for _, w := range loginWord.FindAllString(f, -1) {
			if w != v.user && v.names[w] {
				v.leaks++
				if v.leak == "" {
					v.leak = fmt.Sprintf("%s's viewer got event %d (%s %s) naming %s: %q", v.user, e.Seq, e.Session, e.Kind, w, f)
				}
			}
		}
	}
}

func (v *classViewer) close() {
	v.conn.Close()
	<-v.done
}

// settleClass waits until no viewer has read anything for quiet (or limit).
func settleClass(vs []*classViewer, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var newest int64
		for _, v := range vs {
			newest = max(newest, v.lastRecv.Load())
		}
		if time.Since(time.Unix(0, newest)) > quiet {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// viewResult is what matching found in one or more viewers.
type viewResult struct {
	viewers     int
	events      int
	delays      hist // line on the wire (or the claim) -> viewer, both directions
	c2s, s2c    hist
	before      int  // lines before the claim (delay from the claim)
	eventDelays hist // event time -> viewer, every event
	closeLag    hist // the client's last line -> the session's close event
	matched     int
	missing     int // lines of the viewer's sessions it never got
	mismatched  int // lines in the view that the client never saw
	noOpen      int // sessions whose open event the view lacks
	foreign     int // sessions of another student in the view
	leaks       int // events naming another student
	markers     int // skipped markers
	skipped     uint64
	errs        int // viewers that ended with an error
	example     string
}

func (r *viewResult) add(o viewResult) {
	r.viewers += o.viewers
	r.events += o.events
	r.delays.merge(&o.delays)
	r.c2s.merge(&o.c2s)
	r.s2c.merge(&o.s2c)
	r.eventDelays.merge(&o.eventDelays)
	r.closeLag.merge(&o.closeLag)
	r.before += o.before
	r.matched += o.matched
	r.missing += o.missing
	r.mismatched += o.mismatched
	r.foreign += o.foreign
	r.noOpen += o.noOpen
	r.leaks += o.leaks
	r.markers += o.markers
	r.skipped += o.skipped
	r.errs += o.errs
	if r.example == "" {
		r.example = o.example
	}
}

// match pairs the line events the viewer read with the lines of conns
// (the student's own, or everyone's for the instructor), per session and
// direction, in order.
func (v *classViewer) match(ci *connIndex, conns []*wireConn) viewResult {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := viewResult{viewers: 1, events: len(v.evs), leaks: v.leaks, markers: v.markers, skipped: v.skipped, example: v.leak}
	if v.err != nil && !errors.Is(v.err, net.ErrClosed) && !websocket.IsCloseError(v.err, websocket.CloseGoingAway) {
		r.errs++
		if r.example == "" {
			r.example = fmt.Sprintf("viewer %q: %v", v.user, v.err)
		}
	}
	sessConn := map[string]*wireConn{}
	lines := map[string][]*seenEvent{} // session -> line events in the order read
	closed := map[string]time.Time{}   // session -> its close event's time
	for i := range v.evs {
		e := &v.evs[i]
		r.eventDelays.add(e.read.Sub(e.time))
		if e.kind == "open" && e.peer != "" {
			if w := ci.find(e.peer, e.time); w != nil {
				sessConn[e.session] = w
				if v.user != "" && w.student != v.user {
					r.foreign++
					if r.example == "" {
						r.example = fmt.Sprintf("%s's viewer got session %s of %s", v.user, e.session, w.student)
					}
				}
			}
		}
		if e.kind == "line" && e.session != "" {
			lines[e.session] = append(lines[e.session], e)
		}
		if e.kind == "close" {
			closed[e.session] = e.time
		}
	}
	bySess := map[*wireConn]string{}
	for s, w := range sessConn {
		bySess[w] = s
	}
	r.noOpen = pairWithoutOpen(lines, conns, sessConn, bySess)
	for _, w := range conns {
		want := w.expected()
		w.mu.Lock()
		claim := w.claimAt
		w.mu.Unlock()
		if ct, ok := closed[bySess[w]]; ok && len(want) > 0 {
			r.closeLag.add(ct.Sub(want[len(want)-1].at))
		}
		var got [2][]*seenEvent
		for _, e := range lines[bySess[w]] {
			if e.dir == "c2s" {
				got[0] = append(got[0], e)
			} else {
				got[1] = append(got[1], e)
			}
		}
		var exp [2][]wireLine
		for _, l := range want {
			if l.dir == 'c' {
				exp[0] = append(exp[0], l)
			} else {
				exp[1] = append(exp[1], l)
			}
		}
		for d := 0; d < 2; d++ {
			// In order, by text: a line the view lacks is skipped over,
			// one it holds that the client never saw is extra.
			j := 0
			for _, l := range exp[d] {
				k := j
				for k < len(got[d]) && got[d][k].text != l.text {
					k++
				}
				if k == len(got[d]) {
					r.missing++
					if r.example == "" {
						r.example = fmt.Sprintf("viewer %q lacks %q of %s's %s session on port %d (session %q)%s",
							v.user, l.text, w.student, w.proto, w.port, bySess[w], v.before(lines[bySess[w]]))
					}
					continue
				}
				r.mismatched += k - j
				if k > j && r.example == "" {
					r.example = fmt.Sprintf("viewer %q: session %s has %q, which the client never saw", v.user, bySess[w], got[d][j].text)
				}
				e := got[d][k]
				j = k + 1
				r.matched++
				from := l.at
				if v.user != "" && from.Before(claim) {
					from = claim // not the student's before the claim
					r.before++
				}
				dl := e.read.Sub(from)
				r.delays.add(dl)
				if d == 0 {
					r.c2s.add(dl)
				} else {
					r.s2c.add(dl)
				}
			}
			r.mismatched += len(got[d]) - j
		}
	}
	return r
}

// before describes the event the view read last before a session's
// first event: newer than the session's open, it kept the open out.
func (v *classViewer) before(evs []*seenEvent) string {
	if len(evs) == 0 {
		return ""
	}
	first := evs[0]
	var prev *seenEvent
	for i := range v.evs {
		if &v.evs[i] == first {
			break
		}
		prev = &v.evs[i]
	}
	if prev == nil {
		return ""
	}
	return fmt.Sprintf("; the view's event before it: %d %s %s %q, the session's first: %d", prev.seq, prev.kind, prev.session, prev.text, first.seq)
}

// pairWithoutOpen finds the connections of sessions whose open event the
// view lacks (it names the client's port): a session that became the
// student's only at HELO or LOGIN, after newer events of theirs, gets its
// earlier events only in a replay, since the page takes events in order of
// their sequence numbers (webui/ws.go, late). Such sessions are paired in
// time order, per protocol, with the connections that have no session
// yet. It returns how many it paired.
func pairWithoutOpen(lines map[string][]*seenEvent, conns []*wireConn, sessConn map[string]*wireConn, bySess map[*wireConn]string) int {
	type sess struct {
		id    string
		first time.Time
	}
	byProto := map[string][]sess{}
	for id, evs := range lines {
		if sessConn[id] != nil || len(evs) == 0 {
			continue
		}
		p := "smtp"
		if strings.Contains(id, "-imap-") {
			p = "imap"
		}
		byProto[p] = append(byProto[p], sess{id, evs[0].time})
	}
	n := 0
	for p, ss := range byProto {
		sort.Slice(ss, func(i, j int) bool { return ss[i].first.Before(ss[j].first) })
		var free []*wireConn
		for _, w := range conns {
			if w.proto == p && bySess[w] == "" {
				free = append(free, w)
			}
		}
		sort.Slice(free, func(i, j int) bool { return free[i].dialed.Before(free[j].dialed) })
		used := map[*wireConn]bool{}
		for _, s := range ss {
			// A student's sessions of one protocol follow each other: the
			// session is the newest connection dialled before it began.
			var best *wireConn
			for _, w := range free {
				if !used[w] && !w.dialed.After(s.first) {
					best = w
				}
			}
			if best == nil {
				continue
			}
			used[best] = true
			sessConn[s.id], bySess[best] = best, s.id
			n++
		}
	}
	return n
}

// classResult is one run of Class.
type classResult struct {
	students            int
	elapsed             time.Duration
	sessions, messages  int
	errReplies          int
	studentErrs         int
	firstStudentErr     error
	wireLines           int
	student, instructor viewResult
	dash                []time.Duration
	dashErrs            int
	dashErr             error
	rss0, rss1, hwm     int64
	cpuServer, cpuSelf  float64
	load0, load1        string
}

func (r *classResult) print(o classOpts, run, runs int) {
	ok := func(b bool) string { return verdict(b) }
	s, in := &r.student, &r.instructor
	fmt.Printf("class: %d students typing a line every %s-%s for %s (run %d of %d): SMTP (HELO claim) and IMAP (LOGIN) sessions in turn, each student's own viewer, the dashboard every %s and one instructor viewer; all clients on 127.0.0.1 (one address, as behind NAT)\n",
		r.students, o.minGap, o.maxGap, r.elapsed.Round(time.Second), run, runs, o.poll)
	fmt.Printf("  load: %d sessions, %d messages, %d lines on the wire that the trace shows as line events, %d error replies, %d students stopped by an error %s\n",
		r.sessions, r.messages, r.wireLines, r.errReplies, r.studentErrs, errText(r.firstStudentErr))
	fmt.Printf("  line on the wire -> the student's viewer: p50 %s, p95 %s, p99 %s, max %s over %d lines (target p99 <= 100 ms: %s)\n",
		ms(s.delays.percentile(50)), ms(s.delays.percentile(95)), ms(s.delays.percentile(99)), ms(s.delays.percentile(100)), s.matched,
		ok(s.matched > 0 && s.delays.percentile(99) <= 100*time.Millisecond))
	fmt.Printf("    client's lines (written -> viewer) p50 %s p99 %s; server's replies (read by the client -> viewer) p50 %s p99 %s; %d lines came before the session was the student's (delay from HELO/LOGIN)\n",
		ms(s.c2s.percentile(50)), ms(s.c2s.percentile(99)), ms(s.s2c.percentile(50)), ms(s.s2c.percentile(99)), s.before)
	fmt.Printf("    every event, its time -> the student's viewer: p50 %s, p99 %s over %d events (events before the claim wait for it)\n",
		ms(s.eventDelays.percentile(50)), ms(s.eventDelays.percentile(99)), s.events)
	fmt.Printf("  the instructor's viewer (every session): p50 %s, p99 %s over %d lines, %d missing, %d skipped markers (%d events)\n",
		ms(in.delays.percentile(50)), ms(in.delays.percentile(99)), in.matched, in.missing, in.markers, in.skipped)
	fmt.Printf("    the client's last line (221, LOGOUT's OK) -> the session's close event: p50 %s, p99 %s, max %s\n",
		ms(in.closeLag.percentile(50)), ms(in.closeLag.percentile(99)), ms(in.closeLag.percentile(100)))
	fmt.Printf("  lines of a student's own sessions missing from their view: %d, lines the client never saw %d; skipped markers %d (%d events) (target 0: %s)\n",
		s.missing, s.mismatched, s.markers, s.skipped, ok(s.missing == 0 && s.mismatched == 0 && s.markers == 0))
	fmt.Printf("  sessions whose open event (and greeting) never reached the student's live view: %d of %d\n", s.noOpen, r.sessions)
	fmt.Printf("  isolation: sessions of another student in a view %d, events naming another student %d, viewers ended by an error %d (target 0: %s)\n",
		s.foreign, s.leaks, s.errs+in.errs, ok(s.foreign == 0 && s.leaks == 0 && s.errs+in.errs == 0))
	if ex := s.example; ex != "" {
		fmt.Printf("    first finding: %s\n", ex)
	}
	if ex := in.example; ex != "" {
		fmt.Printf("    instructor: %s\n", ex)
	}
	fmt.Printf("  dashboard GET /api/class/progress: p50 %s, p95 %s, p99 %s, max %s over %d polls, %d failed %s\n",
		ms(percentile(r.dash, 50)), ms(percentile(r.dash, 95)), ms(percentile(r.dash, 99)), ms(percentile(r.dash, 100)), len(r.dash), r.dashErrs, errText(r.dashErr))
	fmt.Printf("  mailscope RSS %.1f MB before the class, %.1f MB at the end, peak (VmHWM) %.1f MB (target <= 300 MB: %s)\n",
		float64(r.rss0)/1024, float64(r.rss1)/1024, float64(r.hwm)/1024, ok(r.hwm > 0 && r.hwm <= 300*1024))
	fmt.Printf("  CPU: mailscope %.3f cores, loadbench %.3f cores; load average before %s, after %s (%d CPUs)\n",
		r.cpuServer, r.cpuSelf, r.load0, r.load1, runtime.NumCPU())
	if in.events > 0 {
		// Every viewer's writer takes every event and filters it: if that
		// cost grew with the class, so would this figure.
		us := r.cpuServer * r.elapsed.Seconds() * 1e6 / float64(in.events)
		fmt.Printf("  mailscope CPU per event published: %.0f us, everything included (%d events, %d viewers)\n", us, in.events, r.students+1)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
