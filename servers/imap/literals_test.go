package imap_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers/imap"
)

// injected is a message whose header lines are IMAP commands, should its
// octets ever be read as commands.
func injected(size int, folder string) string {
	head := "Subject: big\r\nX-Note: CREATE " + folder + "\r\nX-Other: NOOP\r\n\r\n"
	return head + strings.Repeat("x", size-len(head))
}

// folders lists alice's folders from a new connection.
func folders(t *testing.T, addr string) []string {
	t.Helper()
	c := loggedIn(t, addr, "alice")
	c.Send(`f1 LIST "" *`)
	return c.untilTagged("f1", "f1 OK *")
}

func noFolder(t *testing.T, addr, name string) {
	t.Helper()
	for _, l := range folders(t, addr) {
		if strings.HasSuffix(l, " "+name) || strings.HasSuffix(l, ` "`+name+`"`) {
			t.Fatalf("folder %s was created: %q", name, l)
		}
	}
}

// TestRefusedNonSyncLiteralNeverRuns: the octets of a non-synchronizing
// literal that the server refuses (APPEND over the limit, a literal over
// 4096 octets for any other command, a command refused before its literal)
// are never read as commands: the session ends with * BYE, and the header
// line "X-Note: CREATE X" inside creates no folder.
func TestRefusedNonSyncLiteralNeverRuns(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.AppendLimit = 1000 })
	for i, cmd := range []string{
		"a1 APPEND INBOX {%d+}",                   // over APPENDLIMIT
		"a1 APPEND INBOX (\\Seen) {%d+}",          // over 4096 as well
		"a1 APPEND INBOX {%d+} ",                  // imapserver allows a space before CRLF
		"a1 CREATE {%d+}",                         // a mailbox name over 4096
		"a1 RENAME INBOX {%d+}",                   // the same, second argument
		"a1 LOGIN {5+}\r\nalice {%d+}",            // a first literal taken, the second refused
		"a1 NOOP {%d+}",                           // no literal expected at all
		"a1 XUNKNOWN {%d+}",                       // an unknown command
		"a1 STATUS INBOX (MESSAGES) {%d+}",        // a literal after the last argument
		"a1 SEARCH SUBJECT {%d+}",                 // nothing selected
		"a1 AUTHENTICATE PLAIN {%d+}",             // after login, and no literal there
		"a1 APPEND INBOX (\\Flagged) \"x\" {%d+}", // a bad date before the literal
	} {
		size := 5000
		if i == 0 {
			size = 2000
		}
		folder := fmt.Sprintf("X%d", i)
		c := loggedIn(t, addr, "alice")
		cmd = fmt.Sprintf(cmd, size)
		c.SendRaw(cmd + "\r\n" + injected(size, folder) + "\r\n")
		if got := c.untilTagged("a1", "a1 *"); len(got) > 0 {
			t.Errorf("%q: untagged responses before the tagged one: %q", cmd, got)
		}
		c.Expect("* BYE the * octets of a refused non-synchronizing literal are already on their way *")
		c.ExpectClosed()
		noFolder(t, addr, folder)
	}
}

// TestRefusedSyncLiteralSentAnyway: a synchronizing literal refused with NO
// instead of "+" must not be sent (RFC 9051 section 4.3). A client that
// sends it anyway has its lines read as commands, as the protocol says: the
// session answers each and goes on, and nothing breaks.
func TestRefusedSyncLiteralSentAnyway(t *testing.T) {
	addr, logs, _ := limServer(t, func(s *imap.Server) { s.AppendLimit = 1000 })
	c := loggedIn(t, addr, "alice")
	runTranscript(t, c, `
		C: p1 APPEND INBOX {2000}
		S: p1 NO [TOOBIG] *
		R: Subject: big\r\nX-Note: CREATE Y\r\n
		S: Subject: BAD *
		S: X-Note: OK CREATE completed
		C: p2 APPEND INBOX {20000+}
		S: p2 BAD [TOOBIG] *
		S: * BYE the 20000 octets of a refused non-synchronizing literal are already on their way *
		CLOSED
	`)
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("a panic:\n%s", logs)
	}
	loggedIn(t, addr, "alice")
}

// TestLiteralsBeforeLogin: before login a literal over 4096 octets is
// refused by the layer under imapserver: a synchronizing one with NO, and
// the session goes on; a non-synchronizing one, or one at the end of a
// command line begun with another literal, with BAD and * BYE. A
// non-synchronizing APPEND literal within the limits is read and dropped,
// never run as commands.
func TestLiteralsBeforeLogin(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ send, script string }{
		{"a1 LOGIN alice {5000}\r\n", `
			S: a1 NO [TOOBIG] *
			C: a2 NOOP
			S: a2 OK *`},
		{"a1 LOGIN alice {5000+}\r\n" + injected(5000, "Z"), `
			S: a1 BAD *
			S: * BYE *
			CLOSED`},
		{"a1 LOGIN {5+}\r\nalice {5000+}\r\n" + injected(5000, "Z"), `
			S: * BAD *
			S: * BYE *
			CLOSED`},
		{"a1 APPEND INBOX {2000+}\r\n" + injected(2000, "Z") + "\r\n", `
			S: a1 BAD *
			C: a2 NOOP
			S: a2 OK *`},
	} {
		c := greeted(t, e.addr)
		c.SendRaw(tc.send)
		runTranscript(t, c, tc.script)
	}
	noFolder(t, e.addr, "Z")
}

// TestStartTLSInsideLiteral: "b STARTTLS" inside a literal, synchronizing
// or not, or as the answer to AUTHENTICATE's continuation request, or as
// the second piece of a long line, is data, not a command: TLS does not
// start, and STARTTLS is still on offer.
func TestStartTLSInsideLiteral(t *testing.T) {
	e := newEnv(t)
	c := greeted(t, e.addr)
	long := "a5 NOOP " + strings.Repeat("x", 4096-len("a5 NOOP "))
	runTranscript(t, c, `
		C: a1 LOGIN alice {12}
		S: + Ready for literal data
		R: b STARTTLS\r\n\r\n
		S: a1 NO *
		R: a2 LOGIN alice {12+}\r\nb STARTTLS\r\n\r\n
		S: a2 NO *
		C: a3 AUTHENTICATE PLAIN
		S: +*
		C: b STARTTLS
		S: a3 *
		C: a4 CAPABILITY
		S: * CAPABILITY IMAP4rev1 STARTTLS *
		S: a4 OK *
		R: `+long+`b STARTTLS\r\n
		S: a5 BAD *
		C: a6 NOOP
		S: a6 OK *
	`)
}

// TestStartTLSPipelined: commands sent after STARTTLS before the handshake,
// in the same packet as other commands before it, are dropped (RFC 9051
// section 6.2.1, the STARTTLS command injection): the session is not
// logged in after the handshake.
func TestStartTLSPipelined(t *testing.T) {
	e := newEnv(t)
	c := greeted(t, e.addr)
	c.SendRaw("t1 NOOP\r\nt2 STARTTLS\r\nt3 LOGIN carol Pa55-w0rd\r\nt4 CREATE Injected\r\n")
	c.Expect("t1 OK *")
	c.Expect("t2 OK Begin TLS negotiation now")
	c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "a.example"})
	runTranscript(t, c, `
		C: t5 CAPABILITY
		S: * CAPABILITY IMAP4rev1 ID SASL-IR LITERAL- AUTH=PLAIN
		S: t5 OK CAPABILITY completed
		C: t6 LOGIN carol Pa55-w0rd
		S: t6 OK *
		C: t7 LIST "" Injected
		S: t7 OK *
	`)
}

// TestBigSyncLiteralAfterLogin: after login a synchronizing literal over
// 4096 octets is refused with NO [TOOBIG] before its octets are sent,
// except an APPEND's message, which may reach APPENDLIMIT; the session
// goes on. (imapserver alone never answered the CREATE: it waited for the
// literal's octets as the rest of the command.)
func TestBigSyncLiteralAfterLogin(t *testing.T) {
	addr, _, _ := limServer(t, func(s *imap.Server) { s.AppendLimit = 10000 })
	c := loggedIn(t, addr, "alice")
	body := injected(5000, "W")
	runTranscript(t, c, `
		C: a1 CREATE {5000}
		S: a1 NO [TOOBIG] *
		C: a2 APPEND {5000}
		S: a2 NO [TOOBIG] *
		C: a3 APPEND INBOX {5000}
		S: + Ready for literal data
		R: `+strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(body)+`\r\n
		S: a3 OK [APPENDUID * 1] APPEND completed
		C: a4 APPEND INBOX {10001}
		S: a4 NO [TOOBIG] *
		C: a5 NOOP
		S: a5 OK *
	`)
	noFolder(t, addr, "W")
}
