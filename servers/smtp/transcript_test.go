package smtp_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/smtp"
)

func TestHappyPathStoresMessage(t *testing.T) {
	w := newWorld(t, nil)
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 a.example ESMTP mailscope server A ready*
		C: HELO laptop
		S: 250 a.example Hello laptop [127.0.0.1]*
		C: MAIL FROM:<alice@a.example>
		S: 250 2.1.0 Sender <alice@a.example> OK
		C: RCPT TO:<alice@a.example>
		S: 250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice
		C: DATA
		S: 354 Start mail input; end with <CRLF>.<CRLF>*
		C: Subject: hi
		C:
		C: hello
		C: .
		S: 250 2.0.0 OK: * octets queued as A-* (delivered to alice)
		C: QUIT
		S: 221 2.0.0 a.example Bye*
		CLOSED`)
	msgs := inbox(t, w.inst.Store, "A", "alice")
	if len(msgs) != 1 {
		t.Fatalf("alice has %d messages, want 1", len(msgs))
	}
	m := string(msgs[0])
	for _, want := range []string{"Received: from laptop (localhost [127.0.0.1])\r\n\tby a.example (mailscope A) with SMTP id A-", "\r\n\tfor <alice@a.example>; ", "Subject: hi\r\n", "Date: ", "Message-ID: <A-", "\r\n\r\nhello\r\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("stored message lacks %q:\n%s", want, m)
		}
	}
	// The added headers go at the end of the header section, before the blank line.
	if i, j := strings.Index(m, "Message-ID:"), strings.Index(m, "\r\n\r\n"); i > j {
		t.Errorf("Message-ID added after the header section:\n%s", m)
	}
}

func TestEHLOAdvertisesExtensions(t *testing.T) {
	w := newWorld(t, nil)
	c := greeted(t, w.smtpAddr("A"))
	c.Send("EHLO laptop")
	got := strings.Join(c.readReply(), "\n")
	for _, ext := range []string{"250-PIPELINING", "250-SIZE 10485760", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-AUTH PLAIN LOGIN", "250 HELP"} {
		if !strings.Contains(got, ext) {
			t.Errorf("EHLO reply lacks %q:\n%s", ext, got)
		}
	}
}

func TestSequenceAndSyntaxErrors(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	runTranscript(t, addr, `
		S: 220 *
		C: MAIL FROM:<alice@a.example>
		S: 503 5.5.1 Bad sequence of commands: say HELO or EHLO first
		C: HELO
		S: 501 5.5.4 Syntax: HELO yourname*
		C: HELO laptop
		S: 250 *
		C: RCPT TO:<alice@a.example>
		S: 503 5.5.1 Bad sequence of commands: MAIL FROM first
		C: DATA
		S: 503 5.5.1 Bad sequence of commands: MAIL FROM first
		C: MAIL FROM alice
		S: 501 5.5.4 Syntax: MAIL FROM:<address>, for example MAIL FROM:<alice@a.example>
		C: MAIL FROM:<alice@a.example
		S: 501 5.1.7 Syntax: the address has no closing '>'
		C: MAIL FROM:<not an address>
		S: 553 5.1.7 <not an address>: sender address is not valid*
		C: MAIL FROM:<alice@a.example>
		S: 250 2.1.0 *
		C: MAIL FROM:<alice@a.example>
		S: 503 5.5.1 Bad sequence of commands: a message is already started*
		C: DATA
		S: 503 5.5.1 Bad sequence of commands: no valid recipients, RCPT TO first
		C: RCPT TO:
		S: 501 5.5.4 Syntax: RCPT TO:<address>*
		C: RCPT TO:<carol@a.example>
		S: 550 5.1.1 <carol@a.example>: Recipient address rejected: no such user here at a.example
		C: RCPT TO:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@a.example>
		S: 501 5.1.3 <aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@a.example>: recipient address is not valid: its local part (before the @) is 65 octets; RFC 5321 section 4.5.3.1.1 allows at most 64
		C: RCPT TO:<alice@a.example> XFOO=1
		S: 555 5.5.4 RCPT TO parameter XFOO not recognized*
		C: RCPT TO:<alice@a.example> NOTIFY=NEVER,DELAY
		S: 501 5.5.4 NOTIFY=NEVER cannot be combined*
		C: RCPT TO:<alice@a.example> NOTIFY=SOMETIMES
		S: 501 5.5.4 NOTIFY=SOMETIMES: use NEVER*
		C: RCPT TO:<postmaster>
		S: 250 2.1.5 Recipient <postmaster> OK: local mailbox of alice
		C: DATA extra
		S: 501 5.5.4 Syntax: DATA takes no argument*
		C: FROB
		S: 500 5.5.2 Syntax error: command "FROB" not recognized*
		C: Subject: hello
		S: 500 5.5.2 Syntax error: "SUBJECT:" looks like a header line*
		C:
		S: 500 5.5.2 Empty line*
		C: EXPN staff
		S: 502 5.5.1 EXPN not available*
		C: BDAT 10 LAST
		S: 502 5.5.1 BDAT not implemented*
		C: RSET
		S: 250 2.0.0 OK, message forgotten
		C: RSET now
		S: 501 5.5.4 Syntax: RSET takes no argument
		C: NOOP
		S: 250 2.0.0 OK, nothing done
		C: QUIT
		S: 221 *
		CLOSED`)
}

func TestLenientAddressesAreNoted(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	runTranscript(t, addr, `
		S: 220 *
		C: helo laptop
		S: 250 *
		C: mail from: alice@a.example
		S: 250 2.1.0 Sender <alice@a.example> OK (note: RFC 5321 wants angle brackets: MAIL FROM:<alice@a.example>)
		C: rcpt to: alice@a.example
		S: 250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice (note: RFC 5321 wants angle brackets*
		C: RCPT TO:<ALICE@A.EXAMPLE>
		S: 250 2.1.5 Recipient <ALICE@A.EXAMPLE> OK (already given; it gets one copy)
		C: MAIL FROM:<>
		S: 503 *`)
}

func TestNullSenderAndParameters(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	runTranscript(t, addr, `
		S: 220 *
		C: HELO laptop
		S: 250 *
		C: MAIL FROM:<> SIZE=100
		S: 555 5.5.4 MAIL FROM parameters need an EHLO session, not HELO
		C: EHLO laptop
		S*: 250 HELP
		C: MAIL FROM:<> BODY=9BIT
		S: 501 5.5.4 BODY=9BIT unknown*
		C: MAIL FROM:<> SIZE=abc
		S: 501 5.5.4 SIZE=abc is not a number*
		C: MAIL FROM:<> SIZE=99999999999
		S: 552 5.3.4 Message size 99999999999 exceeds the limit of 10485760 octets (RFC 1870)
		C: MAIL FROM:<> XFOO=1
		S: 555 5.5.4 MAIL FROM parameter XFOO not recognized*
		C: MAIL FROM:<> SIZE=1 SIZE=2
		S: 501 5.5.4 Parameter SIZE given twice
		C: MAIL FROM:<> BODY=8BITMIME SIZE=1000 AUTH=<>
		S: 250 2.1.0 Null sender <> OK*`)
}

func TestVrfyAndHelp(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	runTranscript(t, addr, `
		S: 220 *
		C: VRFY alice
		S: 250 2.1.5 alice <alice@a.example>
		C: VRFY <alice@a.example>
		S: 250 2.1.5 alice <alice@a.example>
		C: VRFY mallory
		S: 550 5.1.1 <mallory>: no such user here*
		C: VRFY bob@b.example
		S: 252 2.0.0 Cannot VRFY <bob@b.example>*
		C: VRFY
		S: 501 5.5.4 Syntax: VRFY user*
		C: HELP MAIL
		S: 214-2.0.0 start a message: MAIL FROM:<sender@domain>*
		S: 214-2.0.0 MAIL FROM:<alice@a.example>
		S: 214-2.0.0 The envelope sender*
		S: 214 2.0.0 Parameters after EHLO*
		C: HELP FROB
		S: 504 5.5.1 HELP: no help on "FROB"*
		C: TURN
		S: 502 5.5.1 TURN not available*`)
	c := greeted(t, addr)
	c.Send("HELP")
	lines := c.readReply()
	if len(lines) < 10 || !strings.HasPrefix(lines[0], "214-2.0.0 mailscope SMTP server A") || !strings.HasPrefix(lines[len(lines)-1], "214 2.0.0 HELP <command>") {
		t.Errorf("HELP reply:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "MAIL      start a message") {
		t.Errorf("HELP does not explain MAIL:\n%s", strings.Join(lines, "\n"))
	}
}

func TestRelayDeniedFromUntrustedNetwork(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.Trusted = nil })
	runTranscript(t, addr, `
		S: 220 *
		C: EHLO outsider
		S*: 250 HELP
		C: MAIL FROM:<spammer@evil.example>
		S: 250 2.1.0 *
		C: RCPT TO:<bob@b.example>
		S: 554 5.7.1 <bob@b.example>: Relay access denied: a.example only accepts mail for a.example from you; log in with AUTH*
		C: RCPT TO:<alice@a.example>
		S: 250 2.1.5 *
		C: RSET
		S: 250 *
		C: AUTH PLAIN AGFsaWNlAGFsaWNl
		S: 235 2.7.0 Authentication successful: hello alice
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RCPT TO:<bob@b.example>
		S: 250 2.1.5 Recipient <bob@b.example> OK: not local, will relay to b.example (you logged in as alice)`)
}

func TestTooManyRecipients(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.MaxRecipients = 2 })
	runTranscript(t, addr, `
		S: 220 *
		C: HELO x
		S: 250 *
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RCPT TO:<a1@b.example>
		S: 250 *
		C: RCPT TO:<a2@b.example>
		S: 250 *
		C: RCPT TO:<a3@b.example>
		S: 452 4.5.3 Too many recipients: at most 2 per message*`)
}

func TestMessageTooBigIsRefusedAndSessionGoesOn(t *testing.T) {
	addr, b, _, _ := fakeServer(t, func(s *smtp.Server) { s.MaxMessageSize = 2048 })
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	for i := 0; i < 100; i++ {
		c.Send(strings.Repeat("x", 70))
	}
	c.Send(".")
	c.Expect("552 5.3.4 Message too big: the limit is 2048 octets; nothing was stored")
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	if n := len(b.bodies()); n != 0 {
		t.Fatalf("%d messages stored, want 0", n)
	}
}

func TestLongLines(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	c := ehloed(t, addr)
	c.Send("NOOP " + strings.Repeat("a", 600))
	c.Expect("500 5.5.2 Line too long: a command line is at most 512 octets*")
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.Send("Subject: long")
	c.Send("")
	c.Send(strings.Repeat("y", 1200))
	c.Send(".")
	c.Expect("500 5.5.2 Message refused: a line is longer than 1000 octets*")
	c.Send("NOOP")
	c.Expect("250 *")
	// A line of exactly 998 octets plus CRLF is fine.
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.Send("Subject: ok")
	c.Send("")
	c.Send(strings.Repeat("z", 998))
	c.Send(".")
	c.Expect("250 2.0.0 *")
}

func TestErrorsInARowClose(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.MaxErrors = 3 })
	runTranscript(t, addr, `
		S: 220 *
		C: FOO
		S: 500 *
		C: NOOP
		S: 250 *
		C: FOO
		S: 500 *
		C: BAR
		S: 500 *
		C: BAZ
		S: 500 *
		S: 421 4.7.0 Too many errors in a row, closing the connection
		CLOSED`)
}

func TestIdleTimeout(t *testing.T) {
	addr, _, _, _ := fakeServer(t, func(s *smtp.Server) { s.Settings.IdleTimeout = 300 * time.Millisecond })
	c := greeted(t, addr)
	c.Expect("421 4.4.2 a.example Idle for 300ms: closing the connection*")
	c.ExpectClosed()
}

func TestDotStuffingAndSplitTerminator(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	// The whole message and terminator, one byte per write: the end is
	// found whatever the TCP segmentation.
	msg := "Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n.\r\n"
	for i := 0; i < len(msg); i++ {
		c.SendRaw(msg[i : i+1])
	}
	c.Expect("250 2.0.0 *")
	body := b.bodies()[0]
	if !bytes.HasSuffix(body, []byte("\r\n\r\n.leading dot\r\n..two dots\r\n")) {
		t.Fatalf("dot-unstuffing wrong:\n%q", body)
	}
}

// TestBareLF: a client that ends its commands with bare LF (nc without -C)
// may end its message with LF.LF; a client that sends CRLF cannot, its bare
// LF being content stored as CRLF; a strict server refuses that bare LF with
// 521 and closes before reading what follows as commands.
func TestBareLF(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := greeted(t, addr)
	c.SendRaw("EHLO nc\n")
	c.readReply()
	c.SendRaw("MAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\n")
	c.Expect("250 *")
	c.Expect("250 *")
	c.Expect("354 *")
	c.SendRaw("Subject: lf\n\nbare\n.\n")
	c.Expect("250 2.0.0 OK: * (delivered to alice; note: 3 bare LF or CR were stored as CRLF line ends*")
	body := b.bodies()[0]
	if !bytes.HasSuffix(body, []byte("Subject: lf\r\n\r\nbare\r\n")) && !bytes.Contains(body, []byte("\r\n\r\nbare\r\n")) {
		t.Fatalf("bare LF not normalized to CRLF:\n%q", body)
	}

	c = ehloed(t, addr) // EHLO with CRLF: this client's lines end with CRLF
	c.SendRaw("MAIL FROM:<alice@a.example>\nRCPT TO:<alice@a.example>\nDATA\n")
	c.Expect("250 *")
	c.Expect("250 *")
	c.Expect("354 *")
	c.SendRaw("Subject: lf\n\nbare\n.\nMAIL FROM:<smuggled@a.example>\n\r\n.\r\n")
	c.Expect("250 2.0.0 OK: * (delivered to alice; note: 5 bare LF or CR were stored as CRLF line ends*")
	msgs := b.bodies()
	if len(msgs) != 2 || !bytes.HasSuffix(msgs[1], []byte("\r\n\r\nbare\r\n.\r\nMAIL FROM:<smuggled@a.example>\r\n\r\n")) {
		t.Fatalf("the bare LF.LF of a CRLF client is not content of one message: %q", msgs)
	}

	strictAddr, strict, _, _ := fakeServer(t, func(s *smtp.Server) { s.StrictLineEndings = true })
	c = ehloed(t, strictAddr)
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.SendRaw("Subject: lf\n\nbare\n.\nMAIL FROM:<smuggled@a.example>\n\r\n.\r\n")
	c.Expect("521 5.5.2 Bare LF or CR in the message*")
	c.ExpectClosed()
	if n := len(strict.bodies()); n != 0 {
		t.Fatalf("strict server stored %d messages", n)
	}
}

func TestPipelinedSession(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	c := ehloed(t, addr)
	c.SendRaw("MAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nRCPT TO:<nobody@a.example>\r\nDATA\r\n")
	c.Expect("250 2.1.0 *")
	c.Expect("250 2.1.5 *")
	c.Expect("550 5.1.1 *")
	c.Expect("354 *")
	c.SendRaw("Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
	c.Expect("250 2.0.0 *")
	c.Expect("250 2.1.0 *")
	c.Expect("250 2.1.5 *")
	c.Expect("354 *")
	c.SendRaw("Subject: q\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
	c.Expect("250 2.0.0 *")
	c.Expect("221 *")
	if n := len(b.bodies()); n != 2 {
		t.Fatalf("%d messages, want 2 (two messages on one persistent connection)", n)
	}
}

func TestAuth(t *testing.T) {
	w := newWorld(t, nil)
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: AUTH PLAIN AGFsaWNlAGFsaWNl
		S: 503 5.5.1 Bad sequence of commands: say HELO or EHLO first
		C: EHLO x
		S*: 250 HELP
		C: AUTH CRAM-MD5
		S: 504 5.5.4 AUTH mechanism CRAM-MD5 not available*
		C: AUTH
		S: 501 5.5.4 Syntax: AUTH mechanism*
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 Authentication credentials invalid
		C: AUTH PLAIN !!!
		S: 501 5.5.2 AUTH PLAIN: the response is not valid base64
		C: AUTH PLAIN
		S: 334 
		C: *
		S: 501 5.0.0 Authentication cancelled by the client
		C: AUTH LOGIN
		S: 334 VXNlcm5hbWU6
		C: YWxpY2U=
		S: 334 UGFzc3dvcmQ6
		C: YWxpY2U=
		S: 235 2.7.0 Authentication successful: hello alice
		C: AUTH PLAIN AGFsaWNlAGFsaWNl
		S: 503 5.5.1 Already authenticated as alice`)
	// user@domain logins work too.
	runTranscript(t, w.smtpAddr("B"), `
		S: 220 b.example *
		C: EHLO x
		S*: 250 HELP
		C: AUTH PLAIN AGJvYkBiLmV4YW1wbGUAYm9i
		S: 235 2.7.0 Authentication successful: hello bob`)
}
