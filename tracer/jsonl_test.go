package tracer

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"
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
	e := &Event{Seq: 123456, Time: time.Now(), Session: "A-smtp-3", Server: "A", Proto: "smtp", Kind: KindLine,
		Dir: S2C, Text: "250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice",
		Explain: &Explanation{Key: "smtp.reply.250.RCPT", Text: "2xx success: recipient accepted; add more with RCPT TO or send the message with DATA.",
			RFC: "RFC 5321 section 4.1.1.3", Class: "2xx", Enh: "2.1.5", EnhText: "success: destination address valid (RFC 3463)"},
		MsgID: "A-IJXOTVFG", Attrs: map[string]string{"n": "1"}}
	r := NewRecorder(io.Discard)
	for b.Loop() {
		r.Write(e)
	}
}
