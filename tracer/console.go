package tracer

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fatih/color"
)

// ConsoleOptions configure a console sink.
type ConsoleOptions struct {
	Color   bool // use ANSI colors
	Explain bool // print the one-line explanation under each line
	Data    bool // print message bodies in full instead of a summary

	// Lang is the language of the console's own words (the label before
	// each kind of event): "en" or "zh", as the instance's --lang. Events
	// carry their text already rendered by the bus.
	Lang string
}

// Console writes events as colored text: one line per event, prefixed by the
// time, server and session, followed by its explanation.
type Console struct {
	w    *bufio.Writer
	opts ConsoleOptions
	ts   []byte // the timestamp's scratch space, reused for every event

	client, s2, s3, s4, s5, data, state, queue, dim, bold, warn paint

	x      *Explainer
	labels map[Kind]string   // "state: ", "状态：", ...
	refs   map[string]string // RFC references said in Chinese, worked out once (zh only)
	codeAt [3]string         // the catalog's console.code around {code} and {text}
}

// labeled are the kinds printed after a label from the catalog
// (console.kind.KIND).
var labeled = []Kind{KindState, KindQueue, KindLookup, KindFault, KindSkipped, KindNote, KindLesson, KindHTTP, KindDiagnostic}

// paint is a color's escape sequences, worked out once, so that printing an
// event writes them around the text without formatting anything.
type paint struct{ pre, suf string }

func newPaint(c *color.Color) paint {
	pre, suf, _ := strings.Cut(c.Sprint("\x00"), "\x00")
	return paint{pre, suf}
}

// put writes text in color p. It is the console's one way to write text:
// each piece goes through Printable, so wire text anywhere in an event (its
// text, its explanation quoting a HELO name or an IMAP command, the server
// or session a lesson update names) cannot drive the terminal; the only raw
// escape sequences written are the console's own colors, around the
// escaped text.
func (c *Console) put(p paint, text ...string) {
	c.w.WriteString(p.pre)
	for _, t := range text {
		c.w.WriteString(Printable(t))
	}
	c.w.WriteString(p.suf)
}

// NewConsole returns a console sink writing to w.
func NewConsole(w io.Writer, opts ConsoleOptions) *Console {
	c := &Console{w: bufio.NewWriterSize(w, 64<<10), opts: opts, x: NewExplainer(opts.Lang), labels: map[Kind]string{}, refs: map[string]string{}}
	for _, k := range labeled {
		c.labels[k] = c.x.Text("console.kind." + string(k))
	}
	pre, rest, _ := strings.Cut(c.x.Text("console.code"), "{code}")
	mid, post, _ := strings.Cut(rest, "{text}")
	c.codeAt = [3]string{pre, mid, post}
	mk := func(a ...color.Attribute) paint {
		k := color.New(a...)
		if opts.Color {
			k.EnableColor()
		} else {
			k.DisableColor()
		}
		return newPaint(k)
	}
	c.client = mk(color.FgCyan, color.Bold)
	c.s2 = mk(color.FgGreen)
	c.s3 = mk(color.FgBlue, color.Bold)
	c.s4 = mk(color.FgYellow)
	c.s5 = mk(color.FgRed, color.Bold)
	c.data = mk(color.FgMagenta)
	c.state = mk(color.FgWhite, color.Bold)
	c.queue = mk(color.FgHiBlue)
	c.dim = mk(color.Faint)
	c.bold = mk(color.Bold)
	c.warn = mk(color.FgHiYellow, color.Bold)
	return c
}

// Run prints events from sub until its channel closes, flushing whenever it
// has caught up.
// consoleLinger is how long Run pauses after writing out what was queued.
const consoleLinger = 5 * time.Millisecond

func (c *Console) Run(sub *Subscription) {
	ch := sub.C()
	for e := range ch {
		c.Print(e)
		if len(ch) == 0 {
			c.w.Flush()
			// Let the next events gather for a moment (invisible to a
			// reader) so that a busy world costs one wake-up and one
			// write per pause rather than one per event.
			time.Sleep(consoleLinger)
		}
	}
	c.w.Flush()
}

// Flush writes out anything buffered.
func (c *Console) Flush() error { return c.w.Flush() }

// Print writes one event.
func (c *Console) Print(e *Event) {
	if e.Kind == KindLesson && e.Attrs[AttrUser] != "" {
		// A class's lessons run on the server, one per student: the
		// console says when a student's step is done or their lesson is
		// finished, in one line, not every student's texts.
		switch e.Attrs["status"] {
		case "step-done", "finished":
		default:
			return
		}
	}
	w := c.w
	w.WriteString(c.dim.pre)
	c.ts = e.Time.AppendFormat(c.ts[:0], "15:04:05.000")
	w.Write(c.ts)
	w.WriteString(c.dim.suf)
	w.WriteByte(' ')
	who := e.Server
	if e.Hop != "" {
		who = e.Hop
	}
	sess, sp := e.Session, ""
	if sess != "" {
		if i := strings.IndexByte(sess, '-'); i >= 0 && e.Server != "" {
			sess = sess[i+1:]
		}
		if who != "" {
			sp = " "
		}
	}
	if who != "" || sess != "" {
		c.put(c.bold, "[", who, sp, sess, "]")
		w.WriteByte(' ')
	}
	switch e.Kind {
	case KindLine:
		if e.Dir == C2S {
			c.put(c.client, "C: ", e.Text)
		} else {
			c.put(c.replyColor(e), "S: ", e.Text)
		}
	case KindData:
		arrow := "C: "
		if e.Dir == S2C {
			arrow = "S: "
		}
		c.put(c.data, arrow, "[", e.Text, "]")
		if c.opts.Data && e.Data != "" {
			for _, l := range strings.SplitAfter(e.Data, "\n") {
				if l == "" {
					continue
				}
				w.WriteString("\n    ")
				c.put(c.data, "| ", strings.TrimRight(l, "\r\n"))
			}
		}
	case KindState:
		c.put(c.state, c.label(e.Kind), c.stateText(e))
	case KindQueue, KindLookup:
		c.put(c.queue, c.label(e.Kind), e.Text)
	case KindSkipped, KindFault, KindDiagnostic:
		c.put(c.warn, c.label(e.Kind), e.Text)
	case KindOpen, KindClose, KindTLS:
		c.put(c.dim, "-- ", e.Text)
	case KindLesson:
		c.lesson(e)
	default:
		c.put(paint{}, c.label(e.Kind), e.Text)
	}
	if len(e.Flags) > 0 {
		w.WriteByte(' ')
		w.WriteString(c.warn.pre)
		w.WriteByte('<')
		for i, f := range e.Flags {
			if i > 0 {
				w.WriteByte(',')
			}
			c.put(paint{}, string(f))
		}
		w.WriteByte('>')
		w.WriteString(c.warn.suf)
	}
	w.WriteByte('\n')
	if c.opts.Explain && e.Explain != nil && e.Explain.Text != "" {
		x := e.Explain
		w.WriteString(c.dim.pre)
		w.WriteString("      ")
		c.put(paint{}, c.ref(x.Text))
		if x.Enh != "" && x.EnhText != "" {
			c.code(x.Enh, c.ref(x.EnhText))
		}
		if x.RFC != "" {
			c.put(paint{}, c.ref(" ("+x.RFC+")"))
		}
		w.WriteString(c.dim.suf)
		w.WriteByte('\n')
	}
}

// lesson writes a lesson update: its text is prose from the lessons'
// catalog, laid out over lines (a step's instruction with the commands to
// type), so its line breaks are kept, each further line indented under
// the first; every other control or bidi character (a tab too, which
// would break the indentation) is still escaped (Printable).
func (c *Console) lesson(e *Event) {
	if u := e.Attrs[AttrUser]; u != "" {
		key := "console.lesson.student.done"
		if e.Attrs["status"] == "finished" {
			key = "console.lesson.student.finished"
		}
		step, _ := strconv.Atoi(e.Attrs["step"])
		// The step's title is in the student's language, not
		// necessarily the console's: the lesson and the numbers only.
		c.put(paint{}, c.label(e.Kind), c.x.Format(M(key, "user", u, "lesson", e.Attrs["lesson"], "step", strconv.Itoa(step+1),
			"steps", e.Attrs["steps"])))
		return
	}
	lines := strings.Split(strings.TrimRight(e.Text, "\n"), "\n")
	c.put(paint{}, c.label(e.Kind))
	for i, l := range lines {
		if i > 0 {
			// A bar marks the lesson's own lines, so that an indented
			// command in its text is not read as an explanation.
			c.w.WriteString("\n    | ")
		}
		c.put(paint{}, strings.TrimRight(l, "\r"))
	}
}

// label is what the console prints before an event of kind k: the
// catalog's word in the console's language, or the kind's name.
// stateText is a state change in the console's language: the states are
// mailscope's names for where a session is (POP3's keep their RFC 1939
// names beside the Chinese), the same names the web page shows.
func (c *Console) stateText(e *Event) string {
	if c.x.Lang() == "en" || e.To == "" {
		return e.Text
	}
	name := func(s string) string {
		k := "web.state." + strings.ReplaceAll(s, " ", "-")
		if t := c.x.Text(k); t != k {
			return t
		}
		return s
	}
	if e.From == "" {
		return name(e.To)
	}
	return name(e.From) + " -> " + name(e.To)
}

func (c *Console) label(k Kind) string {
	if l, ok := c.labels[k]; ok {
		return l
	}
	return string(k) + ": "
}

// code writes a response code (an enhanced status code, an IMAP or POP3
// response code) with what it means, in brackets as the catalog's
// console.code says: [5.1.1 bad destination mailbox address],
// [UIDVALIDITY：...]. A meaning that starts by naming its code again
// ("[AUTH]: the credentials ...") is shown once.
func (c *Console) code(code, text string) {
	if len(text) > len(code)+2 && text[0] == '[' && strings.HasPrefix(text[1:], code) && text[1+len(code)] == ']' {
		text = strings.TrimLeft(text[len(code)+2:], ":： ")
	}
	c.put(paint{}, " ", c.codeAt[0], code, c.codeAt[1], text, c.codeAt[2])
}

// rfcRefs are RFC references as the catalogs write them: one bare
// ("RFC 5321 section 4.1.1.1"), and a list of them in parentheses
// (" (RFC 9051 section 7.1.5, RFC 7888)").
var (
	rfcRef = regexp.MustCompile(`RFC ([0-9]+) section ([0-9.]*[0-9])`)
	// rfcRefs finds a parenthesized citation list, its sections written
	// either way (the zh explainer already says 第 N 节).
	rfcRefs = regexp.MustCompile(` ?\((RFC [0-9]+(?: section [0-9.]*[0-9]| 第 [0-9.]*[0-9] 节)?(?:(?:, |，)RFC [0-9]+(?: section [0-9.]*[0-9]| 第 [0-9.]*[0-9] 节)?)*)\)`)
)

// ref says the RFC references in s in the console's language: in Chinese
// "（RFC 9051 第 7.1.5 节，RFC 7888）" for " (RFC 9051 section 7.1.5, RFC
// 7888)", as the course writes them; in English s as it is.
func (c *Console) ref(s string) string {
	if c.x.Lang() != "zh" || !strings.Contains(s, "RFC ") {
		return s
	}
	if r, ok := c.refs[s]; ok {
		return r
	}
	r := rfcRefs.ReplaceAllStringFunc(s, func(m string) string {
		m = strings.TrimPrefix(strings.TrimPrefix(m, " "), "(")
		return "（" + strings.ReplaceAll(strings.TrimSuffix(m, ")"), ", ", "，") + "）"
	})
	r = rfcRef.ReplaceAllString(r, "RFC $1 第 $2 节")
	if len(c.refs) < 1024 {
		c.refs[s] = r
	}
	return r
}

func (c *Console) replyColor(e *Event) paint {
	t := e.Text
	switch {
	case strings.HasPrefix(t, "+OK"), strings.HasPrefix(t, "+ "):
		return c.s2
	case strings.HasPrefix(t, "-ERR"):
		return c.s5
	}
	if e.Explain != nil && e.Explain.Class != "" {
		switch e.Explain.Class[0] {
		case '2':
			return c.s2
		case '3':
			return c.s3
		case '4':
			return c.s4
		case '5':
			return c.s5
		}
	}
	if len(t) > 0 {
		switch t[0] {
		case '2':
			return c.s2
		case '3':
			return c.s3
		case '4':
			return c.s4
		case '5':
			return c.s5
		}
	}
	// IMAP: tagged NO/BAD in red, the rest green.
	if f := strings.Fields(t); len(f) > 1 && (f[1] == "NO" || f[1] == "BAD") {
		return c.s5
	}
	return c.s2
}

// Printable escapes what could drive or deceive a terminal, so that wire
// text is shown, not obeyed: C0 controls (an ESC sequence that clears the
// screen, BEL, NUL; also tab, CR and LF), DEL, C1 controls, bytes that are
// not UTF-8, and the invisible bidirectional controls (U+202A-U+202E,
// U+2066-U+2069, the marks U+200E, U+200F, U+061C) and line separators
// (U+2028, U+2029), with which a HELO name could reverse or hide the text
// printed after it ("Trojan Source", CVE-2021-42574). Each is written as a
// fixed-width escape: \x1b, \u0085, \u202e. It is the one function through
// which the console (and every other printer of trace text) puts text on a
// terminal; text without such characters is returned as is.
func Printable(s string) string {
	i := firstUnprintable(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for j, r := range s[i:] {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i+j:], "\uFFFD"):
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i+j]))
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case unprintable(r):
			b.WriteString(`\u`)
			b.WriteString(hex2(byte(r >> 8)))
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// PrintableText is Printable for prose that a printer lays out over lines
// (a lesson's step, a hint, the demo's notes): line breaks and tabs are
// kept, everything else Printable escapes is escaped.
func PrintableText(s string) string {
	if firstUnprintable(s) < 0 {
		return s
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, part := range strings.Split(line, "\t") {
			if j > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(Printable(part))
		}
	}
	return b.String()
}

// firstUnprintable returns the index of the first octet of s that Printable
// escapes, or -1.
func firstUnprintable(s string) int {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || unprintable(r) {
			return i
		}
		i += n
	}
	return -1
}

// unprintable reports whether r (not ASCII) must be escaped: a C1 control,
// a bidirectional control or mark (Unicode Standard Annex #9, sections 2.1
// to 2.6), or a line or paragraph separator.
func unprintable(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x2028 && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// hex2 is c in two hex digits: Printable's escapes have a fixed width, so
// that NUL followed by "1" reads \x001, not the \x01 of another byte.
func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
