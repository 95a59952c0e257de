package imap

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mailscope/mailscope/tracer"
)

// Folder names travel in modified UTF-7 (RFC 3501 section 5.1.3): printable
// ASCII stands for itself, "&-" is "&", and anything else is "&", modified
// BASE64 of UTF-16, "-". imapserver decodes a name before the backend sees
// it, and a name that is not valid modified UTF-7 makes it answer
// NO [SERVERBUG] Internal server error. So the front layer (framing.go)
// looks at the folder names of a command line first, and answers itself:
// LIST and LSUB with OK (no folder name can match such a pattern, as
// Dovecot answers), the others with NO saying what is wrong with the name.
// A name sent as a literal is not seen here (its octets come after the
// line); imapserver still answers that one with SERVERBUG.

// mutf7Problem says what is wrong with a folder name in modified UTF-7, or
// "" when it is valid (raw UTF-8 is accepted too, as imapserver does for
// UTF8=ACCEPT).
func mutf7Problem(s string) string {
	if !utf8.ValidString(s) {
		return "it is not valid UTF-8"
	}
	shifted := false // the last thing decoded was a BASE64 run
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return "it holds a control character"
		}
		if c != '&' {
			shifted = false
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "an & begins a BASE64 run that no - ends (write & itself as &-)"
		}
		run := s[i+1 : i+1+end]
		i += end + 1
		if run == "" {
			shifted = false // "&-" is "&"
			continue
		}
		if shifted {
			return "two BASE64 runs follow each other (&...-&...-): they must be one"
		}
		if why := base64RunProblem(run); why != "" {
			return why
		}
		shifted = true
	}
	return ""
}

// mutf7Encoding is modified BASE64: "," instead of "/", no padding.
var mutf7Encoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// base64RunProblem checks one run between "&" and "-".
func base64RunProblem(run string) string {
	b, err := mutf7Encoding.Strict().DecodeString(run)
	if err != nil || len(b)%2 == 1 {
		return "&" + run + "- is not modified BASE64 of UTF-16 (write & itself as &-)"
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		switch {
		case utf16.IsSurrogate(r):
			if i+1 == len(units) || utf16.DecodeRune(r, rune(units[i+1])) == utf8.RuneError {
				return "&" + run + "- holds a broken UTF-16 surrogate pair"
			}
			i++
		case r >= 0x20 && r <= 0x7e:
			return "&" + run + "- encodes the printable ASCII character " + string(r) + ", which must stand for itself"
		}
	}
	return ""
}

// mailboxArgs are the positions of the folder names among a command's
// arguments (after the tag and the command name; for UID COPY and UID
// MOVE, after "UID COPY").
var mailboxArgs = map[string][]int{
	"SELECT": {0}, "EXAMINE": {0}, "CREATE": {0}, "DELETE": {0}, "SUBSCRIBE": {0},
	"UNSUBSCRIBE": {0}, "STATUS": {0}, "APPEND": {0}, "RENAME": {0, 1},
	"LIST": {0, 1}, "LSUB": {0, 1}, "COPY": {1}, "MOVE": {1},
}

// badFolderName looks at the folder names of a command line that needs no
// literal and returns the command, the name and what is wrong with it, or
// ok false when nothing is.
func badFolderName(line []byte) (cmd, name, why string, ok bool) {
	args, complete := commandArgs(line)
	if len(args) < 2 || !complete {
		// A line with a literal is left to imapserver: a refusal here
		// would have the octets of a non-synchronizing one read as
		// commands.
		return "", "", "", false
	}
	cmd = strings.ToUpper(args[1])
	rest := args[2:]
	if cmd == "UID" && len(rest) > 0 {
		cmd = "UID " + strings.ToUpper(rest[0])
		rest = rest[1:]
	}
	positions := mailboxArgs[strings.TrimPrefix(cmd, "UID ")]
	if strings.HasPrefix(cmd, "UID ") && cmd != "UID COPY" && cmd != "UID MOVE" {
		positions = nil
	}
	if (cmd == "LIST" || cmd == "LSUB") && len(rest) > 0 && strings.HasPrefix(rest[0], "(") {
		rest = rest[1:] // LIST's selection options (RFC 5258)
	}
	for _, p := range positions {
		if p >= len(rest) {
			continue
		}
		if why := mutf7Problem(rest[p]); why != "" && !strings.HasPrefix(rest[p], "(") {
			return cmd, rest[p], why, true
		}
	}
	return "", "", "", false
}

// commandArgs splits a command line into its words: atoms as they are,
// quoted strings unquoted, a parenthesized list as one word (with its
// parentheses). complete is false when the line ends in a literal.
func commandArgs(line []byte) (args []string, complete bool) {
	l := string(bytes.TrimRight(line, "\r\n"))
	for i := 0; i < len(l); {
		switch c := l[i]; {
		case c == ' ':
			i++
		case c == '"':
			var b strings.Builder
			for i++; i < len(l) && l[i] != '"'; i++ {
				if l[i] == '\\' && i+1 < len(l) {
					i++
				}
				b.WriteByte(l[i])
			}
			i++
			args = append(args, b.String())
		case c == '(':
			depth, j := 0, i
			for ; j < len(l); j++ {
				if l[j] == '(' {
					depth++
				} else if l[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			args = append(args, l[i:min(j+1, len(l))])
			i = j + 1
		case c == '{':
			return args, false
		default:
			j := strings.IndexByte(l[i:], ' ')
			if j < 0 {
				j = len(l) - i
			}
			args = append(args, l[i:i+j])
			i += j
		}
	}
	return args, true
}

// refuseFolderName answers a command whose folder name is not valid
// modified UTF-7, in imapserver's place, and tells the trace why.
func (c *patientConn) refuseFolderName(cmd, name, why string) error {
	shown := printable(name, 60)
	tag := c.fr.replyTag()
	var err error
	if cmd == "LIST" || cmd == "LSUB" {
		err = c.reply("%s OK %s completed: no folder matches %s, which is not valid modified UTF-7: %s (RFC 3501 section 5.1.3)\r\n", tag, cmd, shown, why)
	} else {
		code := "NONEXISTENT"
		if cmd == "CREATE" || cmd == "RENAME" {
			code = "CANNOT"
		}
		err = c.reply("%s NO [%s] %s is not a valid folder name in modified UTF-7: %s (RFC 3501 section 5.1.3)\r\n", tag, code, shown, why)
	}
	c.diagnose("mutf7", tracer.M("diag.imap.mutf7", "name", shown, "why", why), &tracer.Explanation{Key: "diag.imap.mutf7.hint"})
	return err
}
