package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// loadWorld reads the world file (or the default) and applies flags.
func loadWorld(cmd *cobra.Command, o *options) (*world.World, error) {
	w := world.Default()
	if o.world != "" {
		var err error
		if w, err = world.Load(o.world); err != nil {
			return nil, err
		}
	}
	if o.host != "" {
		if net.ParseIP(o.host) == nil && o.host != "localhost" {
			return nil, fmt.Errorf("--host %q is not an IP address", o.host)
		}
		w.Host = o.host
	}
	if cmd.Flags().Changed("port-base") {
		if o.portBase < 0 || o.portBase > 60000 {
			return nil, fmt.Errorf("--port-base %d is out of range: 0 for the standard ports, or up to 60000", o.portBase)
		}
		w.PortBase, w.PortBaseSet = o.portBase, true
	}
	if o.web != "" {
		w.Web = o.web
	}
	return w, nil
}

// pickLang returns the explanation language from the flag or LANG.
func pickLang(flag string) string {
	switch flag {
	case "en", "zh":
		return flag
	case "":
	default:
		return "en"
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// useColor decides whether the console is colored.
func useColor(mode string, out io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if _, ok := os.LookupEnv("NO_COLOR"); ok {
			return false, nil
		}
		if f, ok := out.(*os.File); ok {
			return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()), nil
		}
		return false, nil
	}
	return false, fmt.Errorf("--color %q: use auto, always or never", mode)
}

func runUp(cmd *cobra.Command, o *options) error {
	if o.lang != "" && o.lang != "en" && o.lang != "zh" {
		return fmt.Errorf("--lang %q: use en or zh", o.lang)
	}
	w, err := loadWorld(cmd, o)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	color, err := useColor(o.color, out)
	if err != nil {
		return err
	}
	bus := tracer.NewBus(tracer.WithLang(pickLang(o.lang)), tracer.WithMask(w.MaskCredentials))
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Subscribe before starting so that the first events are not missed.
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: color, Explain: o.explain, Data: o.showData})
	var consoleSub *tracer.Subscription
	if !o.quiet {
		consoleSub = bus.Subscribe(1 << 16)
	}
	var recSub *tracer.Subscription
	var recFile *os.File
	if o.record != "" {
		if recFile, err = os.Create(o.record); err != nil {
			return fmt.Errorf("--record: %w", err)
		}
		defer recFile.Close()
		recSub = bus.Subscribe(1 << 16)
	}

	startPprof(cmd.ErrOrStderr())
	start := time.Now()
	inst, err := servers.Start(servers.Config{World: w, DataDir: o.data, Bus: bus, Logger: logger})
	if err != nil {
		var damaged *store.DamagedError
		if errors.As(err, &damaged) {
			x := tracer.NewExplainer(pickLang(o.lang))
			why := damaged.Reason
			if why == store.ReasonTruncated {
				why = x.Text("store.truncated")
			}
			return fmt.Errorf(x.Text("store.damaged"), damaged.Path, why)
		}
		return err
	}
	web, webAddr, webErr := startWeb(inst, w.Web, logger, out)
	webLine := ""
	if webErr != nil {
		webLine = fmt.Sprintf("web timeline: not started: %v (choose another address with --web)", webErr)
	} else {
		webLine = fmt.Sprintf("web timeline: %s (the ladder diagram, the mailboxes and the queue in your browser)", webURL(webAddr))
	}
	printBanner(out, inst, webLine, time.Since(start))

	consoleDone := make(chan struct{})
	if consoleSub != nil {
		go func() { console.Run(consoleSub); close(consoleDone) }()
	} else {
		close(consoleDone)
	}
	recDone := make(chan error, 1)
	if recSub != nil {
		rec := tracer.NewRecorder(recFile)
		go func() { recDone <- rec.Run(recSub) }()
	} else {
		recDone <- nil
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	signal.Stop(sig)
	fmt.Fprintln(cmd.ErrOrStderr(), "\nmailscope: stopping (sessions get 421/BYE; mail already accepted is on disk)")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if web != nil {
		web.Shutdown(ctx)
	}
	err = inst.Shutdown(ctx)
	if consoleSub != nil {
		consoleSub.Close()
	}
	<-consoleDone
	if recSub != nil {
		recSub.Close()
		if rerr := <-recDone; rerr != nil && err == nil {
			err = fmt.Errorf("--record: %w", rerr)
		}
	}
	return err
}

func printBanner(out io.Writer, inst *servers.Instance, webLine string, took time.Duration) {
	fmt.Fprintf(out, "%s: a teaching playground for email protocols\n", versionString())
	fmt.Fprintf(out, "data directory: %s (mail survives restarts)\n", inst.DataDir)
	switch {
	case inst.FellBack != nil:
		fmt.Fprintf(out, "ports: the standard ports 25/110/143 could not be used (%v),\n       so every port is 10000 higher: SMTP of A is 10025 instead of 25.\n", rootCause(inst.FellBack))
	case inst.PortBase == 0:
		fmt.Fprintln(out, "ports: the standard ports (SMTP 25, POP3 110, IMAP 143 for server A; +1000 for B)")
	default:
		fmt.Fprintf(out, "ports: base %d (A: +25 SMTP, +110 POP3, +143 IMAP; B: 1000 higher)\n", inst.PortBase)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\tdomain\tSMTP\tPOP3\tIMAP\tusers (password)")
	for _, s := range inst.World.Servers {
		var users []string
		for _, u := range s.Users {
			users = append(users, u.Name+" ("+u.Password+")")
		}
		addr := func(p world.Protocol) string {
			if a := inst.Addr(s.Name, p); a != "" {
				return a
			}
			return "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Domain, addr(world.SMTP), addr(world.POP3), addr(world.IMAP), strings.Join(users, ", "))
	}
	tw.Flush()
	fmt.Fprintln(out, "\n"+webLine)
	first := inst.World.Servers[0]
	smtpAddr := inst.Addr(first.Name, world.SMTP)
	host, port, _ := net.SplitHostPort(smtpAddr)
	user := "alice"
	if len(first.Users) > 0 {
		user = first.Users[0].Name
	}
	fmt.Fprintf(out, "\nTry it in a second terminal:\n  telnet %s %s\n  HELO laptop\n  MAIL FROM:<%s@%s>\n  RCPT TO:<%s@%s>\n  DATA\n  Subject: hi\n\n  hello\n  .\n  QUIT\n",
		host, port, user, first.Domain, user, first.Domain)
	fmt.Fprintf(out, "\nStarted in %s. Every line of every session appears below, explained. Ctrl-C stops mailscope.\n\n", took.Round(time.Millisecond))
}

func rootCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
