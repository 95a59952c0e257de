package tracer

import (
	"bytes"
	"encoding/binary"
)

// maxShownLine is how many octets of one line an event carries. Longer lines
// are still counted (and flagged too-long) but their text is cut.
const maxShownLine = 4096

// rawLine is one line cut from the wire.
type rawLine struct {
	text   []byte // without the line ending, at most maxShownLine octets
	wire   int    // octets on the wire including the line ending
	bareLF bool   // ended in LF without CR
	noEnd  bool   // no line ending at all: the connection closed in the middle of the line
	bareCR bool   // a CR inside the line
	eight  bool   // a byte >= 0x80
	nul    bool   // a NUL byte
	cut    bool   // text was cut at maxShownLine
}

// flags returns the flags the line deserves; eightBitOK suppresses Flag8Bit.
func (l *rawLine) flags(eightBitOK bool) []Flag {
	var f []Flag
	if l.bareLF {
		f = append(f, FlagBareLF)
	}
	if l.bareCR {
		f = append(f, FlagBareCR)
	}
	if l.eight && !eightBitOK {
		f = append(f, Flag8Bit)
	}
	if l.nul {
		f = append(f, FlagNUL)
	}
	if l.cut {
		f = append(f, FlagTooLong)
	}
	return f
}

// clone returns a copy that owns its text.
func (l rawLine) clone() rawLine {
	l.text = append([]byte(nil), l.text...)
	return l
}

// splitter cuts a byte stream into lines ending in LF, keeping at most
// maxShownLine octets of each so that a hostile peer cannot grow it.
type splitter struct {
	partial []byte
	wire    int
	cut     bool
	last    byte // the last octet of the partial line on the wire, kept when its text is cut
}

// take consumes bytes from p up to and including the next LF. It returns the
// line and the unconsumed rest; ok is false when p held no LF (the bytes are
// kept as a partial line).
func (s *splitter) take(p []byte) (line rawLine, rest []byte, ok bool) {
	i := bytes.IndexByte(p, '\n')
	if i >= 0 && s.wire == 0 {
		// The whole line is in p (the common case): look at it where it
		// is instead of copying it first. Its text is valid, like a
		// buffered line's, until the next call.
		return examine(p[:i+1], i+1, false, true), p[i+1:], true
	}
	chunk := p
	if i >= 0 {
		chunk = p[:i+1]
		rest = p[i+1:]
	}
	s.wire += len(chunk)
	if room := maxShownLine + 2 - len(s.partial); room > 0 {
		if len(chunk) > room {
			s.partial = append(s.partial, chunk[:room]...)
			s.cut = true
		} else {
			s.partial = append(s.partial, chunk...)
		}
	} else {
		s.cut = true
	}
	if i < 0 {
		s.last = chunk[len(chunk)-1]
		return rawLine{}, nil, false
	}
	// How the line ended, from the wire rather than the kept text, which
	// lacks the ending when it was cut: SMTP decides from it where a
	// message ends.
	cr := i > 0 && p[i-1] == '\r' || i == 0 && s.last == '\r'
	line = s.finish(true)
	line.bareLF = !cr
	return line, rest, true
}

// pending reports whether a partial line is buffered.
func (s *splitter) pending() bool { return s.wire > 0 }

// finish turns the buffered bytes into a line; lf says whether it ended in LF.
func (s *splitter) finish(lf bool) rawLine {
	l := examine(s.partial, s.wire, s.cut, lf)
	s.partial = s.partial[:0]
	s.wire = 0
	s.cut = false
	s.last = 0
	return l
}

// examine describes the line t (wire octets on the wire, cut if its text was
// already cut; lf if it ended in LF), flagging what a lesson may point at.
func examine(t []byte, wire int, cut, lf bool) rawLine {
	l := rawLine{wire: wire, cut: cut, noEnd: !lf}
	if lf && len(t) > 0 && t[len(t)-1] == '\n' {
		t = t[:len(t)-1]
		if len(t) > 0 && t[len(t)-1] == '\r' {
			t = t[:len(t)-1]
		} else {
			l.bareLF = true
		}
	}
	if len(t) > maxShownLine {
		t = t[:maxShownLine]
		l.cut = true
	}
	l.bareCR = bytes.IndexByte(t, '\r') >= 0
	l.nul = bytes.IndexByte(t, 0) >= 0
	l.eight = has8Bit(t)
	l.text = t
	return l
}

// has8Bit reports whether t holds a byte >= 0x80, eight bytes at a time.
func has8Bit(t []byte) bool {
	for len(t) >= 8 {
		if binary.LittleEndian.Uint64(t)&0x8080808080808080 != 0 {
			return true
		}
		t = t[8:]
	}
	for _, c := range t {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// dataAcc summarizes a message body (or a literal) as it streams past.
type dataAcc struct {
	size, lines                      int
	dotStuffed, bareLF, bareCR, long int
	eight, nul                       int
	preview                          []byte
	lineByLine                       bool // a run of lines was not plain: no more bulk (addBulk) for this body
	// midLine says the last line taken did not end a line in the sender's
	// terms (SMTP: a bare LF from a client that ends its lines with CRLF),
	// so the next one does not begin one. Its framer sets it; addBulk,
	// which takes CRLF lines only, clears it.
	midLine bool
}

func (d *dataAcc) reset() { *d = dataAcc{preview: d.preview[:0]} }

func (d *dataAcc) addBytes(p []byte) {
	d.size += len(p)
	if room := MaxDataPreview - len(d.preview); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		d.preview = append(d.preview, p...)
	}
}

// addBulk records the whole body lines at the start of p that need no closer
// look, in one pass over the bytes instead of one call per line: it stops
// before the line holding only "." (the end of the body, for the framer to
// see) and before a partial last line. It returns how many octets it took.
// The lines must be plain, as nearly all are: CRLF endings only, no NUL, no
// 8-bit byte, none over 1000 octets. If a run is not, it takes nothing and
// the rest of this body goes line by line (addLine), which counts exactly
// which lines are unusual.
func (d *dataAcc) addBulk(p []byte) int {
	if d.lineByLine {
		return 0
	}
	end := bytes.LastIndexByte(p, '\n') + 1
	run := p[:end]
	if bytes.HasPrefix(run, dotLine) {
		return 0
	}
	if i := bytes.Index(run, crlfDotLine); i >= 0 {
		run = run[:i+2]
	}
	if len(run) == 0 {
		return 0
	}
	n := bytes.Count(run, lf)
	if bytes.Count(run, crlf) != n || bytes.Count(run, cr) != n || bytes.IndexByte(run, 0) >= 0 || has8Bit(run) {
		d.lineByLine = true
		return 0
	}
	for rest := run; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i >= 1000 { // 1000 octets with the CRLF (RFC 5321 section 4.5.3.1.6)
			d.lineByLine = true
			return 0
		}
		rest = rest[i+1:]
	}
	d.lines += n
	d.size += len(run)
	d.midLine = false
	d.dotStuffed += bytes.Count(run, lfDot)
	if run[0] == '.' {
		d.dotStuffed++
	}
	if room := MaxDataPreview - len(d.preview); room > 0 {
		d.preview = append(d.preview, run[:min(room, len(run))]...)
	}
	return len(run)
}

var (
	lf          = []byte("\n")
	cr          = []byte("\r")
	crlf        = []byte("\r\n")
	lfDot       = []byte("\n.")
	dotLine     = []byte(".\r\n")
	crlfDotLine = []byte("\r\n.\r\n")
)

// addLine records one body line as it appeared on the wire.
func (d *dataAcc) addLine(l *rawLine) {
	d.lines++
	d.size += l.wire
	if len(l.text) > 0 && l.text[0] == '.' && !d.midLine {
		d.dotStuffed++ // a dot after a bare LF inside a line is not stuffing
	}
	if l.bareLF {
		d.bareLF++
	}
	if l.bareCR {
		d.bareCR++
	}
	if l.eight {
		d.eight++
	}
	if l.nul {
		d.nul++
	}
	if l.cut || l.wire > 1000 {
		d.long++
	}
	if room := MaxDataPreview - len(d.preview); room > 0 {
		b := l.text
		if len(b) > room {
			b = b[:room]
		}
		d.preview = append(d.preview, b...)
		if l.bareLF {
			d.preview = append(d.preview, '\n')
		} else {
			d.preview = append(d.preview, '\r', '\n')
		}
		d.preview = d.preview[:min(len(d.preview), MaxDataPreview)]
	}
}

// event builds the data event for the accumulated body.
func (d *dataAcc) event(dir Dir, msg *Msg, eightBitOK bool) *Event {
	e := &Event{Kind: KindData, Dir: dir, Msg: msg, Text: english.Format(msg), Size: d.size, Lines: d.lines, Data: string(d.preview)}
	attrs := map[string]string{}
	if d.dotStuffed > 0 {
		e.Flags = append(e.Flags, FlagDotStuffed)
		attrs["dot_stuffed_lines"] = itoa(d.dotStuffed)
	}
	if d.bareLF > 0 {
		e.Flags = append(e.Flags, FlagBareLF)
		attrs["bare_lf_lines"] = itoa(d.bareLF)
	}
	if d.bareCR > 0 {
		e.Flags = append(e.Flags, FlagBareCR)
		attrs["bare_cr_lines"] = itoa(d.bareCR)
	}
	if d.eight > 0 {
		if !eightBitOK {
			e.Flags = append(e.Flags, Flag8Bit)
		}
		attrs["8bit_lines"] = itoa(d.eight)
	}
	if d.nul > 0 {
		e.Flags = append(e.Flags, FlagNUL)
	}
	if d.long > 0 {
		e.Flags = append(e.Flags, FlagTooLong)
		attrs["long_lines"] = itoa(d.long)
	}
	if d.size > len(d.preview) {
		attrs["preview_cut"] = itoa(len(d.preview))
	}
	if len(attrs) > 0 {
		e.Attrs = attrs
	}
	return e
}

// lineHandler is a framer that takes whole lines, one method per direction.
type lineHandler interface {
	client(s *Session, l rawLine)
	server(s *Session, l rawLine)
}

// bodyTaker is a lineHandler that is at times receiving a message body in
// one direction: bodyFor then returns the accumulator the body's lines go
// to, and lines.feed hands it runs of plain lines in bulk (addBulk).
type bodyTaker interface {
	bodyFor(dir Dir) *dataAcc
}

// lines is the Feed and Flush that the line-based framers (SMTP, POP3,
// plain) share: one splitter per direction, each whole line handed on.
type lines struct{ in, out splitter }

// feed cuts p into lines and hands each to h.
func (ls *lines) feed(h lineHandler, s *Session, dir Dir, p []byte) {
	sp := &ls.in
	if dir == S2C {
		sp = &ls.out
	}
	bt, _ := h.(bodyTaker)
	for len(p) > 0 {
		if bt != nil && !sp.pending() {
			if acc := bt.bodyFor(dir); acc != nil {
				p = p[acc.addBulk(p):]
				if len(p) == 0 {
					return
				}
			}
		}
		l, rest, ok := sp.take(p)
		p = rest
		if !ok {
			return
		}
		if dir == C2S {
			h.client(s, l)
		} else {
			h.server(s, l)
		}
	}
}

// flush hands on the unterminated lines left when the connection closes.
func (ls *lines) flush(h lineHandler, s *Session) {
	if ls.in.pending() {
		h.client(s, ls.in.finish(false))
	}
	if ls.out.pending() {
		h.server(s, ls.out.finish(false))
	}
}
