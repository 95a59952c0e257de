package tracer

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
)

// Recorder writes events as JSON Lines, one object per event: what
// encoding/json's Encoder writes, by AppendEvent, the encoder of the web
// timeline's stream (a recording instance encodes every event).
type Recorder struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
}

// NewRecorder returns a recorder writing to w.
func NewRecorder(w io.Writer) *Recorder {
	return &Recorder{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write records one event.
func (r *Recorder) Write(e *Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(AppendEvent(r.buf[:0], e), '\n')
	_, err := r.w.Write(r.buf)
	if cap(r.buf) > 64<<10 {
		r.buf = nil // one big message body is not kept for the rest of the run
	}
	return err
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

// WriteJSONL writes events as JSON Lines, the format of --record.
func WriteJSONL(w io.Writer, evs []*Event) error {
	r := NewRecorder(w)
	for _, e := range evs {
		if err := r.Write(e); err != nil {
			return err
		}
	}
	return r.Flush()
}
