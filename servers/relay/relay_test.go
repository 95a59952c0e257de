package relay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// brokenB is a receiving server on 127.0.0.1:0 that accepts the first
// message of a session and hangs up after the data of the second, without
// a reply.
func brokenB(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		io.WriteString(c, "220 b.example ESMTP\r\n")
		messages := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
			case "EHLO":
				io.WriteString(c, "250-b.example\r\n250 8BITMIME\r\n")
			case "DATA":
				io.WriteString(c, "354 go ahead\r\n")
				for line != ".\r\n" {
					if line, err = br.ReadString('\n'); err != nil {
						return
					}
				}
				if messages++; messages == 2 {
					return
				}
				io.WriteString(c, "250 2.0.0 queued\r\n")
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	}()
	return l.Addr().String()
}

// TestSessionBrokenMidway: three messages for one destination share one
// session; when the receiving server hangs up during the second, the first
// stays delivered, the second is deferred with what went wrong and the
// third is deferred because the session broke before it was sent. The
// relay runs here on a store, a world and a bus, without the servers of an
// instance.
func TestSessionBrokenMidway(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := tracer.NewBus()
	sub := bus.Subscribe(256)
	defer sub.Close()
	addr := brokenB(t)
	for i := 1; i <= 3; i++ {
		d := &store.Delivery{Server: "A", TraceID: fmt.Sprintf("T%d", i), Sender: "alice@a.example", Remote: []string{"bob@b.example"},
			Body: []byte(fmt.Sprintf("Subject: %d\r\n\r\nmessage %d\r\n", i, i)), Received: time.Now()}
		if _, err := st.Deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	r := New(Config{Store: st, World: world.Default(), Bus: bus, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Addr: func(server string) string { return addr }})
	go r.Run()
	defer r.Shutdown(context.Background())

	steps := map[string][]string{}
	timeout := time.After(20 * time.Second)
	for n := 0; n < 3; {
		select {
		case e := <-sub.C():
			if step := e.Attrs["step"]; e.Kind == tracer.KindQueue && (step == "delivered" || step == "deferred") {
				steps[step] = append(steps[step], e.Attrs["error"])
				n++
			}
		case <-timeout:
			t.Fatalf("timed out waiting for three outcomes; got %v", steps)
		}
	}
	if len(steps["delivered"]) != 1 || len(steps["deferred"]) != 2 {
		t.Fatalf("outcomes: %q, want one delivered and two deferred", steps)
	}
	if broke := steps["deferred"][1]; broke != "the session broke before this message was sent" {
		t.Errorf("the message after the broken one: %q", broke)
	}
	if cut := steps["deferred"][0]; cut == "" || strings.Contains(cut, "before this message") {
		t.Errorf("the message the server hung up on: %q", cut)
	}
}
