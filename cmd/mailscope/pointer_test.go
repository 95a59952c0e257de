package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/tracer"
)

// TestMain gives the tests their own runtime directory, so that the
// pointers they leave are theirs alone and a mailscope the user runs is
// not taken for theirs.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailscope-rt-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_RUNTIME_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// execCmd runs the command line args in this process and returns what it
// printed and its error.
func execCmd(args ...string) (string, error) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestControlFindsInstanceElsewhere: mailscope up --data DIR leaves a
// pointer in the user's runtime directory, so that a plain `mailscope
// fault B greylist` (no --data, --web or --url) finds it; with two
// running, the command names both and asks for --data; a killed one's
// pointer is ignored and removed, a clean stop removes its own.
func TestControlFindsInstanceElsewhere(t *testing.T) {
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // no instance on the default data directory
	t.Setenv("MAILSCOPE_TOKEN", "")
	t.Setenv("MAILSCOPE_LANG", "en")
	dir := t.TempDir()
	p := start(t, dir)

	fi, err := os.Stat(filepath.Join(rt, "mailscope"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("runtime directory: %v %v", fi, err)
	}
	ptrs, _ := filepath.Glob(filepath.Join(rt, "mailscope", "*.json"))
	if len(ptrs) != 1 {
		t.Fatalf("pointers: %v", ptrs)
	}
	if fi, _ := os.Stat(ptrs[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("pointer mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(ptrs[0]); !bytes.Contains(b, []byte(dir)) || bytes.Contains(b, []byte("token")) {
		t.Errorf("pointer holds %s", b)
	}

	if out, err := execCmd("fault", "B", "greylist"); err != nil || !strings.Contains(out, "server B greylisting: a first attempt") {
		t.Fatalf("fault without --data: %v\n%s", err, out)
	}
	if out, err := execCmd("queue"); err != nil || !strings.Contains(out, "fault on server B: greylist") {
		t.Errorf("queue without --data: %v\n%s", err, out)
	}
	if out, err := execCmd("fault", "B", "reject", "--lang", "zh"); err != nil || !strings.Contains(out, "服务器 B 拒收：收件人得到 550 5.1.1") {
		t.Errorf("fault --lang zh: %v\n%s", err, out)
	}
	if out, err := execCmd("fault", "B", "clear"); err != nil || !strings.Contains(out, "server B cleared") {
		t.Errorf("fault clear: %v\n%s", err, out)
	}

	// A second instance: the commands cannot choose.
	dir2 := t.TempDir()
	p2 := start(t, dir2)
	out, err := execCmd("queue")
	if err == nil || !strings.Contains(err.Error(), "several mailscope instances") || !strings.Contains(err.Error(), "--data "+dir) || !strings.Contains(err.Error(), "--data "+dir2) {
		t.Errorf("queue with two instances: %v\n%s", err, out)
	}
	// --data still picks one.
	if _, err := execCmd("queue", "--data", dir2); err != nil {
		t.Errorf("queue --data with two instances: %v", err)
	}
	// A killed one leaves its pointer, which is ignored and removed.
	p2.cmd.Process.Signal(syscall.SIGKILL)
	p2.wait()
	if out, err := execCmd("queue"); err != nil {
		t.Errorf("queue after the second was killed: %v\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(rt, "mailscope", "*.json")); len(left) != 1 || left[0] != ptrs[0] {
		t.Errorf("pointers after the second was killed: %v, want only %s", left, ptrs[0])
	}
	// A clean stop removes the pointer.
	p.cmd.Process.Signal(os.Interrupt)
	if err := waitTimeout(p, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ptrs[0]); !os.IsNotExist(err) {
		t.Errorf("pointer left after a clean stop: %v", err)
	}
}

// TestControlLang: fault, queue and trace take --lang like up; the queue
// says its statuses and faults in that language.
func TestControlLang(t *testing.T) {
	for _, c := range []string{"fault", "queue", "trace"} {
		_, err := execCmd(c, "--lang", "zh", "--url", "http://127.0.0.1:1", "--help")
		if err != nil {
			t.Errorf("%s --lang: %v", c, err)
		}
	}
	var b strings.Builder
	now := time.Now()
	printQueue(&b, "zh", now, []servers.QueueEntry{
		{Server: "A", MsgID: "A-1", Sender: "alice@a.example", Rcpt: "bob@b.example", Status: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute)},
		{Server: "A", MsgID: "A-2", Sender: "alice@a.example", Rcpt: "bob@b.example", Status: "held", Attempts: 0},
		// The relay's own words come in the reader's language.
		{Server: "A", MsgID: "A-3", Sender: "alice@a.example", Rcpt: "x@nowhere.example", Status: "deferred", Attempts: 1,
			LastError: "no mail server for nowhere.example", LastWhy: tracer.M("queue.why.nomx", "domain", "nowhere.example")},
	}, map[string]servers.Fault{"B": servers.FaultDown})
	out := b.String()
	for _, want := range []string{"已推迟", "暂缓发送", "服务器 B 的故障：宕机"} {
		if !strings.Contains(out, want) {
			t.Errorf("zh queue lacks %q:\n%s", want, out)
		}
	}
	if zh := tracer.NewExplainer("zh").Format(tracer.M("queue.why.nomx", "domain", "nowhere.example")); !strings.Contains(out, string([]rune(zh)[:10])) {
		t.Errorf("zh queue lacks the reason in Chinese %q:\n%s", zh, out)
	}
	for _, bad := range []string{"deferred", "held", "down", "nobody receives"} {
		if strings.Contains(out, bad) {
			t.Errorf("zh queue says %q:\n%s", bad, out)
		}
	}
}

// TestTraceSaysInstanceLang: trace --lang en attached to a mailscope up
// --lang zh says in one line that the explanations come in Chinese and
// how to have them in English.
func TestTraceSaysInstanceLang(t *testing.T) {
	t.Setenv("MAILSCOPE_TOKEN", "")
	dir := t.TempDir()
	p := start(t, dir, "--lang", "zh")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out := &syncBuffer{}
	runCmd(ctx, out, "trace", "--url", p.webURL(t), "--lang", "en", "--color", "never")
	if want := "the running mailscope explains in Chinese; lines it explains appear in Chinese. For explanations in English, start it with `mailscope up --lang en`"; !strings.Contains(out.String(), want) {
		t.Errorf("trace lacks the language note:\n%s", out.String())
	}
}

// TestFaultText: mailscope fault says what the fault does, in the words of
// the server's own fault event, not "server B is now reject".
func TestFaultText(t *testing.T) {
	for _, c := range []struct {
		lang string
		f    servers.Fault
		want string
	}{
		{"en", servers.FaultReject, "server B rejecting: recipients get 550 5.1.1"},
		{"en", servers.FaultDown, "server B down: its SMTP port refuses connections"},
		{"en", servers.FaultNone, "server B cleared"},
		{"zh", servers.FaultReject, "服务器 B 拒收"},
		{"zh", servers.FaultHold, "服务器 B 暂停了消息队列"},
	} {
		if got := faultText(c.lang, "B", c.f); !strings.Contains(got, c.want) || strings.Contains(got, "is now") {
			t.Errorf("faultText(%s, %q) = %q, want %q", c.lang, c.f, got, c.want)
		}
	}
}
