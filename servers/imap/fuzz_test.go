package imap

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// literalAtEnd is imapserver's grammar of a literal announcement at the end
// of a line (imapwire.Decoder.LiteralReader: "{" number ["+"] "}" and its
// lenient CRLF, an optional SP and CR before LF).
var literalAtEnd = regexp.MustCompile(`\{([0-9]+)(\+?)\} ?\r?\n$`)

// FuzzPreLoginParsers fuzzes the bits of IMAP wire parsing mailscope does
// itself, below imapserver: the literal announcement at the end of a line
// ({N}, {N+}), against the grammar imapserver reads, whole and fed to the
// scanner in two pieces, and the STARTTLS command.
func FuzzPreLoginParsers(f *testing.F) {
	for _, s := range []string{
		"a1 LOGIN alice {5}\r\n", "a1 LOGIN alice {4294967296+}\r\n", "a APPEND INBOX {12-}\r\n",
		"a1 STARTTLS\r\n", "a1 starttls", "{}\r\n", "{+}", "x {99999999999999999999999}\r\n",
		"a1 LOGIN {3}\r\n", "\x00{1}\r\n", "a1 NOOP\r\n",
		"a1 APPEND INBOX {5+} \r\n", "a {5}\n", "a {5}\r\r\n", "a {5} \n", "a {{5}\r\n", "a {5}}\r\n",
		"a {0000000000000000000000000000000000000005}\r\n", "a {5+}\r\n{6}\r\n", "a {5}\r\nb\r\n", "x {9227000000000000000+}\r\n",
	} {
		f.Add([]byte(s), uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, line []byte, cut uint) {
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1] // one line, as Read cuts them
		}
		size, nonSync, ok := trailingLiteral(line)
		if m := literalAtEnd.FindSubmatch(line); m != nil {
			if !ok {
				t.Fatalf("%q: imapserver reads a literal here, the scanner does not", line)
			}
			if nonSync != (len(m[2]) > 0) {
				t.Fatalf("%q: non-synchronizing %v", line, nonSync)
			}
			if n, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil && n != size && (n < hugeLiteral || size != hugeLiteral) {
				t.Fatalf("%q: size %d, want %d", line, size, n)
			} else if err != nil && size != hugeLiteral {
				t.Fatalf("%q: a count too long for int64 read as %d", line, size)
			}
		} else if ok {
			t.Fatalf("%q: the scanner reads a literal (%d, %v) that imapserver does not", line, size, nonSync)
		}
		if size < 0 {
			t.Fatalf("%q: negative literal size %d", line, size)
		}
		// The first piece of a long line handed over, the rest peeked at
		// when its end arrives.
		if len(line) > 0 {
			k := int(cut % uint(len(line)))
			c := &patientConn{}
			for _, b := range line[:k] {
				c.fr.scan.feed(b)
			}
			size2, nonSync2, ok2 := c.peekLiteral(line[k:])
			if size2 != size || nonSync2 != nonSync || ok2 != ok {
				t.Fatalf("%q cut at %d: (%d, %v, %v), whole (%d, %v, %v)", line, k, size2, nonSync2, ok2, size, nonSync, ok)
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
