package smtp

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
)

// TestFinishMessageInPlace: the headers the server adds are written into the
// room kept in front of the message, so the message is not copied, and the
// result is the same as copying would give.
func TestFinishMessageInPlace(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	s := &session{srv: &Server{Name: "A", Hostname: "a.example", Domain: "a.example"}, conn: c1,
		helo: "laptop", id: "A-ID", local: []string{"alice"}}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	received := "Received: from laptop (unknown [pipe])\r\n\tby a.example (mailscope A) with SMTP id A-ID\r\n\tfor <alice@a.example>; Wed, 02 Dec 2026 08:00:00 +0000\r\n"
	added := "Date: Wed, 02 Dec 2026 08:00:00 +0000\r\nMessage-ID: <A-ID@a.example>\r\n"
	for _, c := range []struct{ lines, want string }{
		{"Subject: hi\nX-A: b\n\nbody\n", received + "Subject: hi\r\nX-A: b\r\n" + added + "\r\nbody\r\n"},
		{"Date: x\nMessage-ID: <m@x>\n\nbody\n", received + "Date: x\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n"},
		{"no header here\n", received + added + "\r\nno header here\r\n"},
	} {
		budget := limits.NewBudget(1 << 20)
		m := newMsgBuf(budget, 1<<20)
		for _, l := range strings.Split(strings.TrimSuffix(c.lines, "\n"), "\n") {
			if !m.appendLine([]byte(l), 0) {
				t.Fatal("no room")
			}
		}
		out := s.finishMessage(m, now)
		if string(out) != c.want {
			t.Errorf("got\n%q\nwant\n%q", out, c.want)
		}
		if &out[len(out)-1] != &m.b[len(m.b)-1] {
			t.Errorf("%q: the message was copied", c.lines)
		}
		if budget.Used() != int64(cap(m.b)) {
			t.Errorf("budget used %d, buffer capacity %d", budget.Used(), cap(m.b))
		}
		m.release()
		if budget.Used() != 0 {
			t.Errorf("released, and %d octets still taken", budget.Used())
		}
	}
}
