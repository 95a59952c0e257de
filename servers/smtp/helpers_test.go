package smtp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
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

// client is a raw SMTP client for transcripts.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

// greeted dials and reads the 220 greeting.
func greeted(t testing.TB, addr string) *client {
	c := dial(t, addr)
	c.expect("220 *")
	return c
}

// helo says EHLO and reads the whole reply.
func ehloed(t testing.TB, addr string) *client {
	c := greeted(t, addr)
	c.send("EHLO test")
	c.readReply()
	return c
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) readLine() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading reply: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// readReply reads a whole (multi-line) reply.
func (c *client) readReply() []string {
	c.t.Helper()
	var out []string
	for {
		l := c.readLine()
		out = append(out, l)
		if len(l) < 4 || l[3] != '-' {
			return out
		}
	}
}

// expect reads one line and matches it against a glob pattern (* matches
// any run of characters).
func (c *client) expect(pattern string) string {
	c.t.Helper()
	l := c.readLine()
	if !globMatch(pattern, l) {
		c.t.Fatalf("reply %q does not match %q", l, pattern)
	}
	return l
}

// closed checks the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err == nil {
		c.t.Fatalf("expected the server to close, got %q", l)
	}
}

func globMatch(pattern, s string) bool {
	// path.Match treats / specially and [ as a class; escape those.
	p := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "?", `\?`).Replace(pattern)
	p = strings.ReplaceAll(p, "/", "\x00")
	ok, err := path.Match(p, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// runTranscript plays a transcript: "C: line" is sent, "S: pattern" must
// match the next reply line, "S*: pattern" skips lines up to one that
// matches, "R: raw" sends raw bytes with \r \n escapes,
// "# ..." and blank lines are comments, "CLOSED" expects the server to
// close.
func runTranscript(t *testing.T, addr, script string) {
	t.Helper()
	c := dial(t, addr)
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimLeft(line, "\t")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "C: "):
			c.send(line[3:])
		case line == "C:":
			c.send("")
		case strings.HasPrefix(line, "R: "):
			c.sendRaw(strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(line[3:]))
		case strings.HasPrefix(line, "S*: "):
			for {
				if got := c.readLine(); globMatch(line[4:], got) {
					break
				}
			}
		case strings.HasPrefix(line, "S: "):
			got := c.readLine()
			if !globMatch(line[3:], got) {
				t.Fatalf("transcript line %d: reply %q does not match %q", n+1, got, line[3:])
			}
		case line == "CLOSED":
			c.closed()
		default:
			t.Fatalf("transcript line %d: cannot read %q", n+1, line)
		}
	}
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

// requireTool finds an external program, skipping the test where it is
// missing unless CI is set (CI must run every real client).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := execLookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI but not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed; skipping (CI installs it)", name)
	}
	return p
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
