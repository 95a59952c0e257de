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
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mailscope/mailscope/cmd/internal/benchclient"
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
		n, b, err := benchclient.Session(*addr, *user, *pass, *max, *minMsgs)
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
