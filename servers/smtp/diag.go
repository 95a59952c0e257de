package smtp

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// What a teaching assistant would say about a likely mistake of the person
// at the keyboard (issue 14): each is a tracer.KindDiagnostic event whose
// Msg says what happened and whose explanation says what to do, in the
// catalog (tracer/explain_diag_smtp.go). The checks are cheap: a scan of a
// command line for control characters, a look at the header section's
// first lines, flags set by the replies to DATA. The replies themselves do
// not change for them, except that empty lines are not errors in a row.

// The names of the mistakes (Attrs[tracer.AttrDiag]).
const (
	diagNoBlankLine  = "no-blank-line" // the body's first line became a header line
	diagMessageEnded = "message-ended" // lines typed after the "." that ended the message
	diagNoDataMode   = "no-data-mode"  // the message typed after a refused DATA
	diagBackspace    = "backspace"     // 0x08 or DEL inside a command line
	diagArrowKey     = "arrow-key"     // ESC [ A (and B, C, D) inside a command line
	diagTelnetIAC    = "telnet-iac"    // telnet option negotiation (0xFF ...)
	diagControlChar  = "control-char"  // another C0 control inside a command line
	diagNoDomain     = "no-domain"     // MAIL FROM: alice, RCPT TO:<bob>
	diagWrongServer  = "wrong-server"  // a recipient of another domain sent to a server that is not the sender's
	diagUnknownUser  = "unknown-user"  // a local part that is no mailbox here
	maxQuoted        = 80              // octets of a line quoted in a diagnostic
)

// Directory is implemented by backends that know the world's users, for
// the diagnostics of address mistakes: the users of this server (after a
// 550 for an unknown recipient) and where a user of any server lives (an
// address without a domain).
type Directory interface {
	// Users are the names of this server's users.
	Users() []string
	// AddressOf finds a user of the world by name: "bob" -> "bob@b.example".
	AddressOf(name string) (addr string, ok bool)
	// ServerOf names the server of a domain in the world's directory (the
	// simulated MX lookup): "a.example" -> "A".
	ServerOf(domain string) (name string, ok bool)
}

// diagnose publishes a diagnostic: the mistake's name, what happened (msg)
// and the catalog key of what to do, filled with msg's arguments. A
// message relayed from another server of this world (its trace id came as
// the envelope id, see handleMail) has no one at the keyboard: what is
// wrong with it was said on its first hop.
func (s *session) diagnose(diag string, msg *tracer.Msg, hint string) {
	if s.traceID != s.id {
		return
	}
	s.trace.Emit(&tracer.Event{
		Kind:    tracer.KindDiagnostic,
		Msg:     msg,
		Explain: &tracer.Explanation{Key: hint, Args: msg.Args},
		Attrs:   map[string]string{tracer.AttrDiag: diag},
	})
}

// quote is wire text fit for a diagnostic: escaped and cut.
func quote(b string) string { return tracer.Printable(truncate(b, maxQuoted)) }

// controlChars says what a terminal sent when a command line holds control
// characters: telnet option negotiation (IAC, RFC 854), an arrow key (ESC
// [ A, as VT100 terminals send it), a Backspace or DEL key, or another C0
// control (a tab is allowed). It reports false for a clean line. The
// initial response of an AUTH line is a credential: it is masked as the
// trace masks it ("AUTH PLAIN ****").
func (s *session) controlChars(line string, cmd command) bool {
	ctl := strings.IndexFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
	iac := telnetIAC(line)
	if ctl < 0 && !iac {
		return false
	}
	q := quote(line)
	if mech, ir, ok := strings.Cut(cmd.arg, " "); cmd.verb == "AUTH" && ok && ir != "" {
		q = quote(line[:strings.IndexByte(line, ' ')] + " " + mech + " ****")
	}
	switch {
	case iac:
		s.diagnose(diagTelnetIAC, tracer.M("smtp.diag.telnet-iac", "line", q), "smtp.diag.telnet-iac.hint")
	case strings.Contains(line, "\x1b[") || strings.Contains(line, "\x1bO"):
		s.diagnose(diagArrowKey, tracer.M("smtp.diag.arrow-key", "line", q), "smtp.diag.arrow-key.hint")
	case strings.ContainsAny(line, "\x08\x7f"):
		code := `\x08`
		if !strings.ContainsRune(line, '\x08') {
			code = `\x7f`
		}
		s.diagnose(diagBackspace, tracer.M("smtp.diag.backspace", "line", q, "code", code), "smtp.diag.backspace.hint")
	default:
		s.diagnose(diagControlChar, tracer.M("smtp.diag.control-char", "line", q, "code", fmt.Sprintf(`\x%02x`, line[ctl])), "smtp.diag.control-char.hint")
	}
	return true
}

// telnetIAC reports whether line holds a telnet command: IAC (0xFF) and a
// command octet from SE (0xF0) to DONT (0xFE), RFC 854 page 14. A lone
// 0xFF is 8-bit text.
func telnetIAC(line string) bool {
	for i := strings.IndexByte(line, 0xff); i >= 0 && i+1 < len(line); {
		if line[i+1] >= 0xf0 && line[i+1] < 0xff {
			return true
		}
		j := strings.IndexByte(line[i+2:], 0xff)
		if j < 0 {
			return false
		}
		i += 2 + j
	}
	return false
}

// strayLine explains a line the server could not take as a command when the
// session's recent history says why: DATA was refused (noData names the
// reason's catalog key), or the message ended at a "." just before
// (afterData is its queue id). It reports whether it said something.
func (s *session) strayLine(line, afterData, noData string) bool {
	verb := quote(line)
	switch {
	case noData != "":
		s.diagnose(diagNoDataMode, tracer.M(noData, "verb", verb), "smtp.diag.no-data-mode.hint")
	case afterData != "":
		s.diagnose(diagMessageEnded, tracer.M("smtp.diag.message-ended", "verb", verb, "id", afterData), "smtp.diag.message-ended.hint")
	case s.state >= stateMail && looksLikeHeader(line):
		// A header line typed in the middle of a transaction: DATA was
		// never typed.
		s.diagnose(diagNoDataMode, tracer.M("smtp.diag.no-data-mode.none", "verb", verb), "smtp.diag.no-data-mode.hint")
	default:
		return false
	}
	return true
}

// refuseData refuses DATA before the 354 and remembers why, for the lines
// the student goes on to type as the message (strayLine).
func (s *session) refuseData(why string, e *Error) error {
	s.noData = why
	return e
}

// headerCheck watches the start of a message for its first line that is
// neither a header line nor the blank line that ends them (RFC 5322
// section 2.1): a body typed without the blank line. Only the header
// section's lines are looked at; after the first blank or odd line it is
// done.
type headerCheck struct {
	done    bool
	n       int    // lines seen
	headers int    // header lines seen
	bad     string // the first body line that came among the header lines
	at      int    // its line number
}

func (h *headerCheck) line(content []byte) {
	if h.done {
		return
	}
	h.n++
	switch {
	case len(content) == 0:
		h.done = true
	case content[0] == ' ' || content[0] == '\t':
		// A folded header line (RFC 5322 section 2.2.3); before any
		// header line, the message has no header section at all.
		h.done = h.headers == 0
	case isHeaderField(content):
		h.headers++
	default:
		if h.headers > 0 {
			h.bad, h.at = string(content[:min(len(content), maxQuoted)]), h.n
		}
		h.done = true
	}
}

// isHeaderField reports whether line starts with a field name and a colon:
// printable US-ASCII but the colon (RFC 5322 section 3.6.8, ftext).
func isHeaderField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// isBareLocal reports whether addr is a mailbox name without "@domain".
func isBareLocal(addr string) bool {
	return !strings.Contains(addr, "@") && validLocal(addr)
}

// addressFor is the whole address to suggest for a bare local part: the
// world's user of that name, else a user of this server, else "".
func (s *session) addressFor(local string) string {
	if d, ok := s.srv.Backend.(Directory); ok {
		if a, ok := d.AddressOf(local); ok {
			return a
		}
	}
	if _, ok := s.srv.Backend.LocalUser(local); ok {
		return local + "@" + s.srv.Domain
	}
	return ""
}

// noDomainError refuses an address without a domain after MAIL FROM
// (553 5.1.7) or RCPT TO (501 5.1.3), with the whole address when one is
// known, and explains it.
func (s *session) noDomainError(verb, local string) *Error {
	code, enh, what := 501, "5.1.3", "recipient"
	if verb == "MAIL FROM:" {
		code, enh, what = 553, "5.1.7", "sender"
	}
	example := s.addressFor(local)
	q := tracer.Printable(truncate(local, 80))
	if example == "" {
		s.diagnose(diagNoDomain, tracer.M("smtp.diag.no-domain.any", "verb", verb, "addr", q, "own", s.srv.Domain), "smtp.diag.no-domain.any.hint")
		return errorf(code, enh, "<%s>: %s address has no domain: write the whole address in angle brackets, %s<%s@domain> (this server's domain is %s; RFC 5321 section 4.1.2)", q, what, verb, q, s.srv.Domain)
	}
	s.diagnose(diagNoDomain, tracer.M("smtp.diag.no-domain", "verb", verb, "addr", q, "example", example), "smtp.diag.no-domain.hint")
	return errorf(code, enh, "<%s>: %s address has no domain: write the whole address in angle brackets, like %s<%s> (RFC 5321 section 4.1.2)", q, what, verb, example)
}

// unknownUser explains a 550 for a local part that is no mailbox here,
// naming the server's users and the nearest one, or the server where a
// user of that name lives, when the backend knows them (Directory).
func (s *session) unknownUser(local string) {
	d, ok := s.srv.Backend.(Directory)
	if !ok {
		return
	}
	users := d.Users()
	if len(users) == 0 {
		return
	}
	list := make([]string, len(users))
	near, best := users[0], len(local)+len(users[0])
	for i, u := range users {
		list[i] = u + "@" + s.srv.Domain
		if d := editDistance(strings.ToLower(local), strings.ToLower(u)); d < best {
			near, best = u, d
		}
	}
	if addr, ok := d.AddressOf(local); ok {
		// A user of another server: bob@a.example for bob@b.example.
		args := []string{"host", s.srv.hostname(), "local", quote(local), "users", strings.Join(list, ", "), "example", addr}
		s.diagnose(diagUnknownUser, tracer.M("smtp.diag.unknown-user.elsewhere", args...), "smtp.diag.unknown-user.hint")
		return
	}
	args := []string{"host", s.srv.hostname(), "local", quote(local), "users", strings.Join(list, ", "), "example", near + "@" + s.srv.Domain}
	if best <= 2 {
		s.diagnose(diagUnknownUser, tracer.M("smtp.diag.unknown-user.near", append(args, "near", near+"@"+s.srv.Domain)...), "smtp.diag.unknown-user.hint")
		return
	}
	s.diagnose(diagUnknownUser, tracer.M("smtp.diag.unknown-user", args...), "smtp.diag.unknown-user.hint")
}

// editDistance is the Levenshtein distance of two short names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// wrongServer explains a recipient of another domain given to this server
// by a client that did not log in: refused (not trusted), or relayed only
// because the client is on a trusted network while the sender is no user
// of this server's domain.
//
// Both name the servers as the world does (server A, server B): a student
// connected to the wrong one reads which one it is and which one the
// sender belongs to.
func (s *session) wrongServer(addr, domain string, relayed bool) {
	args := []string{"addr", quote(addr), "domain", domain, "host", s.srv.hostname(), "own", s.srv.Domain, "server", s.srv.Name}
	if !relayed {
		s.diagnose(diagWrongServer, tracer.M("smtp.diag.wrong-server", args...), "smtp.diag.wrong-server.hint")
		return
	}
	fromUser, fromDomain, ok := splitAddress(s.from)
	if !ok || strings.EqualFold(fromDomain, s.srv.Domain) {
		return // the null sender (a bounce) or one of ours: a relay as it should be
	}
	args = append(args, "from", quote(s.from), "from_domain", fromDomain, "from_user", quote(fromUser))
	key := "smtp.diag.wrong-server.trusted.foreign"
	if d, ok := s.srv.Backend.(Directory); ok {
		if name, ok := d.ServerOf(fromDomain); ok {
			key = "smtp.diag.wrong-server.trusted"
			args = append(args, "from_server", name)
		}
	}
	s.diagnose(diagWrongServer, tracer.M(key, args...), "smtp.diag.wrong-server.trusted.hint")
}
