package webui

import (
	"encoding/csv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// The instructor's class dashboard (issue 17): per student, what the
// trace says of their work, counted by the owner index as events come in
// (sessStats per session, lessonPos per student), and put together per
// student when the dashboard asks. A student is stuck when either
//
//   - they are connected (an open session, or signed in to the page) and
//     nothing happened in their sessions or lesson for stuckIdle, or
//   - their sessions drew stuckErrors or more error replies and
//     diagnostics within the last stuckWindow.
const (
	stuckIdle   = 5 * time.Minute
	stuckWindow = 3 * time.Minute
	stuckErrors = 3
	// maxDiagNames bounds the mistake names kept per session.
	maxDiagNames = 8
)

// sessStats is what one session counts for the dashboard.
type sessStats struct {
	last   time.Time
	open   bool // opened and not yet closed
	errs   int  // error replies: 4xx, 5xx, -ERR, NO, BAD
	diags  []string
	nDiags int
	// recent are the times of the newest stuckErrors commands that went
	// wrong (an error reply, a diagnostic, or both), oldest first.
	recent []time.Time
	// marked: the client's last command is in recent already (a 550 and
	// the diagnostic that explains it are one mistake, not two).
	marked bool
}

// take counts e.
func (st *sessStats) take(e *tracer.Event) {
	if e.Time.After(st.last) {
		st.last = e.Time
	}
	switch e.Kind {
	case tracer.KindOpen:
		st.open = true
	case tracer.KindClose:
		st.open = false
	case tracer.KindDiagnostic:
		st.nDiags++
		if d := e.Attrs[tracer.AttrDiag]; d != "" && len(st.diags) < maxDiagNames {
			st.diags = append(st.diags, d)
		}
		st.mark(e.Time)
	case tracer.KindLine:
		if e.Dir == tracer.C2S {
			st.marked = false
		} else if e.Explain != nil && isErrorClass(e.Explain.Class) {
			st.errs++
			st.mark(e.Time)
		}
	}
}

// mark notes at t that the client's last command went wrong, once.
func (st *sessStats) mark(t time.Time) {
	if st.marked {
		return
	}
	st.marked = true
	st.recent = append(st.recent, t)
	if len(st.recent) > stuckErrors {
		st.recent = append(st.recent[:0], st.recent[len(st.recent)-stuckErrors:]...)
	}
}

// isErrorClass reports whether a reply's class is an error: SMTP 4xx and
// 5xx (RFC 5321 section 4.2.1), POP3 -ERR (RFC 1939 section 3), IMAP NO
// and BAD (RFC 9051 section 7.1).
func isErrorClass(c string) bool {
	switch c {
	case "4xx", "5xx", "-ERR", "NO", "BAD":
		return true
	}
	return false
}

// lessonPos is a student's newest lesson event (one with attribute user).
type lessonPos struct {
	lesson, status, title string
	step, steps           int
	at                    time.Time
}

// lessonLocked notes a lesson event for one student.
func (o *owners) lessonLocked(e *tracer.Event) {
	if e.Kind != tracer.KindLesson || e.Attrs[tracer.AttrUser] == "" {
		return
	}
	u := strings.ToLower(e.Attrs[tracer.AttrUser])
	if _, ok := o.lessons[u]; !ok && len(o.lessons) >= maxSignins {
		return
	}
	step, _ := strconv.Atoi(e.Attrs["step"])
	steps, _ := strconv.Atoi(e.Attrs["steps"])
	o.lessons[u] = lessonPos{lesson: e.Attrs["lesson"], status: e.Attrs["status"], title: e.Attrs["title"], step: step, steps: steps, at: e.Time}
}

// studentProgress is one row of GET /api/class/progress.
type studentProgress struct {
	Name        string    `json:"name"`
	Roster      string    `json:"roster,omitempty"` // the roster's line the account was made from
	SignedIn    bool      `json:"signed_in"`
	Addrs       []string  `json:"addrs"`
	Sessions    int       `json:"sessions"`
	Open        int       `json:"open"`
	Newest      string    `json:"newest,omitempty"` // their newest session's id
	Last        time.Time `json:"last,omitzero"`
	Errors      int       `json:"errors"`
	Diagnostics int       `json:"diagnostics"`
	Mistakes    []string  `json:"mistakes"`
	Lesson      string    `json:"lesson,omitempty"`
	LessonTitle string    `json:"lesson_title,omitempty"`
	Status      string    `json:"status,omitempty"`
	Step        int       `json:"step"` // 0-based
	Steps       int       `json:"steps,omitempty"`
	Stuck       bool      `json:"stuck"`
	StuckWhy    string    `json:"stuck_why,omitempty"` // idle or errors
	// Done is each class lesson's progress, from the student's progress
	// file: "8/8 completed", "3/7", "" for never begun (for grading).
	Done map[string]string `json:"done"`
}

// classProgress is the answer of GET /api/class/progress.
type classProgress struct {
	Now      time.Time         `json:"now"`
	Rule     stuckRule         `json:"rule"`
	Students []studentProgress `json:"students"`
}

// stuckRule says the rule in the answer, for the page to explain.
type stuckRule struct {
	IdleMinutes   int `json:"idle_minutes"`
	WindowMinutes int `json:"window_minutes"`
	Errors        int `json:"errors"`
}

// progress works out every student's row at now.
func (s *Server) progress(now time.Time) classProgress {
	rows := map[string]*studentProgress{}
	var order []string
	for _, st := range s.inst.Students {
		k := strings.ToLower(st.Name)
		rows[k] = &studentProgress{Name: st.Name, Roster: st.Roster, Addrs: []string{}, Mistakes: []string{}}
		order = append(order, k)
	}
	for user, ips := range s.signins.addresses() {
		if p := rows[strings.ToLower(user)]; p != nil {
			p.SignedIn, p.Addrs = true, ips
		}
	}
	recent := map[string]int{}
	newest := map[string]uint64{}
	o := s.ownerIndex()
	o.mu.RLock()
	for id, f := range o.sessions {
		if f.relay || f.web {
			// A hop is counted where the message was submitted; the
			// page's own reads of a mailbox (the student's, or the
			// instructor's) are not the student's work.
			continue
		}
		u := o.ownerLocked(id, 0)
		p := rows[strings.ToLower(u)]
		if p == nil {
			continue
		}
		k := strings.ToLower(u)
		st := &f.stats
		p.Sessions++
		if st.open {
			p.Open++
		}
		if f.first > newest[k] {
			newest[k], p.Newest = f.first, id
		}
		if st.last.After(p.Last) {
			p.Last = st.last
		}
		p.Errors += st.errs
		p.Diagnostics += st.nDiags
		for _, d := range st.diags {
			if len(p.Mistakes) < maxDiagNames && !contains(p.Mistakes, d) {
				p.Mistakes = append(p.Mistakes, d)
			}
		}
		for _, t := range st.recent {
			if now.Sub(t) <= stuckWindow {
				recent[k]++
			}
		}
	}
	// Signing in is activity too: a student who signed in and did nothing
	// since becomes stuck (idle) like one whose last line went quiet.
	for user, at := range s.signins.newestSignin() {
		// A sign-in kept from before a restart counts from the restart:
		// what the student did since is in the trace that was lost.
		at = later(at, s.started)
		if p := rows[strings.ToLower(user)]; p != nil && at.After(p.Last) {
			p.Last = at
		}
	}
	for k, l := range o.lessons {
		if p := rows[k]; p != nil {
			p.Lesson, p.LessonTitle, p.Status, p.Step, p.Steps = l.lesson, l.title, l.status, l.step, l.steps
			if l.at.After(p.Last) {
				p.Last = l.at
			}
		}
	}
	o.mu.RUnlock()
	// After a restart the trace is new: a student's lesson is then the
	// one their progress file says they worked on last.
	for _, k := range order {
		if p := rows[k]; p.Lesson == "" {
			if l, ok := s.classLessonsOf().persisted(k); ok {
				p.Lesson, p.Status, p.Step, p.Steps = l.lesson, l.status, l.step, l.steps
			}
		}
	}
	for _, k := range order {
		rows[k].Done = s.lessonsDone(k)
	}
	out := classProgress{Now: now, Rule: stuckRule{int(stuckIdle / time.Minute), int(stuckWindow / time.Minute), stuckErrors}, Students: make([]studentProgress, 0, len(order))}
	for _, k := range order {
		p := rows[k]
		switch {
		case recent[k] >= stuckErrors:
			p.Stuck, p.StuckWhy = true, "errors"
		case (p.Open > 0 || p.SignedIn) && !p.Last.IsZero() && now.Sub(p.Last) >= stuckIdle:
			p.Stuck, p.StuckWhy = true, "idle"
		}
		out.Students = append(out.Students, *p)
	}
	return out
}

// newestSignin returns, per signed-in user, the time of their newest
// sign-in (of those not expired).
func (si *signins) newestSignin() map[string]time.Time {
	si.mu.Lock()
	defer si.mu.Unlock()
	out := map[string]time.Time{}
	for _, st := range si.ids {
		if time.Since(st.at) <= signinMaxAge && st.at.After(out[st.user]) {
			out[st.user] = st.at
		}
	}
	return out
}

// addresses returns, per signed-in user, the addresses they signed in from.
func (si *signins) addresses() map[string][]string {
	si.mu.Lock()
	defer si.mu.Unlock()
	out := map[string][]string{}
	for _, st := range si.ids {
		if time.Since(st.at) > signinMaxAge || contains(out[st.user], st.ip) {
			continue
		}
		out[st.user] = append(out[st.user], st.ip)
	}
	for _, ips := range out {
		sort.Strings(ips)
	}
	return out
}

// handleProgress answers GET /api/class/progress (the instructor's only:
// mounted with control); 404 when the world has no class.
func (s *Server) handleProgress(w http.ResponseWriter, r *http.Request) {
	if s.inst == nil || len(s.inst.Students) == 0 {
		writeError(w, http.StatusNotFound, s.say("web.err.class.none"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.progress(time.Now()))
}

// lessonsDone says how far student k got in each class lesson.
func (s *Server) lessonsDone(k string) map[string]string {
	out := map[string]string{}
	prog, err := s.classLessonsOf().progress(k)
	if err != nil || prog == nil {
		return out
	}
	for _, id := range lessons.ClassLessons {
		lp := prog.Get(id)
		switch {
		case lp.Steps == 0:
		case lp.Completed:
			out[id] = strconv.Itoa(lp.Steps) + "/" + strconv.Itoa(lp.Steps) + " completed"
		default:
			out[id] = strconv.Itoa(len(lp.Done)) + "/" + strconv.Itoa(lp.Steps)
		}
	}
	return out
}

// progressHeader is the first record of the CSV export, followed by a
// column per class lesson (lessons.ClassLessons).
var progressHeader = []string{"name", "roster", "signed_in", "addresses", "sessions", "open", "last_activity", "errors", "diagnostics", "mistakes", "lesson", "step", "steps", "status", "stuck"}

// handleProgressCSV answers GET /api/class/progress.csv: the same rows as
// CSV (RFC 4180), each cell safe to open in a spreadsheet.
func (s *Server) handleProgressCSV(w http.ResponseWriter, r *http.Request) {
	if s.inst == nil || len(s.inst.Students) == 0 {
		writeError(w, http.StatusNotFound, s.say("web.err.class.none"))
		return
	}
	pr := s.progress(time.Now())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="class-progress.csv"`)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 section 2, rule 1
	cw.Write(append(append([]string(nil), progressHeader...), lessons.ClassLessons...))
	for _, p := range pr.Students {
		last := ""
		if !p.Last.IsZero() {
			last = p.Last.UTC().Format(time.RFC3339)
		}
		rec := []string{p.Name, p.Roster, strconv.FormatBool(p.SignedIn), strings.Join(p.Addrs, " "), strconv.Itoa(p.Sessions), strconv.Itoa(p.Open),
			last, strconv.Itoa(p.Errors), strconv.Itoa(p.Diagnostics), strings.Join(p.Mistakes, " "), p.Lesson, "", "", p.Status, p.StuckWhy}
		if p.Steps > 0 {
			rec[11], rec[12] = strconv.Itoa(p.Step+1), strconv.Itoa(p.Steps)
		}
		for _, id := range lessons.ClassLessons {
			rec = append(rec, p.Done[id])
		}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
}

// csvCell keeps a spreadsheet from reading a cell as a formula: one that
// starts with = + - @ (or a tab or carriage return, which some read
// past) gets a leading apostrophe (OWASP, "CSV Injection"). Quoting is
// the csv writer's (RFC 4180 section 2, rules 5 to 7).
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
