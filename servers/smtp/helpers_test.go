package smtp_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// world is the default world with overrides applied by the test.
type testWorld struct {
	inst *servers.Instance
	dir  string
}

// newWorld starts the default world (A and B) on 127.0.0.1:0 listeners with
// a real store in a temporary directory.
func newWorld(t testing.TB, edit func(*world.World)) *testWorld {
	t.Helper()
	return newWorldIn(t, t.TempDir(), edit)
}

func newWorldIn(t testing.TB, dir string, edit func(*world.World)) *testWorld {
	t.Helper()
	w := world.Default()
	if edit != nil {
		edit(w)
	}
	inst, err := servers.Start(servers.Config{
		World:   w,
		DataDir: dir,
		Bus:     tracer.NewBus(tracer.WithMask(w.MaskCredentials)),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWorld{inst: inst, dir: dir}
	t.Cleanup(func() { inst.Close() })
	return tw
}

func (w *testWorld) smtpAddr(server string) string { return w.inst.Addr(server, world.SMTP) }

// client is a line client with SMTP's multi-line replies.
type client struct{ *wiretest.Conn }

func dial(t testing.TB, addr string) *client { return &client{wiretest.Dial(t, addr)} }

// dialAsRelay connects to addr as the world's relay from server from
// would: the trace labels the session as a hop (tracer.Bus.ExpectPeer,
// keyed by the client's port, as relay.dialFrom does).
func dialAsRelay(t testing.TB, addr string, bus *tracer.Bus, from, to string) *client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	forget := bus.ExpectPeer(port, tracer.PeerLabel{Actor: from, Hop: from + "->" + to})
	t.Cleanup(forget)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return &client{wiretest.Wrap(t, nc)}
}

// greeted dials and reads the 220 greeting.
func greeted(t testing.TB, addr string) *client {
	c := dial(t, addr)
	c.Expect("220 *")
	return c
}

// helo says EHLO and reads the whole reply.
func ehloed(t testing.TB, addr string) *client {
	c := greeted(t, addr)
	c.Send("EHLO test")
	c.readReply()
	return c
}

// readReply reads a whole (multi-line) reply.
func (c *client) readReply() []string {
	c.T().Helper()
	var out []string
	for {
		l := c.ReadLine()
		out = append(out, l)
		if len(l) < 4 || l[3] != '-' {
			return out
		}
	}
}

// runTranscript dials addr and plays a transcript (see wiretest.Conn.Run).
func runTranscript(t *testing.T, addr, script string) {
	t.Helper()
	dial(t, addr).Run(script)
}

// inbox returns the messages in a user's INBOX with their bodies.
func inbox(t testing.TB, st *store.Store, server, user string) [][]byte {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, server, user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := st.Body(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// requireFeature runs a tool's own report of what it supports (swaks
// --support prints "=== TLS supported", or "*** TLS not available: requires
// Net::SSLeay" when Perl's TLS modules are missing) and looks for has in it:
// without it the test skips, saying why, unless CI is set, where .ci/run
// installs everything.
func requireFeature(t *testing.T, tool string, check []string, has, missing string) {
	t.Helper()
	out, err := exec.Command(tool, check...).CombinedOutput()
	if err == nil && strings.Contains(string(out), has) {
		return
	}
	var why string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "not available") && strings.Contains(l, "TLS") {
			why = ": " + strings.TrimSpace(l)
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s%s; CI requires it (.ci/run installs it)", missing, why)
	}
	t.Skipf("%s%s; skipping (CI installs it)", missing, why)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
