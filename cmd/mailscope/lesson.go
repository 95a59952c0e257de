package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// lessonOptions are the flags of mailscope lesson.
type lessonOptions struct {
	options
	restart bool
	trace   bool
	// server and user: a lesson the class's server checks
	// (lesson_remote.go).
	server, user string
}

func newLessonsCmd() *cobra.Command {
	var data, lang string
	cmd := &cobra.Command{
		Use:  "lessons",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLang(lang); err != nil {
				return err
			}
			return listLessons(cmd.OutOrStdout(), data, pickLang(lang))
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir(), "")
	cmd.Flags().StringVar(&lang, "lang", "", "")
	return cmd
}

func listLessons(out io.Writer, data, lang string) error {
	set, err := lessons.Load()
	if err != nil {
		return err
	}
	prog, err := loadProgress(data, lang)
	if err != nil {
		return err
	}
	rows := [][]string{{"#", lessons.UI(lang, "col.lesson"), lessons.UI(lang, "col.title"), lessons.UI(lang, "steps"), lessons.UI(lang, "progress")}}
	for i, l := range set.Lessons {
		p := prog.Get(l.ID)
		state := lessons.UI(lang, "not.started")
		switch {
		case p.Completed && len(p.Done) == 0:
			state = "✓ " + lessons.UI(lang, "completed")
		case p.Completed:
			state = lessons.UI(lang, "completed.again", "done", strconv.Itoa(len(p.Done)), "steps", strconv.Itoa(len(l.Steps)))
		case len(p.Done) > 0:
			state = fmt.Sprintf("%d/%d", len(p.Done), len(l.Steps))
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), l.ID, l.Title.In(lang), strconv.Itoa(len(l.Steps)), state})
	}
	writeTable(out, rows)
	fmt.Fprintln(out, "\n"+lessons.UI(lang, "try.lesson"))
	return nil
}

func newLessonCmd() *cobra.Command {
	o := &lessonOptions{}
	cmd := &cobra.Command{
		Use:  "lesson NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runLesson(ctx, cmd, o, args[0])
		},
	}
	addWorldFlags(cmd, &o.options)
	cmd.Flags().BoolVar(&o.restart, "restart", false, "")
	cmd.Flags().BoolVar(&o.trace, "trace", true, "")
	cmd.Flags().StringVar(&o.server, "server", "", "")
	cmd.Flags().StringVar(&o.user, "user", "", "")
	return cmd
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// findLesson loads the lessons and returns the one named id; an error is
// in lang.
func findLesson(id, lang string) (*lessons.Lesson, error) {
	set, err := lessons.Load()
	if err != nil {
		return nil, err
	}
	l := set.Get(id)
	if l == nil {
		return nil, sayErr(lang, "cli.err.no_lesson", nil, "lesson", strconv.Quote(id), "lessons", strings.Join(set.IDs(), ", "))
	}
	return l, nil
}

func runLesson(ctx context.Context, cmd *cobra.Command, o *lessonOptions, id string) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	lang := pickLang(o.lang)
	l, err := findLesson(id, lang)
	if err != nil {
		return err
	}
	if o.server != "" {
		return runRemoteLesson(ctx, cmd, o, l.ID, lang)
	}
	out := cmd.OutOrStdout()
	color, err := useColor(o.color, lang, out)
	if err != nil {
		return err
	}
	// The mailscope this user runs elsewhere (up --data DIR) is the one
	// to attach to, and its data directory keeps the progress.
	if o.data, err = resolveData(cmd, o.data, lang); err != nil {
		return err
	}
	prog, err := loadProgress(o.data, lang)
	if err != nil {
		return err
	}
	start := 0
	if o.restart {
		if err := prog.Restart(l.ID); err != nil {
			return err
		}
	} else {
		start = prog.Get(l.ID).Next()
	}
	env, err := openLessonEnv(ctx, cmd, &o.options, lang, out)
	if err != nil {
		return err
	}
	defer env.close()
	if start > 0 {
		fmt.Fprintln(out, lessons.UI(lang, "resume", "n", strconv.Itoa(start+1)))
	}
	err = followLesson(ctx, out, env, l, lessonView{lang: lang, color: color, trace: o.trace, data: o.showData, explain: o.explain,
		enter: enterKeys(ctx, cmd.InOrStdin())}, prog, start)
	if err == nil && ctx.Err() == nil && env.inst != nil {
		// The lesson started the servers: keep them for the browser
		// timeline (and more experiments) until Ctrl-C.
		fmt.Fprintln(out, "\n"+env.keepRunning(lang))
		<-ctx.Done()
	}
	return err
}

// lessonView says how a lesson is printed.
type lessonView struct {
	lang                  string
	color, trace, explain bool
	data                  bool
	// enter delivers the Enter key of the lesson's terminal (nil when it
	// is not a terminal). A step the student watches rather than types
	// (relay's hops, a retry to wait for) completes from events that come
	// in a burst, all within a second: after the explanation of the step
	// before it, the lesson waits for Enter, trace and all, so that each
	// explanation is read before the next one scrolls it away. A fixed
	// pause would be too short for the long explanations and too long for
	// the short ones; the student types in another terminal, so this one
	// is free for the key.
	enter <-chan struct{}
}

// enterKeys returns a channel that receives a value each time Enter is
// pressed on in, when in is a terminal; nil otherwise (a pipe, a test),
// and the lesson does not wait.
func enterKeys(ctx context.Context, in io.Reader) <-chan struct{} {
	f, ok := in.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	ch := make(chan struct{})
	go func() {
		r := bufio.NewReader(f)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// pace waits for Enter before a step the student watches, when the step
// before it has just been explained (see lessonView.enter).
func (v lessonView) pace(ctx context.Context, out io.Writer, pr *lessonPrinter) {
	if v.enter == nil {
		return
	}
	for drained := false; !drained; { // an Enter pressed earlier does not count
		select {
		case <-v.enter:
		default:
			drained = true
		}
	}
	fmt.Fprint(out, pr.c(cDimCode, lessons.UI(v.lang, "pace"))+" ")
	select {
	case <-v.enter:
	case <-ctx.Done():
		fmt.Fprintln(out)
	}
}

// followLesson runs the engine on env's events and prints the trace and the
// lesson until it is finished or ctx ends.
func followLesson(ctx context.Context, out io.Writer, env *lessonEnv, l *lessons.Lesson, v lessonView, prog *lessons.Progress, start int) error {
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: v.color, Explain: v.explain, Data: v.data, Lang: v.lang})
	pr := &lessonPrinter{out: out, color: v.color, lang: v.lang, id: l.ID}
	explained := false // the last update explained a step
	opts := lessons.Options{Lang: v.lang, Vars: env.addrs.Vars(), Start: start, Progress: prog, Publish: env.publish,
		Notify: func(u lessons.Update) {
			console.Flush()
			pr.update(u)
			if u.Status == lessons.StatusCurrent && explained && len(l.Steps[u.Step].Demo) == 0 {
				v.pace(ctx, out, pr)
			}
			explained = u.Status == lessons.StatusStepDone
		}}
	e := lessons.NewEngine(l, opts)
	fmt.Fprintf(out, "%s\n", pr.c(cDimCode, lessons.UI(v.lang, "watching", "where", env.where)))
	if note := langNote(env.lang, v.lang); note != "" {
		fmt.Fprintln(out, pr.c(cYellowCode, note))
	}
	e.Begin()
	fmt.Fprintln(out)
	relocal := localizer(env.lang, v.lang)
	for {
		select {
		case <-ctx.Done():
			console.Flush()
			return nil
		case err := <-env.errc:
			console.Flush()
			return err
		case <-e.Done():
			console.Flush()
			return nil
		case ev, ok := <-env.events:
			if !ok {
				console.Flush()
				return errors.New(say(v.lang, "cli.err.stream"))
			}
			if ev.Kind == tracer.KindLesson || ev.Kind == webui.KindHello {
				continue
			}
			ev = relocal(ev)
			if v.trace {
				console.Print(ev)
			} else if ev.Kind == tracer.KindLine && ev.Dir == tracer.S2C && ev.Hop == "" {
				// Without the full trace, still show (and explain) what
				// the servers answer the student.
				console.Print(ev)
			}
			e.Feed(ev)
			if len(env.events) == 0 {
				console.Flush()
			}
		}
	}
}

// langNote is a line in lang saying that the attached instance explains
// in instLang, and how to have it explain in lang; "" when they agree (or
// the instance did not say).
func langNote(instLang, lang string) string {
	if instLang == "" || instLang == lang {
		return ""
	}
	return say(lang, "cli.lang.mismatch", "inst", say(lang, "cli.lang.name."+instLang), "lang", say(lang, "cli.lang.name."+lang), "code", lang)
}

// localizer returns a function that says events again in lang when the
// instance speaks another language (an attached instance started with
// another --lang): an event's prose from its catalog message (Msg), its
// explanation from its key and arguments, or from its key and the values
// the framer filled into the instance's catalog text.
func localizer(instLang, lang string) func(*tracer.Event) *tracer.Event {
	if instLang == "" || instLang == lang {
		return func(e *tracer.Event) *tracer.Event { return e }
	}
	x, xi := tracer.NewExplainer(lang), tracer.NewExplainer(instLang)
	return func(e *tracer.Event) *tracer.Event {
		text := e.Text
		if e.Msg != nil {
			text = x.Format(e.Msg)
		}
		ex := reexplain(x, xi, e)
		if text == e.Text && ex == nil {
			return e
		}
		c := *e
		c.Text = text
		if ex != nil {
			c.Explain = ex
		}
		return &c
	}
}

// reexplain is e's explanation in x's language, or nil when it cannot be
// said again: xi is the instance's explainer, whose catalog text the
// explanation must match exactly (a {placeholder} matching what the framer
// filled in from the line) for its key to be said in x's language.
func reexplain(x, xi *tracer.Explainer, e *tracer.Event) *tracer.Explanation {
	if e.Explain == nil || e.Explain.Key == "" {
		return nil
	}
	var nx *tracer.Explanation
	if e.Proto == "smtp" && e.Dir == tracer.S2C && len(e.Text) >= 3 {
		if code, err := strconv.Atoi(e.Text[:3]); err == nil {
			cmd := ""
			if k := strings.Split(e.Explain.Key, "."); len(k) == 4 {
				cmd = k[3]
			}
			nx = x.SMTPReply(code, e.Explain.Enh, cmd)
		}
	}
	if nx == nil && len(e.Explain.Args) > 0 {
		var kv []string
		for k, v := range e.Explain.Args {
			kv = append(kv, k, v)
		}
		nx = x.Explain(e.Explain.Key, kv...)
	}
	if nx == nil {
		nx = refill(x, xi, e.Explain)
	}
	if nx == nil || strings.Contains(nx.Text, "{") {
		return nil
	}
	ex := *e.Explain
	ex.Text = nx.Text
	ex.RFC = tracer.CiteIn(x.Lang(), ex.RFC)
	if nx.EnhText != "" {
		ex.EnhText = nx.EnhText
	}
	return &ex
}

// refill says ex again in x's language when its text is its key's catalog
// text in xi's language, its {placeholders} filled in by the framer (an
// IMAP status's {cmd}, a POP3 STAT's {n} and {size}): the same values go
// into x's text. A response code's meaning (EnhText) is said again when it
// is the instance's text for that code. nil when the text does not match.
func refill(x, xi *tracer.Explainer, ex *tracer.Explanation) *tracer.Explanation {
	if !tracer.HasKey(ex.Key, "en") {
		return nil
	}
	vals, ok := unfill(xi.Text(ex.Key), ex.Text)
	if !ok {
		return nil
	}
	nx := &tracer.Explanation{Key: ex.Key, Text: fillIn(x.Text(ex.Key), vals)}
	if ex.Enh != "" && ex.EnhText != "" {
		code := ex.Enh
		for _, say := range []func(*tracer.Explainer) string{
			func(y *tracer.Explainer) string { return y.Text("imap.code." + code) },
			func(y *tracer.Explainer) string { return y.POP3Code(code) },
		} {
			if say(xi) == ex.EnhText {
				nx.EnhText = say(x)
				break
			}
		}
	}
	return nx
}

// placeholder is a {name} in a catalog text.
var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// unfill matches text against the catalog text tmpl and returns the value
// of each {name} in it; ok is false when text is not tmpl filled in.
func unfill(tmpl, text string) (map[string]string, bool) {
	names := placeholder.FindAllString(tmpl, -1)
	if len(names) == 0 {
		return nil, tmpl == text
	}
	lits := placeholder.Split(tmpl, -1)
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i, l := range lits {
		b.WriteString(regexp.QuoteMeta(l))
		if i < len(names) {
			b.WriteString(`(.*?)`)
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, false
	}
	m := re.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	vals := map[string]string{}
	for i, n := range names {
		if _, seen := vals[n]; !seen {
			vals[n] = m[i+1]
		}
	}
	return vals, true
}

// fillIn puts vals into tmpl's {placeholders}.
func fillIn(tmpl string, vals map[string]string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(p string) string {
		if v, ok := vals[p]; ok {
			return v
		}
		return p
	})
}

// writeTable writes rows in columns. Unlike text/tabwriter it counts a
// Chinese character as two columns, as terminals show it (lessons.Width).
func writeTable(out io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], lessons.Width(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-lessons.Width(c)+2))
			}
		}
		fmt.Fprintln(out, b.String())
	}
}

// lessonPrinter prints the engine's updates between the trace lines.
type lessonPrinter struct {
	out   io.Writer
	color bool
	lang  string
	id    string
}

const (
	cDimCode    = "\033[2m"
	cBoldCode   = "\033[1m"
	cGreenCode  = "\033[1;32m"
	cYellowCode = "\033[1;33m"
	cTitleCode  = "\033[1;35m"
)

// c escapes s for the terminal (tracer.PrintableText: a lesson text may
// quote the trace, and an attached instance's updates are anyone's), then
// colors it. Every text the printer writes goes through c.
func (p *lessonPrinter) c(code, s string) string {
	s = tracer.PrintableText(s)
	if !p.color || code == "" {
		return s
	}
	return code + s + "\033[0m"
}

func (p *lessonPrinter) update(u lessons.Update) {
	lang := p.lang
	switch u.Status {
	case lessons.StatusStarted:
		fmt.Fprintf(p.out, "\n%s\n%s\n", p.c(cTitleCode, lessons.UI(lang, "lesson", "lesson", p.id, "title", u.Title)), p.c("", indent(u.Text, "")))
	case lessons.StatusCurrent:
		step := lessons.UI(lang, "step", "n", strconv.Itoa(u.Step+1), "steps", strconv.Itoa(u.Steps), "title", u.Title)
		fmt.Fprintf(p.out, "\n%s\n%s\n", p.c(cBoldCode, "── "+step+" ──"), p.c("", indent(u.Text, "  ")))
	case lessons.StatusStepDone:
		fmt.Fprintf(p.out, "%s\n", p.c(cGreenCode, lessons.UI(lang, "step.done", "n", strconv.Itoa(u.Step+1), "text", u.Text)))
	case lessons.StatusHint:
		fmt.Fprintf(p.out, "%s\n", p.c(cYellowCode, "  ➜ "+lessons.UI(lang, "hint", "text", u.Text)))
	case lessons.StatusFinished:
		fmt.Fprintf(p.out, "\n%s\n%s\n", p.c(cTitleCode, lessons.UI(lang, "finished", "title", u.Title)), p.c("", indent(u.Text, "")))
	case lessons.StatusError:
		fmt.Fprintf(p.out, "mailscope: %s\n", p.c("", u.Text))
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// lessonEnv is where a lesson or demo runs: the addresses of the servers,
// the stream of trace events, and control over faults and the queue.
type lessonEnv struct {
	where   string // what the lesson watches, for the user
	lang    string // the language the instance explains in
	addrs   lessons.Addrs
	events  <-chan *tracer.Event
	errc    <-chan error
	publish func(*tracer.Event) // onto the bus, in-process only
	control lessons.Controller
	inst    *servers.Instance // in-process only
	close   func()
}

// worldInfo is the part of GET /api/world a lesson needs.
type worldInfo struct {
	Epoch   string `json:"epoch"`
	Seq     uint64 `json:"seq"`
	Lang    string `json:"lang"`
	Servers []struct {
		Name      string            `json:"name"`
		Listeners map[string]string `json:"listeners"`
	} `json:"servers"`
}

// probeWorld asks a running mailscope for its world; an error means none
// answers there.
func probeWorld(ctx context.Context, base, token string) (*worldInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/api/world", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", base, resp.Status)
	}
	var w worldInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&w); err != nil {
		return nil, err
	}
	if len(w.Servers) == 0 {
		return nil, fmt.Errorf("%s: no servers", base)
	}
	return &w, nil
}

// openLessonEnv attaches to the mailscope whose web address is the world's
// (--web), or starts the world in this process when nobody answers there.
func openLessonEnv(ctx context.Context, cmd *cobra.Command, o *options, lang string, out io.Writer) (*lessonEnv, error) {
	w, err := loadWorld(cmd, o)
	if err != nil {
		return nil, err
	}
	webAddr := w.Web
	if webAddr == "" {
		webAddr = "127.0.0.1:8025"
	}
	base := webURL(webAddr)
	token := os.Getenv("MAILSCOPE_TOKEN")
	// The mailscope running on the data directory says where it is,
	// unless --web names one.
	if !cmd.Flags().Changed("web") {
		if run := findRunning(o.data); run != nil {
			base = run.Web
			if token == "" {
				token = run.Token
			}
			info, err := probeWorld(ctx, base, token)
			if err != nil {
				return nil, sayErr(lang, "cli.err.unreachable", err, "url", base)
			}
			return attachEnv(ctx, base, token, info)
		}
	}
	if _, port, _ := net.SplitHostPort(webAddr); port != "0" {
		if info, err := probeWorld(ctx, base, token); err == nil {
			return attachEnv(ctx, base, token, info)
		}
	}
	return startEnv(cmd, o, w, lang, out)
}

// startEnv starts the world in this process, with the web timeline, like
// up does (without its console).
func startEnv(cmd *cobra.Command, o *options, w *world.World, lang string, out io.Writer) (*lessonEnv, error) {
	lock, err := takeData(o.data, lang)
	if err != nil {
		return nil, err
	}
	env, err := startEnvLocked(cmd, o, w, lang, out, lock)
	if err != nil {
		lock.release()
		return nil, err
	}
	return env, nil
}

// startEnvLocked is startEnv once the data directory is taken; the world
// records where it is in lock, which env.close releases.
func startEnvLocked(cmd *cobra.Command, o *options, w *world.World, lang string, out io.Writer, lock *runLock) (*lessonEnv, error) {
	bus := tracer.NewBus(tracer.WithLang(lang), tracer.WithMask(w.MaskCredentials))
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	sub := bus.Subscribe(1 << 16)
	var recFile *os.File
	var recDone chan error
	var recSub *tracer.Subscription
	if o.record != "" {
		f, err := os.Create(o.record)
		if err != nil {
			sub.Close()
			return nil, fmt.Errorf("--record: %w", err)
		}
		recFile, recSub, recDone = f, bus.Subscribe(1<<16), make(chan error, 1)
		go func() { recDone <- tracer.NewRecorder(f).Run(recSub) }()
	}
	inst, err := servers.Start(servers.Config{World: w, DataDir: o.data, Bus: bus, Logger: logger})
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			err = sayErr(lang, "cli.err.in_use", err)
		}
		sub.Close()
		if recSub != nil {
			recSub.Close()
			<-recDone
			recFile.Close()
		}
		return nil, err
	}
	ws, webErr := startWebServer(inst, w.Web, nil, logger)
	var web *webui.Server
	webAddr := ""
	if webErr == nil {
		web, webAddr = ws.srv, ws.addr
		if ws.public {
			fmt.Fprintln(out, ws.publicNote(lang))
		}
	}
	if err := lock.record(inst, ws); err != nil {
		logger.Warn("cannot record the running instance in the data directory", "err", err)
	}
	addrs := lessons.Addrs{}
	var lines []string
	for _, li := range inst.Listeners() {
		addrs[li.Server+"/"+string(li.Proto)] = li.Addr
		lines = append(lines, li.Server+" "+string(li.Proto)+" "+li.Addr)
	}
	fmt.Fprintf(out, "%s\n%s\n", versionString(), say(lang, "cli.lesson.servers", "list", strings.Join(lines, ", ")))
	if webErr != nil {
		fmt.Fprintln(out, say(lang, "cli.banner.web.failed", "err", webErr.Error()))
	} else {
		addrs["web"] = webAddr
		fmt.Fprintln(out, say(lang, "cli.lesson.web", "url", webURL(webAddr)))
	}
	errc := make(chan error)
	env := &lessonEnv{where: say(lang, "cli.lesson.here", "dir", inst.DataDir), lang: lang, addrs: addrs, events: sub.C(), errc: errc,
		publish: bus.Publish, control: instControl{inst}, inst: inst}
	env.close = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if web != nil {
			web.Shutdown(ctx)
		}
		inst.Shutdown(ctx)
		sub.Close()
		if recSub != nil {
			recSub.Close()
			<-recDone
			recFile.Close()
		}
		lock.release()
	}
	return env, nil
}

// keepRunning says in lang that the in-process servers go on after the
// lesson.
func (env *lessonEnv) keepRunning(lang string) string {
	if web := env.addrs["web"]; web != "" {
		return say(lang, "cli.lesson.keep.web", "url", webURL(web))
	}
	return say(lang, "cli.lesson.keep")
}

// loadProgress reads the lesson progress of the data directory; a damaged
// file is reported in lang.
func loadProgress(data, lang string) (*lessons.Progress, error) {
	prog, err := lessons.LoadProgress(data)
	var bad *lessons.ProgressError
	if errors.As(err, &bad) {
		return nil, sayErr(lang, "cli.err.progress", bad.Err, "path", bad.Path)
	}
	return prog, err
}

// instControl switches faults and flushes the queue of an in-process world.
type instControl struct{ inst *servers.Instance }

func (c instControl) SetFault(ctx context.Context, server, fault string) error {
	f, err := servers.ParseFault(fault)
	if err != nil {
		return err
	}
	return c.inst.SetFault(server, f)
}

func (c instControl) Flush(ctx context.Context, domain string) error {
	_, err := c.inst.Flush(ctx, domain)
	return err
}

// apiControl switches faults and flushes the queue of a running mailscope
// through its control API.
type apiControl struct{ o *controlOptions }

func (c apiControl) SetFault(ctx context.Context, server, fault string) error {
	f, err := servers.ParseFault(fault)
	if err != nil {
		return err
	}
	return c.o.call("POST", "/api/faults", url.Values{"server": {server}, "fault": {string(f)}}, nil)
}

func (c apiControl) Flush(ctx context.Context, domain string) error {
	q := url.Values{}
	if domain != "" {
		q.Set("domain", domain)
	}
	return c.o.call("POST", "/api/queue/flush", q, nil)
}

// attachEnv follows a running mailscope: its listeners from /api/world, its
// events from /ws (from now on), its control API.
func attachEnv(ctx context.Context, base, token string, info *worldInfo) (*lessonEnv, error) {
	addrs := lessons.Addrs{}
	for _, s := range info.Servers {
		for proto, a := range s.Listeners {
			addrs[s.Name+"/"+proto] = a
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	addrs["web"] = u.Host
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan *tracer.Event, 1<<14)
	errc := make(chan error, 1)
	f := &webui.Follower{URL: base, Token: token, After: info.Seq, Epoch: info.Epoch, Retries: 5}
	if err := f.Connect(ctx); err != nil {
		cancel()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := f.Run(ctx, func(evs []*tracer.Event) {
			for _, e := range evs {
				select {
				case events <- e:
				case <-ctx.Done():
					return
				}
			}
		})
		if err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	ctl := &controlOptions{url: base, token: token}
	posts := make(chan *tracer.Event, 256)
	posted := make(chan struct{})
	go func() {
		// The instance's page shows the lesson panel from these; a lost
		// update only costs the panel a tick, never the lesson.
		defer close(posted)
		for e := range posts {
			ctl.postLesson(e)
		}
	}()
	env := &lessonEnv{where: base, lang: info.Lang, addrs: addrs, events: events, errc: errc,
		control: apiControl{ctl},
		publish: func(e *tracer.Event) {
			select {
			case posts <- e:
			default:
			}
		}}
	env.close = func() { cancel(); <-done; close(posts); <-posted }
	return env, nil
}
