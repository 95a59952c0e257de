// Command datamem measures what SMTP sessions in the middle of DATA cost a
// running mailscope: it opens -n sessions to -addr at once, each sending
// EHLO, MAIL, RCPT, DATA and then -size octets of message without the final
// ".", waits for the server to read them, prints the resident memory of
// process -pid (VmRSS and its peak VmHWM, from /proc), then ends every
// message and counts the replies (250 stored, 452 no room in memory).
//
//	mailscope up --data /tmp/x --port-base 20000 --web 127.0.0.1:20080 &
//	go run ./cmd/datamem -addr 127.0.0.1:20025 -pid $!
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mailscope/mailscope/cmd/internal/datamem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:20025", "server A's SMTP address")
	n := flag.Int("n", 100, "sessions")
	size := flag.Int("size", 10_000_000, "octets of message each session sends")
	pid := flag.Int("pid", 0, "the mailscope process")
	settle := flag.Duration("settle", 3*time.Second, "wait for the server to read what was sent")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "datamem: -pid is required")
		os.Exit(2)
	}
	datamem.Run(datamem.Config{Addr: *addr, Sessions: *n, Size: *size, PID: *pid, Settle: *settle})
}
