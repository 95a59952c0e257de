package servers_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
)

// TestIdleReplyAfterWriteTimeout: a session idle for longer than
// WriteTimeout still gets the reply that says why it is closed: the write
// deadline of its last reply passed long before. IMAP is not in the loop:
// its idle limit before login is at least imapserver's 30 seconds, too long
// for a test, and every IMAP write sets a fresh deadline (patientConn.Write).
func TestIdleReplyAfterWriteTimeout(t *testing.T) {
	inst := startLimited(t, servers.Limits{WriteTimeout: 100 * time.Millisecond, IdleTimeout: 500 * time.Millisecond})
	want := map[world.Protocol]string{
		world.SMTP: "421 4.4.2 a.example Idle for 500ms: closing the connection",
		world.POP3: "-ERR autologout: idle for 500ms",
	}
	for _, pc := range protoCases[:2] {
		t.Run(string(pc.proto), func(t *testing.T) {
			l, c := firstLine(t, inst.Addr("A", pc.proto))
			if !strings.HasPrefix(l, pc.greeting) {
				t.Fatalf("greeting %q", l)
			}
			if ok, got := untilLine(c, bufio.NewReader(c), want[pc.proto]); !ok {
				t.Errorf("no %q; got:\n%s", want[pc.proto], got)
			}
		})
	}
}
