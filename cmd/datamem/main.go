// Command datamem measures what SMTP sessions in the middle of DATA cost a
// running mailscope: it opens -n sessions to -addr at once, each sending
// EHLO, MAIL, RCPT, DATA and then -size octets of message without the final
// ".", waits for the server to read them, prints the resident memory of
// process -pid (VmRSS and its peak VmHWM, from /proc), then ends every
// message and counts the replies (250 stored, 452 no room in memory).
//
//	mailscope up --data /tmp/x --port-base 20000 --web 127.0.0.1:20080 &
//	go run ./scripts/datamem -addr 127.0.0.1:20025 -pid $!
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:20025", "server A's SMTP address")
	n := flag.Int("n", 100, "sessions")
	size := flag.Int("size", 10_000_000, "octets of message each session sends")
	pid := flag.Int("pid", 0, "the mailscope process")
	settle := flag.Duration("settle", 3*time.Second, "wait for the server to read what was sent")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "datamem: -pid is required")
		os.Exit(2)
	}
	printRSS(*pid, "idle")
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	line := strings.Repeat("x", 76) + "\r\n"
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := start(*addr)
			if err != nil {
				fmt.Fprintln(os.Stderr, "datamem:", err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			w := bufio.NewWriterSize(c, 64<<10)
			io.WriteString(w, "Subject: big\r\n\r\n")
			for sent := 0; sent < *size; sent += len(line) {
				w.WriteString(line)
			}
			w.Flush()
		}()
	}
	wg.Wait()
	time.Sleep(*settle)
	printRSS(*pid, fmt.Sprintf("%d sessions in DATA", len(conns)))
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
	printRSS(*pid, "after")
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
