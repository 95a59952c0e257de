// Package lessons holds mailscope's guided lessons and the engine that runs
// them.
//
// A lesson is a YAML file under content/ (embedded with go:embed): an id,
// a title and texts in English and Simplified Chinese, and steps. Each step
// has an instruction, the example commands a demo types (which server and
// protocol to connect to, what to send), matchers that say which trace
// events complete it, hints keyed to likely mistakes, and an explanation
// shown when it completes. Adding a lesson means adding a file; Load
// validates every file (known fields only, regular expressions compile,
// demo sessions are opened before they are used, placeholders are known),
// and MissingTexts lists the texts missing in a language, which a test
// checks for every lesson.
//
// The Engine consumes tracer events, from a bus subscription or from the web
// timeline's websocket, and ticks steps; it matches the trace (server,
// protocol, direction, text, state, queue step), never the keyboard. The
// Player plays a lesson's example commands over real TCP connections, typing
// like a person, for instructors' demos and for the tests.
//
// The protocols the lessons teach are those of the servers: SMTP (RFC 5321,
// with RFC 1985 ETRN, RFC 4865 FUTURERELEASE, RFC 3207 STARTTLS, RFC 4954
// AUTH), the message format (RFC 5322, MIME RFC 2045-2049), POP3 (RFC 1939)
// and IMAP (RFC 9051), and HTTP (RFC 9110) as the webmail's access protocol.
package lessons

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed content/*.yaml
var contentFS embed.FS

// Langs are the languages every lesson text comes in.
var Langs = []string{"en", "zh"}

// Text is a string in every language of the course.
type Text struct {
	En string `yaml:"en" json:"en"`
	Zh string `yaml:"zh" json:"zh"`
}

// In returns the text in lang ("zh" or anything else for English), falling
// back to English.
func (t Text) In(lang string) string {
	if lang == "zh" && t.Zh != "" {
		return t.Zh
	}
	return t.En
}

// IsZero reports whether the text is missing in every language.
func (t Text) IsZero() bool { return t.En == "" && t.Zh == "" }

// Lesson is one guided lesson.
type Lesson struct {
	ID         string `yaml:"id"`
	Order      int    `yaml:"order"`
	Title      Text   `yaml:"title"`
	Summary    Text   `yaml:"summary"`    // shown before step 1
	Conclusion Text   `yaml:"conclusion"` // shown when every step is done
	// HintSets names shared hint sets (content/hints.yaml) that apply in
	// every step, after the step's own hints.
	HintSets []string `yaml:"hint_sets"`
	// Vars are default values of ${name} placeholders in demo commands
	// (for example how many seconds HOLDFOR waits); a demo may override them.
	Vars  map[string]string `yaml:"vars"`
	Steps []*Step           `yaml:"steps"`

	// File is the content file the lesson came from.
	File string `yaml:"-"`
	// hints are the resolved shared hints.
	hints []*Hint
}

// Step is one thing the student does.
type Step struct {
	Title       Text `yaml:"title"`
	Instruction Text `yaml:"instruction"`
	// Explain is shown when the step completes: what just happened.
	Explain Text `yaml:"explain"`
	// Demo are the example commands, in order, that complete the step.
	Demo []*Command `yaml:"demo"`
	// Done lists the matchers that complete the step: every one of them
	// must match (each Count times), in any order, while the step is the
	// current one.
	Done []*Matcher `yaml:"done"`
	// InOrder: the done matchers must match in the order listed (each
	// counts only once the ones before it are complete): "a delivery after
	// the flush that ETRN started", where any order would also take a
	// delivery that came before.
	InOrder bool `yaml:"in_order"`
	// Hints are tried, in order, on every event that does not complete the
	// step; the first that matches is shown.
	Hints []*Hint `yaml:"hints"`
}

// Hint is advice keyed to a likely mistake: when an event matches, the text
// is shown.
type Hint struct {
	ID   string   `yaml:"id"`
	When *Matcher `yaml:"when"`
	Text Text     `yaml:"text"`
}

// Command is one action of a demo: open a client session, send a line (or
// several, like a message body), read a reply, upgrade to TLS, or act on the
// world like an instructor would from a second terminal (a fault, a flush).
type Command struct {
	// Session names the client connection; the first command of a session
	// names its Server and Proto and opens it.
	Session string `yaml:"session"`
	Server  string `yaml:"server"` // A, B (for http: the server whose mailboxes the webmail reads)
	Proto   string `yaml:"proto"`  // smtp, pop3, imap, http
	// Send is what is typed; several lines are sent one after another and
	// then one reply is read (a message body ending with ".", an HTTP
	// request). Empty: only read (a greeting, or a line awaited with Until).
	Send string `yaml:"send"`
	// Until is a regular expression on a received line that ends the
	// reading; the default is the protocol's end of reply.
	Until string `yaml:"until"`
	// Paste sends the lines without typing them one character at a time.
	Paste bool `yaml:"paste"`
	// StartTLS upgrades the connection to TLS after the reply is read.
	StartTLS bool `yaml:"starttls"`
	// Capture stores the last match of group 1 of each regular expression
	// in the reply as a variable for later ${name} placeholders.
	Capture map[string]string `yaml:"capture"`
	// Show, for HTTP, keeps only the body lines that match it.
	Show string `yaml:"show"`
	// Control acts on the world: "fault" (Server, Fault) or "flush" (Domain).
	Control string `yaml:"control"`
	Fault   string `yaml:"fault"`
	Domain  string `yaml:"domain"`
	// Note is said before the command.
	Note Text `yaml:"note"`
	// If makes the command conditional: it is played only when a line of
	// the last reply its session received matches (a demo that must also
	// work on a world where an earlier run left its traces: clear \Seen
	// only when the FETCH showed it).
	If string `yaml:"if"`

	until   *regexp.Regexp
	cond    *regexp.Regexp
	show    *regexp.Regexp
	capture map[string]*regexp.Regexp
}

// Lines returns the lines of Send.
func (c *Command) Lines() []string {
	s := strings.TrimSuffix(c.Send, "\n")
	if s == "" && c.Send == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Set is the loaded lessons, in order.
type Set struct {
	Lessons  []*Lesson
	HintSets map[string][]*Hint
}

// Get returns the lesson with id, or nil.
func (s *Set) Get(id string) *Lesson {
	for _, l := range s.Lessons {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// IDs lists the lesson ids in order.
func (s *Set) IDs() []string {
	var ids []string
	for _, l := range s.Lessons {
		ids = append(ids, l.ID)
	}
	return ids
}

// hintsFile is the shared hints file.
const hintsFile = "hints.yaml"

// Load reads and validates the embedded lessons.
func Load() (*Set, error) {
	sub, err := fs.Sub(contentFS, "content")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// LoadFS reads and validates lessons from the *.yaml files of fsys; the file
// hints.yaml holds the shared hint sets.
func LoadFS(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	set := &Set{HintSets: map[string][]*Hint{}}
	var errs []error
	if b, err := fs.ReadFile(fsys, hintsFile); err == nil {
		var f struct {
			Sets map[string][]*Hint `yaml:"sets"`
		}
		if err := decodeStrict(b, &f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", hintsFile, err))
		}
		for name, hs := range f.Sets {
			for i, h := range hs {
				if err := h.compile(); err != nil {
					errs = append(errs, fmt.Errorf("%s: sets.%s[%d]: %w", hintsFile, name, i, err))
				}
			}
			set.HintSets[name] = hs
		}
	}
	seen := map[string]string{}
	for _, name := range names {
		if name == hintsFile {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l, err := Parse(name, b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, ok := seen[l.ID]; ok {
			errs = append(errs, fmt.Errorf("%s: id %q is already used by %s", name, l.ID, prev))
			continue
		}
		seen[l.ID] = name
		for _, hs := range l.HintSets {
			h, ok := set.HintSets[hs]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: hint_sets: no set %q in %s", name, hs, hintsFile))
			}
			l.hints = append(l.hints, h...)
		}
		set.Lessons = append(set.Lessons, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(set.Lessons, func(i, j int) bool {
		if set.Lessons[i].Order != set.Lessons[j].Order {
			return set.Lessons[i].Order < set.Lessons[j].Order
		}
		return set.Lessons[i].ID < set.Lessons[j].ID
	})
	return set, nil
}

func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

var (
	lessonID    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)
	placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.]+)\}`)
)

// Parse reads and validates one lesson file; name is used in errors.
func Parse(name string, b []byte) (*Lesson, error) {
	l := &Lesson{}
	if err := decodeStrict(b, l); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l.File = path.Base(name)
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// validate compiles the matchers and checks the structure of a lesson (the
// language check is MissingTexts, so that a test can list every gap).
func (l *Lesson) validate() error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !lessonID.MatchString(l.ID) {
		fail("id %q: use lower-case letters, digits and dashes", l.ID)
	}
	if l.Title.IsZero() {
		fail("title is missing")
	}
	if len(l.Steps) == 0 {
		fail("no steps")
	}
	sessions := map[string]string{} // session -> proto
	captured := map[string]bool{}
	for k := range l.Vars {
		captured[k] = true
	}
	remembered := map[string]bool{}
	for i, s := range l.Steps {
		where := fmt.Sprintf("steps[%d]", i)
		for _, m := range s.Done {
			walkMatchers(m, func(m *Matcher) {
				if m.Remember != "" {
					remembered[m.Remember] = true
				}
			})
		}
		check := func(what string, m *Matcher) {
			walkMatchers(m, func(m *Matcher) {
				if m.Mentions != "" && !remembered[m.Mentions] {
					fail("%s.%s: mentions %q, which no step up to this one remembers", where, what, m.Mentions)
				}
			})
		}
		for j, m := range s.Done {
			check(fmt.Sprintf("done[%d]", j), m)
		}
		for j, h := range s.Hints {
			check(fmt.Sprintf("hints[%d]", j), h.When)
		}
		if len(s.Done) == 0 {
			fail("%s: no done matchers: nothing would complete the step", where)
		}
		for j, m := range s.Done {
			if err := m.compile(); err != nil {
				fail("%s.done[%d]: %v", where, j, err)
			}
		}
		for j, h := range s.Hints {
			if err := h.compile(); err != nil {
				fail("%s.hints[%d]: %v", where, j, err)
			}
		}
		for j, c := range s.Demo {
			if err := c.compile(sessions); err != nil {
				fail("%s.demo[%d]: %v", where, j, err)
			}
			for _, text := range []string{c.Send, c.Domain} {
				for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
					if !captured[m[1]] && !isAddrPlaceholder(m[1]) {
						fail("%s.demo[%d]: ${%s} is neither a lesson var, a capture before it nor an address", where, j, m[1])
					}
				}
			}
			for k := range c.Capture {
				captured[k] = true
			}
		}
		for _, t := range []Text{s.Title, s.Instruction, s.Explain} {
			for _, lang := range Langs {
				for _, m := range placeholder.FindAllStringSubmatch(t.In(lang), -1) {
					if !isAddrPlaceholder(m[1]) {
						fail("%s: ${%s} in a text: only addresses (${A.smtp}, ${web}, ...) may be used in texts", where, m[1])
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

// walkMatchers calls fn on m and on every matcher inside it.
func walkMatchers(m *Matcher, fn func(*Matcher)) {
	if m == nil {
		return
	}
	fn(m)
	walkMatchers(m.After, fn)
	for _, a := range m.Any {
		walkMatchers(a, fn)
	}
}

// isAddrPlaceholder reports whether name is an address placeholder:
// SERVER.PROTO (telnet form "host port"), SERVER.PROTO.addr ("host:port"),
// SERVER.PROTO.host, SERVER.PROTO.port, web (a URL), web.addr, web.host,
// web.port.
func isAddrPlaceholder(name string) bool {
	parts := strings.Split(name, ".")
	if parts[0] == "web" {
		return len(parts) == 1 || len(parts) == 2 && (parts[1] == "addr" || parts[1] == "host" || parts[1] == "port")
	}
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	switch parts[1] {
	case "smtp", "pop3", "imap":
	default:
		return false
	}
	return len(parts) == 2 || parts[2] == "addr" || parts[2] == "host" || parts[2] == "port"
}

var protos = map[string]bool{"smtp": true, "pop3": true, "imap": true, "http": true}

func (c *Command) compile(sessions map[string]string) error {
	var err error
	if c.Until != "" {
		if c.until, err = regexp.Compile(c.Until); err != nil {
			return fmt.Errorf("until: %v", err)
		}
	}
	if c.If != "" {
		if c.cond, err = regexp.Compile(c.If); err != nil {
			return fmt.Errorf("if: %v", err)
		}
	}
	if c.Show != "" {
		if c.show, err = regexp.Compile(c.Show); err != nil {
			return fmt.Errorf("show: %v", err)
		}
	}
	for k, v := range c.Capture {
		re, err := regexp.Compile(v)
		if err != nil {
			return fmt.Errorf("capture %s: %v", k, err)
		}
		if re.NumSubexp() < 1 {
			return fmt.Errorf("capture %s: the expression needs a group: (...)", k)
		}
		if c.capture == nil {
			c.capture = map[string]*regexp.Regexp{}
		}
		c.capture[k] = re
	}
	if c.Note.En != "" || c.Note.Zh != "" {
		if c.Note.En == "" || c.Note.Zh == "" {
			return errors.New("note: give it in en and zh")
		}
	}
	switch c.Control {
	case "":
	case "fault":
		if c.Server == "" {
			return errors.New("control fault needs a server")
		}
		if c.Fault == "" {
			return errors.New("control fault needs fault: down, up, greylist, slow, quota, reject, hold or clear")
		}
		return nil
	case "flush":
		return nil
	default:
		return fmt.Errorf("control %q: use fault or flush", c.Control)
	}
	if c.Session == "" {
		return errors.New("session: name the client session")
	}
	proto, open := sessions[c.Session]
	if !open {
		if c.Server == "" || !protos[c.Proto] {
			return fmt.Errorf("session %q is new: give its server and proto (smtp, pop3, imap, http)", c.Session)
		}
		sessions[c.Session] = c.Proto
		proto = c.Proto
	} else if c.Proto != "" && c.Proto != proto {
		return fmt.Errorf("session %q is %s, not %s", c.Session, proto, c.Proto)
	}
	if c.StartTLS && proto == "http" {
		return errors.New("starttls: not for http")
	}
	return nil
}

// Expand replaces ${name} placeholders with vars; unknown names stay. A
// text of several lines that lays out columns with spaces keeps them
// aligned (expandAligned): "telnet ${A.pop3}" grows by six columns when
// it becomes "telnet 127.0.0.1 10110", and the column beside it must not.
func Expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	expand := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := vars[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	if strings.Contains(s, "\n") {
		return expandAligned(s, expand)
	}
	return expand(s)
}

// MissingTexts lists every text of the lesson (and of its shared hints)
// that is empty in some language, as "steps[2].explain: zh".
func (l *Lesson) MissingTexts() []string {
	var out []string
	check := func(where string, t Text) {
		if t.En == "" {
			out = append(out, where+": en")
		}
		if t.Zh == "" {
			out = append(out, where+": zh")
		}
	}
	check("title", l.Title)
	check("summary", l.Summary)
	check("conclusion", l.Conclusion)
	for i, s := range l.Steps {
		w := fmt.Sprintf("steps[%d]", i)
		check(w+".title", s.Title)
		check(w+".instruction", s.Instruction)
		check(w+".explain", s.Explain)
		for j, h := range s.Hints {
			check(fmt.Sprintf("%s.hints[%d] (%s)", w, j, h.ID), h.Text)
		}
	}
	for _, h := range l.hints {
		check("shared hint "+h.ID, h.Text)
	}
	return out
}

func (h *Hint) compile() error {
	if h.ID == "" {
		return errors.New("hint without an id")
	}
	if h.When == nil {
		return fmt.Errorf("hint %s: no when", h.ID)
	}
	if err := h.When.compile(); err != nil {
		return fmt.Errorf("hint %s: %v", h.ID, err)
	}
	return nil
}
