package imap_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestResponsesAreASCII sends commands whose arguments hold octets
// 0x80-0xFF, UTF-8 and control characters and checks every octet of
// every response line: the text of an IMAP4rev1 response is 7-bit CHAR
// without CR and LF (RFC 3501 section 9), so a folder or user name the
// server's own NO quotes back is escaped as \xNN, and a CR LF hidden in an
// authorization identity cannot end the line and forge a response.
func TestResponsesAreASCII(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "hello"))
	c := selectedBox(t, e.addr, "INBOX")
	probes := []string{
		`a1 SELECT "caf` + "\xc3\xa9" + `"`,
		"a2 SELECT INBOX",
		`a2 COPY 1 "b` + "\xc3\xb6" + `x"`,
		`a3 STATUS "` + "\xe2\x80\xae" + `Junk" (MESSAGES)`,
		"a4 DELETE \"\xff\xfe\"",
		"a5 RENAME \"b\xc3\xb6\" x",
		"LOGIN b\xc3\xb6b x",
		"a7 CREATE \"caf\xc3\xa9\"",
		"a8 CREATE \"caf\xc3\xa9\"",
		"a9 COPY 1 \"Caf\xc3\xa9\"",
	}
	for _, p := range probes {
		c.SendRaw(p + "\r\n")
		for {
			l := c.ReadLine()
			checkASCII(t, p, l)
			if l[0] != '*' || l[:5] == "* BAD" {
				break
			}
		}
	}
	// A tag with telnet's IAC DO in it: whatever comes back before the
	// close is ASCII.
	iac := greeted(t, e.addr)
	iac.SendRaw("\xff\xfd\x03a6 NOOP\r\n")
	for {
		l, err := iac.Reader().ReadString('\n')
		checkASCII(t, "IAC a6 NOOP", strings.TrimSuffix(l, "\r\n"))
		if err != nil || strings.HasPrefix(l, "* BYE") || strings.HasPrefix(l, "* BAD") {
			break
		}
	}
	// An authorization identity with CR LF and UTF-8 in it, quoted by the
	// NO [AUTHORIZATIONFAILED].
	a := greeted(t, e.addr)
	a.Send("a1 AUTHENTICATE PLAIN")
	a.Expect("+*")
	a.SendRawSecret(base64.StdEncoding.EncodeToString([]byte("b\xc3\xb6b\r\n* OK forged\x00alice\x00alice")) + "\r\n")
	l := a.ReadLine()
	checkASCII(t, "AUTHENTICATE", l)
	if want := `a1 NO [AUTHORIZATIONFAILED] alice may not act as b\xc3\xb6b\x0d\x0a* OK forged`; l != want {
		t.Errorf("got %q, want %q", l, want)
	}
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
