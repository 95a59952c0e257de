package smtp_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// benchIngest sends b.N messages of size octets over conns connections,
// many messages per connection, with the console sink draining the bus.
func benchIngest(b *testing.B, conns, size int, console bool) {
	benchSMTP(b, conns, size, console, false)
}

// benchSMTP is benchIngest, or with onePerConn a new connection (greeting,
// EHLO, one message, QUIT) for every message, like smtp-source without -d:
// what a connection costs (issue 12). Allocations include the client's.
func benchSMTP(b *testing.B, conns, size int, console, onePerConn bool) {
	w := newWorld(b, nil)
	if console {
		c := tracer.NewConsole(io.Discard, tracer.ConsoleOptions{Color: true, Explain: true})
		sub := w.inst.Bus.Subscribe(1 << 16)
		go c.Run(sub)
		b.Cleanup(sub.Close)
	}
	body := message("bench", size)
	var next atomic.Int64
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	b.ReportAllocs()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Load() < int64(b.N) && sendOn(b, w.smtpAddr("A"), body, &next, onePerConn) {
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

// sendOn opens one connection and sends messages on it while next stays
// within b.N (one message when one is set); it reports false on an error.
func sendOn(b *testing.B, addr, body string, next *atomic.Int64, one bool) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Error(err)
		return false
	}
	defer c.Close()
	r := bufio.NewReader(c)
	read := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				b.Error(err)
				return ""
			}
			if len(l) < 4 || l[3] != '-' {
				return l
			}
		}
	}
	read()
	fmt.Fprintf(c, "EHLO bench\r\n")
	read()
	for next.Add(1) <= int64(b.N) {
		fmt.Fprintf(c, "MAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
		read()
		read()
		read()
		io.WriteString(c, body)
		io.WriteString(c, ".\r\n")
		if l := read(); !strings.HasPrefix(l, "250") {
			b.Errorf("DATA: %q", l)
			return false
		}
		if one {
			break
		}
	}
	fmt.Fprintf(c, "QUIT\r\n")
	read()
	return true
}

func BenchmarkIngest1KiB10Conns(b *testing.B)       { benchIngest(b, 10, 1024, true) }
func BenchmarkIngest1KiB10ConnsNoSink(b *testing.B) { benchIngest(b, 10, 1024, false) }
func BenchmarkIngest100KiB10Conns(b *testing.B)     { benchIngest(b, 10, 100<<10, true) }
func BenchmarkOneMessagePerConn10(b *testing.B)     { benchSMTP(b, 10, 1024, true, true) }
