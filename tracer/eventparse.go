package tracer

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// ParseEvents decodes one websocket message of the timeline (a JSON array
// of events) exactly as encoding/json.Unmarshal into []*Event does.
// Messages in the form AppendEvent writes are read by a hand-written parser,
// several times faster than reflection: a follower such as mailscope trace
// decodes every event the server sends, on the same cores as the servers.
// Anything else (null, unknown or differently cased keys, escapes in a time,
// surrogate escapes, numbers with a sign or a fraction) is handed to
// encoding/json, so the result never differs; FuzzParseEvents checks that.
func ParseEvents(b []byte) ([]*Event, error) {
	var d EventDecoder
	return d.Decode(b)
}

// An EventDecoder is ParseEvents for a stream of messages: it keeps the
// short strings that repeat from event to event (sessions, servers, kinds,
// explanations from the catalog) and hands out one copy of each, so that
// a follower allocates little more than each event's text. The zero value
// is ready to use; it is not safe for concurrent use.
type EventDecoder struct {
	known map[string]string
}

// maxKnown bounds what an EventDecoder keeps: past it, it starts afresh.
const maxKnown = 4096

// Decode is ParseEvents, sharing repeated strings with earlier messages.
func (d *EventDecoder) Decode(b []byte) ([]*Event, error) {
	if evs, ok := d.parseFast(b); ok {
		return evs, nil
	}
	var evs []*Event
	if err := json.Unmarshal(b, &evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// errSlow sends a message to encoding/json.
var errSlow = errors.New("tracer: not in the fast form")

type eventParser struct {
	b []byte
	i int
	d *EventDecoder
}

func (d *EventDecoder) parseFast(b []byte) ([]*Event, bool) {
	if d.known == nil || len(d.known) > maxKnown {
		d.known = make(map[string]string)
	}
	p := &eventParser{b: b, d: d}
	evs, err := p.events()
	if err != nil {
		return nil, false
	}
	return evs, true
}

func (p *eventParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (p *eventParser) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *eventParser) events() ([]*Event, error) {
	if !p.next('[') {
		return nil, errSlow
	}
	var evs []*Event
	if p.next(']') {
		evs = []*Event{}
	} else {
		for {
			e, err := p.event()
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
			if p.next(',') {
				continue
			}
			if p.next(']') {
				break
			}
			return nil, errSlow
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, errSlow
	}
	return evs, nil
}

// members calls field for each key of an object, positioned at its value.
func (p *eventParser) members(field func(key []byte) error) error {
	if !p.next('{') {
		return errSlow
	}
	if p.next('}') {
		return nil
	}
	for {
		p.ws()
		key, err := p.strBytes()
		if err != nil {
			return err
		}
		if !p.next(':') {
			return errSlow
		}
		p.ws()
		if err := field(key); err != nil {
			return err
		}
		if p.next(',') {
			continue
		}
		if p.next('}') {
			return nil
		}
		return errSlow
	}
}

func (p *eventParser) event() (*Event, error) {
	e := &Event{}
	err := p.members(func(key []byte) error {
		var err error
		switch string(key) {
		case "seq":
			e.Seq, err = p.uint(64)
		case "time":
			var raw []byte
			if raw, err = p.rawString(); err == nil {
				err = e.Time.UnmarshalText(raw)
			}
		case "session":
			e.Session, err = p.short()
		case "server":
			e.Server, err = p.short()
		case "proto":
			e.Proto, err = p.short()
		case "kind":
			var s string
			s, err = p.short()
			e.Kind = Kind(s)
		case "dir":
			var s string
			s, err = p.short()
			e.Dir = Dir(s)
		case "text":
			e.Text, err = p.str()
		case "msg":
			e.Msg, err = p.msg(e.Msg)
		case "flags":
			e.Flags, err = p.flags()
		case "explain":
			e.Explain, err = p.explain(e.Explain)
		case "peer":
			e.Peer, err = p.short()
		case "actor":
			e.Actor, err = p.short()
		case "hop":
			e.Hop, err = p.short()
		case "msgid":
			e.MsgID, err = p.short()
		case "from":
			e.From, err = p.short()
		case "to":
			e.To, err = p.short()
		case "size":
			var n uint64
			n, err = p.uint(strconv.IntSize - 1)
			e.Size = int(n)
		case "lines":
			var n uint64
			n, err = p.uint(strconv.IntSize - 1)
			e.Lines = int(n)
		case "data":
			e.Data, err = p.str()
		case "skipped":
			e.Skipped, err = p.uint(64)
		case "attrs":
			e.Attrs, err = p.strMap(e.Attrs)
		default:
			return errSlow
		}
		return err
	})
	return e, err
}

func (p *eventParser) flags() ([]Flag, error) {
	if !p.next('[') {
		return nil, errSlow
	}
	fs := []Flag{}
	if p.next(']') {
		return fs, nil
	}
	for {
		p.ws()
		s, err := p.short()
		if err != nil {
			return nil, err
		}
		fs = append(fs, Flag(s))
		if p.next(',') {
			continue
		}
		if p.next(']') {
			return fs, nil
		}
		return nil, errSlow
	}
}

// explain decodes into x as encoding/json does: a second "explain" key
// fills the same value.
func (p *eventParser) explain(x *Explanation) (*Explanation, error) {
	if x == nil {
		x = &Explanation{}
	}
	err := p.members(func(key []byte) error {
		var err error
		switch string(key) {
		case "key":
			x.Key, err = p.short()
		case "text":
			x.Text, err = p.short()
		case "rfc":
			x.RFC, err = p.short()
		case "class":
			x.Class, err = p.short()
		case "enh":
			x.Enh, err = p.short()
		case "enh_text":
			x.EnhText, err = p.short()
		case "args":
			x.Args, err = p.strMap(x.Args)
		default:
			return errSlow
		}
		return err
	})
	return x, err
}

// msg decodes into m as encoding/json does.
func (p *eventParser) msg(m *Msg) (*Msg, error) {
	if m == nil {
		m = &Msg{}
	}
	err := p.members(func(key []byte) error {
		var err error
		switch string(key) {
		case "key":
			m.Key, err = p.short()
		case "args":
			m.Args, err = p.strMap(m.Args)
		default:
			return errSlow
		}
		return err
	})
	return m, err
}

// strMap decodes an object of strings into m (made when nil), interning the
// keys the decoder knows.
func (p *eventParser) strMap(m map[string]string) (map[string]string, error) {
	if m == nil {
		m = map[string]string{}
	}
	err := p.members(func(k []byte) error {
		v, err := p.str()
		if known, ok := p.d.known[string(k)]; ok {
			m[known] = v
		} else {
			m[string(k)] = v
		}
		return err
	})
	return m, err
}

// uint reads a JSON number that is a non-negative integer fitting in bits.
func (p *eventParser) uint(bits int) (uint64, error) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
		return 0, errSlow
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, errSlow
		}
	}
	n, err := strconv.ParseUint(string(digits), 10, bits)
	if err != nil {
		return 0, errSlow
	}
	return n, nil
}

// rawString returns the bytes of a JSON string with no escapes, checked to
// be valid UTF-8 without control characters: a time, which encoding/json
// hands to time.Time undecoded.
func (p *eventParser) rawString() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, errSlow
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			s := p.b[start:j]
			if !utf8.Valid(s) {
				return nil, errSlow
			}
			p.i = j + 1
			return s, nil
		case c == '\\' || c < 0x20:
			return nil, errSlow
		}
	}
	return nil, errSlow
}

// str reads a JSON string.
func (p *eventParser) str() (string, error) {
	s, err := p.strBytes()
	return string(s), err
}

// short reads a JSON string that is likely to repeat in later events.
func (p *eventParser) short() (string, error) {
	b, err := p.strBytes()
	if err != nil || len(b) > 256 {
		return string(b), err
	}
	if s, ok := p.d.known[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	p.d.known[s] = s
	return s, nil
}

// strBytes reads a JSON string, decoding the escapes appendQuoted writes.
// Without escapes the result is a slice of the input.
func (p *eventParser) strBytes() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, errSlow
	}
	start := p.i + 1
	j := start
	for j < len(p.b) && p.b[j] != '"' && p.b[j] != '\\' && p.b[j] >= 0x20 {
		j++
	}
	if j < len(p.b) && p.b[j] == '"' {
		s := p.b[start:j]
		if !utf8.Valid(s) {
			return nil, errSlow
		}
		p.i = j + 1
		return s, nil
	}
	// Escapes: decode into a new buffer.
	out := make([]byte, 0, j-start+16)
	out = append(out, p.b[start:j]...)
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return nil, errSlow
			}
			p.i = j + 1
			return out, nil
		case c < 0x20:
			return nil, errSlow
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(p.b) {
			return nil, errSlow
		}
		j++
		switch p.b[j] {
		case '"', '\\', '/':
			out = append(out, p.b[j])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if j+4 >= len(p.b) {
				return nil, errSlow
			}
			r, err := strconv.ParseUint(string(p.b[j+1:j+5]), 16, 32)
			if err != nil || (r >= 0xd800 && r < 0xe000) {
				return nil, errSlow // surrogates (and junk): encoding/json
			}
			out = utf8.AppendRune(out, rune(r))
			j += 4
		default:
			return nil, errSlow
		}
		j++
	}
	return nil, errSlow
}
