package wiretest

import "testing"

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"220 *", "220 a.example ESMTP", true},
		{"* OK [CAPABILITY IMAP4rev1 *] *", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready", true},
		{"250 2.1.5 <a/b>?", "250 2.1.5 <a/b>?", true},
		{"250 2.1.5 <a/b>?", "250 2.1.5 <a/b>x", false},
		{"", "", true},
		{"+OK", "+OK 2 messages", false},
	} {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestMaskSecret(t *testing.T) {
	for line, want := range map[string]string{
		"PASS alice":                  "PASS ***",
		"AUTH PLAIN AGFsaWNlAGFsaWNl": "AUTH PLAIN ***",
		"AUTH LOGIN":                  "AUTH LOGIN",
		"L1 LOGIN alice alice":        "L1 LOGIN alice ***",
		"a AUTHENTICATE PLAIN AGFs=":  "a AUTHENTICATE PLAIN ***",
		"MAIL FROM:<a@a.example>":     "MAIL FROM:<a@a.example>",
	} {
		if got := maskSecret(line); got != want {
			t.Errorf("maskSecret(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestMaskRaw(t *testing.T) {
	c := &Conn{}
	if got, want := c.maskRaw("EHLO x\r\nAUTH PLAIN AGFsaWNl\r\nQUIT"), "EHLO x\r\nAUTH PLAIN ***\r\nQUIT"; got != want {
		t.Errorf("maskRaw = %q, want %q", got, want)
	}
	c.received("334 VXNlcm5hbWU6")
	if got := c.maskRaw("YWxpY2U=\r\n"); got != "(SASL response)" {
		t.Errorf("maskRaw after 334 = %q", got)
	}
}
