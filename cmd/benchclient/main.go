// Command benchclient is the raw POP3 client of scripts/bench: it logs in
// with USER/PASS (RFC 1939 section 7), retrieves every message of the maildrop
// with RETR (RFC 1939 section 5), reading each multi-line reply up to its
// terminating "." line, and quits without deleting anything. It repeats this
// for a number of sessions, one after another, and prints one line:
//
//	messages=N bytes=B seconds=S msgs_per_s=R
//
// Only the time between the first connect and the last QUIT reply counts.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:110", "POP3 server address")
	user := flag.String("user", "alice", "login name")
	pass := flag.String("pass", "alice", "password")
	max := flag.Int("max", 100, "retrieve at most this many messages per session (0: all)")
	sessions := flag.Int("sessions", 1, "sessions to run one after another")
	minMsgs := flag.Int("min", 1, "fail when a session finds fewer messages than this")
	flag.Parse()

	start := time.Now()
	var msgs, bytes int64
	for i := 0; i < *sessions; i++ {
		n, b, err := session(*addr, *user, *pass, *max, *minMsgs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchclient:", err)
			os.Exit(1)
		}
		msgs += n
		bytes += b
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("messages=%d bytes=%d seconds=%.6f msgs_per_s=%.1f\n", msgs, bytes, secs, float64(msgs)/secs)
}

// session runs one POP3 session and returns the messages and body bytes retrieved.
func session(addr, user, pass string, max, minMsgs int) (int64, int64, error) {
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
