package tracer

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendEvent appends e as JSON, byte for byte what encoding/json writes for
// an Event (field order, omitempty, HTML-safe escaping, sorted attrs),
// without reflection: with a viewer attached every event is encoded once,
// and encoding/json was most of the web timeline's cost under SMTP load.
// TestAppendEventMatchesEncodingJSON fills every field by reflection, so a
// field added to Event and not here fails it.
func AppendEvent(b []byte, e *Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendStr(b, "session", e.Session, true)
	b = appendStr(b, "server", e.Server, true)
	b = appendStr(b, "proto", e.Proto, true)
	b = appendStr(b, "kind", string(e.Kind), false)
	b = appendStr(b, "dir", string(e.Dir), true)
	b = appendStr(b, "text", e.Text, true)
	if m := e.Msg; m != nil {
		b = append(b, `,"msg":{"key":`...)
		b = appendQuoted(b, m.Key)
		b = appendMap(b, "args", m.Args)
		b = append(b, '}')
	}
	if len(e.Flags) > 0 {
		b = append(b, `,"flags":[`...)
		for i, f := range e.Flags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, string(f))
		}
		b = append(b, ']')
	}
	if x := e.Explain; x != nil {
		b = append(b, `,"explain":{"key":`...)
		b = appendQuoted(b, x.Key)
		b = appendStr(b, "text", x.Text, false)
		b = appendStr(b, "rfc", x.RFC, true)
		b = appendStr(b, "class", x.Class, true)
		b = appendStr(b, "enh", x.Enh, true)
		b = appendStr(b, "enh_text", x.EnhText, true)
		b = appendMap(b, "args", x.Args)
		b = append(b, '}')
	}
	b = appendStr(b, "peer", e.Peer, true)
	b = appendStr(b, "actor", e.Actor, true)
	b = appendStr(b, "hop", e.Hop, true)
	b = appendStr(b, "msgid", e.MsgID, true)
	b = appendStr(b, "from", e.From, true)
	b = appendStr(b, "to", e.To, true)
	if e.Size != 0 {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(e.Size), 10)
	}
	if e.Lines != 0 {
		b = append(b, `,"lines":`...)
		b = strconv.AppendInt(b, int64(e.Lines), 10)
	}
	b = appendStr(b, "data", e.Data, true)
	if e.Skipped != 0 {
		b = append(b, `,"skipped":`...)
		b = strconv.AppendUint(b, e.Skipped, 10)
	}
	b = appendMap(b, "attrs", e.Attrs)
	return append(b, '}')
}

// appendMap appends ,"name":{...} with the keys sorted, as encoding/json
// writes a map, or nothing for an empty one.
func appendMap(b []byte, name string, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, k)
		b = append(b, ':')
		b = appendQuoted(b, m[k])
	}
	return append(b, '}')
}

// appendStr appends ,"name":"value", or nothing for an empty value when
// omitEmpty is set.
func appendStr(b []byte, name, v string, omitEmpty bool) []byte {
	if v == "" && omitEmpty {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendQuoted(b, v)
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes appendQuoted copies as they are: printable
// ASCII other than the quote, the backslash and the HTML-escaped <, >, &.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendQuoted writes s as a JSON string the way encoding/json does with
// HTML escaping on: <, > and & as \u00XX, U+2028 and U+2029 escaped,
// invalid UTF-8 as U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Runs of plain ASCII, the bulk of any protocol line, in a tight loop.
		for i < len(s) && plainASCII[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
