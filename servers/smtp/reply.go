package smtp

import (
	"fmt"
	"github.com/mailscope/mailscope/tracer"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
)

// Error is an SMTP reply that reports a failure: a reply code (RFC 5321
// section 4.2), an enhanced status code (RFC 3463) and a human text. Handlers
// return it; one place (session.fail) writes it.
type Error struct {
	Code int
	Enh  string // "5.1.1", or "" for none
	Msg  string
	// Close asks the session to end after the reply (421).
	Close bool
	// NotCounted marks a refusal that is no mistake of the client, so it
	// does not count towards MaxErrors (452 for recipients over the limit).
	NotCounted bool
	// Note, when set, is a trace note the session publishes before the
	// reply: why a backend refused (a class limit), in the catalog's words.
	Note *tracer.Msg
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s %s", e.Code, e.Enh, e.Msg) }

// errorf builds an *Error.
func errorf(code int, enh, format string, args ...any) *Error {
	return &Error{Code: code, Enh: enh, Msg: fmt.Sprintf(format, args...)}
}

// Replies used in more than one place.
var (
	errSyntax = &Error{Code: 500, Enh: "5.5.2", Msg: "Syntax error: command not recognized (type HELP for the list)"}
	// RFC 5321 section 4.2.2: 500 covers "command line too long"; its
	// enhanced code is 5.5.2 (RFC 3463 section 3.6, syntax error), not
	// 5.5.6, which RFC 4954 section 6 gives an over-long AUTH exchange line.
	errLineTooLong   = &Error{Code: 500, Enh: "5.5.2", Msg: "Line too long: a command line is at most 512 octets (RFC 5321 section 4.5.3.1.4)"}
	errNeedHelo      = &Error{Code: 503, Enh: "5.5.1", Msg: "Bad sequence of commands: say HELO or EHLO first"}
	errNeedMail      = &Error{Code: 503, Enh: "5.5.1", Msg: "Bad sequence of commands: MAIL FROM first"}
	errNeedRcpt      = &Error{Code: 503, Enh: "5.5.1", Msg: "Bad sequence of commands: no valid recipients, RCPT TO first"}
	errNestedMail    = &Error{Code: 503, Enh: "5.5.1", Msg: "Bad sequence of commands: a message is already started; finish it or RSET"}
	errInTransaction = &Error{Code: 503, Enh: "5.5.1", Msg: "Bad sequence of commands: not during a mail transaction (RSET first)"}
	errTooManyErrors = &Error{Code: 421, Enh: "4.7.0", Msg: "Too many errors in a row, closing the connection", Close: true}
	errTooManyBlank  = &Error{Code: 421, Enh: "4.7.0", Msg: "Too many empty lines in a row, closing the connection", Close: true}
	errInternal      = &Error{Code: 451, Enh: "4.3.0", Msg: "Local error in processing; nothing was stored, try again"}
)

// replyLines formats a (possibly multi-line) reply, RFC 5321 section 4.2.1:
// every line but the last has a dash after the code. A reply is 7-bit
// ASCII (RFC 5321 sections 2.4 and 4.2: the text is HT and %d32-126), so
// the client text a line quotes back (a verb with telnet's 0xFF, a name in
// UTF-8, a control key) is escaped as \xNN here, the one place every reply
// passes.
func replyLines(code int, enh string, lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(fmt.Sprint(code))
		if i < len(lines)-1 {
			b.WriteByte('-')
		} else {
			b.WriteByte(' ')
		}
		if enh != "" {
			b.WriteString(enh)
			b.WriteByte(' ')
		}
		b.WriteString(ascii.Escape(l))
		b.WriteString("\r\n")
	}
	return b.String()
}
