package tracer

import "strings"

// saslExchange follows a SASL exchange (RFC 4422 section 3) as the client's
// own stream shows it: AUTH in SMTP (RFC 4954) and POP3 (RFC 5034),
// AUTHENTICATE in IMAP (RFC 9051 section 6.2.2). The framers mask a client
// line while an exchange is open, whether or not the server's challenge
// (334, "+") has been framed yet: a client may send its response right
// behind the command (AUTH PLAIN, then the base64 on the next line), and
// the tap can see that line before the server's challenge.
//
// The exchange opens with the command and closes when the client has sent
// every response its mechanism takes, when it cancels with "*", or when the
// server's answer says the login succeeded. A reply framed after a response
// never unmasks it: that line has been published already.
//
// A refusal (SMTP 503/504/535, POP3 -ERR, IMAP NO/BAD) does not close the
// exchange: a client that does not wait may have its response on the wire
// already, arriving after the refusal, so the responses the mechanism still
// owes stay masked (one for a mechanism whose steps are unknown here). The
// price is small: after a refusal a line is taken for a command again when
// it holds a space or tab, which base64 has none of (a SASL response is
// base64: RFC 4954 section 4, RFC 5034 section 4, RFC 9051 section 6.2.2),
// or when it is a command keyword alone (NOOP, QUIT: as base64 they decode
// to three binary octets, no one's password). Anything else, a command
// the framer does not know included, shows as "****": the safe side.
type saslExchange struct {
	// left is how many responses the client still owes: for PLAIN and
	// LOGIN that is known from the command; -1 is a mechanism whose steps
	// are not known here, open until the server's final answer.
	left int
	// refused says the server's final answer refused the command.
	refused bool
	// echoes are the last responses masked: a response the server read
	// as a command comes back quoted in its error reply (500 Syntax
	// error: command "AGFSAWNL..." not recognized), which is masked too.
	echoes []string
}

// Bounds on the responses kept to find their echoes.
const (
	maxEchoes  = 4
	maxEchoLen = 64
	minEchoLen = 4 // shorter responses ("=", "*") give nothing away
	echoPrefix = 8 // octets of a response that make a quote of it
)

// start opens an exchange for the command's arguments, "mech
// [initial-response]", split at spaces and tabs.
func (x *saslExchange) start(args string) {
	f := strings.Fields(args)
	mech := ""
	if len(f) > 0 {
		mech = strings.ToUpper(f[0])
	}
	x.left = saslResponses(mech, len(f) > 1)
	x.refused = false
}

// saslResponses is how many response lines the client sends after the
// command for mech, given whether the command carried an initial response.
func saslResponses(mech string, ir bool) int {
	n := 0
	switch mech {
	case "":
		// No mechanism: the server answers with a syntax error (or, in
		// POP3, a list of mechanisms); no exchange starts.
		return 0
	case "PLAIN":
		n = 1 // RFC 4616 section 2: one message
	case "LOGIN":
		n = 2 // user name, then password (draft-murchison-sasl-login)
	default:
		return -1
	}
	if ir {
		n--
	}
	return n
}

// takes reports whether the client line text is a SASL response, and
// counts it; keyword reports whether a word is a command keyword of the
// protocol (nil: none without arguments). A line holding only "*" cancels
// the exchange (RFC 4954 section 4, RFC 5034 section 4, RFC 9051 section
// 6.2.2).
func (x *saslExchange) takes(text string, keyword func(string) bool) bool {
	if x.left == 0 {
		return false
	}
	t := strings.TrimSpace(text)
	switch {
	case x.refused && (strings.ContainsAny(t, " \t") || keyword != nil && keyword(strings.ToUpper(t))):
		x.left = 0
		return false
	case t == "*":
		x.left = 0
	case x.left > 0:
		x.left--
	}
	return true
}

// end takes the server's final answer to the command: ok says the login
// succeeded, so the exchange is over; a refusal leaves what the client
// still owes masked.
func (x *saslExchange) end(ok bool) {
	switch {
	case ok:
		x.left = 0
	case x.left < 0:
		x.left = 1
		x.refused = true
	case x.left > 0:
		x.refused = true
	}
}

// line is the event for one SASL response line: masked when the bus
// masks, except the client's "*" that cancels. key explains an unmasked
// response.
func (x *saslExchange) line(s *Session, l *rawLine, key string) *Event {
	e := &Event{Kind: KindLine, Dir: C2S, Text: string(l.text), Flags: l.flags(false), Explain: s.bus.Explainer.Key(key)}
	if s.bus.Mask && strings.TrimSpace(e.Text) != "*" {
		x.remember(strings.TrimSpace(e.Text))
		e.Text = "****"
		e.Flags = append(e.Flags, FlagMasked)
		e.Explain = s.bus.Explainer.Key("line.masked")
	}
	return e
}

// remember keeps a masked response to find its echoes.
func (x *saslExchange) remember(r string) {
	if len(r) < minEchoLen {
		return
	}
	if len(x.echoes) == maxEchoes {
		x.echoes = append(x.echoes[:0], x.echoes[1:]...)
	}
	x.echoes = append(x.echoes, lowerASCII(r[:min(len(r), maxEchoLen)]))
}

// scrub masks, in a server line, every quote of a masked response: its
// first octets, compared without case (servers upper-case a command
// word), and as much of the rest as follows.
func (x *saslExchange) scrub(text string) (string, bool) {
	if len(x.echoes) == 0 || len(text) < minEchoLen {
		return text, false
	}
	masked := false
	for _, r := range x.echoes {
		head := r[:min(len(r), echoPrefix)]
		for from := 0; from < len(text); {
			i := strings.Index(lowerASCII(text[from:]), head)
			if i < 0 {
				break
			}
			i += from
			j := i + len(head)
			for j < len(text) && j-i < len(r) && lowerByte(text[j]) == r[j-i] {
				j++
			}
			text = text[:i] + "****" + text[j:]
			from = i + len("****")
			masked = true
		}
	}
	return text, masked
}

// scrubEvent masks the quotes of masked responses in a server line event.
func (x *saslExchange) scrubEvent(s *Session, e *Event) {
	if !s.bus.Mask {
		return
	}
	if t, ok := x.scrub(e.Text); ok {
		e.Text = t
		e.Flags = append(e.Flags, FlagMasked)
	}
}

// lowerASCII lower-cases ASCII letters only, keeping every octet where it
// is.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerByte(c)
	}
	return string(b)
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isSMTPVerb reports whether verb (upper case) is an SMTP command the
// catalog explains.
func (x *Explainer) isSMTPVerb(verb string) bool {
	_, _, ok := x.text("smtp.cmd." + verb)
	return ok && verb != ""
}

// isPOP3Verb reports whether verb (upper case) is a POP3 command the
// catalog explains.
func (x *Explainer) isPOP3Verb(verb string) bool {
	_, _, ok := x.text("pop3.cmd." + verb)
	return ok && verb != ""
}
