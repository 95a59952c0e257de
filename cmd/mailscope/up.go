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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// loadWorld reads the world file (or the default) and applies flags.
func loadWorld(cmd *cobra.Command, o *options) (*world.World, error) {
	lang := pickLang(o.lang)
	w := world.Default()
	if o.world != "" {
		var err error
		if w, err = world.Load(o.world); err != nil {
			return nil, err
		}
	}
	if o.host != "" {
		if net.ParseIP(o.host) == nil && o.host != "localhost" {
			return nil, sayErr(lang, "cli.err.host", nil, "value", strconv.Quote(o.host))
		}
		w.Host = o.host
	}
	if cmd.Flags().Changed("port-base") {
		if o.portBase < 0 || o.portBase > 60000 {
			return nil, sayErr(lang, "cli.err.port_base", nil, "value", strconv.Itoa(o.portBase))
		}
		w.PortBase, w.PortBaseSet = o.portBase, true
	}
	if o.web != "" {
		w.Web = o.web
	}
	if web := classWeb(o, w); web != "" {
		w.Web = web
	}
	return w, nil
}

// useColor decides whether the console is colored; an error is in lang.
func useColor(mode, lang string, out io.Writer) (bool, error) {
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
	return false, sayErr(lang, "cli.err.color", nil, "value", strconv.Quote(mode))
}

func runUp(cmd *cobra.Command, o *options) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	lang := pickLang(o.lang)
	w, err := loadWorld(cmd, o)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	color, err := useColor(o.color, lang, out)
	if err != nil {
		return err
	}
	// One world per data directory: a second one would share the store
	// and the progress, and on other ports leave the student guessing
	// which is which.
	lock, err := takeData(o.data, lang)
	if err != nil {
		return err
	}
	defer lock.release()
	bus := tracer.NewBus(tracer.WithLang(lang), tracer.WithMask(w.MaskCredentials))
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Subscribe before starting so that the first events are not missed.
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: color, Explain: o.explain, Data: o.showData, Lang: bus.Explainer.Lang()})
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

	var class *servers.Class
	var renamedNames []renamed
	if o.class != "" {
		if class, renamedNames, err = classRequest(o.class, w, lang); err != nil {
			return err
		}
	}

	startPprof(cmd.ErrOrStderr())
	start := time.Now()
	inst, err := servers.Start(servers.Config{World: w, DataDir: o.data, Bus: bus, Logger: logger, Class: class})
	if err != nil {
		var damaged *store.DamagedError
		if errors.As(err, &damaged) {
			why := damaged.Reason
			if why == store.ReasonTruncated {
				why = say(lang, "store.truncated")
			}
			return sayErr(lang, "store.damaged", nil, "path", damaged.Path, "why", why)
		}
		return err
	}
	var web *webui.Server
	ws, webErr := startWebServer(inst, w.Web, slices.Concat(w.WebHosts, o.webHosts), logger)
	webLine := ""
	if webErr != nil {
		webLine = say(lang, "cli.banner.web.failed", "err", webErr.Error())
	} else {
		web = ws.srv
		webLine = ws.bannerLines(lang)
	}
	if err := lock.record(inst, ws); err != nil {
		logger.Warn("cannot record the running instance in the data directory", "err", err)
	}
	if class != nil {
		// The sheet is on disk before the banner says the world started.
		web := studentWeb(ws)
		path, err := writeSheet(inst, web, lang)
		if err != nil {
			inst.Close()
			return sayErr(lang, "cli.err.class.sheet", err, "path", filepath.Join(inst.DataDir, classSheet))
		}
		var cb strings.Builder
		classBanner(&cb, lang, inst, path, web, renamedNames)
		webLine += "\n\n" + strings.TrimRight(cb.String(), "\n")
	}
	if class == nil {
		webLine += closedClassNote(inst, lang)
	}
	printBanner(out, lang, inst, webLine, time.Since(start))

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
	fmt.Fprintln(cmd.ErrOrStderr(), "\n"+say(lang, "cli.stopping"))
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

// printBanner prints what mailscope up has started, in lang: the data
// directory, the ports, a table of the servers (aligned by terminal
// columns, so Chinese headings line up), the web timeline and a first
// session to try.
func printBanner(out io.Writer, lang string, inst *servers.Instance, webLine string, took time.Duration) {
	fmt.Fprintln(out, say(lang, "cli.banner.title", "version", versionString()))
	fmt.Fprintln(out, say(lang, "cli.banner.data", "dir", inst.DataDir))
	switch {
	case inst.FellBack != nil:
		fmt.Fprintln(out, say(lang, "cli.banner.ports.fellback", "why", rootCause(inst.FellBack)))
	case inst.PortBase == 0:
		fmt.Fprintln(out, say(lang, "cli.banner.ports.standard"))
	default:
		fmt.Fprintln(out, say(lang, "cli.banner.ports.base", "base", strconv.Itoa(inst.PortBase)))
	}
	fmt.Fprintln(out)
	rows := [][]string{{say(lang, "cli.banner.col.server"), say(lang, "cli.banner.col.domain"), "SMTP", "POP3", "IMAP", say(lang, "cli.banner.col.users")}}
	for _, s := range inst.World.Servers {
		var users []string
		students := 0
		for _, u := range s.Users {
			if u.Student { // on the sheet, not on the projector
				students++
				continue
			}
			users = append(users, u.Name+" ("+u.Password+")")
		}
		if students > 0 {
			users = append(users, say(lang, "cli.class.users", "n", strconv.Itoa(students)))
		}
		// The addresses to type: on 0.0.0.0, the machine's LAN address.
		addr := func(p world.Protocol) string {
			if a := inst.PublicAddr(s.Name, p); a != "" {
				return a
			}
			return "-"
		}
		rows = append(rows, []string{s.Name, s.Domain, addr(world.SMTP), addr(world.POP3), addr(world.IMAP), strings.Join(users, ", ")})
	}
	writeTable(out, rows)
	fmt.Fprintln(out, "\n"+webLine)
	first := inst.World.Servers[0]
	smtpAddr := inst.PublicAddr(first.Name, world.SMTP)
	host, port, _ := net.SplitHostPort(smtpAddr)
	user, helo := "alice", "laptop"
	if len(first.Users) > 0 {
		user = first.Users[0].Name
	}
	if len(inst.Students) > 0 {
		// In a class, a student's own account, claimed in HELO (their
		// view then shows the session even behind a shared address).
		user = inst.Students[0].Name
		helo = user
	}
	fmt.Fprintf(out, "\n%s\n  telnet %s %s\n  HELO %s\n  MAIL FROM:<%s@%s>\n  RCPT TO:<%s@%s>\n  DATA\n  Subject: hi\n\n  hello\n  .\n  QUIT\n",
		say(lang, "cli.banner.try"), host, port, helo, user, first.Domain, user, first.Domain)
	fmt.Fprintf(out, "\n%s\n\n", say(lang, "cli.banner.started", "took", took.Round(time.Millisecond).String()))
}

func rootCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// webStart is the web timeline as started: its server, its live address,
// and the token when it listens beyond loopback.
type webStart struct {
	srv     *webui.Server
	addr    string
	public  bool   // a listener beyond loopback: reading and control need the token
	token   string // "" while loopback-only and MAILSCOPE_TOKEN is unset
	fromEnv bool   // the token is MAILSCOPE_TOKEN's, so it is not printed
	hosts   []string
}

// startWebServer starts the web timeline of inst on addr (the world's web
// address). hosts are the extra names the Host header may carry
// (--web-host). Beyond loopback a token is required: MAILSCOPE_TOKEN, or a
// fresh one that the banner prints once, in the address to open.
func startWebServer(inst *servers.Instance, addr string, hosts []string, logger *slog.Logger) (*webStart, error) {
	if addr == "" {
		addr = "127.0.0.1:8025"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ws := &webStart{addr: l.Addr().String(), public: !webui.IsLoopback(l.Addr().String()), token: os.Getenv("MAILSCOPE_TOKEN"), hosts: hosts}
	ws.fromEnv = ws.token != ""
	// With a class, students sign in and see their own; everything else,
	// on loopback too, is the instructor's, by the token.
	class := inst != nil && len(inst.Students) > 0
	if class && ws.token == "" && inst.DataDir != "" {
		ws.token = classToken(inst.DataDir, logger)
	}
	if (ws.public || class) && ws.token == "" {
		ws.token = webui.NewToken()
	}
	ws.srv = webui.New(inst, webui.Options{Token: ws.token, Hosts: hosts, Logger: logger, Class: class})
	go func() {
		if err := ws.srv.Serve(l); err != nil && !errors.Is(err, webui.ErrServerClosed) {
			logger.Error("web timeline stopped", "err", err)
		}
	}()
	return ws, nil
}

// classTokenFile keeps a class's web token in the data directory.
const classTokenFile = "class-token"

// classToken returns the token a class's page keeps across restarts (the
// instructor's page, opened with it, keeps working when mailscope is
// restarted in the middle of a lesson): read from the data directory, or
// made and written there (mode 0600). "" when it cannot be kept.
func classToken(dir string, logger *slog.Logger) string {
	path := filepath.Join(dir, classTokenFile)
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); len(t) >= 16 {
			return t
		}
	}
	t := webui.NewToken()
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		logger.Warn("the class's web token is new at every start", "err", err)
		return ""
	}
	return t
}

// withToken is the address to open: with the token when one is needed
// (written as $MAILSCOPE_TOKEN when it came from there).
func (ws *webStart) withToken(base string) string {
	if !ws.public && ws.token == "" {
		return base
	}
	if ws.fromEnv {
		return base + "/?token=$MAILSCOPE_TOKEN"
	}
	return base + "/?token=" + ws.token
}

// remoteURLs are the addresses other machines use: each --web-host name,
// else the listener's address or, on 0.0.0.0 or ::, the machine's first
// address beyond loopback.
func (ws *webStart) remoteURLs() []string {
	host, port, err := net.SplitHostPort(ws.addr)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range ws.hosts {
		out = append(out, "http://"+net.JoinHostPort(h, port))
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return append(out, "http://"+net.JoinHostPort(host, port))
	}
	addrs, _ := net.InterfaceAddrs()
	var v6 string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return append(out, "http://"+net.JoinHostPort(n.IP.String(), port))
		}
		if v6 == "" {
			v6 = "http://" + net.JoinHostPort(n.IP.String(), port)
		}
	}
	if v6 != "" {
		out = append(out, v6)
	}
	return out
}

// bannerLines are the banner's lines about the web timeline, in lang.
func (ws *webStart) bannerLines(lang string) string {
	local := ws.withToken(webURL(ws.addr))
	if !ws.public {
		return say(lang, "cli.banner.web", "url", local)
	}
	var b strings.Builder
	b.WriteString(say(lang, "cli.banner.web", "url", local) + "\n")
	for _, u := range ws.remoteURLs() {
		b.WriteString(say(lang, "cli.banner.web.remote", "url", ws.withToken(u)) + "\n")
	}
	b.WriteString(ws.publicNote(lang))
	return b.String()
}

// publicNote warns that the web timeline is reachable beyond this machine
// and says what the token guards.
func (ws *webStart) publicNote(lang string) string {
	return say(lang, "cli.banner.web.public", "addr", ws.addr)
}
