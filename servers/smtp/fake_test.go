package smtp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/tracer"
)

// fakeBackend is the world's side of an SMTP conversation without the
// world: alice and bob of a.example, each with their name as password;
// postmaster is alice (RFC 5321 section 4.5.1); the recipient panic@
// makes LocalUser panic, the way a bug in a backend would. Deliver keeps a
// copy of every message. Tests that need relaying, the store or the queue
// start the world instead (newWorld).
type fakeBackend struct {
	mu        sync.Mutex
	delivered []*smtp.Message
	bus       *tracer.Bus // the server's, set by fakeServer
}

var _ smtp.Backend = (*fakeBackend)(nil)

func (b *fakeBackend) Authenticate(login, pass string) (string, bool) {
	u, ok := b.user(login)
	return u, ok && pass == u
}

func (b *fakeBackend) LocalUser(local string) (string, bool) {
	switch strings.ToLower(local) {
	case "panic":
		panic("fakeBackend: asked to panic")
	case "postmaster":
		return "alice", true
	}
	return b.user(local)
}

// user resolves "alice" or "alice@a.example".
func (b *fakeBackend) user(login string) (string, bool) {
	name := strings.ToLower(login)
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		if name[i+1:] != "a.example" {
			return "", false
		}
		name = name[:i]
	}
	return name, name == "alice" || name == "bob"
}

// Deliver keeps a copy: m.Body is the server's buffer.
func (b *fakeBackend) Deliver(ctx context.Context, m *smtp.Message) error {
	c := *m
	c.Body = bytes.Clone(m.Body)
	b.mu.Lock()
	b.delivered = append(b.delivered, &c)
	b.mu.Unlock()
	return nil
}

// bodies returns the bodies delivered so far.
func (b *fakeBackend) bodies() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out [][]byte
	for _, m := range b.delivered {
		out = append(out, m.Body)
	}
	return out
}

// fakeServer serves an smtp.Server for A (a.example) over a fakeBackend on
// a traced 127.0.0.1:0 listener, loopback trusted to relay as in the
// default world, and returns its address, its backend, its log and its
// trace; configure changes the server before it serves.
func fakeServer(t *testing.T, configure func(*smtp.Server)) (string, *fakeBackend, *wiretest.LogBuffer, *tracer.Subscription) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &wiretest.LogBuffer{}
	b := &fakeBackend{}
	srv := &smtp.Server{Name: "A", Domain: "a.example", Backend: b, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if configure != nil {
		configure(srv)
	}
	bus := tracer.NewBus()
	b.bus = bus
	sub := bus.Subscribe(1 << 12)
	done := make(chan struct{})
	go func() { srv.Serve(bus.Listen(l, "A", "smtp")); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String(), b, logs, sub
}
