package pop3

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line, verb string
		args       []string
		rest       string
	}{
		{"STAT", "STAT", nil, ""},
		{"stat", "STAT", nil, ""},
		{"list 1", "LIST", []string{"1"}, "1"},
		{"TOP  1   2 ", "TOP", []string{"1", "2"}, " 1   2 "},
		{"PASS my secret ", "PASS", []string{"my", "secret"}, "my secret "},
		{"USER\talice", "USER", []string{"alice"}, "alice"},
		{"", "", nil, ""},
		{"\xffbad", "\xffBAD", nil, ""},
	} {
		c := parseCommand(tc.line)
		if c.verb != tc.verb || strings.Join(c.args, "|") != strings.Join(tc.args, "|") || c.rest != tc.rest {
			t.Errorf("parseCommand(%q) = %+v", tc.line, c)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1": 1, "0042": 42, "1073741824": maxNumber, "99999999999999999999": maxNumber} {
		if n, ok := parseNumber(in); !ok || n != want {
			t.Errorf("parseNumber(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "+1", "1x", " 1", "1.0", "\u0661", strings.Repeat("9", 41)} {
		if n, ok := parseNumber(in); ok {
			t.Errorf("parseNumber(%q) = %d, want failure", in, n)
		}
	}
}

// FuzzParseCommand: the parser takes any line; the keyword is upper case
// and never holds a separator, the arguments never hold one either, and a
// number is only ever digits.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"USER alice", "PASS a b c", "TOP 1 10", "LIST", "retr\t1", "", " ", "APOP x 0123", "\x00\xff", "AUTH PLAIN AGFsaWNlAGFsaWNl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c := parseCommand(line)
		if strings.ContainsAny(c.verb, " \t") {
			t.Fatalf("verb %q holds a separator", c.verb)
		}
		for i := 0; i < len(c.verb); i++ {
			if b := c.verb[i]; b >= 'a' && b <= 'z' {
				t.Fatalf("verb %q not upper case", c.verb)
			}
		}
		if len(c.verb) != len(line) && len(c.verb)+1+len(c.rest) != len(line) {
			t.Fatalf("verb %q and rest %q do not rebuild %q", c.verb, c.rest, line)
		}
		for _, a := range c.args {
			if a == "" || strings.ContainsAny(a, " \t") {
				t.Fatalf("argument %q", a)
			}
		}
		for _, a := range c.args {
			if n, ok := parseNumber(a); ok {
				if strings.Trim(a, "0123456789") != "" || n < 0 || n > maxNumber {
					t.Fatalf("parseNumber(%q) = %d", a, n)
				}
				if len(a) < 10 && strconv.Itoa(n) != strings.TrimLeft(a, "0") && n != 0 {
					t.Fatalf("parseNumber(%q) = %d", a, n)
				}
			}
		}
	})
}

// FuzzSession sends arbitrary bytes to a real server, logged in or not,
// then closes its side. The server must answer, never panic (a panic is
// logged and fails the test at cleanup) and end the session.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"USER alice\r\nPASS alice\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 1 1\r\nUIDL\r\nDELE 1\r\nRSET\r\nQUIT\r\n",
		"CAPA\r\nAUTH PLAIN\r\nAGFsaWNlAGFsaWNl\r\nLIST 1\r\nUIDL 2\r\nNOOP\r\n",
		"AUTH PLAIN\r\n*\r\nAPOP alice 00000000000000000000000000000000\r\n",
		"STLS\r\nUSER x\r\n",
		"\x00\xff\r\n\n\r\r\nTOP 99999999999999999999999 -1\r\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	ts := newServer(f, func(s *Server) { s.IdleTimeout = 5 * time.Second })
	ts.deliver(f, "alice", msg1)
	ts.deliver(f, "alice", msg2)
	f.Fuzz(func(t *testing.T, input string, login bool) {
		conn, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		if login {
			// bob's maildrop: alice's must stay for the next input.
			input = "USER bob\r\nPASS bob\r\n" + input
		}
		go func() {
			io.WriteString(conn, input)
			conn.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("reading: %v after %q", err, out)
		}
		if !strings.HasPrefix(string(out), "+OK ") {
			t.Fatalf("no greeting: %q", out)
		}
		if errs := ts.logs.errors(); len(errs) > 0 {
			t.Fatalf("server logged %q for input %q", errs, input)
		}
	})
}
