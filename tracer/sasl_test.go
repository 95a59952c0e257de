package tracer

import (
	"strings"
	"testing"
)

// Credentials of the SASL tests: the password, its base64, and a PLAIN
// response carrying it ("\x00alice\x00s3cret").
const (
	saslPass  = "s3cret"
	saslPass6 = "czNjcmV0"
	saslPlain = "AGFsaWNlAHMzY3JldA=="
	saslUser6 = "YWxpY2U="
	apopMD5   = "c4c9334bac560ecc979e58001b3e22fb"
)

// frameWith feeds a conversation through f (chunk octets at a time, 0: as
// given) and returns the events.
func frameWith(t testing.TB, f Framer, proto string, mask bool, chunk int, ws ...imapWire) []*Event {
	t.Helper()
	b := NewBus(WithMask(mask))
	sub := b.Subscribe(1 << 16)
	s := b.NewSession("A", proto, "127.0.0.1:1")
	for _, w := range ws {
		p := []byte(w.s)
		for len(p) > 0 {
			n := len(p)
			if chunk > 0 && n > chunk {
				n = chunk
			}
			f.Feed(s, w.dir, p[:n])
			p = p[n:]
		}
	}
	f.Flush(s)
	sub.Close()
	var out []*Event
	for e := range sub.C() {
		out = append(out, e)
	}
	return out
}

// leaks lists the events that carry a credential anywhere a viewer sees.
func leaks(evs []*Event) []string {
	var out []string
	for _, e := range evs {
		all := e.Text + "\x00" + e.Data
		if e.Explain != nil {
			all += "\x00" + e.Explain.Text
		}
		for _, v := range e.Attrs {
			all += "\x00" + v
		}
		// Servers quote a line they read as a command upper-cased and
		// cut: the first octets of a credential, in any case, are one.
		all = strings.ToUpper(all)
		for _, secret := range []string{saslPass, saslPass6, saslPlain, saslUser6, apopMD5} {
			if strings.Contains(all, strings.ToUpper(secret[:min(len(secret), 12)])) {
				out = append(out, string(e.Dir)+" "+e.Text)
				break
			}
		}
	}
	return out
}

// clientTexts is the text of every client line, in order.
func clientTexts(evs []*Event) []string {
	var out []string
	for _, e := range evs {
		if e.Kind == KindLine && e.Dir == C2S {
			out = append(out, e.Text)
		}
	}
	return out
}

// Every SASL path of the three protocols, with the client's response sent
// before the server's challenge was framed (pipelined, as a client that
// does not wait for 334 or "+" sends it) and after: the credentials never
// reach an event, and the command after the exchange is shown.
func TestSASLResponsesMaskedByTheClientStream(t *testing.T) {
	smtp := func() Framer { return newSMTPFramer() }
	c, s := imapC, imapS
	for _, tc := range []struct {
		name, proto string
		framer      func() Framer
		conv        []imapWire
		want        []string // the client lines as shown
	}{
		{"smtp plain initial response", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN " + saslPlain + "\r\n"), s("235 2.7.0 ok\r\n"), c("NOOP\r\n"), s("250 ok\r\n")},
			[]string{"AUTH PLAIN ****", "NOOP"}},
		{"smtp plain after 334", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n"), s("334 \r\n"), c(saslPlain + "\r\n"), s("235 2.7.0 ok\r\n"), c("NOOP\r\n")},
			[]string{"AUTH PLAIN", "****", "NOOP"}},
		{"smtp plain pipelined", "smtp", smtp,
			[]imapWire{c("EHLO x\r\nAUTH PLAIN\r\n" + saslPlain + "\r\nNOOP\r\n"), s("250 x\r\n334 \r\n235 2.7.0 ok\r\n250 ok\r\n")},
			[]string{"EHLO x", "AUTH PLAIN", "****", "NOOP"}},
		{"smtp plain pipelined, lower case", "smtp", smtp,
			[]imapWire{c("auth plain\r\n" + saslPlain + "\r\n"), s("334 \r\n235 2.7.0 ok\r\n")},
			[]string{"auth plain", "****"}},
		{"smtp login after 334", "smtp", smtp,
			[]imapWire{c("AUTH LOGIN\r\n"), s("334 VXNlcm5hbWU6\r\n"), c(saslUser6 + "\r\n"), s("334 UGFzc3dvcmQ6\r\n"), c(saslPass6 + "\r\n"), s("235 2.7.0 ok\r\n"), c("NOOP\r\n")},
			[]string{"AUTH LOGIN", "****", "****", "NOOP"}},
		{"smtp login pipelined", "smtp", smtp,
			[]imapWire{c("AUTH LOGIN\r\n" + saslUser6 + "\r\n" + saslPass6 + "\r\nNOOP\r\n"), s("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 ok\r\n250 ok\r\n")},
			[]string{"AUTH LOGIN", "****", "****", "NOOP"}},
		{"smtp login with the user name, pipelined", "smtp", smtp,
			[]imapWire{c("AUTH LOGIN " + saslUser6 + "\r\n" + saslPass6 + "\r\nNOOP\r\n"), s("334 UGFzc3dvcmQ6\r\n235 2.7.0 ok\r\n250 ok\r\n")},
			[]string{"AUTH LOGIN ****", "****", "NOOP"}},
		{"smtp cancelled, pipelined", "smtp", smtp,
			[]imapWire{c("AUTH LOGIN\r\n*\r\nNOOP\r\n"), s("334 VXNlcm5hbWU6\r\n501 5.0.0 cancelled\r\n250 ok\r\n")},
			[]string{"AUTH LOGIN", "*", "NOOP"}},
		{"smtp unknown mechanism, pipelined", "smtp", smtp,
			[]imapWire{c("AUTH X-SECRET\r\n" + saslPass6 + "\r\n" + saslPass + "\r\n"), s("334 \r\n334 \r\n235 ok\r\n")},
			[]string{"AUTH X-SECRET", "****", "****"}},
		{"smtp refused, the response arriving after the refusal", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n"), s("503 5.5.1 already authenticated\r\n"), c(saslPlain + "\r\n"), s("500 what\r\n")},
			[]string{"AUTH PLAIN", "****"}},
		{"smtp refused, the server quotes the response", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n"), s("503 5.5.1 already authenticated\r\n"), c(saslPlain + "\r\n"),
				s(`500 5.5.2 Syntax error: command "` + strings.ToUpper(saslPlain) + `" not recognized` + "\r\n")},
			[]string{"AUTH PLAIN", "****"}},
		{"smtp refused, a command keyword after the reply", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n"), s("503 5.5.1 already authenticated\r\n"), c("noop\r\n"), s("250 ok\r\n"), c("QUIT\r\n")},
			[]string{"AUTH PLAIN", "noop", "QUIT"}},
		{"smtp refused, an unknown word after the reply (masked: the safe side)", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n"), s("503 5.5.1 already authenticated\r\n"), c("XYZZY\r\n"), s("500 what\r\n"), c("QUIT\r\n")},
			[]string{"AUTH PLAIN", "****", "QUIT"}},
		{"smtp unknown mechanism refused, then a command with arguments", "smtp", smtp,
			[]imapWire{c("AUTH PLIAN\r\n"), s("504 5.5.4 not available\r\n"), c("AUTH PLAIN\r\n"), s("334 \r\n"), c(saslPlain + "\r\n"), s("235 ok\r\n"), c("NOOP\r\n")},
			[]string{"AUTH PLIAN", "AUTH PLAIN", "****", "NOOP"}},
		{"smtp login, user name refused, password pipelined", "smtp", smtp,
			[]imapWire{c("AUTH LOGIN\r\n!!\r\n"), s("334 VXNlcm5hbWU6\r\n501 5.5.2 not base64\r\n"), c(saslPass6 + "\r\n"), s("500 what\r\n")},
			[]string{"AUTH LOGIN", "****", "****"}},
		{"smtp refused, the next command pipelined (masked: the safe side)", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\nNOOP\r\nRSET\r\n"), s("503 5.5.1 already authenticated\r\n500 what\r\n250 ok\r\n")},
			[]string{"AUTH PLAIN", "****", "RSET"}},
		{"smtp held behind a DATA never answered", "smtp", smtp,
			[]imapWire{c("DATA\r\nAUTH PLAIN\r\n" + saslPlain + "\r\n")},
			[]string{"DATA", "AUTH PLAIN", "****"}},
		{"smtp late 235 does not unmask", "smtp", smtp,
			[]imapWire{c("AUTH PLAIN\r\n" + saslPlain + "\r\n"), c("QUIT\r\n"), s("334 \r\n235 ok\r\n221 bye\r\n")},
			[]string{"AUTH PLAIN", "****", "QUIT"}},

		{"pop3 user pass pipelined", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("USER alice\r\nPASS " + saslPass + "\r\nSTAT\r\n"), s("+OK\r\n+OK in\r\n+OK 0 0\r\n")},
			[]string{"USER alice", "PASS ****", "STAT"}},
		{"pop3 apop", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("APOP alice " + apopMD5 + "\r\n"), s("+OK in\r\n")},
			[]string{"APOP alice ****"}},
		{"pop3 auth plain initial response", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN " + saslPlain + "\r\nSTAT\r\n"), s("+OK in\r\n+OK 0 0\r\n")},
			[]string{"AUTH PLAIN ****", "STAT"}},
		{"pop3 auth plain after +", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n"), s("+ \r\n"), c(saslPlain + "\r\n"), s("+OK in\r\n"), c("STAT\r\n")},
			[]string{"AUTH PLAIN", "****", "STAT"}},
		{"pop3 auth plain pipelined", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n" + saslPlain + "\r\nSTAT\r\n"), s("+ \r\n+OK in\r\n+OK 0 0\r\n")},
			[]string{"AUTH PLAIN", "****", "STAT"}},
		{"pop3 auth plain refused, pipelined", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n" + saslPlain + "\r\n"), s("-ERR already in\r\n-ERR unknown command\r\n")},
			[]string{"AUTH PLAIN", "****"}},
		{"pop3 auth login pipelined", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH LOGIN\r\n" + saslUser6 + "\r\n" + saslPass6 + "\r\nSTAT\r\n"), s("-ERR not here\r\n-ERR ?\r\n-ERR ?\r\n-ERR ?\r\n")},
			[]string{"AUTH LOGIN", "****", "****", "STAT"}},
		{"pop3 auth login refused, then auth plain", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH LOGIN\r\n"), s("-ERR use PLAIN\r\n"), c("AUTH PLAIN\r\n"), s("+ \r\n"), c(saslPlain + "\r\n"), s("+OK in\r\n"), c("STAT\r\n")},
			[]string{"AUTH LOGIN", "AUTH PLAIN", "****", "STAT"}},
		{"pop3 refused, the response and a command after the refusal", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n"), s("-ERR already logged in\r\n"), c(saslPlain + "\r\nSTAT\r\n"), s("-ERR what\r\n+OK 0 0\r\n")},
			[]string{"AUTH PLAIN", "****", "STAT"}},
		{"pop3 refused, the server quotes the start of the response", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n"), s("-ERR already logged in\r\n"), c(saslPlain + "\r\n"),
				s(`-ERR unknown command "` + strings.ToUpper(saslPlain[:16]) + `...": POP3 commands are USER` + "\r\n")},
			[]string{"AUTH PLAIN", "****"}},
		{"pop3 cancelled", "pop3", newPOP3Framer,
			[]imapWire{s(pop3Greeting), c("AUTH PLAIN\r\n*\r\nSTAT\r\n"), s("+ \r\n-ERR cancelled\r\n-ERR not yet\r\n")},
			[]string{"AUTH PLAIN", "*", "STAT"}},

		{"imap login pipelined", "imap", newIMAPFramer,
			[]imapWire{c("a1 LOGIN alice " + saslPass + "\r\na2 NOOP\r\n"), s("a1 OK\r\na2 OK\r\n")},
			[]string{"a1 LOGIN alice ****", "a2 NOOP"}},
		{"imap login quoted", "imap", newIMAPFramer,
			[]imapWire{c(`a1 LOGIN "alice" "` + saslPass + `"` + "\r\n"), s("a1 OK\r\n")},
			[]string{`a1 LOGIN "alice" ****`}},
		{"imap login literal", "imap", newIMAPFramer,
			[]imapWire{c("a1 LOGIN alice {6}\r\n"), s("+ go\r\n"), c(saslPass + "\r\n"), s("a1 OK\r\n")},
			[]string{"a1 LOGIN alice {6}", ""}},
		{"imap login literal+", "imap", newIMAPFramer,
			[]imapWire{c("a1 LOGIN alice {6+}\r\n" + saslPass + "\r\na2 NOOP\r\n"), s("a1 OK\r\na2 OK\r\n")},
			[]string{"a1 LOGIN alice {6+}", "", "a2 NOOP"}},
		{"imap login literal refused, the password sent without waiting", "imap", newIMAPFramer,
			[]imapWire{c("a1 LOGIN alice {6}\r\n"), s("a1 NO [UNAVAILABLE] not now\r\n"), c(saslPass + "\r\n"), s("* BAD what\r\n"), c("a2 NOOP\r\n")},
			[]string{"a1 LOGIN alice {6}", "****", "a2 NOOP"}},
		{"imap login literal refused, the client waited", "imap", newIMAPFramer,
			[]imapWire{c("a1 LOGIN alice {6}\r\n"), s("a1 NO [UNAVAILABLE] not now\r\n"), c("a2 NOOP\r\n"), s("a2 OK\r\n")},
			[]string{"a1 LOGIN alice {6}", "a2 NOOP"}},
		{"imap authenticate initial response", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN " + saslPlain + "\r\na2 NOOP\r\n"), s("a1 OK\r\na2 OK\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN ****", "a2 NOOP"}},
		{"imap authenticate after +", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN\r\n"), s("+ \r\n"), c(saslPlain + "\r\n"), s("a1 OK\r\n"), c("a2 NOOP\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN", "****", "a2 NOOP"}},
		{"imap authenticate pipelined", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN\r\n" + saslPlain + "\r\na2 NOOP\r\n"), s("+ \r\na1 OK\r\na2 OK\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN", "****", "a2 NOOP"}},
		{"imap authenticate pipelined, a response ending like a literal", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN\r\n" + saslPlain + "{4}\r\na2 NOOP\r\n"), s("+ \r\na1 NO\r\na2 OK\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN", "****", "a2 NOOP"}},
		{"imap authenticate login pipelined", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE LOGIN\r\n" + saslUser6 + "\r\n" + saslPass6 + "\r\n"), s("+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\na1 NO\r\n")},
			[]string{"a1 AUTHENTICATE LOGIN", "****", "****"}},
		{"imap authenticate refused, the response arriving after the refusal", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN\r\n"), s("a1 NO not now\r\n"), c(saslPlain + "\r\n"), s("* BAD what\r\n"), c("a2 NOOP\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN", "****", "a2 NOOP"}},
		{"imap authenticate refused, then a command", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE X-UNKNOWN\r\n"), s("a1 NO unsupported\r\n"), c("a2 LOGIN alice " + saslPass + "\r\n"), s("a2 OK\r\n")},
			[]string{"a1 AUTHENTICATE X-UNKNOWN", "a2 LOGIN alice ****"}},
		{"imap authenticate cancelled, pipelined", "imap", newIMAPFramer,
			[]imapWire{c("a1 AUTHENTICATE PLAIN\r\n*\r\na2 NOOP\r\n"), s("+ \r\na1 BAD cancelled\r\na2 OK\r\n")},
			[]string{"a1 AUTHENTICATE PLAIN", "*", "a2 NOOP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 5} {
				evs := frameWith(t, tc.framer(), tc.proto, true, chunk, tc.conv...)
				if l := leaks(evs); len(l) > 0 {
					t.Fatalf("chunk %d: credentials in %q", chunk, l)
				}
				if got := clientTexts(evs); strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("chunk %d: client lines %q, want %q", chunk, got, tc.want)
				}
			}
			// The client that waits for nothing: every client octet is
			// framed before the first server octet.
			var first, then []imapWire
			for _, w := range tc.conv {
				if w.dir == C2S {
					first = append(first, w)
				} else {
					then = append(then, w)
				}
			}
			if l := leaks(frameWith(t, tc.framer(), tc.proto, true, 0, append(first, then...)...)); len(l) > 0 {
				t.Fatalf("client first: credentials in %q", l)
			}
			// Unmasked, the same lines are the wire's.
			evs := frameWith(t, tc.framer(), tc.proto, false, 0, tc.conv...)
			for _, e := range evs {
				if e.HasFlag(FlagMasked) {
					t.Fatalf("unmasked bus flagged %q masked", e.Text)
				}
			}
		})
	}
}

// A server reply quoting a masked response, whole or cut, in any case, is
// masked where it quotes it, and only there.
func TestSASLEchoScrubbed(t *testing.T) {
	var x saslExchange
	x.remember(saslPlain)
	for in, want := range map[string]string{
		`500 5.5.2 Syntax error: command "` + strings.ToUpper(saslPlain) + `" not recognized`: `500 5.5.2 Syntax error: command "****" not recognized`,
		`-ERR unknown command "AGFSAWNLAHMZY3JL...": 中文 ` + saslPlain:                         `-ERR unknown command "****...": 中文 ****`,
		"235 2.7.0 Authentication successful: hello alice":                                    "235 2.7.0 Authentication successful: hello alice",
		"AGF": "AGF",
	} {
		if got, _ := x.scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
