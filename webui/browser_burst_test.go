package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// BenchmarkPageBurst measures the page in a real browser (headless
// chromium at 1280x720) while 10 SMTP clients send 2,000 messages (one
// session each, half of them relayed to b.example) to server A:
//
//   - missing-events: events of the run the page does not hold at the end
//     (gaps in its sequence numbers, and events never received); the page
//     catches up after falling behind by reconnecting after its newest
//     event (resumes), so the figure should be 0;
//   - p95-frame-ms: the 95th percentile of the time between two animation
//     frames during the burst;
//   - p95-click-ms, max-click-ms: from a mouse click on the ladder (sent
//     every 250 ms during the burst) to the next frame after its handler;
//   - reload-ms: after the burst, from navigation start of a reload to the
//     replay of the server's kept history (10,000 events) taken in and
//     drawn; reload-click-ms: a click right after that;
//   - open-sessions: sessions the page still shows open once all closed.
//
// The log says the frames by display refreshes (chromium draws on them:
// a frame is 16.7, 33.3, 50 ms ...) and those a click came in.
// BURST_LONG=1 lists each long frame's scripts, BURST_CPUPROFILE=file and
// BURST_TRACE=file keep a profile and a trace of the burst. DevTools'
// network log is off during the burst (it cost the page 1.6 s of its
// 2.5 s in the burst: every websocket message copied to the test).
//
// Run it alone (it takes a minute; the machine should be otherwise idle):
//
//	go test -run '^$' -bench BenchmarkPageBurst -benchtime 1x ./webui/
func BenchmarkPageBurst(b *testing.B) {
	const clients, messages = 10, 2000
	for i := 0; i < b.N; i++ {
		pageBurst(b, clients, messages)
	}
}

func pageBurst(b *testing.B, clients, messages int) {
	// BURST_HISTORY=n runs the bus with a history of n events (the
	// default keeps tracer.DefaultHistory): what the page can catch up on
	// after falling behind.
	var busOpts []tracer.BusOption
	if n, err := strconv.Atoi(os.Getenv("BURST_HISTORY")); err == nil && n > 0 {
		busOpts = append(busOpts, tracer.WithHistory(n), tracer.WithHistoryBytes(n*2048))
	}
	inst, _, base := newWorldBus(b, Options{}, "127.0.0.1:0", busOpts...)
	smtpA := inst.Addr("A", world.SMTP)
	pg := newPageSize(b, 1280, 720)
	pg.deadline = time.Now().Add(10 * time.Minute)
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)
	pg.eval(`(() => {
		const B = window.__bench = {frames: [], clicks: [], clicked: [], on: true, last: 0, click: 0};
		// clicked: whether a click came during the frame.
		const f = (t) => { if (B.last) { B.frames.push(t - B.last); B.clicked.push(B.click > B.last); } B.last = t; if (B.on) requestAnimationFrame(f); };
		requestAnimationFrame(f);
		document.addEventListener("click", (e) => { const t0 = e.timeStamp; B.click = t0; requestAnimationFrame(() => B.clicks.push(performance.now() - t0)); }, true);
		// Where the long frames (over 50 ms) go: scripts by what called
		// them, the style and layout they forced, the frame's own style and
		// layout, and the rest (the browser's own work between tasks).
		const L = B.loaf = {n: 0, total: 0, script: 0, forced: 0, render: 0, layout: 0, by: {}};
		new PerformanceObserver((list) => {
			if (!B.on) return;
			for (const f of list.getEntries()) {
				L.n++; L.total += f.duration;
				(L.list = L.list || []).push(Math.round(f.duration) + "ms [render " + Math.round(f.renderStart ? f.startTime + f.duration - f.renderStart : 0) + ", block " + Math.round(f.blockingDuration) + "] " + f.scripts.map(s => (s.sourceFunctionName || s.invoker) + ":" + Math.round(s.duration)).join(" "));
				const end = f.startTime + f.duration;
				if (f.renderStart) L.render += end - f.renderStart;
				if (f.styleAndLayoutStart) L.layout += end - f.styleAndLayoutStart;
				for (const s of f.scripts) {
					L.script += s.duration; L.forced += s.forcedStyleAndLayoutDuration;
					const k = s.invokerType + " " + (s.sourceFunctionName || s.invoker) + " " + String(s.sourceURL).split("/").pop() + ":" + s.sourceCharPosition;
					L.by[k] = (L.by[k] || 0) + s.duration;
				}
			}
		}).observe({type: "long-animation-frame", buffered: true});
		return "";
	})()`)

	// BURST_CPUPROFILE=file keeps the page's CPU profile of the burst (open
	// it in chromium's DevTools, Performance panel).
	profile := os.Getenv("BURST_CPUPROFILE")
	if profile != "" {
		pg.step("starting the profiler", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
				return chromedp.Void{}, err
			}
			_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
			return chromedp.Void{}, err
		})
	}
	// BURST_TRACE=file keeps chromium's trace of the burst (the page's
	// tasks, style, layout, paint and raster; open it in DevTools'
	// Performance panel or in Perfetto).
	trace := os.Getenv("BURST_TRACE")
	var traceMu sync.Mutex
	var traceEvents []json.RawMessage
	traceDone := make(chan struct{})
	if trace != "" {
		chromedp.Listen(pg.ctx, func(ev any) {
			switch ev := ev.(type) {
			case *tracing.EventDataCollected:
				traceMu.Lock()
				for _, v := range ev.Value {
					traceEvents = append(traceEvents, json.RawMessage(v))
				}
				traceMu.Unlock()
			case *tracing.EventTracingComplete:
				close(traceDone)
			}
		})
		pg.step("starting the trace", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, t, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{
				IncludedCategories: []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame", "blink", "cc", "gpu", "viz", "toplevel"}}})
			return chromedp.Void{}, err
		})
	}
	// chromedp enables DevTools' Network domain, which reports every
	// websocket message to the test with its whole text: in the renderer
	// that cost as much as the page's own work (1.6 s of its main thread
	// in the burst, and the browser process's 2.4 s to send it on). A
	// reader's browser has no DevTools attached.
	pg.step("disabling DevTools' network log", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.Disable, cdp.Empty{})
		return chromedp.Void{}, err
	})
	// The page's main thread's CPU time (chromium's ThreadTime) is the
	// figure the machine's load moves least.
	pg.step("enabling the metrics", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{})
		return chromedp.Void{}, err
	})
	cpu0 := pg.threadTime()
	start := time.Now()
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := c; m < messages; m += clients {
				to := "alice@a.example"
				if m%2 == 1 {
					to = "bob@b.example"
				}
				if err := sendOne(smtpA, to, fmt.Sprintf("Subject: burst %d\n\nmessage %d of the burst\n", m, m)); err != nil {
					errs <- err
					return
				}
				sent.Add(1)
			}
		}()
	}
	// Clicks on the ladder while the burst runs.
	stop := make(chan struct{})
	clicked := make(chan struct{})
	go func() {
		defer close(clicked)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				chromedp.Do(pg.ctx, chromedp.MouseClickXY(700, 400))
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	sendTime := time.Since(start)
	// The relay goes on after the last client quits: wait until the bus
	// is quiet.
	for last := inst.Bus.Seq(); ; {
		time.Sleep(2 * time.Second)
		if cur := inst.Bus.Seq(); cur == last {
			break
		} else {
			last = cur
		}
	}
	close(stop)
	<-clicked
	total := inst.Bus.Seq()
	pg.waitUpTo("the page to hold the newest event", `window.__mailscope.lastSeq >= `+strconv.FormatUint(total, 10), 5*time.Minute)
	caughtUp := time.Since(start)
	burstCPU := pg.threadTime() - cpu0
	pg.eval(`window.__bench.on = false, ""`)
	if profile != "" {
		pg.step("stopping the profiler", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			res, err := cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
			if err != nil {
				return chromedp.Void{}, err
			}
			j, err := json.Marshal(res.Profile)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(profile, j, 0o644)
		})
	}

	if trace != "" {
		pg.step("stopping the trace", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, t, tracing.End, cdp.Empty{})
			return chromedp.Void{}, err
		})
		<-traceDone
		traceMu.Lock()
		j, err := json.Marshal(map[string]any{"traceEvents": traceEvents})
		traceMu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(trace, j, 0o644); err != nil {
			b.Fatal(err)
		}
	}

	var got struct {
		Frames, Clicks       []float64
		Clicked              []bool
		Held, Min, Max       int
		Missing, Resumes     int
		OpenSessions, Closed int
		Events               int
	}
	js := `(() => {
		const S = window.__mailscope, B = window.__bench;
		const seqs = S.events.filter(e => e.kind !== "skipped").map(e => e.seq);
		const held = new Set(seqs);
		let open = 0, closed = 0;
		for (const s of S.sessions.values()) { if (s.closed) closed++; else open++; }
		return JSON.stringify({Frames: B.frames, Clicks: B.clicks, Clicked: B.clicked, Held: held.size, Min: Math.min(...seqs), Max: Math.max(...seqs),
			Missing: S.missing, Resumes: S.resumes, OpenSessions: open, Closed: closed, Events: S.events.length});
	})()`
	if err := json.Unmarshal([]byte(pg.eval(js)), &got); err != nil {
		b.Fatal(err)
	}
	// Events missing: gaps between the oldest and newest held (the page
	// keeps at most its newest 50,000: older ones are let go on purpose)
	// and events after the newest held.
	missing := (got.Max - got.Min + 1 - got.Held) + (int(total) - got.Max)
	b.Logf("%d messages from %d clients sent in %s, %d events; the page caught up %s after the start; %d resumes; page's own count of missing events %d; %d sessions closed, %d open",
		sent.Load(), clients, sendTime.Round(time.Millisecond), total, caughtUp.Round(time.Millisecond), got.Resumes, got.Missing, got.Closed, got.OpenSessions)
	var clickFrames []float64
	for i, c := range got.Clicked {
		if c && i < len(got.Frames) {
			clickFrames = append(clickFrames, got.Frames[i])
		}
	}
	b.Logf("frames: %d, clicks: %d; frames by vsyncs (16.7 ms each): %s; the frames a click came in: %s", len(got.Frames), len(got.Clicks), vsyncHistogram(got.Frames), vsyncHistogram(clickFrames))
	if os.Getenv("BURST_LONG") != "" {
		b.Logf("each long frame:\n%s", pg.eval(`(window.__bench.loaf.list || []).join(" | ")`))
	}
	b.Logf("long frames: %s", pg.eval(`(() => { const L = window.__bench.loaf; const by = Object.entries(L.by).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => k + " " + Math.round(v)).join("; ");
		return L.n + " over 50 ms, " + Math.round(L.total) + " ms in all: scripts " + Math.round(L.script) + " (forced style and layout " + Math.round(L.forced) + "), rendering " + Math.round(L.render) + " (style and layout " + Math.round(L.layout) + "); scripts by caller: " + by; })()`))

	// A reload replays the kept history: three reloads, the median is
	// reported (one reload is a second of a loaded machine's noise).
	var reloads, reloadClicks []float64
	for range 3 {
		pg.step("reloading", chromedp.Navigate(base+"/"))
		pg.waitUpTo("the replay drawn", `window.__mailscope.replayDoneAt > 0`, time.Minute)
		reload, _ := strconv.ParseFloat(pg.eval(`String(window.__mailscope.replayDoneAt)`), 64)
		reloadCPU := pg.threadTime()
		replayed := pg.eval(`String(window.__mailscope.events.length)`)
		// Where the reload's time goes: the page's files and API calls
		// (when each answer was in), the websocket open, the replay taken
		// in.
		steps := pg.eval(`(() => {
			const r = (n) => Math.round(n), out = [];
			const nav = performance.getEntriesByType("navigation")[0];
			if (nav) out.push("page " + r(nav.responseEnd), "DOMContentLoaded " + r(nav.domContentLoadedEventEnd));
			for (const e of performance.getEntriesByType("resource")) if (!/\/static\//.test(e.name)) out.push(e.name.replace(/^https?:\/\/[^/]+/, "") + " " + r(e.responseEnd));
			for (const m of performance.getEntriesByType("mark")) out.push(m.name + " " + r(m.startTime));
			return out.join(", ");
		})()`)
		pg.eval(`(() => { window.__reloadClick = 0; document.addEventListener("click", (e) => { const t0 = e.timeStamp; requestAnimationFrame(() => { window.__reloadClick = performance.now() - t0; }); }, true); return ""; })()`)
		pg.step("a click after the reload", chromedp.MouseClickXY(700, 400))
		pg.wait("the click answered", `window.__reloadClick > 0`)
		reloadClick, _ := strconv.ParseFloat(pg.eval(`String(window.__reloadClick)`), 64)
		b.Logf("reload: %s events replayed and drawn %.0f ms after navigation start (%s; the page's CPU %.0f ms); a click then answered in %.1f ms", replayed, reload, steps, reloadCPU, reloadClick)
		reloads = append(reloads, reload)
		reloadClicks = append(reloadClicks, reloadClick)
	}
	reload, reloadClick := percentile(reloads, 50), percentile(reloadClicks, 50)

	b.ReportMetric(float64(missing), "missing-events")
	b.ReportMetric(float64(total), "events")
	b.ReportMetric(float64(got.Resumes), "resumes")
	b.ReportMetric(percentile(got.Frames, 95), "p95-frame-ms")
	b.ReportMetric(percentile(got.Clicks, 95), "p95-click-ms")
	b.ReportMetric(percentile(got.Clicks, 100), "max-click-ms")
	b.ReportMetric(reload, "reload-ms")
	b.ReportMetric(reloadClick, "reload-click-ms")
	b.ReportMetric(float64(got.OpenSessions), "open-sessions")
	b.ReportMetric(burstCPU, "page-cpu-ms")
	b.ReportMetric(0, "ns/op")
}

// vsyncHistogram counts frame times by how many 60 Hz display refreshes
// they took ("1:120 2:80 ..."): chromium draws on them, so the times come
// in steps of 16.7 ms.
func vsyncHistogram(frames []float64) string {
	n := map[int]int{}
	top := 0
	for _, f := range frames {
		k := max(1, int(f/(1000.0/60)+0.5))
		n[k]++
		top = max(top, k)
	}
	var b strings.Builder
	for k := 1; k <= top; k++ {
		if n[k] > 0 {
			fmt.Fprintf(&b, "%d:%d ", k, n[k])
		}
	}
	return strings.TrimSpace(b.String())
}

// percentile is the p-th percentile of xs (nearest rank), 0 for none.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// sendOne sends one message in its own SMTP session over a real socket,
// for goroutines (it returns an error where smtpSend fails the test).
func sendOne(addr, to, msg string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(c)
	expect := func(code string) error {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(l, code) {
				return fmt.Errorf("SMTP: got %q, want %s", l, code)
			}
			if len(l) < 4 || l[3] != '-' {
				return nil
			}
		}
	}
	if err := expect("220"); err != nil {
		return err
	}
	for _, step := range [][2]string{{"EHLO burst", "250"}, {"MAIL FROM:<alice@a.example>", "250"}, {"RCPT TO:<" + to + ">", "250"}, {"DATA", "354"}} {
		fmt.Fprintf(c, "%s\r\n", step[0])
		if err := expect(step[1]); err != nil {
			return err
		}
	}
	io.WriteString(c, strings.ReplaceAll(msg, "\n", "\r\n")+".\r\n")
	if err := expect("250"); err != nil {
		return err
	}
	fmt.Fprintf(c, "QUIT\r\n")
	return expect("221")
}

// threadTime is the CPU time in ms the page's main thread has used since
// the document loaded (the Performance domain must be enabled).
func (pg *page) threadTime() float64 {
	var v float64
	pg.step("reading the metrics", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		r, err := cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return chromedp.Void{}, err
		}
		for _, m := range r.Metrics {
			if m.Name == "ThreadTime" {
				v = m.Value * 1000
			}
		}
		return chromedp.Void{}, nil
	})
	return v
}
