package lineserver

import (
	"bufio"
	"io"
	"sync"
)

// BufferSize is the size of a session's read and write buffers: a command
// line (1,000 octets at most in SMTP) and a reply fit with room to spare.
const BufferSize = 4096

// Session buffers are reused: a connection that carries one message lives
// for a millisecond, and its two 4 KiB buffers were a quarter of the bytes a
// one-message-per-connection load allocated (issue 12's profile).
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, BufferSize) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, BufferSize) }}
)

// NewReader returns a pooled reader on r; give it back with Release.
func NewReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// NewWriter returns a pooled writer on w; give it back with Release.
func NewWriter(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// Release returns a session's buffers when nothing will touch them again
// (after its serve function returned). They keep no reference to the
// connection, and unflushed output is dropped: the session is over.
func Release(r *bufio.Reader, w *bufio.Writer) {
	if r != nil {
		r.Reset(nil)
		readers.Put(r)
	}
	if w != nil {
		w.Reset(nil)
		writers.Put(w)
	}
}
