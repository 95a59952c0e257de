package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/store"
)

// binary builds mailscope once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailscope-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mailscope")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running mailscope process.
type proc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	base   int
	done   chan error
	once   sync.Once
	err    error
	tracee int // under strace: mailscope's own process id
}

// wait waits for the process to exit (once; later calls return the same).
func (p *proc) wait() error {
	p.once.Do(func() { p.err = <-p.done })
	return p.err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs mailscope on a free port base with data in dir and waits until
// it says it started.
// testPortBase picks a port base whose ports (base+25 to base+1143) lie below
// the kernel's ephemeral range (32768 and up on Linux): the other packages'
// tests, run at the same time, open thousands of connections whose local
// ports come from that range and can take a port the world wants.
func testPortBase() int { return 11000 + rand.IntN(200)*100 }

func start(t *testing.T, dir string, extra ...string) *proc {
	t.Helper()
	return startVia(t, nil, dir, extra...)
}

// startVia is start with mailscope run by another program: via is its
// command line (strace and its flags), mailscope's follows it. The proc's
// tracee is then mailscope's own process id.
func startVia(t *testing.T, via []string, dir string, extra ...string) *proc {
	t.Helper()
	bin := binary(t)
	for attempt := 0; attempt < 10; attempt++ {
		base := testPortBase()
		args := append([]string{bin, "--data", dir, "--port-base", fmt.Sprint(base), "--web", "127.0.0.1:0", "--color", "never"}, extra...)
		args = append(append([]string(nil), via...), args...)
		cmd := exec.Command(args[0], args[1:]...)
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.After(30 * time.Second)
		for {
			// (A world started with --lang zh says it in Chinese.)
			if o := out.String(); strings.Contains(o, "Every line of every session appears below") && strings.Contains(o, "web timeline:") ||
				strings.Contains(o, "每个会话的每一行都会显示在下面") && strings.Contains(o, "网页时间线：") {
				p := &proc{cmd: cmd, out: out, base: base, done: done}
				if via != nil {
					// A tracer leaves its tracee running when it is
					// killed: the cleanup stops mailscope itself.
					p.tracee = childOf(cmd.Process.Pid)
				}
				t.Cleanup(func() {
					if p.tracee > 0 {
						syscall.Kill(p.tracee, syscall.SIGKILL)
					}
					cmd.Process.Kill()
					p.wait()
				})
				return p
			}
			select {
			case <-done:
				if strings.Contains(out.String(), "address already in use") {
					goto retry
				}
				t.Fatalf("mailscope exited:\n%s", out.String())
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("mailscope did not start:\n%s", out.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	retry:
	}
	t.Fatal("no free port base found")
	return nil
}

// childOf returns the process pid started: its only child.
func childOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	var child int
	fmt.Sscan(string(b), &child)
	return child
}

func (p *proc) smtp() string { return fmt.Sprintf("127.0.0.1:%d", p.base+25) }

// send delivers one message to alice and returns the 250 line; it returns
// as soon as the 250 arrives.
func send(t *testing.T, addr, subject string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	read := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(l) < 4 || l[3] != '-' {
				return strings.TrimSpace(l)
			}
		}
	}
	read()
	fmt.Fprintf(c, "HELO laptop\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
	for i := 0; i < 4; i++ {
		read()
	}
	fmt.Fprintf(c, "Subject: %s\r\n\r\nhello\r\n.\r\n", subject)
	l := read()
	if !strings.HasPrefix(l, "250 ") {
		t.Fatalf("DATA answered %q", l)
	}
	return l
}

func subjects(t *testing.T, dir string) []string {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Messages(ctx, mb.ID)
	var out []string
	for _, m := range msgs {
		b, _ := st.Body(ctx, m.ID)
		for _, l := range strings.Split(string(b), "\r\n") {
			if strings.HasPrefix(l, "Subject: ") {
				out = append(out, strings.TrimPrefix(l, "Subject: "))
			}
		}
	}
	return out
}

// TestKill9AfterAcceptLosesNothing kills mailscope with SIGKILL the moment
// it answers 250 and checks the message is in the mailbox after a restart.
func TestKill9AfterAcceptLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		p := start(t, dir)
		send(t, p.smtp(), fmt.Sprint("kill-", i))
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait()
	}
	got := strings.Join(subjects(t, dir), ",")
	if got != "kill-0,kill-1,kill-2" {
		t.Fatalf("after kill -9: %q", got)
	}
}

// TestRestartKeepsMailAndTracesLive runs the README's first session against
// the real binary: the console shows every line, explained; a clean stop and
// a restart keep the message.
func TestRestartKeepsMailAndTracesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "trace.jsonl")
	p := start(t, dir, "--record", rec)
	line := send(t, p.smtp(), "hi")
	if !strings.Contains(line, "queued as A-") {
		t.Fatalf("250 line: %q", line)
	}
	time.Sleep(200 * time.Millisecond) // the console flushes when idle; nothing to listen for here
	p.cmd.Process.Signal(os.Interrupt)
	if err := p.wait(); err != nil {
		t.Fatalf("exit after Ctrl-C: %v\n%s", err, p.out.String())
	}
	out := p.out.String()
	for _, want := range []string{
		"server  domain     SMTP", "alice (alice)", "telnet 127.0.0.1",
		"[A smtp-1] C: HELO laptop", "HELO: the client says hello",
		"[A smtp-1] S: 250 2.1.0 Sender <alice@a.example> OK", "RFC 5321 section 4.1.1.2",
		"C: [message body: 3 lines", "S: 354 ", "mailscope: stopping",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// The recording replays as the same console text.
	var replayed bytes.Buffer
	root := newRootCmd()
	root.SetOut(&replayed)
	root.SetArgs([]string{"replay", "--color", "never", rec})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[A smtp-1] C: HELO laptop", "RFC 5321 section 4.1.1.2", "queue: delivered to the mailbox of alice@a.example"} {
		if !strings.Contains(replayed.String(), want) {
			t.Errorf("replay of --record lacks %q:\n%s", want, replayed.String())
		}
	}
	p2 := start(t, dir)
	send(t, p2.smtp(), "again")
	p2.cmd.Process.Signal(os.Interrupt)
	p2.wait()
	if got := strings.Join(subjects(t, dir), ","); got != "hi,again" {
		t.Fatalf("after restart: %q", got)
	}
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil || !strings.HasPrefix(out.String(), "mailscope ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	root = newRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"--help"})
	root.Execute()
	for _, want := range []string{"telnet 127.0.0.1 10025", "MAIL FROM:<alice@a.example>", "--port-base", "--world", "--record", "--lang", "N+1025"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestBadFlagsAndWorld(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "w.yaml")
	os.WriteFile(bad, []byte("servers:\n  - name: A\n    domain: nodots\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--world", bad, "--data", dir}, `w.yaml:3: servers[0].domain: "nodots" is not a domain name`},
		{[]string{"--color", "pink", "--data", dir}, "--color \"pink\": use auto, always or never"},
		{[]string{"--lang", "fr", "--data", dir}, "--lang \"fr\": use en or zh"},
		{[]string{"--port-base", "99999", "--data", dir}, "--port-base 99999 is out of range"},
		{[]string{"--world", filepath.Join(dir, "missing.yaml")}, "no such file"},
	} {
		root := newRootCmd()
		root.SetOut(io.Discard)
		root.SetArgs(c.args)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

// webURL finds the web timeline's address in the banner.
func (p *proc) webURL(t *testing.T) string {
	t.Helper()
	out := p.out.String()
	for _, label := range []string{"web timeline: ", "网页时间线："} {
		if i := strings.Index(out, label+"http://"); i >= 0 {
			u := strings.FieldsFunc(out[i+len(label):], func(r rune) bool { return r == ' ' || r == '\n' || r == '（' })[0]
			u, _, _ = strings.Cut(u, "/?token=") // the address to open, for a page that needs the token
			return u
		}
	}
	t.Fatalf("no web timeline in the banner:\n%s", out)
	return ""
}

func (p *proc) fault(t *testing.T, server, fault string) {
	t.Helper()
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetArgs([]string{"fault", "--url", p.webURL(t), server, fault})
	if err := root.Execute(); err != nil {
		t.Fatalf("fault %s %s: %v", server, fault, err)
	}
}

func mailboxCount(t *testing.T, dir, server, user string) int {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, server, user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Messages(ctx, mb.ID)
	return len(msgs)
}

// TestKill9DuringRelay kills mailscope in the middle of a relay session (B
// is slow, so the session takes seconds) and checks that after a restart the
// message reaches bob exactly once.
func TestKill9DuringRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	p := start(t, dir)
	p.fault(t, "B", "slow")
	c, err := net.Dial("tcp", p.smtp())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "HELO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\nSubject: relayed\r\n\r\nhi\r\n.\r\nQUIT\r\n")
	r := bufio.NewReader(c)
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no 250 for the message: %v", err)
		}
		if strings.HasPrefix(l, "250 2.0.0 OK") {
			break
		}
	}
	c.Close()
	// Wait until the relay session is under way, then kill.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.out.String(), "[A->B smtp-1] C: EHLO a.example") {
		if time.Now().After(deadline) {
			t.Fatalf("relay session never started:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait()
	p2 := start(t, dir)
	deadline = time.Now().Add(60 * time.Second)
	for mailboxCount(t, dir, "B", "bob") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("bob never got the message after the restart:\n%s", p2.out.String())
		}
		p2.flush(t)
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if n := mailboxCount(t, dir, "B", "bob"); n != 1 {
		t.Fatalf("bob has %d copies, want exactly 1", n)
	}
}

func (p *proc) flush(t *testing.T) {
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetArgs([]string{"queue", "flush", "--url", p.webURL(t)})
	root.Execute()
}
