package webui

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// fill sets every field of the struct v points to, recursively, to a
// non-zero value built from s, so that a field appendEvent forgets shows.
func fill(t *testing.T, v reflect.Value, s string) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		name := v.Type().Field(i).Name
		switch {
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.Date(2026, 11, 25, 23, 1, 11, 142737000, time.UTC)))
		case f.Kind() == reflect.String:
			f.SetString(name + ": " + s)
		case f.Kind() == reflect.Int:
			f.SetInt(int64(len(name)) * 1000)
		case f.Kind() == reflect.Uint64:
			f.SetUint(uint64(len(name)) * 7)
		case f.Kind() == reflect.Slice:
			sl := reflect.MakeSlice(f.Type(), 2, 2)
			sl.Index(0).SetString("a" + s)
			sl.Index(1).SetString("b")
			f.Set(sl)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem(), s)
			f.Set(p)
		case f.Kind() == reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("zeta"), reflect.ValueOf(s))
			m.SetMapIndex(reflect.ValueOf("alpha<"), reflect.ValueOf("1"))
			m.SetMapIndex(reflect.ValueOf("mid"), reflect.ValueOf(""))
			f.Set(m)
		default:
			t.Fatalf("fill: field %s of kind %s: teach appendEvent and this test about it", name, f.Kind())
		}
	}
}

// sampleEvents are events with every field set, over texts that need each
// kind of JSON escape, and a few odd ones.
func sampleEvents(t *testing.T) []*tracer.Event {
	texts := []string{
		"plain", "", `quote " backslash \ slash /`, "<script>&amp;</script>", "ctl \x00\x01\b\f\n\r\t\x1f\x7f",
		"utf-8 é 中文 🙂", "bad \xff\xfe utf-8 \xc3", "line sep \u2028 para sep \u2029", "\"\\",
	}
	var events []*tracer.Event
	for _, s := range texts {
		e := &tracer.Event{}
		fill(t, reflect.ValueOf(e).Elem(), s)
		events = append(events, e)
	}
	return append(events,
		&tracer.Event{},
		&tracer.Event{Seq: 1, Kind: tracer.KindLine, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))},
		&tracer.Event{Seq: 2, Kind: tracer.KindData, Size: -1, Lines: 3, Text: "t", Explain: &tracer.Explanation{}},
		&tracer.Event{Seq: 3, Kind: tracer.KindSkipped, Skipped: 12, Time: time.Now(), Flags: []tracer.Flag{}, Attrs: map[string]string{}},
		&tracer.Event{Seq: 4, Kind: tracer.KindData, Size: 1 << 40, Lines: 7, Explain: &tracer.Explanation{}},
	)
}

func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	events := sampleEvents(t)
	for i, e := range events {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEvent(nil, e); string(got) != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	e := &tracer.Event{Seq: 123456, Time: time.Now(), Session: "A-smtp-3", Server: "A", Proto: "smtp", Kind: tracer.KindLine,
		Dir: tracer.S2C, Text: "250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice",
		Explain: &tracer.Explanation{Key: "smtp.reply.250.RCPT", Text: "2xx success: recipient accepted; add more with RCPT TO or send the message with DATA.",
			RFC: "RFC 5321 section 4.1.1.3", Class: "2xx", Enh: "2.1.5", EnhText: "success: destination address valid (RFC 3463)"},
		MsgID: "A-IJXOTVFG", Attrs: map[string]string{"n": strconv.Itoa(1)}}
	b.Run("appendEvent", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendEvent(buf[:0], e)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(e)
		}
	})
}

// FuzzAppendQuoted: any string is quoted byte for byte as encoding/json
// quotes it.
func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"plain", "<&>\"\\", "\x00\x1f\x7f\n", "é中🙂", "\xff\xc3", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendQuoted(nil, s); string(got) != string(want) {
			t.Fatalf("appendQuoted(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}
