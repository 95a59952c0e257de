// Package loadbench measures the issue 7 speed targets that smtp-source and
// Mailpit cannot: the cost of tracing, websocket fan-out, idle sessions and
// start-up (see cmd/loadbench for the command and BENCHMARKS.md for the
// figures). Each measuring function takes the command line of its
// subcommand, starts or attaches to a mailscope, prints every figure with
// the target it is held against on stdout and its progress on stderr.
package loadbench

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"time"
)

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

// server starts mailscope with -bin on -port-base (extra are more flags of
// `mailscope up`) or, without -bin, describes the one already running
// there. Stop it when done: stopping one not started here does nothing.
func (c *common) server(extra ...string) (*server, error) {
	if c.bin == "" {
		return attached(c.portBase, c.pid), nil
	}
	return startServer(c.bin, c.portBase, "", c.keep, extra...)
}
