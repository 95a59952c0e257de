// Package datamem measures what SMTP sessions in the middle of DATA cost a
// running mailscope (the command is cmd/datamem): many sessions each send
// EHLO, MAIL, RCPT, DATA and then a large message without the final ".";
// the resident memory of the server (VmRSS and its peak VmHWM, from /proc)
// is printed before, while they wait and after every message has been
// ended, with the replies to the ends counted (250 stored, 452 no room in
// memory).
package datamem

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Config says what Run does.
type Config struct {
	Addr     string        // server A's SMTP address
	Sessions int           // sessions in DATA at once
	Size     int           // octets of message each session sends
	PID      int           // the mailscope process whose memory is read
	Settle   time.Duration // wait for the server to read what was sent
}

// Run opens cfg.Sessions sessions, stops each in the middle of DATA after
// cfg.Size octets, prints the memory of process cfg.PID, then ends every
// message and prints the replies counted by code.
func Run(cfg Config) {
	printRSS(cfg.PID, "idle")
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	line := strings.Repeat("x", 76) + "\r\n"
	for i := 0; i < cfg.Sessions; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := start(cfg.Addr)
			if err != nil {
				fmt.Fprintln(os.Stderr, "datamem:", err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			w := bufio.NewWriterSize(c, 64<<10)
			io.WriteString(w, "Subject: big\r\n\r\n")
			for sent := 0; sent < cfg.Size; sent += len(line) {
				w.WriteString(line)
			}
			w.Flush()
		}()
	}
	wg.Wait()
	time.Sleep(cfg.Settle)
	printRSS(cfg.PID, fmt.Sprintf("%d sessions in DATA", len(conns)))
	codes := map[string]int{}
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			io.WriteString(c, ".\r\n")
			c.SetReadDeadline(time.Now().Add(time.Minute))
			l, _ := bufio.NewReader(c).ReadString('\n')
			mu.Lock()
			codes[strings.Fields(l + " none")[0]]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println("replies to the end of data:", codes)
	printRSS(cfg.PID, "after")
}

// start opens a session and gets it to the 354.
func start(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	reply := func() (string, error) {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if len(l) < 4 || l[3] != '-' {
				return l, nil
			}
		}
	}
	if _, err := reply(); err != nil {
		c.Close()
		return nil, err
	}
	for _, cmd := range []string{"EHLO datamem", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA"} {
		io.WriteString(c, cmd+"\r\n")
		l, err := reply()
		if err != nil || (l[0] != '2' && l[0] != '3') {
			c.Close()
			return nil, fmt.Errorf("%s: %q %v", cmd, l, err)
		}
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

func printRSS(pid int, when string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fmt.Fprintln(os.Stderr, "datamem:", err)
		return
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	fmt.Printf("%s: %s\n", when, strings.Join(out, ", "))
}
