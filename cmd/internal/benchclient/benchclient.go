// Package benchclient is the raw POP3 client of scripts/bench (the command is
// cmd/benchclient): a session logs in with USER/PASS (RFC 1939 section 7),
// retrieves every message of the maildrop with RETR (RFC 1939 section 5),
// reading each multi-line reply up to its terminating "." line, and quits
// without deleting anything.
package benchclient

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Session runs one POP3 session against addr, retrieving at most max
// messages (0: all), and returns the messages and body bytes retrieved. It
// fails when the maildrop holds fewer than minMsgs messages.
func Session(addr, user, pass string, max, minMsgs int) (int64, int64, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		return 0, 0, err
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	w := bufio.NewWriter(conn)

	cmd := func(line string) (string, error) {
		if line != "" {
			if _, err := w.WriteString(line + "\r\n"); err != nil {
				return "", err
			}
			if err := w.Flush(); err != nil {
				return "", err
			}
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(reply, "+OK") {
			shown := line
			if strings.HasPrefix(shown, "PASS ") {
				shown = "PASS ****"
			}
			return "", fmt.Errorf("%s: %s", shown, strings.TrimSpace(reply))
		}
		return reply, nil
	}

	if _, err := cmd(""); err != nil {
		return 0, 0, fmt.Errorf("greeting: %w", err)
	}
	if _, err := cmd("USER " + user); err != nil {
		return 0, 0, err
	}
	if _, err := cmd("PASS " + pass); err != nil {
		return 0, 0, err
	}
	stat, err := cmd("STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(stat)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("STAT: unexpected reply %q", stat)
	}
	count, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, fmt.Errorf("STAT: %w", err)
	}
	if count < minMsgs {
		return 0, 0, fmt.Errorf("maildrop has %d messages, want at least %d", count, minMsgs)
	}
	if max > 0 && count > max {
		count = max
	}
	var bytes int64
	for i := 1; i <= count; i++ {
		if _, err := cmd("RETR " + strconv.Itoa(i)); err != nil {
			return 0, 0, err
		}
		n, err := readMultiline(r)
		if err != nil {
			return 0, 0, fmt.Errorf("RETR %d: %w", i, err)
		}
		bytes += n
	}
	if _, err := cmd("QUIT"); err != nil {
		return 0, 0, err
	}
	return int64(count), bytes, nil
}

// readMultiline reads a multi-line response up to the line "." (RFC 1939
// section 3) and returns the bytes read before it.
func readMultiline(r *bufio.Reader) (int64, error) {
	var n int64
	lineStart := true
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			n += int64(len(line))
			lineStart = false // a long line: the rest follows
			continue
		}
		if err == io.EOF {
			return n, io.ErrUnexpectedEOF
		}
		if err != nil {
			return n, err
		}
		if lineStart && len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			return n, nil
		}
		n += int64(len(line))
		lineStart = true
	}
}
