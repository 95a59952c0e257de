package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// demoOptions are the flags of mailscope demo.
type demoOptions struct {
	options
	speed float64
	step  bool
	from  int
	exit  bool
	vars  map[string]string
}

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:  "demo NAME",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, cmd, o, args[0])
		},
	}
	addWorldFlags(cmd, &o.options)
	f := cmd.Flags()
	f.Float64Var(&o.speed, "speed", 1, "")
	f.BoolVar(&o.step, "step", false, "")
	f.IntVar(&o.from, "from", 1, "")
	f.BoolVar(&o.exit, "exit", false, "")
	f.StringToStringVar(&o.vars, "var", nil, "")
	return cmd
}

// traceSummary is one line about an event the demo's client did not see
// itself, or "". It is printed through the printer's c, which escapes it.
func traceSummary(e *tracer.Event, lang string) string {
	if e == nil {
		return ""
	}
	who := e.Server
	if e.Hop != "" {
		who = e.Hop
	}
	switch e.Kind {
	case tracer.KindQueue, tracer.KindLookup, tracer.KindFault, tracer.KindTLS, tracer.KindHTTP, tracer.KindNote:
		return "[" + who + "] " + tracer.NewExplainer(lang).Text("console.kind."+string(e.Kind)) + e.Text
	case tracer.KindLine:
		if e.Hop == "" {
			return ""
		}
		d := "C: "
		if e.Dir == tracer.S2C {
			d = "S: "
		}
		return "[" + who + "] " + d + e.Text
	}
	return ""
}

func runDemo(ctx context.Context, cmd *cobra.Command, o *demoOptions, id string) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	lang := pickLang(o.lang)
	if o.speed <= 0 {
		return sayErr(lang, "cli.err.speed", nil, "value", strconv.FormatFloat(o.speed, 'g', -1, 64))
	}
	l, err := findLesson(id, lang)
	if err != nil {
		return err
	}
	if o.from < 1 || o.from > len(l.Steps) {
		return sayErr(lang, "cli.err.from", nil, "value", strconv.Itoa(o.from), "lesson", l.ID, "steps", strconv.Itoa(len(l.Steps)))
	}
	out := cmd.OutOrStdout()
	color, err := useColor(o.color, lang, out)
	if err != nil {
		return err
	}
	if o.data, err = resolveData(cmd, o.data, lang); err != nil {
		return err
	}
	env, err := openLessonEnv(ctx, cmd, &o.options, lang, out)
	if err != nil {
		return err
	}
	defer env.close()
	if note := langNote(env.lang, lang); note != "" {
		fmt.Fprintln(out, note)
	}

	p := &lessons.Player{Lesson: l, Lang: lang, Addrs: env.addrs, Control: env.control, Out: out,
		Speed: o.speed, StepMode: o.step, In: cmd.InOrStdin(), Color: color, From: o.from - 1, Vars: o.vars}
	pr := &lessonPrinter{color: color, lang: lang, id: l.ID}
	e := lessons.NewEngine(l, lessons.Options{Lang: lang, Vars: env.addrs.Vars(), Start: o.from - 1, Publish: env.publish,
		Notify: func(u lessons.Update) {
			// The player prints the steps; a hint means the demo showed a
			// mistake on purpose.
			switch u.Status {
			case lessons.StatusHint:
				p.Notify(pr.c(cYellowCode, "  ➜ "+lessons.UI(lang, "hint", "text", u.Text)) + "\n")
			case lessons.StatusStepDone:
				// Show what in the trace completed a step that the demo's
				// own client did not see (a queue event, A's session to B).
				if s := traceSummary(u.Event, lang); s != "" {
					p.NotifyStep(u.Step, pr.c(cDimCode, "  ⟶ "+s)+"\n")
				}
			}
		}})
	p.Wait = e.Wait

	sigCtx := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streamErr := make(chan error, 1)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		e.Begin()
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-env.errc:
				streamErr <- err
				cancel()
				return
			case ev, ok := <-env.events:
				if !ok {
					return
				}
				if ev.Kind != tracer.KindLesson && ev.Kind != webui.KindHello {
					e.Feed(ev)
				}
			}
		}
	}()
	err = p.Play(ctx)
	cancel()
	<-fed
	select {
	case serr := <-streamErr:
		return serr
	default:
	}
	if sigCtx.Err() != nil {
		return nil // Ctrl-C
	}
	if err != nil {
		return err
	}
	if env.inst != nil && !o.exit {
		fmt.Fprintln(out, "\n"+env.keepRunning(lang))
		<-sigCtx.Done()
	}
	return nil
}
