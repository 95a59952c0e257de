package imap

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"unicode"

	"github.com/emersion/go-imap/v2"

	"github.com/mailscope/mailscope/tracer"
)

// A student's likely IMAP mistakes (issue 14) get a diagnostic event: what
// happened (Msg) and what to do (the hint, the event's explanation), in the
// trace's language, after the response that answers the mistake.
// Attrs["diag"] names the mistake for lessons and tests.
//
//   - A command without a tag ("LOGIN bob bob") is answered here, in front
//     of imapserver, which would take LOGIN for the tag, answer BAD and,
//     before login, close the connection (its defence against other
//     protocols' clients). A student is told, with * BAD, to write a tag,
//     and keeps the connection; after maxUntagged such lines in a row the
//     connection is closed all the same. The line never reaches imapserver,
//     and nothing of it is repeated but the command name and, for LOGIN,
//     the user name: the password stays out of the response and the trace
//     (the tap's framer masks the line itself).
//   - A tagged DONE during IDLE ("a10 DONE"): imapserver ends the IDLE with
//     BAD; the diagnostic says that DONE has no tag.
//   - A folder name that differs from an existing one in case only
//     ("COPY 1 homework" after "CREATE Homework"): the backend, answering
//     NO [TRYCREATE] or [NONEXISTENT], names the folder meant.

// maxUntagged is how many lines without a tag in a row are answered with
// * BAD; the next one closes the connection.
const maxUntagged = 3

// imapCommands are the command names imapserver knows (and UID, the
// prefix of UID FETCH ...): a line that begins with one of them, followed
// by a word that is not one, has no tag. imapserver would read such a line
// as tag and unknown command, and refuse it, so answering it here changes
// the outcome of no valid command.
var imapCommands = map[string]bool{
	"CAPABILITY": true, "NOOP": true, "CHECK": true, "LOGOUT": true, "STARTTLS": true,
	"AUTHENTICATE": true, "UNAUTHENTICATE": true, "LOGIN": true, "ENABLE": true,
	"CREATE": true, "DELETE": true, "RENAME": true, "SUBSCRIBE": true, "UNSUBSCRIBE": true,
	"STATUS": true, "LIST": true, "LSUB": true, "NAMESPACE": true, "IDLE": true,
	"SELECT": true, "EXAMINE": true, "CLOSE": true, "UNSELECT": true, "APPEND": true,
	"FETCH": true, "EXPUNGE": true, "STORE": true, "COPY": true, "MOVE": true,
	"SEARCH": true, "UID": true,
}

// untaggedCommand returns the command name a line without a tag begins
// with, or "" when the line has a tag (or ends in a literal, which
// imapserver is left to refuse: the client waits for its + or sends the
// octets anyway).
func untaggedCommand(line []byte) string {
	fs := bytes.Fields(line)
	if len(fs) == 0 {
		return ""
	}
	first := strings.ToUpper(string(fs[0]))
	if first == "DONE" && len(fs) == 1 {
		// DONE with no IDLE under way (typed twice, or after the IDLE
		// ended): imapserver would take it for a tag without a command
		// and close the connection without a word.
		return first
	}
	if !imapCommands[first] {
		return ""
	}
	if len(fs) > 1 && imapCommands[strings.ToUpper(string(fs[1]))] {
		return ""
	}
	if _, _, ok := trailingLiteral(line); ok {
		return ""
	}
	return first
}

// refuseUntagged answers a line without a tag that Read took away from
// imapserver: * BAD with an example (RFC 9051 section 7.1.3: an untagged
// BAD for a line whose command cannot be told), or, after maxUntagged in a
// row, * BYE and the close.
func (c *patientConn) refuseUntagged(cmd string, line []byte) error {
	c.fr.untagged++
	if cmd == "DONE" && c.fr.untagged <= maxUntagged {
		if err := c.reply("* BAD DONE ends an IDLE, and no IDLE is under way: this line was not run (RFC 2177)\r\n"); err != nil {
			return err
		}
		c.diagnose("done-no-idle", tracer.M("diag.imap.done-no-idle"), &tracer.Explanation{Key: "diag.imap.done-no-idle.hint"})
		return nil
	}
	example, hint := tagExample(cmd, line)
	if c.fr.untagged > maxUntagged {
		c.reply("* BYE too many lines without a tag: closing the connection (IMAP commands start with a tag, like %s)\r\n", example)
		c.diagnose("no-tag", tracer.M("diag.imap.notag.closed", "count", strconv.Itoa(c.fr.untagged)), hint)
		return c.closeLingering()
	}
	if err := c.reply("* BAD IMAP commands start with a tag, like %s: this line was not run (RFC 9051 section 2.2.1)\r\n", example); err != nil {
		return err
	}
	c.diagnose("no-tag", tracer.M("diag.imap.notag", "cmd", cmd), hint)
	return nil
}

// tagExample is the line as it should have been typed, for the response
// and the hint. Nothing that may be a credential is repeated: LOGIN keeps
// its user name and shows <password>, AUTHENTICATE its mechanism.
func tagExample(cmd string, line []byte) (string, *tracer.Explanation) {
	fs := bytes.Fields(line)
	arg := func(i int) string {
		if i < len(fs) && isPlainAtom(fs[i]) {
			return string(fs[i])
		}
		return ""
	}
	switch cmd {
	case "LOGIN":
		user := arg(1)
		if user == "" {
			user = "name"
		}
		return "a1 LOGIN " + user + " <password>",
			&tracer.Explanation{Key: "diag.imap.notag.login.hint", Args: map[string]string{"user": user}}
	case "AUTHENTICATE":
		mech := arg(1)
		if mech == "" {
			mech = "PLAIN"
		}
		ex := "a1 AUTHENTICATE " + mech
		return ex, &tracer.Explanation{Key: "diag.imap.notag.hint", Args: map[string]string{"example": ex}}
	}
	ex := "a1 " + cmd
	if l := bytes.TrimRight(line, "\r\n"); len(l) <= 60 && isPrintableASCII(l) {
		ex = "a1 " + string(bytes.TrimSpace(l))
	} else if len(fs) > 1 {
		ex += " ..."
	}
	return ex, &tracer.Explanation{Key: "diag.imap.notag.hint", Args: map[string]string{"example": ex}}
}

// isPlainAtom reports whether b is a short atom of printable ASCII, fit to
// repeat: no quotes, no literal, no control characters.
func isPlainAtom(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '{' || c == '}' || c == '\\' || c == '(' || c == ')' {
			return false
		}
	}
	return true
}

func isPrintableASCII(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// watchIdle looks at a line sent during IDLE, before imapserver reads it:
// DONE in lower case is DONE (RFC 2177 section 3's grammar is case-
// insensitive, imapserver wants it in capitals), and a tagged DONE is
// remembered, to be diagnosed after imapserver's BAD.
func (c *patientConn) watchIdle(line []byte) {
	l := bytes.TrimRight(line, "\r\n")
	if bytes.EqualFold(l, []byte("DONE")) {
		copy(l, "DONE")
		return
	}
	fs := bytes.Fields(l)
	if len(fs) == 2 && bytes.EqualFold(fs[1], []byte("DONE")) {
		tag := "a10"
		if isPlainAtom(fs[0]) {
			tag = string(fs[0])
		}
		c.afterTagged(c.diagEvent("done-tag", tracer.M("diag.imap.done-tag", "tag", tag),
			&tracer.Explanation{Key: "diag.imap.done-tag.hint", Args: map[string]string{"idletag": c.fr.replyTag()}}))
		return
	}
	// Another command typed during IDLE (the lesson's next one, "a10
	// LOGOUT", before DONE): imapserver ends the IDLE with BAD and does
	// not run it.
	if len(fs) >= 2 && isPlainAtom(fs[0]) && isPlainAtom(fs[1]) {
		line := printable(string(l), 80)
		verb := strings.ToUpper(string(fs[1]))
		c.afterTagged(c.diagEvent("idle-command", tracer.M("diag.imap.idle-command", "line", line, "verb", verb),
			&tracer.Explanation{Key: "diag.imap.idle-command.hint", Args: map[string]string{"verb": verb, "idletag": c.fr.replyTag()}}))
	}
}

// diagEvent builds a diagnostic event.
func (c *patientConn) diagEvent(diag string, msg *tracer.Msg, hint *tracer.Explanation) *tracer.Event {
	return &tracer.Event{Kind: tracer.KindDiagnostic, Msg: msg, Explain: hint, Attrs: map[string]string{tracer.AttrDiag: diag}}
}

// diagnose publishes a diagnostic now.
func (c *patientConn) diagnose(diag string, msg *tracer.Msg, hint *tracer.Explanation) {
	c.emit(c.diagEvent(diag, msg, hint))
}

// emit publishes e on the connection's trace session.
func (c *patientConn) emit(e *tracer.Event) {
	if tc, ok := c.Conn.(*tracer.Conn); ok {
		tc.Session().Emit(e)
	}
}

// afterTagged keeps e until imapserver has written its next tagged
// response (Write), so that the trace shows the response, then the remark.
func (c *patientConn) afterTagged(e *tracer.Event) {
	c.pendingDiag.Store(e)
}

// noFolder is called when a command names a folder that does not exist: a
// folder whose name differs only in case is the one the student meant
// (folder names are case-sensitive here; RFC 9051 section 5.1 makes only
// INBOX case-insensitive everywhere). It returns that folder's name, for
// the reply to name it too (a telnet user sees only the reply), or "".
func (s *session) noFolder(ctx context.Context, name string) string {
	all, err := s.srv.Store.Mailboxes(ctx, s.srv.Name, s.user)
	if err != nil {
		return ""
	}
	for _, mb := range all {
		if mb.Name != name && strings.EqualFold(mb.Name, name) {
			typed, existing := printable(name, 100), printable(mb.Name, 100)
			e := &tracer.Event{Kind: tracer.KindDiagnostic,
				Msg: tracer.M("diag.imap.folder-case", "typed", typed, "existing", existing),
				Explain: &tracer.Explanation{Key: "diag.imap.folder-case.hint",
					Args: map[string]string{"typed": typed, "existing": existing}},
				Attrs: map[string]string{tracer.AttrDiag: "folder-case"}}
			if s.pc != nil {
				s.pc.afterTagged(e)
			} else {
				s.trace.Emit(e)
			}
			return mb.Name
		}
	}
	return ""
}

// noFolderErr is the NO for a folder that does not exist: when one differs
// only in case, the reply names it ("COPY 1 homework" after "CREATE
// Homework" was told to CREATE it first); else code's reply.
func noFolderErr(code imap.ResponseCode, name, near string) *imap.Error {
	if near != "" {
		return no(code, "there is no folder named %q, but there is %q: folder names are case-sensitive", name, near)
	}
	if code == imap.ResponseCodeTryCreate {
		return no(code, "there is no folder named %q: CREATE it first", name)
	}
	return no(code, "there is no folder named %q", name)
}

// printable shortens a name to n runes and replaces what a terminal would
// act on (control characters, invisible formatting) with '?'.
func printable(s string, n int) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i == n {
			b.WriteString("...")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
