package tracer

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// TestRecorderMatchesEncodingJSON: a record file (and a session exported
// as JSONL) holds, line by line, what encoding/json's Encoder writes for
// each event, and ReadJSONL reads back what encoding/json reads.
func TestRecorderMatchesEncodingJSON(t *testing.T) {
	events := sampleEvents(t)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	r := NewRecorder(&got)
	for _, e := range events {
		if err := r.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("recorder:\n%s\nencoding/json:\n%s", got.String(), want.String())
	}
	var exported bytes.Buffer
	if err := WriteJSONL(&exported, events); err != nil {
		t.Fatal(err)
	}
	if exported.String() != want.String() {
		t.Errorf("WriteJSONL:\n%s\nencoding/json:\n%s", exported.String(), want.String())
	}
	lines := bytes.Split(want.Bytes(), []byte("\n"))
	n := 0
	err := ReadJSONL(&got, func(e *Event) error {
		var d Event
		if err := json.Unmarshal(lines[n], &d); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		w, _ := json.Marshal(&d)
		if string(b) != string(w) {
			t.Errorf("event %d read back as %s, want %s", n, b, w)
		}
		n++
		return nil
	})
	if err != nil || n != len(events) {
		t.Errorf("ReadJSONL: %d events, %v", n, err)
	}
}

func BenchmarkRecorder(b *testing.B) {
	e := benchEvent()
	r := NewRecorder(io.Discard)
	for b.Loop() {
		r.Write(e)
	}
}
