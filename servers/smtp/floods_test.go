package smtp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/tracer"
)

// TestHoldForBounds: FUTURERELEASE values beyond what the server holds are
// refused, however big: HOLDFOR=9223372037 seconds once overflowed
// time.Duration and was accepted as a hold "until 1734".
func TestHoldForBounds(t *testing.T) {
	w := newWorld(t, nil)
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO test
		S*: 250 HELP
		C: MAIL FROM:<alice@a.example> HOLDFOR=9223372037
		S: 501 5.5.4 HOLDFOR=9223372037 is not a number of seconds of at most 9 digits (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDFOR=999999999
		S: 554 5.3.4 HOLDFOR=999999999 is longer than the 86400 seconds this server holds mail (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDUNTIL=9999-12-31T23:59:59Z
		S: 554 5.3.4 HOLDUNTIL is later than this server holds mail*
		C: MAIL FROM:<alice@a.example> HOLDFOR=60
		S: 250 2.1.0 Sender <alice@a.example> OK; will be held until *
	`)
}

// floodBackend accepts every login named "alice" with password "alice",
// resolves no local user and records what is delivered.
type floodBackend struct {
	mu        sync.Mutex
	delivered []*smtp.Message
}

func (b *floodBackend) Authenticate(login, pass string) (string, bool) {
	return "alice", login == "alice" && pass == "alice"
}

func (b *floodBackend) LocalUser(local string) (string, bool) { return "", false }

func (b *floodBackend) Deliver(ctx context.Context, m *smtp.Message) error {
	b.mu.Lock()
	b.delivered = append(b.delivered, m)
	b.mu.Unlock()
	return nil
}

// floodServer serves an smtp.Server over floodBackend on a traced
// 127.0.0.1:0 listener; loopback may relay.
func floodServer(t *testing.T, configure func(*smtp.Server)) (string, *floodBackend, *tracer.Subscription) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &floodBackend{}
	srv := &smtp.Server{Name: "A", Domain: "a.example", Backend: b, Logger: slog.New(slog.DiscardHandler),
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if configure != nil {
		configure(srv)
	}
	bus := tracer.NewBus()
	sub := bus.Subscribe(1 << 12)
	done := make(chan struct{})
	go func() { srv.Serve(bus.Listen(l, "A", "smtp")); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String(), b, sub
}

// TestPipelinedExcessRecipients: 150 pipelined RCPTs get 250 for the first
// 100 and 452 for the rest (RFC 5321 section 4.5.3.1.10), which are not
// errors of the client: the session goes on to DATA, and the first 100
// recipients get the message.
func TestPipelinedExcessRecipients(t *testing.T) {
	addr, b, _ := floodServer(t, nil)
	c := ehloed(t, addr)
	var batch strings.Builder
	batch.WriteString("MAIL FROM:<alice@a.example>\r\n")
	for i := range 150 {
		fmt.Fprintf(&batch, "RCPT TO:<u%d@b.example>\r\n", i)
	}
	batch.WriteString("DATA\r\n")
	c.sendRaw(batch.String())
	c.expect("250 2.1.0 *")
	for i := range 150 {
		if i < 100 {
			c.expect("250 2.1.5 *")
		} else {
			c.expect("452 4.5.3 Too many recipients: at most 100 per message*")
		}
	}
	c.expect("354 *")
	c.send("Subject: many\r\n\r\nhello\r\n.")
	c.expect("250 2.0.0 OK*")
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.delivered) != 1 || len(b.delivered[0].Remote) != 100 || b.delivered[0].Remote[99] != "u99@b.example" {
		t.Fatalf("delivered %d messages, want 1 to u0..u99", len(b.delivered))
	}
}

// TestIdleReplyAfterWriteTimeout: the 421 for an idle timeout longer than
// WriteTimeout reaches the client: the write deadline set for the last
// reply has long passed when it is written.
func TestIdleReplyAfterWriteTimeout(t *testing.T) {
	addr, _, _ := floodServer(t, func(s *smtp.Server) {
		s.WriteTimeout = 100 * time.Millisecond
		s.IdleTimeout = 400 * time.Millisecond
	})
	c := greeted(t, addr)
	c.expect("421 4.4.2 a.example Idle for 400ms: closing the connection*")
	c.closed()
}
