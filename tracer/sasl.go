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
// server's final answer to the command is framed. A final answer framed
// after a response never unmasks it: that line has been published already.
// When the server refuses the command (SMTP 503/504, POP3 -ERR, IMAP NO)
// before the framer saw it, the client's next lines are still masked, up to
// the count of responses the mechanism takes: a command sent blindly after a
// refused AUTH may be shown as "****", the safe side.
type saslExchange struct {
	// left is how many responses the client still owes: for PLAIN and
	// LOGIN that is known from the command; -1 is a mechanism whose steps
	// are not known here, open until the server's final answer.
	left int
}

// start opens an exchange for the command's arguments, "mech
// [initial-response]", split at spaces and tabs.
func (x *saslExchange) start(args string) {
	f := strings.Fields(args)
	mech := ""
	if len(f) > 0 {
		mech = strings.ToUpper(f[0])
	}
	x.left = saslResponses(mech, len(f) > 1)
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

// open reports whether the client's next line is a SASL response.
func (x *saslExchange) open() bool { return x.left != 0 }

// response takes one client line sent while the exchange is open. A line
// holding only "*" cancels the exchange (RFC 4954 section 4, RFC 5034
// section 4, RFC 9051 section 6.2.2).
func (x *saslExchange) response(text string) {
	switch {
	case strings.TrimSpace(text) == "*":
		x.left = 0
	case x.left > 0:
		x.left--
	}
}

// end closes the exchange: the server's final answer to the command.
func (x *saslExchange) end() { x.left = 0 }

// saslLine is the event for one SASL response line: masked when the bus
// masks, except the client's "*" that cancels. key explains an unmasked
// response.
func saslLine(s *Session, l *rawLine, key string) *Event {
	e := &Event{Kind: KindLine, Dir: C2S, Text: string(l.text), Flags: l.flags(false), Explain: s.bus.Explainer.Key(key)}
	if s.bus.Mask && strings.TrimSpace(e.Text) != "*" {
		e.Text = "****"
		e.Flags = append(e.Flags, FlagMasked)
		e.Explain = s.bus.Explainer.Key("line.masked")
	}
	return e
}
