package smtp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/tracer"
)

// TestPanicEndsOnlyItsSession: a panic in a command ends that session with
// 421, is logged with its stack and noted in the trace, and the next client
// is served.
func TestPanicEndsOnlyItsSession(t *testing.T) {
	addr, _, logs, sub := fakeServer(t, nil)
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<bob@b.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<panic@a.example>")
	c.Expect("421 4.3.0 a.example Internal error, closing the connection")
	c.ExpectClosed()
	log := logs.String()
	for _, want := range []string{"panic in session", "fakeBackend: asked to panic", "goroutine ", "LocalUser"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	noted := false
	for !noted {
		select {
		case e := <-sub.C():
			noted = e.Kind == tracer.KindNote && strings.Contains(e.Text, "internal error in server A")
		case <-time.After(5 * time.Second):
			t.Fatal("no trace note about the panic")
		}
	}
	c = greeted(t, addr)
	c.Send("NOOP")
	c.Expect("250 *")
}

// TestSessionTimeoutInData: a session that reaches SessionTimeout in the
// middle of a message gets 421 4.4.2 saying so, and nothing is stored.
func TestSessionTimeoutInData(t *testing.T) {
	addr, b, _, _ := fakeServer(t, func(s *smtp.Server) { s.SessionTimeout = 400 * time.Millisecond })
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<bob@b.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			c.NetConn().SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.NetConn().Write([]byte("a line of a slow message\r\n")); err != nil {
				return
			}
		}
	}()
	c.Expect("421 4.4.2 a.example Session open for 400ms, the longest allowed*")
	c.ExpectClosed()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.delivered) != 0 {
		t.Errorf("%d messages delivered", len(b.delivered))
	}
}

// TestLineTimeoutInData: a message line begun and never finished is cut
// off after LineTimeout, though the idle timeout is far away.
func TestLineTimeoutInData(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.LineTimeout = 300 * time.Millisecond })
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<bob@b.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.SendRaw("Subject: never ends")
	c.Expect("421 4.4.2 a.example Line not finished within 300ms of its first octet*")
	c.ExpectClosed()
}

// TestLoopbackPerAddressDefault: by default the per-address limit (100)
// does not hold loopback clients, who all share 127.0.0.1: 150 sessions
// from here are greeted.
func TestLoopbackPerAddressDefault(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	for i := 0; i < 150; i++ {
		greeted(t, addr)
	}
}

// TestPerAddressLimit: over MaxConnsLoopback a client gets 421 4.7.0
// naming its address; when one leaves, the next is greeted.
func TestPerAddressLimit(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.MaxConnsLoopback = 1 })
	first := greeted(t, addr)
	c := dial(t, addr)
	c.Expect("421 4.7.0 a.example Too many connections from your address 127.0.0.1 (1 are open, the limit), try again later")
	c.ExpectClosed()
	first.Send("QUIT")
	first.Expect("221 *")
	first.ExpectClosed()
	for i := 0; ; i++ {
		c := dial(t, addr)
		if l := c.ReadLine(); strings.HasPrefix(l, "220 ") {
			break
		} else if i == 100 {
			t.Fatalf("still refused: %q", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
