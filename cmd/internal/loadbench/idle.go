package loadbench

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// idleUsers is how many users each server of the idle world has: POP3 locks
// a maildrop per session (RFC 1939 section 4), so every logged-in POP3
// session needs its own user.
const idleUsers = 200

// idleWorld is the default world with users u1..uN (password = name) on
// both servers besides alice and bob.
func idleWorld(n int) string {
	var b strings.Builder
	b.WriteString("# loadbench idle: the default world with many users (POP3 locks one maildrop per session)\nhost: 127.0.0.1\nservers:\n")
	for _, s := range []struct{ name, domain, user string }{{"A", "a.example", "alice"}, {"B", "b.example", "bob"}} {
		fmt.Fprintf(&b, "  - name: %s\n    domain: %s\n    users:\n      - {name: %s, password: %s}\n", s.name, s.domain, s.user, s.user)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "      - {name: u%d, password: u%d}\n", i, i)
		}
	}
	return b.String()
}

// session is one idle client connection.
type session struct {
	kind string // "A smtp", "B imap", ...
	c    net.Conn
	r    *bufio.Reader
	tag  int
}

func (s *session) line(l string) error {
	s.c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := s.c.Write([]byte(l + "\r\n"))
	return err
}

// expect reads a reply: SMTP up to the last line of a multi-line reply,
// POP3 one +OK line, IMAP up to the tagged line (tag "" for the greeting).
func (s *session) expect(proto, tag string) error {
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			return err
		}
		switch proto {
		case "smtp":
			if len(l) < 4 || (l[0] != '2' && l[0] != '3') {
				return fmt.Errorf("%s: %q", s.kind, l)
			}
			if l[3] == '-' {
				continue
			}
			return nil
		case "pop3":
			if !strings.HasPrefix(l, "+OK") {
				return fmt.Errorf("%s: %q", s.kind, l)
			}
			return nil
		default:
			if tag == "" {
				if !strings.HasPrefix(l, "* OK") {
					return fmt.Errorf("%s greeting: %q", s.kind, l)
				}
				return nil
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					return fmt.Errorf("%s: %q", s.kind, l)
				}
				return nil
			}
		}
	}
}

func (s *session) proto() string { return s.kind[2:] }

// open connects and logs in: SMTP EHLO, POP3 USER/PASS, IMAP LOGIN.
func openSession(addr, kind, user string) (*session, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	s := &session{kind: kind, c: c, r: bufio.NewReaderSize(c, 1024)}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	p := s.proto()
	if err := s.expect(p, ""); err != nil {
		c.Close()
		return nil, err
	}
	var steps []string
	switch p {
	case "smtp":
		steps = []string{"EHLO idle.example"}
	case "pop3":
		steps = []string{"USER " + user, "PASS " + user}
	case "imap":
		steps = []string{"LOGIN " + user + " " + user}
	}
	for _, st := range steps {
		if err := s.noopLike(st); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s %s: %w", kind, strings.Fields(st)[0], err)
		}
	}
	return s, nil
}

func (s *session) noopLike(cmd string) error {
	p := s.proto()
	tag := ""
	if p == "imap" {
		s.tag++
		tag = "a" + strconv.Itoa(s.tag)
		cmd = tag + " " + cmd
	}
	if err := s.line(cmd); err != nil {
		return err
	}
	return s.expect(p, tag)
}

// Idle opens sessions spread over the six services, logs in where the
// protocol has a login, reads mailscope's memory, then sends NOOPs: passes
// over every session one at a time in random order (the target), and one
// burst where every session sends its NOOP at once.
func Idle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	var c common
	c.register(fs, 5)
	n := fs.Int("sessions", 1000, "idle sessions, spread over SMTP, POP3 and IMAP of A and B")
	fs.Parse(args)
	srv := attached(c.portBase, c.pid)
	if c.bin != "" {
		tmp, err := os.MkdirTemp("", "loadbench-idle-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		wf := filepath.Join(tmp, "world.yaml")
		if err := os.WriteFile(wf, []byte(idleWorld(idleUsers)), 0o644); err != nil {
			return err
		}
		if srv, err = startServer(c.bin, c.portBase, "", c.keep, "--world", wf); err != nil {
			return err
		}
		defer srv.stop()
	} else if c.pid == 0 {
		return errors.New("idle without -bin needs -pid (and mailscope started with the world of `loadbench world`)")
	}
	time.Sleep(500 * time.Millisecond)
	rss0, _, err := memory(srv.pid)
	if err != nil {
		return err
	}
	kinds := []string{"A smtp", "A pop3", "A imap", "B smtp", "B pop3", "B imap"}
	sessions := make([]*session, *n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 50)
	t0 := time.Now()
	for i := range sessions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			k := kinds[i%len(kinds)]
			srvIdx := 0
			if k[0] == 'B' {
				srvIdx = 1
			}
			user := "u" + strconv.Itoa(i/len(kinds)+1)
			s, err := openSession(srv.addr(srvIdx, k[2:]), k, user)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("session %d (%s): %w", i, k, err)
			}
			sessions[i] = s
		}()
	}
	wg.Wait()
	defer func() {
		for _, s := range sessions {
			if s != nil {
				s.c.Close()
			}
		}
	}()
	if firstErr != nil {
		return firstErr
	}
	logf("idle: %d sessions open and logged in after %s", *n, time.Since(t0).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // let the server settle
	rss1, hwm1, err := memory(srv.pid)
	if err != nil {
		return err
	}
	var p99s []float64
	var all []time.Duration
	for pass := 0; pass < c.runs; pass++ {
		order := rand.Perm(len(sessions))
		var d []time.Duration
		for _, i := range order {
			s := sessions[i]
			t := time.Now()
			if err := s.noopLike("NOOP"); err != nil {
				return fmt.Errorf("NOOP on session %d (%s): %w", i, s.kind, err)
			}
			d = append(d, time.Since(t))
		}
		all = append(all, d...)
		p99s = append(p99s, float64(percentile(d, 99))/1e6)
		logf("pass %d: NOOP one at a time: p50 %s p99 %s max %s", pass+1, ms(percentile(d, 50)), ms(percentile(d, 99)), ms(percentile(d, 100)))
	}
	// Burst: every session sends NOOP at the same moment.
	var burst []time.Duration
	start := make(chan struct{})
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t := time.Now()
			err := s.noopLike("NOOP")
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			burst = append(burst, time.Since(t))
		}()
	}
	close(start)
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("NOOP burst: %w", firstErr)
	}
	rss2, hwm2, err := memory(srv.pid)
	if err != nil {
		return err
	}
	mp99 := median(p99s)
	fmt.Printf("idle: %d concurrent sessions (SMTP after EHLO, POP3 and IMAP logged in, on A and B: about %d each)\n", *n, *n/6)
	fmt.Printf("  mailscope RSS: %.1f MB before, %.1f MB with the sessions open (VmHWM %.1f MB), %.1f MB after the NOOPs (VmHWM %.1f MB) (target <= 150 MB: %s)\n",
		float64(rss0)/1024, float64(rss1)/1024, float64(hwm1)/1024, float64(rss2)/1024, float64(hwm2)/1024, verdict(max(rss1, rss2) <= 150*1024))
	fmt.Printf("  NOOP one at a time, random session: p50 %s, p99 %.1f ms %v, max %s over %d NOOPs (target p99 <= 50 ms: %s)\n",
		ms(percentile(all, 50)), mp99, fmtMs(p99s), ms(percentile(all, 100)), len(all), verdict(mp99 <= 50))
	fmt.Printf("  NOOP on all %d at once: p50 %s, p99 %s, max %s\n", len(burst), ms(percentile(burst, 50)), ms(percentile(burst, 99)), ms(percentile(burst, 100)))
	return nil
}

// Startup measures from exec to A's SMTP port accepting a connection:
// runs with a new data directory each, then runs on one existing data
// directory that holds some mail.
func Startup(args []string) error {
	fs := flag.NewFlagSet("startup", flag.ExitOnError)
	var c common
	c.register(fs, 7)
	populate := fs.Int("populate", 1000, "messages put into the existing data directory first")
	fs.Parse(args)
	if c.bin == "" {
		return errors.New("startup starts mailscope: give -bin")
	}
	tmp, err := os.MkdirTemp("", "loadbench-startup-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(tmp)
	}
	existing := filepath.Join(tmp, "existing")
	s, err := startServer(c.bin, c.portBase, existing, c.keep)
	if err != nil {
		return err
	}
	if *populate > 0 {
		if _, err := (load{addr: s.smtpAddr(), conns: 10, count: *populate, size: 1024}).run(); err != nil {
			s.stop()
			return err
		}
	}
	s.stop()
	var fresh, exist []float64
	for i := 0; i < c.runs; i++ {
		d, err := timeStartup(c.bin, c.portBase, filepath.Join(tmp, "fresh"+strconv.Itoa(i)))
		if err != nil {
			return err
		}
		fresh = append(fresh, float64(d)/1e6)
		d, err = timeStartup(c.bin, c.portBase, existing)
		if err != nil {
			return err
		}
		exist = append(exist, float64(d)/1e6)
		logf("run %d: fresh %.1f ms, existing %.1f ms", i+1, fresh[i], exist[i])
	}
	mf, me := median(fresh), median(exist)
	fmt.Printf("startup: exec of `mailscope up` to A's SMTP port accepting, median of %d runs\n", c.runs)
	fmt.Printf("  fresh data directory:    %.1f ms %v (target <= 300 ms: %s)\n", mf, fmtRates(fresh), verdict(mf <= 300))
	fmt.Printf("  existing data directory: %.1f ms %v, %d messages in it (target <= 300 ms: %s)\n", me, fmtRates(exist), *populate, verdict(me <= 300))
	return nil
}

// timeStartup execs mailscope up and polls A's SMTP port every 0.5 ms.
func timeStartup(bin string, base int, dir string) (time.Duration, error) {
	addr := "127.0.0.1:" + strconv.Itoa(base+25)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		return 0, fmt.Errorf("%s already accepts connections before the start", addr)
	}
	s := &server{base: base, dir: dir}
	s.cmd = execUp(bin, base, dir)
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return 0, err
	}
	s.pid = s.cmd.Process.Pid
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	defer s.stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			d := time.Since(t0)
			c.Close()
			return d, nil
		}
		select {
		case <-s.exited:
			return 0, fmt.Errorf("mailscope exited during start-up")
		default:
		}
		if time.Since(t0) > 30*time.Second {
			return 0, errors.New("not listening after 30 s")
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// World is the world file the idle measurement starts mailscope with: the
// default world and idleUsers more users on each server.
func World() string { return idleWorld(idleUsers) }
