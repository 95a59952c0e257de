package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondUpRefuses starts mailscope on a data directory and a second
// one on the same directory: the second says where the first runs and
// exits with an error, without printing a token or starting listeners.
func TestSecondUpRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MAILSCOPE_TOKEN", "")
	p := start(t, dir, "--lang", "en")
	web := p.webURL(t)

	fi, err := os.Stat(filepath.Join(dir, runFile))
	if err != nil {
		t.Fatalf("the running instance wrote no %s: %v", runFile, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", runFile, fi.Mode().Perm())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := testPortBase()
	second := exec.CommandContext(ctx, binary(t), "--data", dir, "--port-base", fmt.Sprint(base), "--web", "127.0.0.1:0", "--color", "never", "--lang", "en")
	out, err := second.CombinedOutput()
	if err == nil {
		t.Fatalf("a second up on the same data directory succeeded:\n%s", out)
	}
	s := string(out)
	for _, want := range []string{"already running on the data directory " + dir, web, fmt.Sprintf("127.0.0.1:%d", p.base+25), "--data DIR"} {
		if !strings.Contains(s, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Every line of every session") || strings.Contains(s, fmt.Sprintf("127.0.0.1:%d", base+25)) {
		t.Errorf("the second up started a world:\n%s", s)
	}

	// A clean stop removes the file.
	p.cmd.Process.Signal(os.Interrupt)
	if err := waitTimeout(p, 20*time.Second); err != nil {
		t.Fatalf("mailscope did not stop: %v\n%s", err, p.out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, runFile)); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a clean stop: %v", runFile, err)
	}
}

// TestStaleRunFileDoesNotBlock leaves the file of a killed mailscope (kill
// -9: no clean shutdown) and one written by hand: a new up starts, and the
// commands do not take the stale address for a live one.
func TestStaleRunFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait()
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil || !bytes.Contains(b, []byte(`"web"`)) {
		t.Fatalf("kill -9 should leave the file behind: %v %q", err, b)
	}
	if info := findRunning(dir); info != nil {
		t.Fatalf("findRunning took the killed process's file for a live one: %+v", info)
	}
	p2 := start(t, dir)
	if info := findRunning(dir); info == nil || info.Web != p2.webURL(t) {
		t.Fatalf("findRunning = %+v, want the new instance at %s", info, p2.webURL(t))
	}

	// A file nobody holds, as a restored backup would leave it.
	other := t.TempDir()
	stale, _ := json.Marshal(runInfo{PID: 1, Web: "http://127.0.0.1:1"})
	if err := os.WriteFile(filepath.Join(other, runFile), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	l, info, err := lockData(other)
	if err != nil {
		t.Fatalf("a stale file blocked the start: %v %+v", err, info)
	}
	defer l.release()
	if fi, _ := os.Stat(filepath.Join(other, runFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("the taken-over file has mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestControlFindsInstance: fault and queue, given only the data
// directory (or --web as up takes it), reach the running mailscope.
func TestControlFindsInstance(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	run := func(args ...string) string {
		t.Helper()
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	t.Setenv("MAILSCOPE_LANG", "en")
	run("fault", "--data", dir, "B", "greylist")
	if out := run("queue", "--data", dir); !strings.Contains(out, "fault on server B: greylist") {
		t.Errorf("queue --data did not see the fault set through fault --data:\n%s", out)
	}
	addr := strings.TrimPrefix(p.webURL(t), "http://")
	run("fault", "--web", addr, "B", "clear")
	if out := run("queue", "--web", addr); strings.Contains(out, "greylist") {
		t.Errorf("fault --web did not clear the fault:\n%s", out)
	}
	run("queue", "flush", "--data", dir)
	// --url keeps working.
	run("fault", "--url", p.webURL(t), "B", "clear")
}

// TestDemoFindsInstance: demo, given only the data directory of a running
// mailscope (on a web port nobody could guess), attaches to it instead of
// starting a second world there.
func TestDemoFindsInstance(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	out := &syncBuffer{}
	if err := runCmd(ctx, out, "demo", "smtp-vs-http", "--data", dir, "--speed", "1000000", "--color", "never", "--lang", "en"); err != nil {
		t.Fatalf("demo --data: %v\n%s", err, out.String())
	}
	// The demo's client talks to the running instance's ports.
	if want := fmt.Sprintf("telnet 127.0.0.1 %d", p.base+25); !strings.Contains(out.String(), want) {
		t.Errorf("the demo did not attach to the running instance (%q):\n%s", want, out.String())
	}
}
