package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestStartWebPublic: a web timeline beyond loopback gets a fresh token,
// which the banner prints once in the addresses to open (also under a
// --web-host name) and which reading the trace needs; on loopback there is
// no token and the banner is as before.
func TestStartWebPublic(t *testing.T) {
	t.Setenv("MAILSCOPE_TOKEN", "")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inst := &servers.Instance{Bus: tracer.NewBus(), World: world.Default()}

	ws, err := startWebServer(inst, "0.0.0.0:0", []string{"lab.example"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.srv.Close() })
	if !ws.public || len(ws.token) != 32 {
		t.Fatalf("public %v, token %q", ws.public, ws.token)
	}
	_, port, _ := net.SplitHostPort(ws.addr)
	en := ws.bannerLines("en")
	for _, want := range []string{"web timeline: http://127.0.0.1:" + port + "/?token=" + ws.token, "http://lab.example:" + port + "/?token=" + ws.token, "--web-host NAME", "MAILSCOPE_TOKEN"} {
		if !strings.Contains(en, want) {
			t.Errorf("banner lacks %q:\n%s", want, en)
		}
	}
	if zh := ws.bannerLines("zh"); !strings.Contains(zh, "令牌") || !strings.Contains(zh, "?token="+ws.token) {
		t.Errorf("zh banner:\n%s", zh)
	}
	get := func(auth string) int {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/api/sessions", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Errorf("reading without the token: HTTP %d, want 401", code)
	}
	if code := get("Bearer " + ws.token); code != 200 {
		t.Errorf("reading with the token: HTTP %d, want 200", code)
	}

	lo, err := startWebServer(inst, "127.0.0.1:0", nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lo.srv.Close() })
	if lo.public || lo.token != "" || strings.Contains(lo.bannerLines("en"), "token") {
		t.Errorf("loopback: public %v, token %q, banner %q", lo.public, lo.token, lo.bannerLines("en"))
	}
}

// TestTraceToken: mailscope trace follows a public web timeline with
// --token, and without it says that the token is needed.
func TestTraceToken(t *testing.T) {
	t.Setenv("MAILSCOPE_TOKEN", "")
	bus := tracer.NewBus()
	bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "only for the token holders"})
	ws, err := startWebServer(&servers.Instance{Bus: bus, World: world.Default()}, "0.0.0.0:0", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.srv.Close() })
	_, port, _ := net.SplitHostPort(ws.addr)
	url := "http://127.0.0.1:" + port

	err = runTrace(context.Background(), io.Discard, io.Discard, &traceOptions{controlOptions: controlOptions{url: url}, color: "never"})
	if err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("trace without the token: %v, want a refusal that names --token", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runTrace(ctx, pw, io.Discard, &traceOptions{controlOptions: controlOptions{url: url, token: ws.token}, color: "never", replay: -1})
		pw.Close()
	}()
	defer func() { cancel(); go io.Copy(io.Discard, pr); <-done }()
	stop := time.AfterFunc(20*time.Second, cancel) // the event never came: end the scan
	defer stop.Stop()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "only for the token holders") {
			return
		}
	}
	t.Error("trace with the token ended without the event")
}
