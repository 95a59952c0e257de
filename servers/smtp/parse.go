package smtp

import (
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
)

// command is one parsed command line.
type command struct {
	verb string // upper case
	arg  string // the rest, trimmed
}

// parseCommand splits "MAIL FROM:<a@b>" into verb and argument. The verb is
// case-insensitive (RFC 5321 section 2.4).
func parseCommand(line string) command {
	line = strings.TrimRight(line, " \t")
	verb, arg, _ := strings.Cut(line, " ")
	return command{verb: ascii.Upper(verb), arg: strings.TrimSpace(arg)}
}

// pathArg is a parsed MAIL FROM or RCPT TO argument.
type pathArg struct {
	addr     string            // the mailbox, "" for the null reverse-path <>
	params   map[string]string // ESMTP parameters, keys upper case
	order    []string          // parameter keys as given
	brackets bool              // the address was in angle brackets, as RFC 5321 requires
}

// parsePath reads `FROM:<alice@a.example> SIZE=100` after MAIL (prefix
// "FROM:") or `TO:<bob@b.example>` after RCPT (prefix "TO:"). It is lenient
// about a space after the colon and about missing angle brackets, as most
// servers are, and says so in the reply. It returns a reply error that
// teaches the right syntax.
func parsePath(arg, prefix, verb string) (*pathArg, *Error) {
	syntax := errorf(501, "5.5.4", "Syntax: %s %s<address>, for example %s %s<alice@a.example>", verb, prefix, verb, prefix)
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return nil, syntax
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	p := &pathArg{params: map[string]string{}}
	var addr string
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return nil, errorf(501, "5.1.7", "Syntax: the address has no closing '>'")
		}
		addr, rest = rest[1:end], rest[end+1:]
		p.brackets = true
		if rest != "" && rest[0] != ' ' {
			return nil, syntax
		}
	} else {
		addr, rest, _ = strings.Cut(rest, " ")
	}
	// A source route (<@relay:user@host>) is obsolete; RFC 5321 section 4.1.2 says ignore it.
	if strings.HasPrefix(addr, "@") {
		if i := strings.IndexByte(addr, ':'); i >= 0 {
			addr = addr[i+1:]
		}
	}
	p.addr = addr
	for _, f := range strings.Fields(rest) {
		k, v, _ := strings.Cut(f, "=")
		k = ascii.Upper(k)
		if k == "" {
			return nil, errorf(501, "5.5.4", "Syntax error in parameter %q", f)
		}
		if _, dup := p.params[k]; dup {
			return nil, errorf(501, "5.5.4", "Parameter %s given twice", k)
		}
		p.params[k] = v
		p.order = append(p.order, k)
	}
	if !p.brackets && addr == "" {
		return nil, syntax
	}
	return p, nil
}

// splitAddress splits local@domain; the domain is lower-cased. It reports
// false for a malformed address.
func splitAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 {
		return "", "", false
	}
	local, domain = addr[:i], ascii.Lower(addr[i+1:])
	if !validLocal(local) || !validDomain(domain) {
		return "", "", false
	}
	return local, domain, true
}

// addressFault says, for the reply, what is wrong with an address that
// splitAddress refused: a local part or a domain longer than RFC 5321
// allows (section 4.5.3.1.1: 64 octets; 4.5.3.1.2: 255) is told so, with
// its length, since "write it as user@domain" misleads a client who did.
func addressFault(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i > 0 && i < len(addr)-1 {
		if i > 64 {
			return fmt.Sprintf("its local part (before the @) is %d octets; RFC 5321 section 4.5.3.1.1 allows at most 64", i)
		}
		if n := len(addr) - i - 1; n > 255 {
			return fmt.Sprintf("its domain (after the @) is %d octets; RFC 5321 section 4.5.3.1.2 allows at most 255", n)
		}
	}
	return "write it as user@domain"
}

// validLocal accepts a dot-atom or a quoted string (RFC 5321 section 4.1.2).
func validLocal(s string) bool {
	if len(s) > 64 {
		return false
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		for i := 1; i < len(s)-1; i++ {
			if c := s[i]; c < 0x20 || c == 0x7f {
				return false
			}
		}
		return true
	}
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validDomain accepts a domain name or an address literal like [127.0.0.1].
func validDomain(s string) bool {
	if len(s) > 255 || s == "" {
		return false
	}
	if s[0] == '[' {
		return s[len(s)-1] == ']' && len(s) > 2
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}
