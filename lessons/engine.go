package lessons

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/mailscope/mailscope/tracer"
)

// Status says what a lesson update is about. It is also the "status"
// attribute of the KindLesson events an engine publishes.
type Status string

// The statuses of updates and lesson events.
const (
	StatusStarted  Status = "started"   // the lesson began; Step is where it starts
	StatusCurrent  Status = "current"   // Step is now the step to do; Text is its instruction
	StatusStepDone Status = "step-done" // Step completed; Text explains what happened
	StatusHint     Status = "hint"      // a likely mistake in Step; Text is the advice
	StatusFinished Status = "finished"  // every step is done; Text is the conclusion
	StatusError    Status = "error"     // progress could not be saved; Text says why
)

// Update is one thing the engine has to say.
type Update struct {
	Status Status
	Step   int    // 0-based step index
	Steps  int    // how many steps the lesson has
	Title  string // the step's title (the lesson's for started and finished)
	Text   string // instruction, explanation, hint or conclusion
	HintID string // for hints
	// Titles are every step's title (started only): a panel that joins
	// in the middle of a lesson lists the steps by name.
	Titles []string
	// Event is the trace event that caused the update (nil for started
	// and current).
	Event *tracer.Event
}

// Options configure an Engine.
type Options struct {
	// Lang is the language of the texts: "en" or "zh".
	Lang string
	// Vars fill the address placeholders of the texts (see AddrVars).
	Vars map[string]string
	// Start is the step to begin with (to resume a lesson).
	Start int
	// Publish, when set, receives every update as a KindLesson event (an
	// in-process engine passes the bus's Publish, so the browser can show
	// the lesson beside the ladder).
	Publish func(*tracer.Event)
	// Notify, when set, receives every update in order, on the goroutine
	// that feeds the engine.
	Notify func(Update)
	// Progress, when set, records finished steps.
	Progress *Progress
	// MaxHintRepeats is how often one hint is shown (default 3).
	MaxHintRepeats int
}

// Engine follows one lesson through trace events: it ticks the current step
// when its matchers have matched, and shows a hint when an event looks like
// a known mistake. Feed it from one goroutine; Wait and the accessors may be
// used from any.
type Engine struct {
	l    *Lesson
	opts Options

	mu      sync.Mutex
	step    int
	counts  []int // matches per done matcher of the current step
	ctx     matchCtx
	tracked []*Matcher // matchers with per-session bookkeeping
	hints   map[string]int
	// diagnosed are the sessions whose last command the server
	// diagnosed as a likely mistake (a tracer.KindDiagnostic event),
	// until the client's next line.
	diagnosed map[string]bool
	begun     bool
	finished  bool
	stepDone  []chan struct{}
	allDone   chan struct{}
	// replies follows the multi-line replies of each session; held are
	// the updates kept back until the reply in heldFor's session ends,
	// with the steps they complete (see Feed).
	replies replyTracker
	held    []Update
	heldFor string
	heldCh  []chan struct{}
}

// NewEngine returns an engine for l; call Begin, then Feed or Run.
func NewEngine(l *Lesson, o Options) *Engine {
	if o.Lang != "zh" {
		o.Lang = "en"
	}
	if o.MaxHintRepeats <= 0 {
		o.MaxHintRepeats = 3
	}
	if o.Start < 0 || o.Start >= len(l.Steps) {
		o.Start = 0
	}
	e := &Engine{l: l, opts: o, step: o.Start, hints: map[string]int{}, diagnosed: map[string]bool{},
		ctx: matchCtx{lastClient: map[string]string{}, lastData: map[string]string{}, ids: map[string]string{},
			inCount: map[*Matcher]map[string]int{}, seen: map[*Matcher]map[string]bool{}},
		tracked: stateful(l), allDone: make(chan struct{}), replies: newReplyTracker()}
	e.stepDone = make([]chan struct{}, len(l.Steps))
	for i := range e.stepDone {
		e.stepDone[i] = make(chan struct{})
		if i < o.Start {
			close(e.stepDone[i])
		}
	}
	e.counts = make([]int, len(l.Steps[e.step].Done))
	return e
}

// Lesson returns the engine's lesson.
func (e *Engine) Lesson() *Lesson { return e.l }

// Lang returns the engine's language.
func (e *Engine) Lang() string { return e.opts.Lang }

// Current returns the index of the step to do (len(Steps) when finished).
func (e *Engine) Current() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.finished {
		return len(e.l.Steps)
	}
	return e.step
}

// Finished reports whether every step is done.
func (e *Engine) Finished() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.finished
}

// Begin announces the lesson and its first step.
func (e *Engine) Begin() {
	e.mu.Lock()
	if e.begun {
		e.mu.Unlock()
		return
	}
	e.begun = true
	step := e.step
	e.mu.Unlock()
	titles := make([]string, len(e.l.Steps))
	for i, s := range e.l.Steps {
		titles[i] = e.text(s.Title)
	}
	e.emit(Update{Status: StatusStarted, Step: step, Title: e.l.Title.In(e.opts.Lang), Text: e.text(e.l.Summary), Titles: titles})
	e.emit(e.currentUpdate(step))
}

func (e *Engine) currentUpdate(step int) Update {
	s := e.l.Steps[step]
	return Update{Status: StatusCurrent, Step: step, Title: e.text(s.Title), Text: e.text(s.Instruction)}
}

func (e *Engine) text(t Text) string { return Expand(t.In(e.opts.Lang), e.opts.Vars) }

// Wait blocks until step is done and its updates have been handed to
// Notify and Publish (or ctx ends).
func (e *Engine) Wait(ctx context.Context, step int) error {
	if step < 0 || step >= len(e.stepDone) {
		return nil
	}
	select {
	case <-e.stepDone[step]:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when every step is done.
func (e *Engine) Done() <-chan struct{} { return e.allDone }

// Run feeds the engine from events until the channel closes, ctx ends or
// the lesson is finished.
func (e *Engine) Run(ctx context.Context, events <-chan *tracer.Event) error {
	e.Begin()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.allDone:
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			e.Feed(ev)
		}
	}
}

// Feed gives the engine one trace event.
//
// What a step completed by a line in the middle of a multi-line reply (the
// first "250-" line of an EHLO reply, a line of a POP3 LIST) has to say is
// held back until that reply ends, a later line or the session's close:
// the explanation and the next step's instruction then follow the reply
// instead of being buried in it. The engine goes on matching meanwhile.
func (e *Engine) Feed(ev *tracer.Event) {
	switch ev.Kind {
	case tracer.KindLesson:
		return
	case tracer.KindSkipped:
		// Events were lost: the end of a held reply may be among them.
		e.mu.Lock()
		out, closing, finished := e.release(nil, nil)
		e.mu.Unlock()
		e.deliver(out, closing, finished)
		return
	}
	var out []Update
	var closing []chan struct{} // steps done: closed after their updates are out
	e.mu.Lock()
	if !e.begun {
		e.mu.Unlock()
		e.Begin()
		e.mu.Lock()
	}
	if e.finished {
		// The last step's words may wait for the end of a reply.
		var out []Update
		var closing []chan struct{}
		if e.heldFor != "" {
			e.replies.feed(ev)
			if !e.replies.inReply(e.heldFor) || ev.Kind == tracer.KindClose && ev.Session == e.heldFor {
				out, closing, _ = e.release(nil, nil)
			}
		}
		e.mu.Unlock()
		e.deliver(out, closing, true)
		return
	}
	if ev.Kind == tracer.KindLine && ev.Dir == tracer.C2S && ev.Session != "" {
		e.ctx.lastClient[ev.Session] = ev.Text
		delete(e.diagnosed, ev.Session)
	}
	if ev.Kind == tracer.KindDiagnostic && ev.Session != "" {
		e.diagnosed[ev.Session] = true
	}
	if ev.Kind == tracer.KindData && ev.Dir == tracer.C2S && ev.Session != "" {
		e.ctx.lastData[ev.Session] = ev.Data
	}
	e.replies.feed(ev)
	e.ctx.track(e.tracked, ev)
	s := e.l.Steps[e.step]
	progressed := false
	for i, m := range s.Done {
		if s.InOrder && i > 0 && e.counts[i-1] < s.Done[i-1].need() {
			break
		}
		if e.counts[i] < m.need() && m.match(ev, &e.ctx) {
			e.counts[i]++
			progressed = true
			if m.Remember != "" {
				e.ctx.ids[m.Remember] = ev.MsgID
			}
			if s.InOrder {
				break // one event, one matcher of the sequence
			}
		}
	}
	complete := progressed
	for i, m := range s.Done {
		if e.counts[i] < m.need() {
			complete = false
		}
	}
	if complete {
		done := e.step
		out = append(out, Update{Status: StatusStepDone, Step: done, Title: e.text(s.Title), Text: e.text(s.Explain), Event: ev})
		if ev.Session != "" {
			e.ctx.anchor = ev.Session
		}
		closing = append(closing, e.stepDone[done])
		if done+1 < len(e.l.Steps) {
			e.step = done + 1
			e.counts = make([]int, len(e.l.Steps[e.step].Done))
			out = append(out, e.currentUpdate(e.step))
		} else {
			e.finished = true
			out = append(out, Update{Status: StatusFinished, Step: done, Title: e.l.Title.In(e.opts.Lang), Text: e.text(e.l.Conclusion), Event: ev})
		}
	} else if !progressed {
		// A reply to a command the server diagnosed gets no generic line
		// hint from the shared sets: the diagnostic (and the hint keyed
		// to it) says what went wrong, and a generic hint on the reply
		// could contradict it ("needs a colon and angle brackets" for
		// RCPT TO:<bob>). One reply, one hint. The step's own hints know
		// what the step asks for and still apply.
		generic := !(ev.Dir == tracer.S2C && e.diagnosed[ev.Session])
		if h := e.hintFor(s, ev, generic); h != nil {
			out = append(out, Update{Status: StatusHint, Step: e.step, Title: e.text(s.Title), Text: e.text(h.Text), HintID: h.ID, Event: ev})
		}
	}
	e.ctx.trackAfter(e.tracked, ev)
	if ev.Kind == tracer.KindClose && ev.Session != "" {
		delete(e.diagnosed, ev.Session)
		delete(e.ctx.lastClient, ev.Session)
		delete(e.ctx.lastData, ev.Session)
		for _, m := range e.ctx.inCount {
			delete(m, ev.Session)
		}
		for _, m := range e.ctx.seen {
			delete(m, ev.Session)
		}
	}
	var finished bool
	switch {
	case e.heldFor != "" && e.replies.inReply(e.heldFor):
		// Still in the reply: keep these too, in order.
		e.held = append(e.held, out...)
		e.heldCh = append(e.heldCh, closing...)
		out, closing = nil, nil
	case e.heldFor != "":
		out, closing, finished = e.release(out, closing)
	case len(out) > 0 && e.replies.inReply(e.replies.sessionFor(ev)):
		e.held, e.heldCh, e.heldFor = out, closing, e.replies.sessionFor(ev)
		out, closing = nil, nil
	default:
		finished = e.finished
	}
	e.mu.Unlock()
	e.deliver(out, closing, finished)
}

// release returns the held updates followed by out, and the steps they
// complete, and stops holding. Called with e.mu held.
func (e *Engine) release(out []Update, closing []chan struct{}) ([]Update, []chan struct{}, bool) {
	out = append(e.held, out...)
	closing = append(e.heldCh, closing...)
	e.held, e.heldCh, e.heldFor = nil, nil, ""
	return out, closing, e.finished
}

// deliver saves the progress of the steps done in out, hands out to Notify
// and Publish, then closes the channels of the steps completed (and the
// lesson's when it finished).
func (e *Engine) deliver(out []Update, closing []chan struct{}, finished bool) {
	for _, u := range out {
		if u.Status == StatusStepDone && e.opts.Progress != nil {
			if err := e.opts.Progress.StepDone(e.l.ID, u.Step, len(e.l.Steps)); err != nil {
				e.emit(Update{Status: StatusError, Step: u.Step, Text: e.saveFailed(err)})
			}
		}
		e.emit(u)
	}
	for _, c := range closing {
		close(c)
	}
	if finished && len(out) > 0 && out[len(out)-1].Status == StatusFinished {
		close(e.allDone)
	}
}

// hintFor returns the first hint of the step, then (when generic) of the
// shared sets, that matches ev and has not been shown too often. Called
// with e.mu held.
func (e *Engine) hintFor(s *Step, ev *tracer.Event, generic bool) *Hint {
	try := func(hs []*Hint) *Hint {
		for _, h := range hs {
			if h.When.match(ev, &e.ctx) {
				return h
			}
		}
		return nil
	}
	h := try(s.Hints)
	if h == nil && generic {
		h = try(e.l.hints)
	}
	if h == nil || e.hints[h.ID] >= e.opts.MaxHintRepeats {
		return nil
	}
	e.hints[h.ID]++
	return h
}

// saveFailed says in the lesson's language that the progress could not be
// saved.
func (e *Engine) saveFailed(err error) string {
	var se *SaveError
	if errors.As(err, &se) {
		err = se.Err
	}
	return UI(e.opts.Lang, "save.failed", "err", err.Error())
}

// emit hands an update to Notify and Publish.
func (e *Engine) emit(u Update) {
	u.Steps = len(e.l.Steps)
	if e.opts.Notify != nil {
		e.opts.Notify(u)
	}
	if e.opts.Publish != nil {
		e.opts.Publish(e.LessonEvent(u))
	}
}

// LessonEvent turns an update into a KindLesson trace event. Its Text is
// the update's text in the lesson's language; its Attrs are:
//
//	lesson  the lesson id ("smtp-by-hand")
//	status  started, current, step-done, hint, finished or error
//	step    the 0-based index of the step concerned
//	steps   how many steps the lesson has
//	title   the step's title (the lesson's for started and finished)
//	lang    en or zh
//	hint    the hint's id (hints only)
//	trigger the sequence number of the trace event that caused it, if any
//
// Hints carry the server and session of the event that caused them, so a
// page can draw them beside that session.
func (e *Engine) LessonEvent(u Update) *tracer.Event {
	attrs := map[string]string{
		"lesson": e.l.ID,
		"status": string(u.Status),
		"step":   strconv.Itoa(u.Step),
		"steps":  strconv.Itoa(len(e.l.Steps)),
		"title":  u.Title,
		"lang":   e.opts.Lang,
	}
	ev := &tracer.Event{Kind: tracer.KindLesson, Text: u.Text, Attrs: attrs}
	if u.HintID != "" {
		attrs["hint"] = u.HintID
	}
	if len(u.Titles) > 0 {
		attrs["titles"] = strings.Join(u.Titles, "\n")
	}
	if u.Event != nil {
		if u.Event.Seq != 0 {
			attrs["trigger"] = strconv.FormatUint(u.Event.Seq, 10)
		}
		if u.Status == StatusHint {
			ev.Server, ev.Session, ev.Proto = u.Event.Server, u.Event.Session, u.Event.Proto
		}
	}
	return ev
}
