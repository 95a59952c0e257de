package loadbench

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a mailscope up that loadbench started, or one already running.
type server struct {
	base int
	pid  int
	cmd  *exec.Cmd
	dir  string // data directory (started ones)
	tmp  string // removed by stop unless kept
	keep bool

	exited chan struct{} // closed when a started server's process ended
}

func (s *server) smtpAddr() string { return "127.0.0.1:" + strconv.Itoa(s.base+25) }
func (s *server) webAddr() string  { return "127.0.0.1:" + strconv.Itoa(s.base+80) }

// addr returns the address of proto ("smtp", "pop3", "imap") on server A (0) or B (1).
func (s *server) addr(srv int, proto string) string {
	off := map[string]int{"smtp": 25, "pop3": 110, "imap": 143}[proto]
	return "127.0.0.1:" + strconv.Itoa(s.base+1000*srv+off)
}

// startServer runs `bin up` on port base with a data directory under a new
// temporary directory (or dataDir when given), stdout to /dev/null (the
// console sink still formats every event) and stderr to a file, and waits
// until A's SMTP port and the web port accept connections.
func startServer(bin string, base int, dataDir string, keep bool, extra ...string) (*server, error) {
	s := &server{base: base, keep: keep}
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "loadbench-")
		if err != nil {
			return nil, err
		}
		s.tmp = tmp
		dataDir = filepath.Join(tmp, "data")
	}
	s.dir = dataDir
	errPath := dataDir + ".stderr"
	if s.tmp != "" {
		errPath = filepath.Join(s.tmp, "stderr")
	}
	ef, err := os.Create(errPath)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	s.cmd = execUp(bin, base, dataDir, extra...)
	s.cmd.Stderr = ef
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = s.cmd.Process.Pid
	exited := make(chan struct{})
	s.exited = exited
	go func() { s.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range []string{s.smtpAddr(), s.webAddr()} {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				b, _ := os.ReadFile(errPath)
				return nil, fmt.Errorf("mailscope exited before listening on %s: %s", a, strings.TrimSpace(string(b)))
			default:
			}
			if time.Now().After(deadline) {
				s.stop()
				return nil, fmt.Errorf("nothing listens on %s after 30 s", a)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return s, nil
}

// execUp returns the command that runs mailscope up on port base; its
// stdout is /dev/null, so the console sink formats every event for nothing.
func execUp(bin string, base int, dataDir string, extra ...string) *exec.Cmd {
	args := append([]string{"up", "--data", dataDir, "--port-base", strconv.Itoa(base),
		"--web", "127.0.0.1:" + strconv.Itoa(base+80), "--color", "never"}, extra...)
	return exec.Command(bin, args...)
}

// attached describes a running mailscope.
func attached(base, pid int) *server { return &server{base: base, pid: pid} }

// stop ends a started server with SIGTERM (SIGKILL after 10 s) and removes
// its temporary directory.
func (s *server) stop() {
	if s.cmd == nil {
		return // attached: not ours
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	if s.tmp != "" && !s.keep {
		os.RemoveAll(s.tmp)
	}
}

// cpuTime returns the user+system CPU time pid has used (0 if unknown).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// memory reads VmRSS and VmHWM (kB) of pid from /proc.
func memory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, sc.Err()
}
