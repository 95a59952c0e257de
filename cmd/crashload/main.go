// Command crashload is the load and the check of scripts/crash (issue 7,
// crash safety): under SMTP load mailscope is killed with SIGKILL at a
// random moment and restarted; every message that got a 250 must then be in
// a mailbox or the queue, and once the queue has drained, in each of its
// recipients' mailboxes exactly once.
//
//	crashload load -smtp 127.0.0.1:32025 -log acks.log -prefix r1 [-conns 8] [-pipelining mix]
//
// sends until SIGTERM or SIGINT (or -duration), each message with a unique
// token in its Subject and Message-ID, to alice@a.example (local at A),
// bob@b.example (relayed to B) or both, and writes one log line per message
// sent and per 250 received, each before the next command goes out.
//
//	crashload verify -web http://127.0.0.1:32080 -log acks.log[,more.log]
//
// reads A's queue (GET /api/queue) and every user's mailbox over POP3 (TOP,
// no DELE), flushes the queue until it is empty, reads the mailboxes again
// and prints one line:
//
//	acknowledged=N found=N (unacknowledged U of S) missing=0 duplicates=0 queued-at-restart=Q drained-in=D
//
// It exits 1 when an acknowledged message is missing or any message is
// there twice.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mailscope/mailscope/cmd/internal/crashload"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crashload load|verify [flags]")
		os.Exit(2)
	}
	var err error
	ok := true
	switch os.Args[1] {
	case "load":
		err = runLoad(os.Args[2:])
	case "verify":
		ok, err = runVerify(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q: use load or verify", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashload:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	addr := fs.String("smtp", "127.0.0.1:10025", "SMTP address of server A")
	logPath := fs.String("log", "crashload.log", "log of sent and acknowledged messages (appended)")
	prefix := fs.String("prefix", "", "token prefix, unique per run (default: the time)")
	conns := fs.Int("conns", 8, "concurrent SMTP sessions")
	pipelining := fs.String("pipelining", "mix", "on, off or mix (per session)")
	size := fs.Int("size", 600, "approximate message size in bytes")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until SIGTERM or SIGINT)")
	fs.Parse(args)
	if *prefix == "" {
		*prefix = fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	if strings.ContainsAny(*prefix, " \t\r\n") {
		return fmt.Errorf("-prefix %q: no spaces", *prefix)
	}
	switch *pipelining {
	case "on", "off", "mix":
	default:
		return fmt.Errorf("-pipelining %q: use on, off or mix", *pipelining)
	}
	// O_APPEND and one write per line: a line is in the kernel before the
	// next command is sent, so nothing acknowledged can be missing from the
	// log when mailscope, or this process, is killed.
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	st, err := crashload.Run(ctx, crashload.Config{Addr: *addr, Conns: *conns, Prefix: *prefix, Log: f, Pipelining: *pipelining, BodySize: *size})
	fmt.Println("crashload load:", st)
	return err
}

func runVerify(args []string) (bool, error) {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	web := fs.String("web", "http://127.0.0.1:8025", "address of mailscope's web timeline (the control API)")
	logs := fs.String("log", "crashload.log", "load logs, comma-separated")
	timeout := fs.Duration("drain", 2*time.Minute, "how long to flush the queue until it is empty")
	fs.Parse(args)
	if !strings.Contains(*web, "://") {
		*web = "http://" + *web
	}
	rep, err := crashload.Verify(context.Background(), crashload.VerifyConfig{Web: *web, Logs: strings.Split(*logs, ","), DrainTimeout: *timeout})
	if err != nil {
		return false, err
	}
	fmt.Println(rep)
	return rep.OK(), nil
}
