package imap

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
)

// ID (RFC 2971) is answered here, in front of imapserver, which does not
// know it: before login it would answer BAD and close the connection (its
// defence against other protocols' clients). Thunderbird and Apple Mail
// send ID when CAPABILITY lists it, and the trace then shows which client
// a student uses; so it is listed (Write adds it, starttls.go) and
// answered in every state (RFC 2971 section 3.1), with the server's name
// and nothing about the machine. The client's fields are read and
// ignored: RFC 2971 section 3.3 caps them (30 pairs, field names of 30
// octets, values of 1024), and a server may not refuse more, so the line
// may run to maxIDLine.

// maxIDLine bounds an ID command line: 30 pairs of a quoted 30-octet name
// and 1024-octet value take about 32 KiB; more closes the connection.
const maxIDLine = 64 << 10

// idResponse is the server's ID (RFC 2971 section 3.3's field names).
const idResponse = `* ID ("name" "mailscope" "vendor" "mailscope, a teaching playground for email protocols")` + "\r\n"

// isIDCommand reports whether a line that begins a command (as much of it
// as has arrived) is "tag ID" followed by a space or the end of the line.
func isIDCommand(b []byte) bool {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || len(b) < sp+3 || !bytes.EqualFold(b[sp+1:sp+3], []byte("ID")) {
		return false
	}
	return len(b) == sp+3 || b[sp+3] == ' ' || b[sp+3] == '\r' || b[sp+3] == '\n'
}

// answerID reads the rest of an ID command line and answers it.
func (c *patientConn) answerID() error {
	f := &c.fr
	for {
		if i := bytes.IndexByte(f.pending, '\n'); i >= 0 {
			line := append([]byte(nil), f.pending[:i+1]...)
			f.pending = f.pending[i+1:]
			return c.replyID(line)
		}
		if len(f.pending) > maxIDLine {
			f.command(f.pending)
			return c.closeLingering(
				fmt.Sprintf("%s BAD this ID command is longer than %d octets (RFC 2971 section 3.3 caps its fields)\r\n", ascii.Escape(c.fr.replyTag()), maxIDLine),
				"* BYE closing the connection after an overlong line\r\n")
		}
		if f.rerr != nil {
			err := f.rerr
			f.rerr = nil
			return err
		}
		n, err := c.readConn(f.room())
		f.pending = f.pending[:len(f.pending)+n]
		f.rerr = err
	}
}

// replyID answers a whole ID command line.
func (c *patientConn) replyID(line []byte) error {
	c.fr.command(line)
	tag := c.fr.replyTag()
	if size, nonSync, ok := trailingLiteral(line); ok {
		if nonSync {
			return c.closeLingering(fmt.Sprintf("%s BAD send ID's strings quoted, not as literals (RFC 2971)\r\n", ascii.Escape(tag)), refusedBye(size))
		}
		return c.reply("%s BAD send ID's strings quoted, not as literals (RFC 2971)\r\n", tag)
	}
	if why := idSyntax(line); why != "" {
		return c.reply("%s BAD ID takes NIL or a parenthesized list of field and value strings: %s (RFC 2971 section 4)\r\n", tag, why)
	}
	if err := c.reply(idResponse); err != nil {
		return err
	}
	return c.reply("%s OK ID completed\r\n", tag)
}

// idSyntax checks "ID" SP ("(" string SP nstring *(SP string SP nstring)
// ")" / NIL) and says what is wrong, or "".
func idSyntax(line []byte) string {
	args, _ := commandArgs(line)
	if len(args) != 3 {
		return "one argument expected"
	}
	arg := args[2]
	if strings.EqualFold(arg, "NIL") {
		return ""
	}
	if !strings.HasPrefix(arg, "(") || !strings.HasSuffix(arg, ")") {
		return "the argument is neither NIL nor a list"
	}
	inner, _ := commandArgs([]byte("t ID " + arg[1:len(arg)-1]))
	if n := len(inner) - 2; n%2 != 0 {
		return "the list needs pairs of field and value"
	}
	return ""
}
