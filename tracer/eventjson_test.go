package tracer

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fill sets every field of the struct v points to, recursively, to a
// non-zero value built from s, so that a field AppendEvent forgets shows.
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
			t.Fatalf("fill: field %s of kind %s: teach AppendEvent and this test about it", name, f.Kind())
		}
	}
}

// sampleEvents are events with every field set, over texts that need each
// kind of JSON escape, and a few odd ones.
func sampleEvents(t *testing.T) []*Event {
	texts := []string{
		"plain", "", `quote " backslash \ slash /`, "<script>&amp;</script>", "ctl \x00\x01\b\f\n\r\t\x1f\x7f",
		"utf-8 é 中文 🙂", "bad \xff\xfe utf-8 \xc3", "line sep \u2028 para sep \u2029", "\"\\",
	}
	var events []*Event
	for _, s := range texts {
		e := &Event{}
		fill(t, reflect.ValueOf(e).Elem(), s)
		events = append(events, e)
	}
	return append(events,
		&Event{},
		&Event{Seq: 1, Kind: KindLine, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))},
		&Event{Seq: 2, Kind: KindData, Size: -1, Lines: 3, Text: "t", Explain: &Explanation{}},
		&Event{Seq: 3, Kind: KindSkipped, Skipped: 12, Time: time.Now(), Flags: []Flag{}, Attrs: map[string]string{}},
		&Event{Seq: 4, Kind: KindData, Size: 1 << 40, Lines: 7, Explain: &Explanation{}},
	)
}

func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	events := sampleEvents(t)
	for i, e := range events {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendEvent(nil, e); string(got) != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// benchEvent is the event the encoding and decoding benchmarks use: an
// SMTP reply with its explanation, a typical line of a busy trace.
func benchEvent() *Event {
	return &Event{Seq: 123456, Time: time.Now(), Session: "A-smtp-3", Server: "A", Proto: "smtp", Kind: KindLine,
		Dir: S2C, Text: "250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice",
		Explain: &Explanation{Key: "smtp.reply.250.RCPT", Text: "2xx success: recipient accepted; add more with RCPT TO or send the message with DATA.",
			RFC: "RFC 5321 section 4.1.1.3", Class: "2xx", Enh: "2.1.5", EnhText: "success: destination address valid (RFC 3463)"},
		MsgID: "A-IJXOTVFG", Attrs: map[string]string{"n": "1"}}
}

func BenchmarkEncodeEvent(b *testing.B) {
	e := benchEvent()
	b.Run("appendEvent", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = AppendEvent(buf[:0], e)
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
