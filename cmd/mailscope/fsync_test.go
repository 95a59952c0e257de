package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAckFollowsFsync checks, at the level of system calls, the promise
// behind every 250 after DATA: the message is on disk before the client is
// told so. kill -9 (TestKill9UnderLoad) cannot show it, since the kernel
// keeps what a killed process wrote; a power cut would lose what was never
// synced. So mailscope runs under strace, and for each message the trace
// must show the commit's writes to the SQLite WAL, then an fsync (or
// fdatasync) of the WAL that has returned, and only then the write of the
// 250 to the client's socket. Several messages are sent at once, so that
// group commit (one fsync for several sessions) is what is checked.
func TestAckFollowsFsync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary under strace")
	}
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("strace is required in CI (.ci/run installs it)")
		}
		t.Skip("strace is not installed")
	}
	// Where ptrace is refused (some containers), strace cannot run at all.
	if out, err := exec.Command(straceBin, "-qq", "-e", "trace=none", "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v %s", err, out)
	}
	tracePath := filepath.Join(t.TempDir(), "strace.txt")
	// open(2) exists on amd64 only: a pattern names both opens wherever
	// strace runs.
	p := startVia(t, []string{straceBin, "-f", "-qq", "-s", "8192", "-e", "signal=none",
		"-e", "trace=/^open(at)?$,close,pwrite64,write,fsync,fdatasync", "-o", tracePath}, t.TempDir())

	// Each message has its own subject, which the trace shows inside the
	// WAL page that stores it; each 250 names the message's id.
	const n = 6
	type ack struct{ subject, line string }
	acks := make(chan ack, n)
	for i := range n {
		subject := fmt.Sprintf("fsync check %d", i)
		go func() { acks <- ack{subject, send(t, p.smtp(), subject)} }()
	}
	subjectOf := map[string]string{} // message id -> subject
	for range n {
		select {
		case a := <-acks:
			m := queuedAs.FindStringSubmatch(a.line)
			if m == nil {
				t.Fatalf("DATA answered %q", a.line)
			}
			subjectOf[m[1]] = a.subject
		case <-time.After(60 * time.Second):
			t.Fatal("no 250 within 60 s")
		}
	}
	// mailscope stops on SIGTERM; strace then writes out its log and exits.
	if p.tracee <= 0 {
		t.Fatal("could not find mailscope's process under strace")
	}
	syscall.Kill(p.tracee, syscall.SIGTERM)
	if err := waitTimeout(p, 30*time.Second); err != nil {
		t.Fatalf("strace: %v", err)
	}
	if keep := os.Getenv("MAILSCOPE_KEEP_STRACE"); keep != "" {
		b, _ := os.ReadFile(tracePath)
		os.WriteFile(keep, b, 0o644)
	}
	f, err := os.Open(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkAckOrder(bufio.NewScanner(f), subjectOf); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledgements, each after a sync of the WAL that followed the write of its message", n)
}

var queuedAs = regexp.MustCompile(`^250 2\.0\.0 OK: .* queued as (\S+)`)

// waitTimeout waits for strace to exit after its tracee was told to stop.
func waitTimeout(p *proc, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- p.wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		syscall.Kill(p.tracee, syscall.SIGKILL)
		p.cmd.Process.Kill()
		return fmt.Errorf("did not exit within %s", d)
	}
}

// strace -f lines: "PID name(args) = result", or a call split in two by
// another thread's: "PID name(args <unfinished ...>" and later
// "PID <... name resumed>...) = result".
var (
	straceCall    = regexp.MustCompile(`^(\d+) +(\w+)\((.*)$`)
	straceResumed = regexp.MustCompile(`^(\d+) +<\.\.\. (\w+) resumed>.*= (-?\d+)`)
	straceResult  = regexp.MustCompile(`\) += (-?\d+)`)
	straceFirstFd = regexp.MustCompile(`^(\d+)`)
)

// checkAckOrder reads an strace log and checks, for each message (its id
// and subject), that the first write of its page to the WAL is followed by
// a completed fsync of the WAL before the write of the 250 that names it.
func checkAckOrder(sc *bufio.Scanner, subjectOf map[string]string) error {
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	wal := map[string]bool{} // open file descriptors of the WAL
	pending := map[string]string{}
	firstWrite := map[string]int{} // subject -> line of the first WAL write holding it
	ackAt := map[string]int{}      // message id -> line of the 250's write
	var syncs []int                // lines where a sync of the WAL returned 0
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if m := straceResumed.FindStringSubmatch(line); m != nil {
			call := pending[m[1]]
			delete(pending, m[1])
			name, fd, _ := strings.Cut(call, " ")
			if (name == "fsync" || name == "fdatasync") && wal[fd] && m[3] == "0" {
				syncs = append(syncs, lineNo)
			}
			continue
		}
		m := straceCall.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pid, name, rest := m[1], m[2], m[3]
		fd := straceFirstFd.FindString(rest)
		var result string
		if r := straceResult.FindStringSubmatch(line); r != nil {
			result = r[1]
		}
		switch name {
		case "open", "openat":
			if strings.Contains(rest, `-wal"`) && result != "" && !strings.HasPrefix(result, "-") {
				wal[result] = true
			}
		case "close":
			delete(wal, fd)
		case "pwrite64":
			if wal[fd] {
				for _, subject := range subjectOf {
					if _, seen := firstWrite[subject]; !seen && strings.Contains(rest, subject) {
						firstWrite[subject] = lineNo
					}
				}
			}
		case "fsync", "fdatasync":
			if strings.HasSuffix(line, "<unfinished ...>") {
				pending[pid] = name + " " + fd
			} else if wal[fd] && result == "0" {
				syncs = append(syncs, lineNo)
			}
		case "write":
			if i := strings.Index(rest, "queued as "); i >= 0 && strings.Contains(rest, `"250 2.0.0 OK`) {
				for id := range subjectOf {
					if strings.HasPrefix(rest[i+len("queued as "):], id) {
						ackAt[id] = lineNo
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for id, subject := range subjectOf {
		ack, ok := ackAt[id]
		if !ok {
			return fmt.Errorf("the trace has no write of the 250 for %s", id)
		}
		w, ok := firstWrite[subject]
		if !ok || w > ack {
			return fmt.Errorf("%s (%q): the 250 (line %d) was written before the message reached the WAL", id, subject, ack)
		}
		synced := false
		for _, s := range syncs {
			if s > w && s < ack {
				synced = true
				break
			}
		}
		if !synced {
			return fmt.Errorf("%s (%q): written to the WAL at line %d, 250 at line %d, and no sync of the WAL returned in between", id, subject, w, ack)
		}
	}
	return nil
}

// checkAckOrder itself, on hand-written logs: a 250 written while the fsync
// was still running (strace shows it unfinished) is caught.
func TestCheckAckOrder(t *testing.T) {
	const head = `100 open("/d/mailscope.db-wal", O_RDWR|O_CREAT, 0644) = 6
100 pwrite64(6, "\0\0\0\1", 24, 32) = 24
100 pwrite64(6, "\r\0\0\0 Subject: fsync check 0\r\n\r\nhello", 4096, 56) = 4096
100 fsync(6 <unfinished ...>
`
	const ack = `200 write(9, "250 2.0.0 OK: 265 octets queued as A-1 (delivered to alice)\r\n", 62) = 62
`
	const resumed = `100 <... fsync resumed>)                = 0
`
	subjects := map[string]string{"A-1": "fsync check 0"}
	for _, c := range []struct {
		name, log string
		ok        bool
	}{
		{"ack after the sync returned", head + resumed + ack, true},
		{"ack while the sync runs", head + ack + resumed, false},
		{"no sync", strings.Replace(head, "100 fsync(6 <unfinished ...>\n", "", 1) + ack, false},
		{"sync of another file", strings.Replace(head, "fsync(6", "fsync(7", 1) + resumed + ack, false},
		{"ack before the message reached the WAL", ack + head + resumed, false},
	} {
		err := checkAckOrder(bufio.NewScanner(strings.NewReader(c.log)), subjects)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
}
