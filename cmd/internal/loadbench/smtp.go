package loadbench

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load is one SMTP ingest run: count messages of size octets over conns
// connections, message k due at start + k/rate (rate 0: no pacing).
type load struct {
	addr  string
	conns int
	count int
	size  int
	rate  float64
	// dur, when set, ends the run after this long instead of after count.
	dur time.Duration
}

// loadResult is what a run measured.
type loadResult struct {
	sent    int
	elapsed time.Duration
	lat     []time.Duration // MAIL sent to the final 250, per message
}

func (r loadResult) rate() float64 { return float64(r.sent) / r.elapsed.Seconds() }

// message returns an RFC 5322 message of about size octets, CRLF line ends
// and no line starting with a dot, ending with the CRLF.CRLF of DATA.
func message(size int) []byte {
	var b strings.Builder
	b.WriteString("From: alice@a.example\r\nTo: alice@a.example\r\nSubject: loadbench\r\nMessage-ID: <loadbench@a.example>\r\n\r\n")
	line := strings.Repeat("abcdefghij", 7) + "\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	if n := size - b.Len() - 2; n > 0 {
		b.WriteString(strings.Repeat("x", n) + "\r\n")
	}
	b.WriteString(".\r\n")
	return []byte(b.String())
}

// smtpConn is one client connection.
type smtpConn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func dialSMTP(addr string) (*smtpConn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	s := &smtpConn{c: c, r: bufio.NewReaderSize(c, 4096), w: bufio.NewWriterSize(c, 16<<10)}
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := s.reply(); err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return s, nil
}

// reply reads one (possibly multi-line) reply and fails unless it is 2xx or 3xx.
func (s *smtpConn) reply() (string, error) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if len(line) < 4 {
			return "", fmt.Errorf("short reply %q", line)
		}
		if line[3] == '-' {
			continue
		}
		if line[0] != '2' && line[0] != '3' {
			return "", fmt.Errorf("%s", strings.TrimSpace(line))
		}
		return line, nil
	}
}

func (s *smtpConn) cmd(line string) error {
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.reply(); err != nil {
		return fmt.Errorf("%s: %w", strings.Fields(line)[0], err)
	}
	return nil
}

func (s *smtpConn) send(msg []byte) error {
	s.c.SetDeadline(time.Now().Add(time.Minute))
	if err := s.cmd("MAIL FROM:<alice@a.example>"); err != nil {
		return err
	}
	if err := s.cmd("RCPT TO:<alice@a.example>"); err != nil {
		return err
	}
	if err := s.cmd("DATA"); err != nil {
		return err
	}
	s.w.Write(msg)
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.reply(); err != nil {
		return fmt.Errorf("end of data: %w", err)
	}
	return nil
}

// run sends the load and returns when every connection has quit.
func (l load) run() (loadResult, error) {
	msg := message(l.size)
	conns := make([]*smtpConn, l.conns)
	for i := range conns {
		c, err := dialSMTP(l.addr)
		if err != nil {
			return loadResult{}, err
		}
		if err := c.cmd("EHLO loadbench.example"); err != nil {
			return loadResult{}, err
		}
		conns[i] = c
	}
	var (
		next   atomic.Int64
		sent   atomic.Int64
		mu     sync.Mutex
		lat    []time.Duration
		firstE error
		wg     sync.WaitGroup
	)
	count := l.count
	if l.dur > 0 {
		count = int(^uint(0) >> 1)
	}
	start := time.Now()
	end := start.Add(l.dur)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.c.Close()
			var mine []time.Duration
			for {
				k := next.Add(1) - 1
				if k >= int64(count) {
					break
				}
				if l.rate > 0 {
					due := start.Add(time.Duration(float64(k) / l.rate * 1e9))
					if l.dur > 0 && !due.Before(end) {
						break
					}
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				} else if l.dur > 0 && time.Now().After(end) {
					break
				}
				t0 := time.Now()
				if err := c.send(msg); err != nil {
					mu.Lock()
					if firstE == nil {
						firstE = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
				sent.Add(1)
			}
			c.cmd("QUIT")
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := loadResult{sent: int(sent.Load()), elapsed: time.Since(start), lat: lat}
	if firstE != nil {
		return res, fmt.Errorf("SMTP load: %w", firstE)
	}
	return res, nil
}
