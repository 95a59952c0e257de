package imap_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzSession runs whole IMAP sessions of arbitrary input against a real
// server (go-imap's parser, mailscope's backend and STARTTLS handling) and
// checks that each starts with the greeting, ends (no hang), meets no panic
// in the backend (which answers * BYE [SERVERBUG]), and that the server goes
// on serving the next input.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"a LOGIN alice alice\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS BODY[] BODYSTRUCTURE ENVELOPE)\r\nd LOGOUT\r\n",
		"a STARTTLS\r\nb NOOP\r\n",
		"a LOGIN {5}\r\nalice {5}\r\nalice\r\nb LIST \"\" *\r\n",
		"b SELECT INBOX\r\nc STORE 1 +FLAGS (\\Seen $Label)\r\nd SEARCH OR SUBJECT x BODY y\r\ne COPY 1 Trash\r\nf MOVE 1 Sent\r\ng EXPUNGE\r\n",
		"b CREATE a/b/c\r\nc RENAME a x\r\nd DELETE x\r\ne APPEND INBOX (\\Seen) {10+}\r\n0123456789\r\nf IDLE\r\nDONE\r\n",
		"b EXAMINE INBOX\r\nc UID FETCH 1:* BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.10>\r\nd STATUS INBOX (MESSAGES UIDNEXT SIZE)\r\n",
		"\x00\xff{99999999999999999999}\r\n(((((\r\n",
		"a LOGIN alice {12+}\r\nb STARTTLS\r\n\r\nc AUTHENTICATE PLAIN\r\nd STARTTLS\r\n",
		"b APPEND INBOX {5000+}\r\nX-Note: CREATE X\r\n",
		"b CREATE {5000}\r\nc APPEND {5}\r\nINBOX {3+}\r\nabc\r\nd NOOP {2+}\r\nxx\r\n",
		"b NOOP " + strings.Repeat("x", 4088) + "c STARTTLS\r\nd LOGIN {5+} \n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	e := newEnv(f)
	for i := 0; i < 3; i++ {
		e.deliver("alice", msg("hello", "first line\r\n.dotted\r\nlast"))
		e.deliver("bob", msg("for bob", "text"))
	}
	f.Fuzz(func(t *testing.T, input string, login bool) {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if login {
			// bob's mailboxes: alice's stay as the seeds expect them.
			input = "a LOGIN bob bob\r\n" + input
		}
		go func() {
			io.WriteString(c, input)
			c.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(c)
		if err != nil {
			var ne net.Error
			if ok := asNetErr(err, &ne); ok && ne.Timeout() {
				t.Fatalf("the session did not end: %q after %q", tail(out), input)
			}
		}
		if !strings.HasPrefix(string(out), "* OK") {
			t.Fatalf("no greeting: %q", tail(out))
		}
		// A panic in the backend ends the session with this BYE. (imapserver
		// itself answers NO [SERVERBUG] when the input stops mid-command,
		// which is not a finding.)
		if strings.Contains(string(out), "* BYE [SERVERBUG]") {
			t.Fatalf("panic for input %q:\n%s", input, tail(out))
		}
	})
}

func asNetErr(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	return ok
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
