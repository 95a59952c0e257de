package servers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
)

// hostile sends raw bytes to a listener and returns what came back until
// the server closed or went quiet.
func hostile(t *testing.T, addr string, payload []byte, quiet time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			c.SetReadDeadline(time.Now().Add(quiet))
			n, err := c.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	c.Write(payload)
	<-done
	return got.String()
}

// stillServes checks that a fresh client gets a greeting and a NOOP answer.
func stillServes(t *testing.T, addr, greeting, noop, want string) {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	c.ExpectPrefix(greeting)
	c.Send(noop)
	var l string
	for {
		l = c.ReadLine()
		if !strings.HasPrefix(l, "*") {
			break
		}
	}
	if !strings.Contains(l, want) {
		t.Fatalf("next client's %s answered %q", noop, l)
	}
}

// TestHostileInput throws bad input at every protocol; each case must get a
// clear reply or a clean close, and the next client must be served.
func TestHostileInput(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	smtpAddr, pop3Addr, imapAddr := inst.Addr("A", world.SMTP), inst.Addr("A", world.POP3), inst.Addr("A", world.IMAP)
	long := strings.Repeat("A", 100000)
	cases := []struct {
		name, addr, payload, want string
	}{
		{"smtp long line", smtpAddr, long + "\r\n", "500 5.5.2 Line too long"},
		{"smtp NUL and 8-bit", smtpAddr, "HE\x00LO \xff\xfe\r\n", "500 5.5.2"},
		{"smtp bare CR", smtpAddr, "HELO x\rMAIL FROM:<a@b>\r\n", "501 5.5.4"},
		{"smtp unknown in a loop", smtpAddr, strings.Repeat("FROB\r\n", 50), "421 4.7.0 Too many errors"},
		{"smtp pipelined flood", smtpAddr, "EHLO x\r\n" + strings.Repeat("NOOP\r\n", 5000) + "QUIT\r\n", "221 2.0.0"},
		{"smtp 1000 RCPT", smtpAddr, "EHLO x\r\nMAIL FROM:<alice@a.example>\r\n" + rcpts(1000) + "QUIT\r\n", "452 4.5.3 Too many recipients"},
		{"pop3 long line", pop3Addr, long + "\r\n", "-ERR"},
		{"pop3 NUL", pop3Addr, "US\x00ER alice\r\n", "-ERR"},
		{"pop3 unknown in a loop", pop3Addr, strings.Repeat("FROB\r\n", 50), "-ERR"},
		{"imap long line (a clean close)", imapAddr, "a1 " + long + "\r\n", "* OK"},
		{"imap 4 GB literal", imapAddr, "a1 LOGIN alice {4294967296}\r\n", "a1 NO [TOOBIG]"},
		{"imap 4 GB non-sync literal", imapAddr, "a1 LOGIN alice {4294967296+}\r\n", "a1 BAD"},
		{"imap deep list", imapAddr, "a1 LOGIN alice alice\r\na2 SELECT INBOX\r\na3 SEARCH " + strings.Repeat("(", 5000) + "ALL" + strings.Repeat(")", 5000) + "\r\n", "a3 "},
		{"imap unknown in a loop", imapAddr, strings.Repeat("a FROB\r\n", 50), "BAD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := hostile(t, c.addr, []byte(c.payload), 2*time.Second)
			if !strings.Contains(got, c.want) {
				if len(got) > 600 {
					got = got[:300] + " ... " + got[len(got)-300:]
				}
				t.Errorf("reply lacks %q:\n%s", c.want, got)
			}
		})
	}
	stillServes(t, smtpAddr, "220 ", "NOOP", "250 ")
	stillServes(t, pop3Addr, "+OK", "CAPA", "+OK")
	stillServes(t, imapAddr, "* OK", "a NOOP", "a OK")
}

// TestHugeDataAgainstSize sends 50 MB of DATA to a server with a 10 MiB
// limit: it answers 552, stores nothing, and its memory does not grow with
// the message.
func TestHugeDataAgainstSize(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	c, err := net.Dial("tcp", inst.Addr("A", world.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := bufio.NewReader(c)
	read := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(l) < 4 || l[3] != '-' {
				return l
			}
		}
	}
	read()
	fmt.Fprintf(c, "EHLO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
	read()
	read()
	read()
	if l := read(); !strings.HasPrefix(l, "354") {
		t.Fatalf("DATA: %q", l)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	line := strings.Repeat("x", 998) + "\r\n"
	chunk := strings.Repeat(line, 1000) // 1 MB
	for i := 0; i < 50; i++ {
		if _, err := io.WriteString(c, chunk); err != nil {
			t.Fatal(err)
		}
	}
	io.WriteString(c, ".\r\n")
	if l := read(); !strings.HasPrefix(l, "552 5.3.4") {
		t.Fatalf("50 MB DATA answered %q", l)
	}
	// Nothing of the refused message is kept: after a collection the live
	// heap is back near where it was (the session buffers at most the 10 MiB
	// limit while it reads, never the 50 MB).
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("live heap grew by %d MB for a refused 50 MB message", grew>>20)
	}
	if n := len(inboxOf(t, inst.Store, "A", "alice")); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

func rcpts(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "RCPT TO:<x%d@b.example>\r\n", i)
	}
	return b.String()
}
