package webui

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Lessons for a class (issue 17), checked on the server from the trace,
// per student. A signed-in student starts a lesson from the page (or from
// `mailscope lesson NAME --server URL --user s07`); the server runs the
// lesson's engine on the student's own events (the owner index's rules:
// their logins, their HELO claims, the address they signed in from, the
// hops and deliveries of their messages) and publishes its updates as
// lesson events carrying the student's name (attribute user), which only
// that student's view and the instructor's dashboard take. The lesson
// texts are rewritten for the student (lessons.LoadFor): their own
// account on every server instead of alice and bob. Progress is kept per
// student in the data directory (class-progress/NAME.json), so that it
// survives a restart like the accounts do.
//
// One goroutine feeds every engine, in the bus's order: an event goes to
// its owner's engine only, so the work per event does not grow with the
// class. Events of a session nobody owns yet (the 220 greeting before
// "HELO s07" claims the session, a relay hop before the message that
// names its owner) wait in a small buffer per session and follow the
// owner's engine once the session has one.
type classLessons struct {
	s *Server

	mu      sync.Mutex
	started bool
	active  map[string]*studentLesson // user (lower case) -> their lesson
	progs   map[string]*lessons.Progress
	// pending holds the events of sessions without an owner yet, oldest
	// session first in pendOrder.
	// sets are each student's lessons (lessons.LoadFor, about 60 ms to
	// make), made once a student.
	sets map[string]*lessons.Set

	pending   map[string][]*tracer.Event
	pendOrder []string
	// weak are the sessions that are a student's by address only
	// (noteWeakLocked).
	weak map[string]*weakSession
	last uint64 // the newest event fed
}

// studentLesson is one student's running lesson.
type studentLesson struct {
	user string
	eng  *lessons.Engine
}

// Bounds of the buffer of sessions without an owner.
const (
	maxPendingSessions = 2048
	maxPendingEvents   = 64
)

func newClassLessons(s *Server) *classLessons {
	return &classLessons{s: s, active: map[string]*studentLesson{}, progs: map[string]*lessons.Progress{},
		pending: map[string][]*tracer.Event{}, weak: map[string]*weakSession{}, sets: map[string]*lessons.Set{}}
}

// setFor returns the class's lessons rewritten for user, made the first
// time. The sets are read only (an engine changes nothing of its lesson).
func (c *classLessons) setFor(user string) (*lessons.Set, error) {
	k := strings.ToLower(user)
	c.mu.Lock()
	set := c.sets[k]
	c.mu.Unlock()
	if set != nil {
		return set, nil
	}
	set, err := lessons.LoadFor(k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sets[k] = set
	c.mu.Unlock()
	return set, nil
}

// progress returns user's progress, read from the data directory the
// first time (nil when the instance keeps no data directory).
func (c *classLessons) progress(user string) (*lessons.Progress, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := strings.ToLower(user)
	if p, ok := c.progs[k]; ok {
		return p, nil
	}
	if c.s.inst.DataDir == "" {
		return nil, nil
	}
	dir := filepath.Join(c.s.inst.DataDir, "class-progress")
	os.MkdirAll(dir, 0o700) // the progress of a class is the instructor's to read
	p, err := lessons.LoadProgressFile(filepath.Join(dir, k+".json"))
	if err != nil {
		return nil, err
	}
	c.progs[k] = p
	return p, nil
}

// activeLesson is a student's running lesson as kept in the data
// directory (class-progress/NAME.active.json), so that a restart of
// mailscope goes on with it: the page's panel and a student's
// `mailscope lesson --server` reconnect and hear the current step again.
type activeLesson struct {
	Lesson string            `json:"lesson"`
	Lang   string            `json:"lang"`
	Vars   map[string]string `json:"vars"`
}

func (c *classLessons) activePath(user string) string {
	if c.s.inst.DataDir == "" {
		return ""
	}
	return filepath.Join(c.s.inst.DataDir, "class-progress", strings.ToLower(user)+".active.json")
}

// keepActive writes (a != nil) or removes user's running lesson.
func (c *classLessons) keepActive(user string, a *activeLesson) {
	path := c.activePath(user)
	if path == "" {
		return
	}
	if a == nil {
		os.Remove(path)
		return
	}
	b, err := json.Marshal(a)
	if err != nil {
		return
	}
	os.MkdirAll(filepath.Dir(path), 0o700)
	writeFileAtomic(path, b)
}

// resume starts again the lessons the class's students were doing when
// mailscope last stopped, each at the first step not done.
func (c *classLessons) resume() {
	for _, st := range c.s.inst.Students {
		path := c.activePath(st.Name)
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var a activeLesson
		if json.Unmarshal(b, &a) != nil {
			continue
		}
		set, err := c.setFor(st.Name)
		if err != nil {
			continue
		}
		l := set.Get(a.Lesson)
		prog, err := c.progress(st.Name)
		if l == nil || err != nil {
			continue
		}
		step := 0
		if prog != nil {
			step = prog.Get(l.ID).Next()
		}
		c.start(st.Name, l, pickLang(a.Lang, c.s.serverLang()), a.Vars, prog, step)
	}
}

// start runs lesson l for user from step, replacing the lesson they had.
func (c *classLessons) start(user string, l *lessons.Lesson, lang string, vars map[string]string, prog *lessons.Progress, step int) *lessons.Engine {
	bus := c.s.inst.Bus
	c.keepActive(user, &activeLesson{Lesson: l.ID, Lang: lang, Vars: vars})
	e := lessons.NewEngine(l, lessons.Options{Lang: lang, Vars: vars, Start: step, Progress: prog,
		Publish: func(ev *tracer.Event) {
			ev.Attrs[tracer.AttrUser] = user
			if ev.Attrs["status"] == string(lessons.StatusFinished) {
				c.keepActive(user, nil)
			}
			bus.Publish(ev)
		}})
	// The lesson's first words go out before any event can reach it.
	e.Begin()
	c.mu.Lock()
	c.active[strings.ToLower(user)] = &studentLesson{user: user, eng: e}
	first := !c.started
	c.started = true
	if first {
		c.last = bus.Seq()
	}
	c.mu.Unlock()
	if first {
		go c.follow()
	}
	return e
}

// stop ends user's lesson; it reports whether they had one.
func (c *classLessons) stop(user string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := strings.ToLower(user)
	_, ok := c.active[k]
	delete(c.active, k)
	c.keepActive(user, nil)
	return ok
}

// current returns user's running lesson, or nil.
func (c *classLessons) current(user string) *lessons.Engine {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sl := c.active[strings.ToLower(user)]; sl != nil {
		return sl.eng
	}
	return nil
}

// follow feeds the engines from the bus until the server shuts down.
func (c *classLessons) follow() {
	bus := c.s.inst.Bus
	c.mu.Lock()
	sub, hist := bus.SubscribeFrom(c.last, 1<<14)
	c.mu.Unlock()
	defer func() { sub.Close() }()
	o := c.s.ownerIndex()
	take := func(e *tracer.Event) {
		if e.Seq <= c.last {
			return
		}
		c.last = e.Seq
		c.feed(o, e)
	}
	for _, e := range hist {
		take(e)
	}
	for {
		select {
		case <-o.stopped:
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if e.Kind == tracer.KindSkipped {
				// This follower fell behind: the history still holds
				// what it missed (what the history lost is lost).
				next, more := bus.SubscribeFrom(c.last, 1<<14)
				sub.Close()
				sub = next
				for _, h := range more {
					take(h)
				}
				continue
			}
			take(e)
		}
	}
}

// feed gives e to the engine of its owner, after the events of its
// session that waited for one.
func (c *classLessons) feed(o *owners, e *tracer.Event) {
	switch e.Kind {
	case tracer.KindLesson, KindHello:
		return
	}
	o.wait(e.Seq)
	c.mu.Lock()
	if len(c.active) == 0 && len(c.pending) == 0 && len(c.weak) == 0 {
		c.mu.Unlock()
		return
	}
	var engines []*lessons.Engine
	var evs []*tracer.Event
	owner, byAddr := eventOwner(o, e)
	switch {
	case owner != "":
		if sl := c.active[strings.ToLower(owner)]; sl != nil {
			engines = append(engines, sl.eng)
			evs = c.pending[e.Session]
			if w := c.weak[e.Session]; w != nil && w.owner != owner {
				// The session was someone's by address only and a HELO
				// claim or a login gave it to another: what came before
				// is the new owner's lesson's too (the 220 of step 1).
				evs = append(evs, w.evs...)
			}
			evs = append(evs, e)
		}
		c.dropPendingLocked(e.Session)
		c.noteWeakLocked(e, owner, byAddr)
	case e.Session != "":
		if e.Kind == tracer.KindClose {
			c.dropPendingLocked(e.Session)
			delete(c.weak, e.Session)
			break
		}
		c.holdLocked(e)
	case e.MsgID == "" && (e.Kind == tracer.KindFault || e.Kind == tracer.KindNote):
		// A fault or a server's note concerns the whole world: every
		// lesson hears it.
		for _, sl := range c.active {
			engines = append(engines, sl.eng)
		}
		evs = []*tracer.Event{e}
	}
	c.mu.Unlock()
	for _, eng := range engines {
		for _, ev := range evs {
			eng.Feed(ev)
		}
	}
}

// eventOwner returns the student e belongs to, as visible decides, and
// whether only the client's address made it theirs (rule 4: a HELO claim
// or a login may still give the session to another).
func eventOwner(o *owners, e *tracer.Event) (string, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if e.Session != "" {
		f := o.sessions[e.Session]
		if f != nil && f.relay && f.login == "" && e.MsgID != "" {
			return o.msgOwnerLocked(e.MsgID), false
		}
		u := o.ownerLocked(e.Session, 0)
		return u, u != "" && f != nil && !f.relay && f.login == "" && f.claim == ""
	}
	if e.MsgID != "" {
		return o.msgOwnerLocked(e.MsgID), false
	}
	return "", false
}

// weakSession is a session that is a student's by address only, with its
// first events, kept in case a claim gives it to another.
type weakSession struct {
	owner string
	evs   []*tracer.Event
}

// noteWeakLocked keeps e of a session owned by address only; a session
// owned by a claim or a login is no longer kept.
func (c *classLessons) noteWeakLocked(e *tracer.Event, owner string, byAddr bool) {
	if !byAddr {
		delete(c.weak, e.Session)
		return
	}
	w := c.weak[e.Session]
	if w == nil {
		if len(c.weak) >= maxPendingSessions {
			clear(c.weak) // a flood of sessions: the rare late claim loses its start
		}
		w = &weakSession{owner: owner}
		c.weak[e.Session] = w
	}
	w.owner = owner
	if len(w.evs) < maxPendingEvents {
		w.evs = append(w.evs, e)
	}
}

// holdLocked keeps e until its session has an owner.
func (c *classLessons) holdLocked(e *tracer.Event) {
	q, ok := c.pending[e.Session]
	if !ok {
		if len(c.pendOrder) >= maxPendingSessions {
			oldest := c.pendOrder[0]
			c.pendOrder = c.pendOrder[1:]
			delete(c.pending, oldest)
		}
		c.pendOrder = append(c.pendOrder, e.Session)
	}
	if len(q) < maxPendingEvents {
		c.pending[e.Session] = append(q, e)
	}
}

func (c *classLessons) dropPendingLocked(session string) {
	if _, ok := c.pending[session]; !ok {
		return
	}
	delete(c.pending, session)
	for i, id := range c.pendOrder {
		if id == session {
			c.pendOrder = append(c.pendOrder[:i:i], c.pendOrder[i+1:]...)
			break
		}
	}
}

// persisted returns the lesson user worked on last, as their progress
// file has it (the dashboard's row after a restart).
func (c *classLessons) persisted(user string) (lessonPos, bool) {
	p, err := c.progress(user)
	if err != nil || p == nil {
		return lessonPos{}, false
	}
	id, lp := p.Newest()
	if id == "" {
		return lessonPos{}, false
	}
	pos := lessonPos{lesson: id, status: string(lessons.StatusCurrent), step: lp.Next(), steps: lp.Steps, at: lp.Updated}
	if lp.Completed && len(lp.Done) >= lp.Steps {
		pos.status, pos.step = string(lessons.StatusFinished), lp.Steps-1
	}
	return pos, true
}

// classLessonsOf returns the server's class lessons, made on first use.
func (s *Server) classLessonsOf() *classLessons {
	s.lessonsOnce.Do(func() { s.lessons = newClassLessons(s) })
	return s.lessons
}

// lessonRow is one lesson of GET /api/lessons.
type lessonRow struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Steps     int    `json:"steps"`
	Done      int    `json:"done"`
	Completed bool   `json:"completed"`
	Active    bool   `json:"active"`
	Step      int    `json:"step"` // the step to do now, 0-based (the active lesson's)
}

// lessonList is the answer of GET /api/lessons.
type lessonList struct {
	Student string      `json:"student,omitempty"`
	Lessons []lessonRow `json:"lessons"`
}

// handleLessons answers GET /api/lessons: the lessons a student can do in
// the class, in the language asked (?lang=), with the student's progress.
func (s *Server) handleLessons(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(r.URL.Query().Get("lang"), s.serverLang())
	st := s.studentOf(r)
	name := "s01"
	if st != nil {
		name = st.user
	}
	set, err := s.classLessonsOf().setFor(name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := lessonList{Lessons: []lessonRow{}}
	var prog *lessons.Progress
	var cur *lessons.Engine
	if st != nil {
		out.Student = st.user
		c := s.classLessonsOf()
		prog, _ = c.progress(st.user)
		cur = c.current(st.user)
	}
	for _, l := range set.Lessons {
		row := lessonRow{ID: l.ID, Title: l.Title.In(lang), Steps: len(l.Steps)}
		if prog != nil {
			p := prog.Get(l.ID)
			row.Done, row.Completed, row.Step = len(p.Done), p.Completed, p.Next()
		}
		if cur != nil && cur.Lesson().ID == l.ID {
			row.Active, row.Step = true, min(cur.Current(), len(l.Steps)-1)
		}
		out.Lessons = append(out.Lessons, row)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// startForm is the body of POST /api/lessons/{id}/start.
type startForm struct {
	Lang    string `json:"lang"`
	Restart bool   `json:"restart"`
}

// handleLessonStart starts a lesson for the signed-in student: from the
// first step not done yet (or the first, with restart).
func (s *Server) handleLessonStart(w http.ResponseWriter, r *http.Request) {
	st := s.studentOf(r)
	if st == nil {
		writeError(w, http.StatusUnauthorized, s.say("web.err.lesson.signin"))
		return
	}
	var f startForm
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&f); err != nil {
			writeError(w, http.StatusBadRequest, "JSON body: "+err.Error())
			return
		}
	}
	lang := pickLang(f.Lang, s.serverLang())
	set, err := s.classLessonsOf().setFor(st.user)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	id := r.PathValue("id")
	l := set.Get(id)
	if l == nil {
		writeError(w, http.StatusNotFound, s.say("web.err.lesson.none", "lesson", strconv.Quote(id), "lessons", strings.Join(lessons.ClassLessons, ", ")))
		return
	}
	c := s.classLessonsOf()
	prog, err := c.progress(st.user)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	step := 0
	if prog != nil {
		if f.Restart {
			if err := prog.Restart(l.ID); err != nil {
				writeError(w, http.StatusInternalServerError, err.Error())
				return
			}
		} else {
			step = prog.Get(l.ID).Next()
		}
	}
	e := c.start(st.user, l, lang, s.studentVars(r), prog, step)
	writeJSON(w, http.StatusOK, lessonRow{ID: l.ID, Title: l.Title.In(lang), Steps: len(l.Steps), Active: true, Step: min(e.Current(), len(l.Steps)-1)})
}

// handleLessonStop ends the signed-in student's lesson.
func (s *Server) handleLessonStop(w http.ResponseWriter, r *http.Request) {
	st := s.studentOf(r)
	if st == nil {
		writeError(w, http.StatusUnauthorized, s.say("web.err.lesson.signin"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"stopped": s.classLessonsOf().stop(st.user)})
}

// studentVars are the address placeholders of a student's lesson texts:
// the servers at the host the student reached this page by, when they
// listen on every address (--host 0.0.0.0), which is what the student's
// telnet must be given; a listener on one address is that address.
func (s *Server) studentVars(r *http.Request) map[string]string {
	host := hostOnly(r.Host)
	addrs := lessons.Addrs{"web": net.JoinHostPort(host, portOf(r.Host, "80"))}
	for _, sv := range s.inst.World.Servers {
		for _, p := range []world.Protocol{world.SMTP, world.POP3, world.IMAP} {
			a := s.inst.Addr(sv.Name, p)
			h, port, err := net.SplitHostPort(a)
			if err != nil {
				continue
			}
			if ip, err := netip.ParseAddr(h); err == nil && ip.IsUnspecified() {
				h = host
			}
			addrs[sv.Name+"/"+string(p)] = net.JoinHostPort(h, port)
		}
	}
	return addrs.Vars()
}

// portOf returns the port of a Host header, or def.
func portOf(hostport, def string) string {
	if _, p, err := net.SplitHostPort(hostport); err == nil && p != "" {
		return p
	}
	return def
}

// pickLang returns lang when it is a language of the course, else def.
func pickLang(lang, def string) string {
	if lang == "en" || lang == "zh" {
		return lang
	}
	return def
}
