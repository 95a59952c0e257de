// Command loadbench measures the issue 7 speed targets that smtp-source and
// Mailpit cannot: the cost of tracing, websocket fan-out, idle sessions and
// start-up. Every figure is printed with the target it is held against.
//
//	loadbench overhead -bin PATH   SMTP ingest with tracing (console sink and
//	                               one websocket viewer) against ingest with no
//	                               subscriber (mailscope up --quiet, no viewer)
//	loadbench fanout   -bin PATH   100 websocket viewers while SMTP ingests at
//	                               1,000 msg/s: every viewer gets every event in
//	                               order; p99 delay from the event's time to its
//	                               arrival at the viewer
//	loadbench frozen   -bin PATH   ingest with one viewer that never reads
//	                               against ingest without it; the frozen viewer
//	                               gets a skipped marker when it resumes
//	loadbench idle     -bin PATH   1,000 idle sessions (SMTP, POP3, IMAP of both
//	                               servers, logged in where the protocol has a
//	                               login): RSS of mailscope and NOOP round trips
//	loadbench startup  -bin PATH   exec to the SMTP port accepting, fresh and
//	                               existing data directory
//	loadbench class    -bin PATH   a class of 100 students (mailscope up
//	                               --class 100): each types an SMTP or IMAP
//	                               session at human pace and watches their
//	                               own websocket viewer; the instructor's
//	                               dashboard polls the progress and one
//	                               viewer sees all: p99 from a line on the
//	                               wire to the student's viewer, peak RSS,
//	                               lines missing from a student's view,
//	                               isolation (issue 17)
//	loadbench world                print the world file idle uses (many users)
//
// With -bin, loadbench starts `mailscope up --data TMP --port-base N --web
// 127.0.0.1:N+80 --color never` itself (stdout to /dev/null, so the console
// sink runs) and stops it at the end. Without -bin it measures a running
// mailscope given by -port-base and -pid (overhead and startup need -bin).
//
// SMTP load is paced (-rate msg/s, 0 for as fast as the server answers) over
// -conns connections, each sending many messages of -size octets to
// alice@a.example with MAIL, RCPT, DATA (no pipelining), like smtp-source -d.
// Websocket viewers use github.com/gorilla/websocket against /ws (see
// webui/ws.go): each message is a JSON array of events; a viewer only scans
// each event's seq, time and kind, so that 100 of them fit on a small machine
// next to the server.
package main

import (
	"fmt"
	"os"

	"github.com/mailscope/mailscope/cmd/internal/loadbench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "overhead":
		err = loadbench.Overhead(args)
	case "fanout":
		err = loadbench.Fanout(args)
	case "frozen":
		err = loadbench.Frozen(args)
	case "idle":
		err = loadbench.Idle(args)
	case "startup":
		err = loadbench.Startup(args)
	case "class":
		err = loadbench.Class(args)
	case "world":
		os.Stdout.WriteString(loadbench.World())
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "loadbench: unknown command %q\n", cmd)
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadbench overhead|fanout|frozen|idle|startup|class|world [flags] (-h after a command lists its flags)")
	os.Exit(2)
}
