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
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", w.smtpAddr("A"))
			if err != nil {
				b.Error(err)
				return
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
					return
				}
			}
			fmt.Fprintf(c, "QUIT\r\n")
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

func BenchmarkIngest1KiB10Conns(b *testing.B)       { benchIngest(b, 10, 1024, true) }
func BenchmarkIngest1KiB10ConnsNoSink(b *testing.B) { benchIngest(b, 10, 1024, false) }
func BenchmarkIngest100KiB10Conns(b *testing.B)     { benchIngest(b, 10, 100<<10, true) }
