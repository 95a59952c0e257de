package tracer

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fatih/color"
)

// ConsoleOptions configure a console sink.
type ConsoleOptions struct {
	Color   bool // use ANSI colors
	Explain bool // print the one-line explanation under each line
	Data    bool // print message bodies in full instead of a summary
}

// Console writes events as colored text: one line per event, prefixed by the
// time, server and session, followed by its explanation.
type Console struct {
	w    *bufio.Writer
	opts ConsoleOptions

	client, s2, s3, s4, s5, data, state, queue, dim, bold, warn paint
}

// paint is a color's escape sequences, worked out once, so that printing an
// event writes them around the text without formatting anything.
type paint struct{ pre, suf string }

func newPaint(c *color.Color) paint {
	pre, suf, _ := strings.Cut(c.Sprint("\x00"), "\x00")
	return paint{pre, suf}
}

// put writes text in color p.
func (c *Console) put(p paint, text ...string) {
	c.w.WriteString(p.pre)
	for _, t := range text {
		c.w.WriteString(t)
	}
	c.w.WriteString(p.suf)
}

// NewConsole returns a console sink writing to w.
func NewConsole(w io.Writer, opts ConsoleOptions) *Console {
	c := &Console{w: bufio.NewWriterSize(w, 64<<10), opts: opts}
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
	w := c.w
	var ts [len("15:04:05.000")]byte
	w.WriteString(c.dim.pre)
	w.Write(e.Time.AppendFormat(ts[:0], "15:04:05.000"))
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
			c.put(c.client, "C: ", Printable(e.Text))
		} else {
			c.put(c.replyColor(e), "S: ", Printable(e.Text))
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
				c.put(c.data, "| "+Printable(strings.TrimRight(l, "\r\n")))
			}
		}
	case KindState:
		c.put(c.state, "state: ", e.Text)
	case KindQueue, KindLookup:
		c.put(c.queue, string(e.Kind), ": ", Printable(e.Text))
	case KindSkipped, KindFault:
		c.put(c.warn, string(e.Kind), ": ", e.Text)
	case KindOpen, KindClose, KindTLS:
		c.put(c.dim, "-- ", Printable(e.Text))
	default:
		w.WriteString(string(e.Kind) + ": " + Printable(e.Text))
	}
	if len(e.Flags) > 0 {
		fs := make([]string, len(e.Flags))
		for i, f := range e.Flags {
			fs[i] = string(f)
		}
		w.WriteByte(' ')
		c.put(c.warn, "<"+strings.Join(fs, ",")+">")
	}
	w.WriteByte('\n')
	if c.opts.Explain && e.Explain != nil && e.Explain.Text != "" {
		x := e.Explain
		w.WriteString(c.dim.pre)
		w.WriteString("      ")
		w.WriteString(x.Text)
		if x.Enh != "" && x.EnhText != "" {
			w.WriteString(" [")
			w.WriteString(x.Enh)
			w.WriteByte(' ')
			w.WriteString(x.EnhText)
			w.WriteByte(']')
		}
		if x.RFC != "" {
			w.WriteString(" (")
			w.WriteString(x.RFC)
			w.WriteByte(')')
		}
		w.WriteString(c.dim.suf)
		w.WriteByte('\n')
	}
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

// Printable escapes control characters so that wire text cannot drive the
// terminal (an ESC sequence from a hostile client is shown, not obeyed).
func Printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f || b == 0xc2 { // 0xc2 starts the C1 controls U+0080-U+009F
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case r >= 0x80 && r < 0xa0:
			b.WriteString(`\u00`)
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Recorder writes events as JSON Lines, one object per event.
type Recorder struct {
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
}

// NewRecorder returns a recorder writing to w.
func NewRecorder(w io.Writer) *Recorder {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &Recorder{w: bw, enc: json.NewEncoder(bw)}
}

// Write records one event.
func (r *Recorder) Write(e *Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enc.Encode(e)
}

// Run records events from sub until its channel closes, flushing whenever it
// has caught up.
func (r *Recorder) Run(sub *Subscription) error {
	ch := sub.C()
	var firstErr error
	for e := range ch {
		if err := r.Write(e); err != nil && firstErr == nil {
			firstErr = err
		}
		if len(ch) == 0 {
			r.Flush()
		}
	}
	if err := r.Flush(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// Flush writes out anything buffered.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.Flush()
}

// ReadJSONL reads recorded events from r, calling fn for each.
func ReadJSONL(r io.Reader, fn func(*Event) error) error {
	dec := json.NewDecoder(r)
	for {
		var e Event
		if err := dec.Decode(&e); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// hex2 is c in two hex digits: Printable's escapes have a fixed width, so
// that NUL followed by "1" reads \x001, not the \x01 of another byte.
func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
