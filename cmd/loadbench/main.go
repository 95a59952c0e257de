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
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "overhead":
		err = runOverhead(args)
	case "fanout":
		err = runFanout(args)
	case "frozen":
		err = runFrozen(args)
	case "idle":
		err = runIdle(args)
	case "startup":
		err = runStartup(args)
	case "world":
		os.Stdout.WriteString(idleWorld(idleUsers))
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
	fmt.Fprintln(os.Stderr, "usage: loadbench overhead|fanout|frozen|idle|startup|world [flags] (-h after a command lists its flags)")
	os.Exit(2)
}

// common are the flags every measuring command takes.
type common struct {
	bin      string
	portBase int
	pid      int
	runs     int
	warmup   int
	keep     bool
	cpuprof  string
}

func (c *common) register(fs *flag.FlagSet, runs int) {
	fs.StringVar(&c.bin, "bin", "", "mailscope binary to start (empty: measure the one running on -port-base)")
	fs.IntVar(&c.portBase, "port-base", 34000, "port base of mailscope (A's SMTP on N+25, the web timeline on N+80)")
	fs.IntVar(&c.pid, "pid", 0, "without -bin: process id of the running mailscope (for its memory)")
	fs.IntVar(&c.runs, "runs", runs, "runs; figures are medians over them")
	fs.IntVar(&c.warmup, "warmup", 1, "unmeasured load runs before the measured ones (a fresh server's first run\ngrows its database and WAL files and is slower)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary data directories")
	fs.StringVar(&c.cpuprof, "cpuprofile", "", "write loadbench's own CPU profile here")
}

// profile starts loadbench's CPU profile when -cpuprofile is set; call the
// returned function at the end.
func (c *common) profile() func() {
	if c.cpuprof == "" {
		return func() {}
	}
	f, err := os.Create(c.cpuprof)
	if err != nil {
		logf("cpuprofile: %v", err)
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// logf prints progress on stderr; figures go to stdout.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadbench: "+format+"\n", args...)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile returns the p-th percentile (0..100) of d, nearest rank.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}
