package benchclient

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestReadMultiline checks that a RETR reply is read up to its "." line
// (RFC 1939 section 3) and counted without it, that a line longer than the
// reader's buffer is counted whole and a "." in the middle of such a line
// does not end the reply, and that a reply cut short is an error.
func TestReadMultiline(t *testing.T) {
	long := strings.Repeat("y", 32) + ".\r\n" // its last 16-byte read is ".\r\n"
	for _, c := range []struct {
		name, in string
		want     int64
		err      error
	}{
		{"short", "Subject: x\r\n\r\nbody\r\n.\r\n", 20, nil},
		{"dot-stuffed", "..x\r\n.\r\n", 5, nil},
		{"long line", long + ".\r\n", int64(len(long)), nil},
		{"cut short", "Subject: x\r\n", 12, io.ErrUnexpectedEOF},
	} {
		r := bufio.NewReaderSize(strings.NewReader(c.in), 16)
		n, err := readMultiline(r)
		if n != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: readMultiline = %d, %v; want %d, %v", c.name, n, err, c.want, c.err)
		}
	}
}
