package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// traceOptions are the flags of mailscope trace.
type traceOptions struct {
	controlOptions // where the instance is (--url, --web, --data, --token) and --lang
	color          string
	explain        bool
	showData       bool
	replay         int
}

func newTraceCmd() *cobra.Command {
	o := &traceOptions{}
	cmd := &cobra.Command{
		Use:  "trace",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := o.locate(cmd); err != nil {
				return err
			}
			startPprof(cmd.ErrOrStderr())
			return runTrace(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", defaultURL, "")
	f.StringVar(&o.web, "web", "", "")
	f.StringVar(&o.data, "data", defaultDataDir(), "")
	f.StringVar(&o.color, "color", "auto", "")
	f.BoolVar(&o.explain, "explain", true, "")
	f.BoolVar(&o.showData, "show-data", false, "")
	f.IntVar(&o.replay, "replay", 100, "")
	f.StringVar(&o.token, "token", os.Getenv("MAILSCOPE_TOKEN"), "")
	f.StringVar(&o.lang, "lang", "", "")
	return cmd
}

func runTrace(ctx context.Context, out, errOut io.Writer, o *traceOptions) error {
	lang := pickLang(o.lang)
	color, err := useColor(o.color, lang, out)
	if err != nil {
		return err
	}
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: color, Explain: o.explain, Data: o.showData, Lang: lang})
	f := &webui.Follower{URL: o.url, Token: o.token, Last: o.replay, ReadLimit: 4 << 20,
		Log: func(msg string) { fmt.Fprintf(errOut, "mailscope trace: %s\n", msg) }}
	if err := f.Connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fmt.Fprintln(errOut, say(lang, "cli.trace.following", "url", o.url))
	relocal := localizer("", lang)
	if info, err := probeWorld(ctx, o.url, o.token); err == nil {
		if note := langNote(info.Lang, lang); note != "" {
			fmt.Fprintln(errOut, note)
		}
		relocal = localizer(info.Lang, lang)
	}

	// The follower feeds a channel so that the printer can flush the
	// console whenever it has caught up, not after every line. Each
	// websocket message travels whole.
	frames := make(chan []*tracer.Event, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(frames)
		errc <- f.Run(ctx, func(evs []*tracer.Event) { frames <- evs })
	}()
	for evs := range frames {
		for _, e := range evs {
			console.Print(relocal(e))
		}
		if len(frames) == 0 {
			console.Flush()
		}
	}
	console.Flush()
	return <-errc
}

// webURL is the address to open in a browser.
func webURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
