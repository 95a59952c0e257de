package lessons

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// Matcher selects trace events. Every field that is set must hold; regular
// expressions use Go's syntax (RE2) and are searched, not anchored, unless
// they say ^ or $.
type Matcher struct {
	// Kind is the event kind: line, data, state, queue, lookup, fault,
	// tls, http, note, open, close. It may be left out when Queue, State,
	// Data or ReplyTo imply it.
	Kind   string `yaml:"kind"`
	Server string `yaml:"server"` // A, B
	Proto  string `yaml:"proto"`  // smtp, pop3, imap, http
	Dir    string `yaml:"dir"`    // c2s, s2c
	// Text must match the event's text; TextNot must not.
	Text    string `yaml:"text"`
	TextNot string `yaml:"text_not"`
	// Data must match the bytes of a data event (a message body); DataNot
	// must not.
	Data    string `yaml:"data"`
	DataNot string `yaml:"data_not"`
	// ReplyTo, on a server line, must match the last line the client sent
	// in the same session: "the 501 that answered MAIL".
	ReplyTo    string `yaml:"reply_to"`
	ReplyToNot string `yaml:"reply_to_not"`
	// Explain must match the explanation's catalog key, like
	// ^smtp\.reply\.250\.DATA$.
	Explain string `yaml:"explain"`
	// State is the new state of a state event (case-insensitive).
	State string `yaml:"state"`
	// Queue is a queue event's step, one of tracer.QueueSteps: queued,
	// held, released, attempt, deferred, delivered, delivered-local,
	// bounced, flush, recovered.
	Queue string `yaml:"queue"`
	// Attrs must all equal the event's attributes ("" means present and
	// empty).
	Attrs map[string]string `yaml:"attrs"`
	// Flag must be among the event's flags: bare-lf, 8bit, masked, ...
	Flag string `yaml:"flag"`
	// Relay: true for sessions between two servers (a hop like A->B),
	// false for a person's own sessions.
	Relay *bool `yaml:"relay"`
	// Session is "same" or "other": the event's session compared with the
	// session of the event that completed the previous step.
	Session string `yaml:"session"`
	// Count is how many matching events are needed (default 1).
	Count int `yaml:"count"`
	// InSession N: the event must be at least the Nth event of its session
	// that matches everything else ("a second message in one connection").
	InSession int `yaml:"in_session"`
	// After: the event's session must have had, earlier, an event matching
	// this matcher ("a 235 in a session that went through TLS").
	After *Matcher `yaml:"after"`
	// Any matches when one of its matchers matches (alternatives); the
	// other fields, if set, must hold too.
	Any []*Matcher `yaml:"any"`
	// LastData, on a server line, must match the last message body (data
	// event) the client sent in the same session, and LastDataNot must
	// not: "the 250 that accepted a message with a blank line after its
	// header lines".
	LastData    string `yaml:"last_data"`
	LastDataNot string `yaml:"last_data_not"`
	// Remember NAME: when the matcher counts towards its step, the
	// event's message id (the trace id that follows a message from server
	// to server) is kept under NAME, so that later steps can ask for that
	// message and no other. The event must carry a message id.
	Remember string `yaml:"remember"`
	// Mentions NAME: the event must be about the message remembered under
	// NAME: it carries that message id, or its text or data (a Received:
	// line, a Message-ID: header) contains it. After a resumed lesson the
	// message is not known and any message will do.
	Mentions string `yaml:"mentions"`

	text, textNot, data, dataNot, replyTo, replyToNot, explain, lastData, lastDataNot *regexp.Regexp
}

// matchable are the kinds a matcher may name: not lesson (the engine's
// own) nor skipped (a viewer's loss).
var matchable = []tracer.Kind{tracer.KindLine, tracer.KindData, tracer.KindState, tracer.KindQueue, tracer.KindLookup,
	tracer.KindFault, tracer.KindTLS, tracer.KindHTTP, tracer.KindNote, tracer.KindOpen, tracer.KindClose, tracer.KindDiagnostic}

func (m *Matcher) compile() error { return m.compileIn(false) }

// compileIn compiles the expressions; nested matchers (alternatives under
// Any) may leave the kind to the outer matcher.
func (m *Matcher) compileIn(nested bool) error {
	var errs []error
	re := func(field, s string) *regexp.Regexp {
		if s == "" {
			return nil
		}
		r, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", field, err))
		}
		return r
	}
	m.text = re("text", m.Text)
	m.textNot = re("text_not", m.TextNot)
	m.data = re("data", m.Data)
	m.dataNot = re("data_not", m.DataNot)
	m.replyTo = re("reply_to", m.ReplyTo)
	m.replyToNot = re("reply_to_not", m.ReplyToNot)
	m.explain = re("explain", m.Explain)
	m.lastData = re("last_data", m.LastData)
	m.lastDataNot = re("last_data_not", m.LastDataNot)
	if m.Kind == "" {
		switch {
		case m.Queue != "":
			m.Kind = string(tracer.KindQueue)
		case m.State != "":
			m.Kind = string(tracer.KindState)
		case m.Data != "" || m.DataNot != "":
			m.Kind = string(tracer.KindData)
		case m.ReplyTo != "" || m.ReplyToNot != "":
			m.Kind = string(tracer.KindLine)
		}
	}
	if m.Queue != "" && !tracer.IsQueueStep(m.Queue) {
		errs = append(errs, fmt.Errorf("queue %q unknown: the steps are %s", m.Queue, strings.Join(tracer.QueueSteps(), ", ")))
	}
	if m.Kind != "" {
		if !slices.Contains(matchable, tracer.Kind(m.Kind)) {
			errs = append(errs, fmt.Errorf("kind %q unknown", m.Kind))
		}
	} else if len(m.Any) == 0 && !nested {
		errs = append(errs, errors.New("kind: say which kind of event (line, data, state, queue, ...)"))
	}
	switch m.Dir {
	case "", string(tracer.C2S), string(tracer.S2C):
	default:
		errs = append(errs, fmt.Errorf("dir %q: use c2s or s2c", m.Dir))
	}
	if (m.ReplyTo != "" || m.ReplyToNot != "") && m.Dir == string(tracer.C2S) {
		errs = append(errs, errors.New("reply_to is for server lines (dir s2c)"))
	}
	if (m.LastData != "" || m.LastDataNot != "") && m.Dir == string(tracer.C2S) {
		errs = append(errs, errors.New("last_data is for server lines (dir s2c)"))
	}
	switch m.Session {
	case "", "same", "other":
	default:
		errs = append(errs, fmt.Errorf("session %q: use same or other", m.Session))
	}
	if m.Count < 0 || m.InSession < 0 {
		errs = append(errs, errors.New("count and in_session must be positive"))
	}
	if m.After != nil {
		if err := m.After.compileIn(false); err != nil {
			errs = append(errs, fmt.Errorf("after: %v", err))
		}
	}
	for i, a := range m.Any {
		if a.Count != 0 {
			errs = append(errs, fmt.Errorf("any[%d]: count belongs on the outer matcher", i))
		}
		if err := a.compileIn(true); err != nil {
			errs = append(errs, fmt.Errorf("any[%d]: %v", i, err))
		}
	}
	return errors.Join(errs...)
}

// need is how many events the matcher needs.
func (m *Matcher) need() int {
	if m.Count <= 0 {
		return 1
	}
	return m.Count
}

// matchCtx is what a matcher may compare an event with.
type matchCtx struct {
	lastClient map[string]string // session -> last line the client sent
	lastData   map[string]string // session -> last message body the client sent
	// ids are the message ids remembered by name (Matcher.Remember).
	ids    map[string]string
	anchor string // session that completed the previous step
	// For In_session and After: per matcher and session, how many events
	// matched, and whether the After event was seen.
	inCount map[*Matcher]map[string]int
	seen    map[*Matcher]map[string]bool
	// counting: match everything but InSession (while counting).
	counting bool
}

// track updates the per-session bookkeeping of the matchers that need it,
// before ev is matched: ev counts for InSession.
func (c *matchCtx) track(ms []*Matcher, ev *tracer.Event) {
	if ev.Session == "" {
		return
	}
	for _, m := range ms {
		if m.InSession > 0 {
			c.counting = true
			ok := m.match(ev, c)
			c.counting = false
			if ok {
				if c.inCount[m] == nil {
					c.inCount[m] = map[string]int{}
				}
				c.inCount[m][ev.Session]++
			}
		}
	}
}

// trackAfter records, after ev was matched, the sessions in which the After
// matchers have matched.
func (c *matchCtx) trackAfter(ms []*Matcher, ev *tracer.Event) {
	if ev.Session == "" {
		return
	}
	for _, m := range ms {
		if m.After != nil && m.After.match(ev, c) {
			if c.seen[m] == nil {
				c.seen[m] = map[string]bool{}
			}
			c.seen[m][ev.Session] = true
		}
	}
}

// stateful lists the matchers of l (and its hints) that need per-session
// bookkeeping.
func stateful(l *Lesson) []*Matcher {
	var out []*Matcher
	var walk func(m *Matcher)
	walk = func(m *Matcher) {
		if m == nil {
			return
		}
		if m.InSession > 0 || m.After != nil {
			out = append(out, m)
		}
		for _, a := range m.Any {
			walk(a)
		}
	}
	for _, s := range l.Steps {
		for _, m := range s.Done {
			walk(m)
		}
		for _, h := range s.Hints {
			walk(h.When)
		}
	}
	for _, h := range l.hints {
		walk(h.When)
	}
	return out
}

// Match reports whether ev matches m, given the client's last lines per
// session and the session that completed the previous step.
func (m *Matcher) match(ev *tracer.Event, c *matchCtx) bool {
	if m.Kind != "" && tracer.Kind(m.Kind) != ev.Kind {
		return false
	}
	if m.Server != "" && !strings.EqualFold(m.Server, ev.Server) {
		return false
	}
	if m.Proto != "" && !strings.EqualFold(m.Proto, ev.Proto) {
		return false
	}
	if m.Dir != "" && string(ev.Dir) != m.Dir {
		return false
	}
	if m.Relay != nil && *m.Relay != (ev.Hop != "") {
		return false
	}
	if m.text != nil && !m.text.MatchString(ev.Text) {
		return false
	}
	if m.textNot != nil && m.textNot.MatchString(ev.Text) {
		return false
	}
	if m.data != nil && !m.data.MatchString(ev.Data) {
		return false
	}
	if m.dataNot != nil && m.dataNot.MatchString(ev.Data) {
		return false
	}
	if m.explain != nil && (ev.Explain == nil || !m.explain.MatchString(ev.Explain.Key)) {
		return false
	}
	if m.State != "" && !strings.EqualFold(m.State, ev.To) {
		return false
	}
	if m.Queue != "" && ev.Attrs[tracer.AttrStep] != m.Queue {
		return false
	}
	for k, v := range m.Attrs {
		got, ok := ev.Attrs[k]
		if !ok || got != v {
			return false
		}
	}
	if m.Flag != "" && !ev.HasFlag(tracer.Flag(m.Flag)) {
		return false
	}
	if m.replyTo != nil || m.replyToNot != nil {
		if ev.Dir != tracer.S2C {
			return false
		}
		last, ok := c.lastClient[ev.Session]
		if !ok || m.replyTo != nil && !m.replyTo.MatchString(last) {
			return false
		}
		if m.replyToNot != nil && m.replyToNot.MatchString(last) {
			return false
		}
	}
	// While counting for InSession every reply counts, whatever the body.
	if !c.counting && (m.lastData != nil || m.lastDataNot != nil) {
		if ev.Dir != tracer.S2C {
			return false
		}
		body, ok := c.lastData[ev.Session]
		if !ok || m.lastData != nil && !m.lastData.MatchString(body) {
			return false
		}
		if m.lastDataNot != nil && m.lastDataNot.MatchString(body) {
			return false
		}
	}
	if m.Remember != "" && ev.MsgID == "" {
		return false
	}
	if m.Mentions != "" {
		if id := c.ids[m.Mentions]; id != "" && ev.MsgID != id && !strings.Contains(ev.Data, id) && !strings.Contains(ev.Text, id) {
			return false
		}
	}
	if m.After != nil && !c.seen[m][ev.Session] {
		return false
	}
	if m.InSession > 0 && !c.counting && c.inCount[m][ev.Session] < m.InSession {
		return false
	}
	switch m.Session {
	case "same":
		if ev.Session == "" || ev.Session != c.anchor {
			return false
		}
	case "other":
		if ev.Session == "" || ev.Session == c.anchor {
			return false
		}
	}
	if len(m.Any) > 0 {
		for _, a := range m.Any {
			if a.match(ev, c) {
				return true
			}
		}
		return false
	}
	return true
}
