package pop3

import "strings"

// Line limits.
const (
	// maxCommandLine is RFC 2449 section 4's limit for a command, CRLF included.
	maxCommandLine = 255
	// maxAuthLine bounds a SASL response after "+ ": RFC 5034 section 4 lifts
	// the 255-octet limit for it, so we pick a generous bound of our own.
	maxAuthLine = 12288
	// maxArg is RFC 2449 section 4's limit for one argument.
	maxArg = 40
)

// command is one parsed command line (RFC 1939 section 3): a keyword of
// three or four characters, case-insensitive, and arguments separated by
// spaces.
type command struct {
	verb string   // upper case
	args []string // split at runs of spaces and tabs
	rest string   // everything after the separator following the keyword, as typed
}

// parseCommand splits a line (without its CRLF) into keyword and arguments.
// It never fails: a keyword that is not a command is the dispatcher's
// business.
func parseCommand(line string) command {
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return command{verb: upperASCII(line)}
	}
	rest := line[i+1:]
	return command{verb: upperASCII(line[:i]), args: strings.Fields(rest), rest: rest}
}

// upperASCII upper-cases ASCII letters only: keywords are ASCII, and other
// bytes must come back as they were, not as replacement characters.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'a' && c <= 'z' {
					b[j] = c - 'a' + 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// parseNumber reads a decimal number of digits only (no sign, no spaces).
// Numbers too big for the maildrop saturate at maxNumber rather than wrap.
func parseNumber(s string) (int, bool) {
	if s == "" || len(s) > maxArg {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= maxNumber/10 {
			n = n*10 + int(c-'0')
		} else {
			n = maxNumber
		}
	}
	if n > maxNumber {
		n = maxNumber
	}
	return n, true
}

// maxNumber is larger than any maildrop or message has lines.
const maxNumber = 1 << 30
