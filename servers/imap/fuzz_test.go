package imap

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzPreLoginParsers fuzzes the two bits of IMAP wire parsing mailscope
// does itself, below imapserver: the literal announcement at the end of a
// line ({N}, {N+}, {N-}) and the STARTTLS command.
func FuzzPreLoginParsers(f *testing.F) {
	for _, s := range []string{
		"a1 LOGIN alice {5}\r\n", "a1 LOGIN alice {4294967296+}\r\n", "a APPEND INBOX {12-}\r\n",
		"a1 STARTTLS\r\n", "a1 starttls", "{}\r\n", "{+}", "x {99999999999999999999999}\r\n",
		"a1 LOGIN {3}\r\n", "\x00{1}\r\n", "a1 NOOP\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		size, nonSync, ok := trailingLiteral(line)
		if ok {
			if size < 0 {
				t.Fatalf("%q: negative literal size %d", line, size)
			}
			l := bytes.TrimRight(line, "\r\n")
			if l[len(l)-1] != '}' || bytes.LastIndexByte(l, '{') < 0 {
				t.Fatalf("%q: accepted without {N}", line)
			}
			if nonSync && !bytes.HasSuffix(l, []byte("+}")) {
				t.Fatalf("%q: non-synchronizing without +", line)
			}
			if num := l[bytes.LastIndexByte(l, '{')+1 : len(l)-1]; len(num) <= 18 {
				num = bytes.TrimRight(num, "+-")
				if n, err := strconv.ParseInt(string(num), 10, 64); err == nil && n != size {
					t.Fatalf("%q: size %d, want %d", line, size, n)
				}
			}
		}
		if tag, ok := startTLSCommand(line); ok {
			f := bytes.Fields(line)
			if len(f) != 2 || string(f[0]) != tag {
				t.Fatalf("%q: STARTTLS with tag %q", line, tag)
			}
		}
	})
}
