package smtp_test

import (
	"strings"
	"testing"
)

// TestRepliesAreASCII sends command lines full of octets 0x80-0xFF and C0
// controls (telnet option negotiation, 8-bit and UTF-8 names, a terminal's
// control keys) and checks every octet of every reply: SMTP replies are
// 7-bit, printable ASCII and CRLF (RFC 5321 sections 2.4 and 4.2), so what
// the server quotes back is escaped as \xNN.
func TestRepliesAreASCII(t *testing.T) {
	w := newWorld(t, nil)
	c := greeted(t, w.smtpAddr("B"))
	c.RequireCRLF = true
	var high []string
	for b := 0x80; b <= 0xff; b += 16 {
		var s strings.Builder
		for i := b; i < b+16; i++ {
			s.WriteByte(byte(i))
		}
		high = append(high, s.String())
	}
	var ctl strings.Builder
	for i := 1; i < 0x20; i++ {
		if i != '\r' && i != '\n' {
			ctl.WriteByte(byte(i))
		}
	}
	ctl.WriteByte(0x7f)
	probes := []string{
		"\xff\xfd\x03EHLO laptop",
		"EHLO l\xc3\xa4ptop",
		"HELO \xff\xfe",
		"NO\x08OP",
		"\x1b[A",
		ctl.String(),
		"X" + ctl.String(),
		"VRFY b\xc3\xb6b",
		"VRFY \xe2\x80\xaebob",
		"HELP \xff\xc3\xa9",
		"ETRN b\xc3\xa9.example",
		"ETRN #\xe9",
		"AUTH \xe9\xff",
		"MAIL FROM:<al\xefce@a.example> X\xff=1",
		"MAIL FROM:<alice@a.example> BODY=\xff",
	}
	for _, h := range high {
		probes = append(probes, h, "MAIL FROM:<"+h+"@a.example>", "RCPT TO:<"+h+">", "VRFY "+h, "ETRN "+h, "HELP "+h)
	}
	for _, p := range probes {
		c.SendRaw(p + "\r\n")
		checkASCII(t, p, c.readReply())
		// A command that works resets the errors in a row and any
		// transaction a probe may have started.
		c.Send("RSET")
		checkASCII(t, "RSET", c.readReply())
	}
	// The reply to IAC before EHLO shows the octets the terminal sent,
	// not replacement characters.
	c.SendRaw("\xff\xfd\x03EHLO laptop\r\n")
	c.Expect(`500 5.5.2 Syntax error: command "\xff\xfd\x03EHLO" not recognized*`)
}

// checkASCII fails the test for a reply line with an octet that is not
// printable ASCII.
func checkASCII(t *testing.T, sent string, reply []string) {
	t.Helper()
	for _, l := range reply {
		for i := 0; i < len(l); i++ {
			if l[i] < 0x20 || l[i] > 0x7e {
				t.Errorf("after %q the reply %q has octet 0x%02x at %d", sent, l, l[i], i)
				break
			}
		}
	}
}
