package pop3

import (
	"fmt"

	"github.com/mailscope/mailscope/servers/internal/ascii"
)

// Response codes (RFC 2449 section 8, RFC 3206), written in brackets right
// after -ERR so that a client can tell why a command failed without parsing
// the human text.
const (
	codeInUse   = "IN-USE"   // RFC 2449 section 8.1.2: the maildrop is locked by another session
	codeAuth    = "AUTH"     // RFC 3206 section 4: the credentials were wrong
	codeSysTemp = "SYS/TEMP" // RFC 3206 section 3: a passing system problem, try again
	codeSysPerm = "SYS/PERM" // RFC 3206 section 3: a lasting system problem
)

// Error is a -ERR response: an optional response code and a text that says
// what went wrong and why. Handlers return it; one place (session.fail)
// writes it.
type Error struct {
	Code string // "IN-USE", "AUTH", "SYS/TEMP", "SYS/PERM" or ""
	Msg  string
	// Close asks the session to end after the response.
	Close bool
}

// Error returns the response line, "-ERR [CODE] text".
func (e *Error) Error() string { return e.line() }

// line is the response line without CRLF: "-ERR [IN-USE] text".
func (e *Error) line() string {
	if e.Code == "" {
		return "-ERR " + e.Msg
	}
	return "-ERR [" + e.Code + "] " + e.Msg
}

// errorf builds an *Error.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Responses used in more than one place.
var (
	errLineTooLong   = &Error{Msg: fmt.Sprintf("line too long: a POP3 command is at most %d octets including CRLF (RFC 2449 section 4); it was ignored", maxCommandLine)}
	errTooManyErrors = &Error{Msg: "too many errors in a row: closing the connection (messages marked with DELE stay: only QUIT deletes)", Close: true}
	errInternal      = &Error{Code: codeSysTemp, Msg: "internal error in the server; nothing was changed, try again"}
	errShuttingDown  = &Error{Code: codeSysTemp, Msg: "the server is shutting down: closing the connection; nothing was deleted (no QUIT, no UPDATE), try again later", Close: true}
	errAuthFailed    = &Error{Code: codeAuth, Msg: "authentication failed: wrong user name or password; you are still in AUTHORIZATION state, try again"}
)

// needLogin is the answer to a TRANSACTION command sent before login.
func needLogin(verb string) *Error {
	return errorf("", "%s needs a login first: this session is in AUTHORIZATION state; log in with USER and PASS (or APOP, AUTH PLAIN)", verb)
}

// alreadyIn is the answer to an AUTHORIZATION command sent after login.
func alreadyIn(verb, user string) *Error {
	return errorf("", "%s is only allowed before login (AUTHORIZATION state); you are already logged in as %s", verb, user)
}

// noArgs is the answer to arguments after a command that takes none.
func noArgs(verb string) *Error {
	return errorf("", "syntax: %s takes no argument; type just %s", verb, verb)
}

// plural writes "1 message" or "2 messages".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// truncate shortens client text echoed in a response: responses are at most
// 512 octets (RFC 2449 section 4).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// safe makes client text fit for a response line: cut to n octets, and
// every octet that is not printable ASCII written as \xNN (responses are
// printable ASCII, RFC 2449 section 4), so the response shows what the
// client sent (telnet's 0xFF, a control key) without sending it back.
func safe(s string, n int) string { return ascii.Escape(truncate(s, n)) }
