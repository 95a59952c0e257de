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
	"slices"
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
	"github.com/mailscope/mailscope/webui"
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
	lang := pickLang(o.lang)
	var web *webui.Server
	ws, webErr := startWebServer(inst, w.Web, slices.Concat(w.WebHosts, o.webHosts), logger)
	webLine := ""
	if webErr != nil {
		webLine = fmt.Sprintf("web timeline: not started: %v (choose another address with --web)", webErr)
	} else {
		web = ws.srv
		webLine = ws.bannerLines(lang)
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
	if ws.public && ws.token == "" {
		ws.token = webui.NewToken()
	}
	ws.srv = webui.New(inst, webui.Options{Token: ws.token, Hosts: hosts, Logger: logger})
	go func() {
		if err := ws.srv.Serve(l); err != nil && !errors.Is(err, webui.ErrServerClosed) {
			logger.Error("web timeline stopped", "err", err)
		}
	}()
	return ws, nil
}

// withToken is the address to open: with the token when one is needed
// (written as $MAILSCOPE_TOKEN when it came from there).
func (ws *webStart) withToken(base string) string {
	if !ws.public {
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

// bannerLines are the banner's lines about the web timeline.
func (ws *webStart) bannerLines(lang string) string {
	local := ws.withToken(webURL(ws.addr))
	if !ws.public {
		return fmt.Sprintf("web timeline: %s (the ladder diagram, the mailboxes and the queue in your browser)", local)
	}
	var b strings.Builder
	if lang == "zh" {
		fmt.Fprintf(&b, "web timeline: %s（在浏览器里查看梯形图、邮箱和消息队列）\n", local)
		for _, u := range ws.remoteURLs() {
			fmt.Fprintf(&b, "  从其他机器访问：%s\n", ws.withToken(u))
		}
	} else {
		fmt.Fprintf(&b, "web timeline: %s (the ladder diagram, the mailboxes and the queue in your browser)\n", local)
		for _, u := range ws.remoteURLs() {
			fmt.Fprintf(&b, "  from other machines: %s\n", ws.withToken(u))
		}
	}
	b.WriteString(ws.publicNote(lang))
	return b.String()
}

// publicNote warns that the web timeline is reachable beyond this machine
// and says what the token guards.
func (ws *webStart) publicNote(lang string) string {
	if lang == "zh" {
		return "警告：网页时间线监听在 " + ws.addr + "，本机之外也能访问。读取邮箱和跟踪、切换故障都需要令牌（也包括在本机上），\n" +
			"  所以只把带令牌的地址交给应当拥有它的人。除本机地址和主机名之外的名字会被拒绝（防御 DNS 重绑定），用 --web-host NAME 添加。\n" +
			"  命令行的 fault、queue、trace 用 --token 或环境变量 MAILSCOPE_TOKEN 提供令牌。"
	}
	return "warning: the web timeline listens on " + ws.addr + ", beyond this machine. Reading the mailboxes and the trace, and switching\n" +
		"  faults, need the token (on this machine too): give the address with the token only to those who should have it.\n" +
		"  Names other than this machine's addresses and hostname are refused (DNS rebinding); add one with --web-host NAME.\n" +
		"  The fault, queue and trace commands take the token as --token or MAILSCOPE_TOKEN."
}
