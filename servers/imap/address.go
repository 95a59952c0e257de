package imap

import (
	"mime"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// An address list as ENVELOPE and SEARCH FROM/TO/CC see it (RFC 5322
// section 3.4, with section 4.4's obsolete syntax: comments anywhere,
// source routes). go-imap's ExtractEnvelope drops groups and gives up on
// much of the obsolete syntax; this parser keeps groups as RFC 3501
// section 7.4.2 writes them: a start marker (NIL NIL "name" NIL), the
// members, an end marker (NIL NIL NIL NIL). It never fails: what it cannot
// read it skips, as Dovecot's message-address parser does.

// addrToken is one lexical token of an address header.
type addrToken struct {
	kind byte   // 'a' atom (with dots), 'q' quoted string, 'c' comment, or a special: < > @ , ; : [
	text string // atom, quoted string without quotes, comment text, domain literal
}

// lexAddresses cuts an (unfolded) address header into tokens.
func lexAddresses(s string) []addrToken {
	var out []addrToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"':
			var b strings.Builder
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			i++
			out = append(out, addrToken{kind: 'q', text: b.String()})
		case c == '(':
			var b strings.Builder
			depth := 0
			for ; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if s[i] == '(' {
					depth++
					if depth == 1 {
						continue
					}
				}
				if s[i] == ')' {
					depth--
					if depth == 0 {
						i++
						break
					}
				}
				b.WriteByte(s[i])
			}
			out = append(out, addrToken{kind: 'c', text: strings.TrimSpace(b.String())})
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				j = len(s) - i - 1
			}
			out = append(out, addrToken{kind: 'a', text: s[i : i+j+1]})
			i += j + 1
		case strings.IndexByte("<>@,;:", c) >= 0:
			out = append(out, addrToken{kind: c})
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n\"()<>@,;:[", s[j]) < 0 {
				j++
			}
			if j == i {
				i++ // a stray ")": skipped
				continue
			}
			out = append(out, addrToken{kind: 'a', text: s[i:j]})
			i = j
		}
	}
	return out
}

// addrParser reads tokens into imap.Addresses.
type addrParser struct {
	toks []addrToken
	pos  int
	out  []imap.Address
	// routes: keep an address's source route for ENVELOPE, marked in its
	// mailbox (see routeMark), instead of dropping it.
	routes bool
}

func (p *addrParser) peek() byte {
	if p.pos >= len(p.toks) {
		return 0
	}
	return p.toks[p.pos].kind
}

// parseAddressList reads an address list; groups get their markers.
func parseAddressList(value string) []imap.Address {
	p := &addrParser{toks: lexAddresses(value)}
	p.list(false)
	return p.out
}

// envelopeAddressList is parseAddressList for ENVELOPE: a source route
// is kept, marked in the mailbox for the connection to write (routeMark).
func envelopeAddressList(value string) []imap.Address {
	p := &addrParser{toks: lexAddresses(value), routes: true}
	p.list(false)
	return p.out
}

// list reads addresses and groups up to the end, or up to the ";" that
// ends the group it is in.
func (p *addrParser) list(inGroup bool) {
	for p.pos < len(p.toks) {
		switch p.peek() {
		case ',':
			p.pos++
		case ';':
			if inGroup {
				return
			}
			p.pos++
		default:
			p.element(inGroup)
		}
	}
}

// element reads one mailbox (name-addr or addr-spec) or, outside a group,
// one group.
func (p *addrParser) element(inGroup bool) {
	var words []string
	comment := ""
	for {
		t := p.peek()
		switch {
		case t == 0 || t == ',' || t == ';':
			if len(words) > 0 {
				// A lone local part ("undisclosed-recipients"): a mailbox
				// without a host.
				p.add(imap.Address{Name: comment, Mailbox: strings.Join(words, "")})
			}
			return
		case t == '<':
			p.pos++
			route, local, host := p.angleAddr()
			name := decodeWords(strings.Join(words, " "))
			if name == "" {
				name = comment
			}
			if p.routes {
				local = withRoute(route, local)
			}
			p.add(imap.Address{Name: name, Mailbox: local, Host: host})
			p.skipToEnd()
			return
		case t == ':' && !inGroup:
			p.pos++
			// A group without a name would read as an end marker: its
			// members are listed without markers.
			name := decodeWords(strings.Join(words, " "))
			if name != "" {
				p.out = append(p.out, imap.Address{Mailbox: name})
			}
			p.list(true)
			if p.peek() == ';' {
				p.pos++
			}
			if name != "" {
				p.out = append(p.out, imap.Address{})
			}
			p.skipToEnd()
			return
		case t == '@':
			p.pos++
			host, c := p.domain()
			if c != "" {
				comment = c
			}
			p.add(imap.Address{Name: comment, Mailbox: strings.Join(words, ""), Host: host})
			p.skipToEnd()
			return
		case t == 'c':
			if c := p.toks[p.pos].text; c != "" {
				comment = c
			}
			p.pos++
		case t == 'a' || t == 'q':
			words = append(words, p.toks[p.pos].text)
			p.pos++
		default:
			p.pos++ // a stray special (">", or ":" inside a group): skipped
		}
	}
}

// add appends an address.
func (p *addrParser) add(a imap.Address) {
	if a.Mailbox == "" && a.Host == "" {
		return // "<>" or nothing at all: no address
	}
	if a.Mailbox != "" && a.Host == "" {
		// A mailbox without a host would read as a group start marker
		// (RFC 3501 section 7.4.2); Dovecot writes a missing host the
		// same way, so the client sees the local part at least.
		a.Host = "MISSING_DOMAIN"
	}
	p.out = append(p.out, a)
}

// angleAddr reads what follows "<": [route ":"] local "@" domain ">".
// A source route (obs-route, RFC 5322 section 4.4: "@a,@b:") is returned
// as it reads without its colon ("@a,@b"), for ENVELOPE's adl field (RFC
// 3501 section 7.4.2).
func (p *addrParser) angleAddr() (route, local, host string) {
	if p.peek() == '@' {
		start := p.pos
		var r strings.Builder
		for p.peek() != 0 && p.peek() != ':' && p.peek() != '>' {
			t := p.toks[p.pos]
			if t.kind == 'a' {
				r.WriteString(t.text)
			} else if t.kind != 'c' {
				r.WriteByte(t.kind)
			}
			p.pos++
		}
		if p.peek() != ':' {
			p.pos = start
		} else {
			p.pos++
			route = r.String()
		}
	}
	var words []string
	for p.peek() == 'a' || p.peek() == 'q' || p.peek() == 'c' {
		if p.peek() != 'c' {
			words = append(words, p.toks[p.pos].text)
		}
		p.pos++
	}
	local = strings.Join(words, "")
	if p.peek() == '@' {
		p.pos++
		host, _ = p.domain()
	}
	if p.peek() == '>' {
		p.pos++
	}
	return route, local, host
}

// domain reads a domain after "@"; a comment after it is returned (the
// name in "user@domain (Real Name)").
func (p *addrParser) domain() (host, comment string) {
	var parts []string
	for p.peek() == 'a' || p.peek() == 'c' {
		t := p.toks[p.pos]
		if t.kind == 'c' {
			if t.text != "" {
				comment = t.text
			}
		} else {
			parts = append(parts, t.text)
		}
		p.pos++
	}
	return strings.Join(parts, ""), comment
}

// skipToEnd skips what is left of an element up to "," or ";" (a trailing
// comment, or junk).
func (p *addrParser) skipToEnd() {
	for t := p.peek(); t != 0 && t != ',' && t != ';'; t = p.peek() {
		p.pos++
	}
}

// decodeWords decodes RFC 2047 encoded words in a display name.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// headerAddresses parses every field of one name in a header; an empty
// field counts as absent (Sender: with nothing after it).
func headerAddresses(h *textproto.Header, key string) []imap.Address {
	var out []imap.Address
	for _, v := range h.Values(key) {
		out = append(out, parseAddressList(v)...)
	}
	return out
}

// envelope builds a message's ENVELOPE (RFC 3501 section 7.4.2) from its
// header: go-imap's ExtractEnvelope for the dates, subject and message ids,
// and this file's parser for the addresses, groups kept. Sender and
// Reply-To default to From when absent or empty (imapserver writes From for
// a nil list).
func envelope(h textproto.Header) *imap.Envelope {
	env := imapserver.ExtractEnvelope(h)
	list := func(key string) []imap.Address {
		var out []imap.Address
		for _, v := range h.Values(key) {
			out = append(out, envelopeAddressList(v)...)
		}
		return out
	}
	env.From = list("From")
	env.Sender = list("Sender")
	env.ReplyTo = list("Reply-To")
	env.To = list("To")
	env.Cc = list("Cc")
	env.Bcc = list("Bcc")
	return env
}

// addressMatches reports whether a header's parsed addresses contain
// text, in a display name, a group name or the address itself (SEARCH
// FROM/TO/CC/BCC, RFC 3501 section 6.4.4: a substring match).
func addressMatches(h *textproto.Header, key, text string) bool {
	for _, a := range headerAddresses(h, key) {
		for _, s := range []string{a.Name, a.Mailbox, a.Addr()} {
			if s != "" && containsFold([]byte(s), text) {
				return true
			}
		}
	}
	return false
}
