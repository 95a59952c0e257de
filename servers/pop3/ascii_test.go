package pop3

import (
	"strings"
	"testing"
)

// TestResponsesAreASCII sends commands full of octets 0x80-0xFF and C0
// controls and checks every octet of every status line: POP3 responses
// are printable ASCII (RFC 2449 section 4), so client text a response
// quotes back (an unknown keyword, a user name, a message number) is
// escaped as \xNN, the octets the client sent.
func TestResponsesAreASCII(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", "Subject: hi\r\n\r\nhello\r\n")
	c := ts.greeted(t)
	var ctl strings.Builder
	for i := 1; i < 0x20; i++ {
		if i != '\r' && i != '\n' {
			ctl.WriteByte(byte(i))
		}
	}
	ctl.WriteByte(0x7f)
	high := func(b int) string {
		var s strings.Builder
		for i := b; i < b+16; i++ {
			s.WriteByte(byte(i))
		}
		return s.String()
	}
	before := []string{"\xff\xfd\x03USER alice", "USER b\xc3\xb6b", "USER \xe2\x80\xaebob", ctl.String(), "X" + ctl.String(), "AUTH \xe9\xff", "APOP b\xc3\xb6b 0123"}
	after := []string{"RETR \xe9", "TOP 1 \xc3\xa9", "LIST \xff", "DELE \x01", "UIDL 1\x08", "NO\x7fOP"}
	for b := 0x80; b <= 0xff; b += 16 {
		before = append(before, high(b), "USER "+high(b))
		after = append(after, high(b), "RETR "+high(b), "TOP 1 "+high(b))
	}
	for _, p := range before {
		c.SendRaw(p + "\r\n")
		checkASCII(t, p, c.line())
		// USER alice works and resets the errors in a row.
		checkASCII(t, "USER alice", c.ok("USER alice"))
	}
	c.ok("PASS alice")
	for _, p := range after {
		c.SendRaw(p + "\r\n")
		checkASCII(t, p, c.line())
		c.ok("NOOP")
	}
	c.SendRaw("\xff\xfd\x03STAT\r\n")
	c.Expect(`-ERR unknown command "\xff\xfd\x03STAT"*`)
}

// checkASCII fails the test for a response line with an octet that is not
// printable ASCII.
func checkASCII(t *testing.T, sent, l string) {
	t.Helper()
	for i := 0; i < len(l); i++ {
		if l[i] < 0x20 || l[i] > 0x7e {
			t.Errorf("after %q the response %q has octet 0x%02x at %d", sent, l, l[i], i)
			return
		}
	}
}
