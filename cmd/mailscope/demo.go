package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
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
		Use:   "demo NAME",
		Short: "Play a lesson's example commands as a scripted client, typing like a person (for lectures)",
		Long: `demo plays the example commands of a lesson over real connections to the
servers, typing them at a human pace, so that the browser timeline fills live
while the class watches. Before each step it waits until the trace shows the
previous one done, and it explains each step as it completes.

It attaches to a running mailscope (its web address answers) or starts the
world itself, with the same flags as up; then the servers keep running after
the demo, for the browser, until Ctrl-C (--exit stops at once).

  mailscope demo relay --speed 4      # four times faster
  mailscope demo smtp-by-hand --step  # wait for Enter before each command
  mailscope demo imap --from 5 --lang zh`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, cmd, o, args[0])
		},
	}
	addWorldFlags(cmd, &o.options)
	f := cmd.Flags()
	f.Float64Var(&o.speed, "speed", 1, "pace of the typing and pauses: 2 is twice as fast, 0.5 half as fast")
	f.BoolVar(&o.step, "step", false, "wait for Enter before each command")
	f.IntVar(&o.from, "from", 1, "first step to play (the earlier steps are taken as done)")
	f.BoolVar(&o.exit, "exit", false, "when the demo started the servers itself, stop them as soon as it ends")
	f.StringToStringVar(&o.vars, "var", nil, "set a lesson variable, like --var hold=5 (the HOLDFOR seconds of queue-retry-delay)")
	return cmd
}

// traceSummary is one line about an event the demo's client did not see
// itself, or "". It is printed through the printer's c, which escapes it.
func traceSummary(e *tracer.Event) string {
	if e == nil {
		return ""
	}
	who := e.Server
	if e.Hop != "" {
		who = e.Hop
	}
	switch e.Kind {
	case tracer.KindQueue, tracer.KindLookup, tracer.KindFault, tracer.KindTLS, tracer.KindHTTP, tracer.KindNote:
		return "[" + who + "] " + string(e.Kind) + ": " + e.Text
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
	if o.lang != "" && o.lang != "en" && o.lang != "zh" {
		return fmt.Errorf("--lang %q: use en or zh", o.lang)
	}
	if o.speed <= 0 {
		return fmt.Errorf("--speed %v: give a positive factor (1 is a person typing)", o.speed)
	}
	l, err := findLesson(id)
	if err != nil {
		return err
	}
	if o.from < 1 || o.from > len(l.Steps) {
		return fmt.Errorf("--from %d: lesson %s has steps 1 to %d", o.from, l.ID, len(l.Steps))
	}
	out := cmd.OutOrStdout()
	color, err := useColor(o.color, out)
	if err != nil {
		return err
	}
	lang := pickLang(o.lang)
	env, err := openLessonEnv(ctx, cmd, &o.options, lang, out)
	if err != nil {
		return err
	}
	defer env.close()

	p := &lessons.Player{Lesson: l, Lang: lang, Addrs: env.addrs, Control: env.control, Out: out,
		Speed: o.speed, StepMode: o.step, In: cmd.InOrStdin(), Color: color, From: o.from - 1, Vars: o.vars}
	pr := &lessonPrinter{color: color, lang: lang, id: l.ID}
	e := lessons.NewEngine(l, lessons.Options{Lang: lang, Vars: env.addrs.Vars(), Start: o.from - 1, Publish: env.publish,
		Notify: func(u lessons.Update) {
			// The player prints the steps; a hint means the demo showed a
			// mistake on purpose.
			switch u.Status {
			case lessons.StatusHint:
				p.Notify(pr.c(cYellowCode, "  ➜ "+fmt.Sprintf(lessons.UI(lang, "hint"), u.Text)) + "\n")
			case lessons.StatusStepDone:
				// Show what in the trace completed a step that the demo's
				// own client did not see (a queue event, A's session to B).
				if s := traceSummary(u.Event); s != "" {
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
		fmt.Fprintln(out, "\n"+env.keepRunning())
		<-sigCtx.Done()
	}
	return nil
}
