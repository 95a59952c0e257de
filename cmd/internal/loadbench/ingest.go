package loadbench

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

// Overhead alternates two mailscope processes started side by side: one
// with full tracing (console sink to /dev/null and one websocket viewer),
// one with --quiet and no viewer, so that the bus has no subscriber. The
// tracer still frames every line in both; what differs is everything that
// consumes events.
func Overhead(args []string) error {
	fs := flag.NewFlagSet("overhead", flag.ExitOnError)
	var c common
	c.register(fs, 5)
	msgs, conns, size := ingestFlags(fs)
	fs.Parse(args)
	if c.bin == "" {
		return errors.New("overhead starts two servers: give -bin")
	}
	traced, err := startServer(c.bin, c.portBase, "", c.keep)
	if err != nil {
		return err
	}
	defer traced.stop()
	quiet, err := startServer(c.bin, c.portBase+300, "", c.keep, "--quiet")
	if err != nil {
		return err
	}
	defer quiet.stop()
	v, err := dialViewer(traced.webAddr(), false)
	if err != nil {
		return err
	}
	defer v.close()
	logf("overhead: traced pid %d (console + 1 viewer), quiet pid %d (no subscriber); %d runs of %d msgs, %d conns, %d octets",
		traced.pid, quiet.pid, c.runs, *msgs, *conns, *size)
	if err := c.warmUp(load{conns: *conns, count: *msgs, size: *size}, traced, quiet); err != nil {
		return err
	}
	var tr, qr, ratios []float64
	for i := 0; i < c.runs; i++ {
		order := []*server{traced, quiet}
		if i%2 == 1 {
			order = []*server{quiet, traced}
		}
		for _, s := range order {
			res, err := load{addr: s.smtpAddr(), conns: *conns, count: *msgs, size: *size}.run()
			if err != nil {
				return err
			}
			if s == traced {
				tr = append(tr, res.rate())
			} else {
				qr = append(qr, res.rate())
			}
		}
		ratios = append(ratios, tr[i]/qr[i])
		logf("run %d: traced %.0f msg/s, no subscriber %.0f msg/s, ratio %.2f", i+1, tr[i], qr[i], ratios[i])
	}
	rep := v.report()
	if rep.err != nil {
		return fmt.Errorf("the viewer: %w", rep.err)
	}
	mt, mq := median(tr), median(qr)
	fmt.Printf("overhead: SMTP ingest %d x %d octets over %d conns, median of %d runs\n", *msgs, *size, *conns, c.runs)
	fmt.Printf("  traced (console sink + 1 websocket viewer): %.0f msg/s  %v\n", mt, fmtRates(tr))
	fmt.Printf("  no subscriber (--quiet, no viewer):         %.0f msg/s  %v\n", mq, fmtRates(qr))
	fmt.Printf("  traced / no subscriber: %.2f (target >= 0.90: %s); median of the per-run ratios %.2f %v\n",
		mt/mq, verdict(mt/mq >= 0.9), median(ratios), fmtList(ratios, "%.2f"))
	fmt.Printf("  the viewer saw %d events, %d gaps, %d skipped markers\n", rep.events, rep.gaps, rep.markers)
	return nil
}

func fmtRates(v []float64) string { return fmtList(v, "%.0f") }

// fmtMs lists figures in milliseconds with one decimal.
func fmtMs(v []float64) string { return fmtList(v, "%.1f") }

func fmtList(v []float64, f string) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf(f, x)
	}
	return s + "]"
}

// Fanout connects many viewers, runs paced SMTP load and checks that
// every viewer received every event from its first on, in order, and how
// late. Each run also does the same load with a single viewer (the order
// alternating), so that what the machine allows anyway (it may be shared)
// can be told from what the viewers cost.
func Fanout(args []string) error {
	fs := flag.NewFlagSet("fanout", flag.ExitOnError)
	var c common
	c.register(fs, 5)
	viewers := fs.Int("viewers", 100, "websocket viewers")
	rate := fs.Float64("rate", 1000, "SMTP messages per second")
	dur := fs.Duration("duration", 10*time.Second, "load per run")
	conns := fs.Int("conns", 20, "SMTP connections")
	size := fs.Int("size", 1024, "message size in octets")
	baseline := fs.Bool("baseline", true, "also run each load with one viewer")
	fs.Parse(args)
	srv, err := c.server()
	if err != nil {
		return err
	}
	defer srv.stop()
	defer c.profile()()
	logf("fanout: %d viewers, %.0f msg/s for %s over %d conns, %d runs", *viewers, *rate, *dur, *conns, c.runs)
	l := load{addr: srv.smtpAddr(), conns: *conns, size: *size, rate: *rate, dur: *dur}
	var many, one []fanoutResult
	allOK := true
	for run := 0; run < c.runs; run++ {
		counts := []int{*viewers}
		if *baseline {
			counts = []int{*viewers, 1}
			if run%2 == 1 {
				counts = []int{1, *viewers}
			}
		}
		for _, n := range counts {
			r, err := fanoutPhase(srv, n, l)
			if err != nil {
				return err
			}
			logf("run %d, %d viewers: %s", run+1, n, r)
			if n == *viewers {
				many = append(many, r)
				allOK = allOK && r.bad == 0
			} else {
				one = append(one, r)
			}
		}
	}
	fmt.Printf("fanout: SMTP paced at %.0f msg/s (%d octets, %d conns) for %s, median of %d runs\n", *rate, *size, *conns, *dur, c.runs)
	for _, set := range []struct {
		n  int
		rs []fanoutResult
	}{{*viewers, many}, {1, one}} {
		if len(set.rs) == 0 {
			continue
		}
		var rates, p50s, p99s, cpu []float64
		for _, r := range set.rs {
			rates = append(rates, r.rate)
			p50s = append(p50s, float64(r.p50)/1e6)
			p99s = append(p99s, float64(r.p99)/1e6)
			cpu = append(cpu, r.cpuServer)
		}
		fmt.Printf("  %3d viewer(s): ingest %.0f msg/s %v; delay event time -> read by the viewer p50 %.1f ms, p99 %.1f ms %v; mailscope CPU %.2f cores\n",
			set.n, median(rates), fmtRates(rates), median(p50s), median(p99s), fmtMs(p99s), median(cpu))
	}
	var manyP99 []float64
	for _, r := range many {
		manyP99 = append(manyP99, float64(r.p99)/1e6)
	}
	mp99 := median(manyP99)
	fmt.Printf("  %d viewers: every viewer got every event in order: %v (target: yes: %s); p99 delay %.1f ms (target <= 100 ms: %s)\n",
		*viewers, allOK, verdict(allOK), mp99, verdict(mp99 <= 100))
	fmt.Printf("  (delay: the event's time, set by mailscope when it read the line, to the moment loadbench read the websocket message; one host, one clock)\n")
	return nil
}

// fanoutResult is one phase of Fanout.
type fanoutResult struct {
	rate           float64
	sent           int
	smtpP99        time.Duration
	events         int64 // per viewer
	p50, p99, pmax time.Duration
	bad            int
	why            string
	cpuServer      float64 // cores
	cpuSelf        float64
	viewers        int
}

func (r fanoutResult) String() string {
	return fmt.Sprintf("ingest %.0f msg/s (%d msgs, SMTP p99 %s), %d events to each of %d viewers; delay p50 %s p99 %s max %s; viewers with a gap or loss: %d %s; CPU: mailscope %.2f cores, loadbench %.2f cores",
		r.rate, r.sent, ms(r.smtpP99), r.events, r.viewers, ms(r.p50), ms(r.p99), ms(r.pmax), r.bad, r.why, r.cpuServer, r.cpuSelf)
}

// fanoutPhase connects n viewers, runs l and checks what each received.
func fanoutPhase(srv *server, n int, l load) (fanoutResult, error) {
	vs := make([]*viewer, 0, n)
	defer func() {
		for _, v := range vs {
			v.close()
		}
	}()
	for i := 0; i < n; i++ {
		v, err := dialViewer(srv.webAddr(), false)
		if err != nil {
			return fanoutResult{}, err
		}
		vs = append(vs, v)
	}
	time.Sleep(200 * time.Millisecond) // every hello read
	cpu0, self0 := cpuTime(srv.pid), cpuTime(os.Getpid())
	res, err := l.run()
	if err != nil {
		return fanoutResult{}, err
	}
	secs := res.elapsed.Seconds()
	r := fanoutResult{rate: res.rate(), sent: res.sent, smtpP99: percentile(res.lat, 99), viewers: n,
		cpuServer: (cpuTime(srv.pid) - cpu0).Seconds() / secs, cpuSelf: (cpuTime(os.Getpid()) - self0).Seconds() / secs}
	top := settle(vs, time.Second, 60*time.Second)
	var delays hist
	var events int64
	for i, v := range vs {
		vr := v.report()
		events += vr.events
		delays.merge(vr.delays)
		if vr.err != nil || vr.gaps > 0 || vr.markers > 0 || vr.last != top || vr.events != int64(vr.last-vr.first+1) {
			r.bad++
			if r.why == "" {
				r.why = fmt.Sprintf("(viewer %d: first %d last %d, newest %d, events %d, gaps %d, markers %d, err %v)",
					i, vr.first, vr.last, top, vr.events, vr.gaps, vr.markers, vr.err)
			}
		}
	}
	r.events = events / int64(n)
	r.p50, r.p99, r.pmax = delays.percentile(50), delays.percentile(99), delays.percentile(100)
	return r, nil
}

// Frozen measures ingest with one reading viewer, with and without a
// second viewer that connects and never reads during the run; after each
// frozen run that viewer reads again and must get a skipped marker.
func Frozen(args []string) error {
	fs := flag.NewFlagSet("frozen", flag.ExitOnError)
	var c common
	c.register(fs, 5)
	msgs, conns, size := ingestFlags(fs)
	fs.Parse(args)
	srv, err := c.server()
	if err != nil {
		return err
	}
	defer srv.stop()
	live, err := dialViewer(srv.webAddr(), false)
	if err != nil {
		return err
	}
	defer live.close()
	logf("frozen: %d runs of %d msgs over %d conns, with and without a frozen viewer (one live viewer always)", c.runs, *msgs, *conns)
	if err := c.warmUp(load{conns: *conns, count: *msgs, size: *size}, srv); err != nil {
		return err
	}
	var with, without, pairs []float64
	markers := 0
	for i := 0; i < c.runs; i++ {
		for _, frozen := range []bool{i%2 == 0, i%2 == 1} {
			var fv *viewer
			if frozen {
				if fv, err = dialViewer(srv.webAddr(), true); err != nil {
					return err
				}
			}
			res, err := load{addr: srv.smtpAddr(), conns: *conns, count: *msgs, size: *size}.run()
			if err != nil {
				return err
			}
			if !frozen {
				without = append(without, res.rate())
				continue
			}
			with = append(with, res.rate())
			close(fv.resume)
			// The bus hands a subscriber its skipped marker with the next
			// event that finds room: once the frozen viewer has read its
			// queue, make a few events (an SMTP session with EHLO and QUIT).
			time.Sleep(time.Second)
			if sc, err := dialSMTP(srv.smtpAddr()); err == nil {
				sc.cmd("EHLO nudge.example")
				sc.cmd("QUIT")
				sc.c.Close()
			}
			settle([]*viewer{live, fv}, time.Second, 30*time.Second)
			r := fv.report()
			fv.close()
			if r.markers > 0 && r.gaps == 0 {
				markers++
			}
			logf("run %d: frozen viewer resumed: %d events (seq %d..%d), %d skipped markers (%d events skipped), gaps %d, err %v",
				i+1, r.events, r.first, r.last, r.markers, r.skipped, r.gaps, r.err)
		}
		pairs = append(pairs, with[i]/without[i])
		logf("run %d: without %.0f msg/s, with a frozen viewer %.0f msg/s, ratio %.2f", i+1, without[i], with[i], pairs[i])
	}
	lr := live.report()
	mw, mo := median(with), median(without)
	drop := 1 - mw/mo
	fmt.Printf("frozen: SMTP ingest %d x %d octets over %d conns, one live viewer, median of %d runs\n", *msgs, *size, *conns, c.runs)
	fmt.Printf("  without a frozen viewer: %.0f msg/s %v\n", mo, fmtRates(without))
	fmt.Printf("  with a frozen viewer:    %.0f msg/s %v\n", mw, fmtRates(with))
	pdrop := 1 - median(pairs)
	fmt.Printf("  ingest lowered by %.1f %% (medians), %.1f %% (median of the per-run ratios %v) (target < 10 %%: %s)\n",
		100*drop, 100*pdrop, fmtList(pairs, "%.2f"), verdict(drop < 0.10 && pdrop < 0.10))
	fmt.Printf("  skipped marker after resuming in %d of %d runs (%s); live viewer: %d gaps, %d markers\n",
		markers, c.runs, verdict(markers == c.runs), lr.gaps, lr.markers)
	return nil
}

// ingestFlags registers the flags of a fixed-size SMTP ingest (overhead,
// frozen): messages per run, connections and message size.
func ingestFlags(fs *flag.FlagSet) (msgs, conns, size *int) {
	msgs = fs.Int("msgs", 3000, "messages per run")
	conns = fs.Int("conns", 10, "SMTP connections")
	size = fs.Int("size", 1024, "message size in octets")
	return msgs, conns, size
}

// warmUp runs l against each server c.warmup times, unmeasured.
func (c *common) warmUp(l load, servers ...*server) error {
	for i := 0; i < c.warmup; i++ {
		for _, s := range servers {
			l.addr = s.smtpAddr()
			res, err := l.run()
			if err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
			logf("warm-up %d (not counted): %s %.0f msg/s", i+1, s.smtpAddr(), res.rate())
		}
	}
	return nil
}
