package tracer

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sameAsJSON checks ParseEvents against encoding/json on b and reports
// whether the fast path read it.
func sameAsJSON(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	var want []*Event
	wantErr := json.Unmarshal(b, &want)
	got, err := ParseEvents(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("ParseEvents(%q): error %v, encoding/json: %v", b, err, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseEvents(%q):\n got %#v\nwant %#v", b, got, want)
	}
	_, fast = new(EventDecoder).parseFast(b)
	return fast
}

func TestParseEventsRoundTrip(t *testing.T) {
	events := sampleEvents(t)
	// One frame as the server sends it, and each event alone.
	frame := []byte{'['}
	for i, e := range events {
		if i > 0 {
			frame = append(frame, ',')
		}
		frame = AppendEvent(frame, e)
		one := append(AppendEvent([]byte{'['}, e), ']')
		// A negative size is encoding/json's to read (no sign on the fast path).
		if fast := sameAsJSON(t, one); !fast && e.Size >= 0 {
			t.Errorf("event %d took the slow path: %s", i, one)
		}
	}
	frame = append(frame, ']')
	sameAsJSON(t, frame)
}

// Inputs the fast path leaves to encoding/json, and malformed ones: the
// result (or the error) is encoding/json's either way.
func TestParseEventsOddInputs(t *testing.T) {
	for _, in := range []string{
		``, `[]`, ` [ ] `, `null`, `[null]`, `{}`, `[{}]`, `[{"seq":1}]x`, `[{"seq":1},]`, `[{"seq":1}`,
		`[{"SEQ":5}]`, `[{"Kind":"line"}]`, `[{"seq":-1}]`, `[{"seq":1.5}]`, `[{"seq":1e3}]`, `[{"seq":01}]`,
		`[{"seq":18446744073709551615}]`, `[{"seq":18446744073709551616}]`, `[{"size":-3}]`, `[{"size":9223372036854775808}]`,
		`[{"time":"2026-11-26T01:02:03.5Z"}]`, `[{"time":"2026-11-26T01:02:03+01:00"}]`, `[{"time":"2026-11-26 01:02:03Z"}]`,
		`[{"time":"2026-11-26T01:02:03\u005a"}]`, `[{"time":null}]`, `[{"time":3}]`,
		`[{"text":"a\u00e9\ud83d\ude42b"}]`, `[{"text":"\ud800"}]`, `[{"text":"\u002"}]`, `[{"text":"\x"}]`, "[{\"text\":\"\xff\"}]",
		"[{\"text\":\"tab\there\"}]", `[{"text":"\/\b\f\n\r\t\"\\"}]`, `[{"text":null}]`, `[{"text":1}]`,
		`[{"flags":[]}]`, `[{"flags":["bare-lf","8bit"]}]`, `[{"flags":["a"],"flags":["b"]}]`, `[{"flags":"a"}]`,
		`[{"attrs":{}}]`, `[{"attrs":{"a":"1"},"attrs":{"b":"2"}}]`, `[{"attrs":{"a":"1","a":"2"}}]`, `[{"attrs":{"\u0061":"1"}}]`, `[{"attrs":{"a":1}}]`,
		`[{"explain":{}}]`, `[{"explain":{"key":"k"},"explain":{"rfc":"r"}}]`, `[{"explain":{"Key":"k"}}]`, `[{"explain":null}]`,
		`[{"unknown":1}]`, `[{"seq":1,"seq":2}]`, "[\n\t{ \"seq\" : 1 ,\r\n \"kind\" : \"line\" } ]",
	} {
		t.Run("", func(t *testing.T) { sameAsJSON(t, []byte(in)) })
	}
}

// FuzzParseEvents: whatever the bytes, ParseEvents gives what encoding/json
// gives.
func FuzzParseEvents(f *testing.F) {
	e := &Event{}
	fill(&testing.T{}, reflect.ValueOf(e).Elem(), "seed <é>\n")
	f.Add(append(AppendEvent([]byte{'['}, e), ']'))
	f.Add([]byte(`[{"seq":1,"time":"2026-11-26T01:02:03Z","kind":"line","text":"a\nb","attrs":{"x":"y"}},{"seq":2,"kind":"skipped","skipped":9}]`))
	f.Add([]byte(`[{"flags":["a"],"explain":{"key":"k","enh_text":"\u003c"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4<<10 {
			return
		}
		sameAsJSON(t, b)
	})
}

func BenchmarkParseEvents(b *testing.B) {
	e := benchEvent()
	frame := []byte{'['}
	for i := range 20 {
		if i > 0 {
			frame = append(frame, ',')
		}
		frame = AppendEvent(frame, e)
	}
	frame = append(frame, ']')
	b.Run("ParseEvents", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if _, err := ParseEvents(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EventDecoder", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		var d EventDecoder
		for b.Loop() {
			if _, err := d.Decode(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			var evs []*Event
			if err := json.Unmarshal(frame, &evs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
