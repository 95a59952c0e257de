package smtp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/smtp"
)

// inData opens a session whose command lines end with eol and says DATA.
func inData(t *testing.T, addr, eol string) *client {
	t.Helper()
	c := greeted(t, addr)
	c.SendRaw("EHLO x" + eol)
	c.readReply()
	for _, l := range []string{"MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA"} {
		c.SendRaw(l + eol)
		if r := c.ReadLine(); r[0] != '2' && r[0] != '3' {
			t.Fatalf("%s answered %q", l, r)
		}
	}
	return c
}

// TestDataEndVariants sends every end-of-data look-alike of the SMTP
// smuggling attacks from a client that ends its lines with CRLF: each is
// content of one message, which ends at the CRLF.CRLF after it; the would-be
// commands behind it are never run.
func TestDataEndVariants(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	for i, end := range []string{"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r.\r\n", "\r\n.\r\r\n"} {
		c := inData(t, addr, "\r\n")
		c.SendRaw("Subject: v\r\n\r\nfirst" + end + "RSET\r\nQUIT\r\n.\r\nNOOP\r\n")
		c.Expect("250 2.0.0 OK: *")
		c.Expect("250 2.0.0 OK, nothing done") // the NOOP: RSET and QUIT were text
		msgs := b.bodies()
		if len(msgs) != i+1 || !strings.Contains(string(msgs[i]), "RSET\r\nQUIT\r\n") {
			t.Fatalf("%q: %d messages, the last %q", end, len(msgs), msgs[len(msgs)-1])
		}
		m := msgs[i]
		for j, b := range m {
			if b == '\n' && (j == 0 || m[j-1] != '\r') || b == '\r' && (j+1 == len(m) || m[j+1] != '\n') {
				t.Fatalf("%q: the stored message has a bare LF or CR: %q", end, m)
			}
		}
	}
}

// TestDataEndOfLFClient: a client that ends its lines with bare LF ends its
// message at LF.LF (or CRLF.CRLF); a lone CR never ends anything.
func TestDataEndOfLFClient(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := inData(t, addr, "\n")
	c.SendRaw("Subject: nc\n\ncr\r.\rstill text\n.\nNOOP\n")
	c.Expect("250 2.0.0 OK: *")
	c.Expect("250 2.0.0 OK, nothing done")
	c.SendRaw("MAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\n")
	c.Expect("250 *")
	c.Expect("250 *")
	c.Expect("354 *")
	c.SendRaw("Subject: crlf end\n\nx\r\n.\r\n")
	c.Expect("250 2.0.0 OK: *")
	msgs := b.bodies()
	if len(msgs) != 2 || !strings.HasSuffix(string(msgs[0]), "\r\n\r\ncr\r\n.\r\nstill text\r\n") {
		t.Fatalf("messages %q", msgs)
	}
}

// TestDataEndDecidedByAnyCRLFLine: one command line with CRLF, the DATA
// line itself or a line of an AUTH exchange, makes LF.LF content.
func TestDataEndDecidedByAnyCRLFLine(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := greeted(t, addr)
	c.SendRaw("EHLO x\nMAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\r\n")
	c.readReply()
	c.Expect("250 *")
	c.Expect("250 *")
	c.Expect("354 *")
	c.SendRaw("one\n.\nNOOP\r\n.\r\n")
	c.Expect("250 2.0.0 OK: *")

	c = greeted(t, addr)
	c.SendRaw("EHLO x\n")
	c.readReply()
	c.SendRaw("AUTH LOGIN\n")
	c.Expect("334 *")
	c.SendRaw("YWxpY2U=\r\n")
	c.Expect("334 *")
	c.SendRaw("YWxpY2U=\n")
	c.Expect("235 *")
	c.SendRaw("MAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\n")
	c.Expect("250 *")
	c.Expect("250 *")
	c.Expect("354 *")
	c.SendRaw("two\n.\nNOOP\r\n.\r\n")
	c.Expect("250 2.0.0 OK: *")
	msgs := b.bodies()
	if len(msgs) != 2 || !strings.HasSuffix(string(msgs[0]), "one\r\n.\r\nNOOP\r\n") || !strings.HasSuffix(string(msgs[1]), "two\r\n.\r\nNOOP\r\n") {
		t.Fatalf("messages %q", msgs)
	}
}

// TestDataEndAfterLongLine: how a line longer than the limit ended still
// counts. A CRLF client's long line ending in a bare LF does not end a line,
// so the "." after it is text; one whose CRLF is split over two reads does.
func TestDataEndAfterLongLine(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := inData(t, addr, "\r\n")
	c.SendRaw(strings.Repeat("x", 1500) + "\n.\r\nRSET\r\n.\r\nNOOP\r\n")
	c.Expect("500 5.5.2 Message refused: a line is longer than 1000 octets*")
	c.Expect("250 2.0.0 OK, nothing done")

	// 4095 octets and the CR fill the read buffer; the LF comes next.
	c = inData(t, addr, "\r\n")
	c.SendRaw(strings.Repeat("y", 4095) + "\r\n.\r\nNOOP\r\n")
	c.Expect("500 5.5.2 Message refused: a line is longer than 1000 octets*")
	c.Expect("250 2.0.0 OK, nothing done")
	if n := len(b.bodies()); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

// TestStrictRefusesLoneCR: a strict server refuses a lone CR in the message
// as it does a bare LF, and closes.
func TestStrictRefusesLoneCR(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.StrictLineEndings = true })
	c := inData(t, addr, "\r\n")
	c.SendRaw("Subject: cr\r\n\r\nx\r.\rRSET\r\n.\r\n")
	c.Expect("521 5.5.2 *")
	c.ExpectClosed()
}

// TestDataBudget: the sessions of a server hold messages in memory from one
// budget; a message that finds it spent is read to its end and refused with
// 452 4.3.1, the session staying in step, and the budget is whole again
// once the messages are done.
func TestDataBudget(t *testing.T) {
	budget := limits.NewBudget(128 << 10)
	addr, b, _, _ := fakeServer(t, func(s *smtp.Server) { s.DataBudget = budget })
	line := strings.Repeat("z", 78) + "\r\n"
	big := "Subject: big\r\n\r\n" + strings.Repeat(line, 60<<10/len(line))

	first := inData(t, addr, "\r\n")
	// 60 KiB held, not finished; the budget says when the server read it.
	first.SendRaw(big)
	waitUsed(t, budget, func(n int64) bool { return n >= 60<<10 })
	held := budget.Used()
	second := inData(t, addr, "\r\n")
	second.SendRaw(big[:20<<10])
	waitUsed(t, budget, func(n int64) bool { return n > held })
	// The rest does not fit: what the second message took goes back at
	// once, while its client is still sending it.
	second.SendRaw(big[20<<10:])
	waitUsed(t, budget, func(n int64) bool { return n == held })
	second.SendRaw(".\r\nNOOP\r\n")
	second.Expect("452 4.3.1 Insufficient system storage*")
	second.Expect("250 2.0.0 OK, nothing done")
	first.SendRaw(".\r\n")
	first.Expect("250 2.0.0 OK: *")
	second.SendRaw("MAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
	second.Expect("250 *")
	second.Expect("250 *")
	second.Expect("354 *")
	second.SendRaw(big + ".\r\n")
	second.Expect("250 2.0.0 OK: *")
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.delivered) != 2 || budget.Used() != 0 {
		t.Fatalf("%d delivered, %d octets still taken", len(b.delivered), budget.Used())
	}
}

// waitUsed waits until the octets taken from budget satisfy ok: that is how
// a test sees the server has read what a client sent in the middle of DATA.
func waitUsed(t *testing.T, budget *limits.Budget, ok func(int64) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(budget.Used()); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the sessions hold %d octets", budget.Used())
		}
	}
}
