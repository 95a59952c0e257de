package tracer

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
)

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

// WriteJSONL writes events as JSON Lines, the format of --record.
func WriteJSONL(w io.Writer, evs []*Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return bw.Flush()
}
