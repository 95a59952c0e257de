package smtp

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/tracer"
)

func (s *session) resetTransaction() { s.endTransaction("smtp.state.reset") }

// endTransaction clears the transaction's buffers; key says why, for the
// trace: smtp.state.stored after a message was accepted (RFC 5321 section
// 4.1.1.4 clears the buffers then too, but the message is kept),
// smtp.state.reset when it was dropped (RSET, EHLO, a refusal).
func (s *session) endTransaction(key string) {
	s.id, s.traceID, s.from, s.eightBit, s.holdUntil = "", "", "", false, time.Time{}
	s.local, s.remote, s.rcptSeen, s.lenient = nil, nil, nil, nil
	s.envID, s.ret, s.never, s.rcpts = "", "", nil, nil
	// The reply that ends the transaction (250 queued as, RSET's 250, an
	// error) still belongs to the message: the id ends after it is
	// written.
	s.traceDone = true
	if s.state > stateGreeted {
		s.setState(stateGreeted, key)
	}
}

// endTraceID ends the trace's message id once the transaction's last
// reply is written.
func (s *session) endTraceID() {
	if s.traceDone {
		s.trace.SetMsgID("")
		s.traceDone = false
	}
}

// commandTraceID names the message a command line belongs to as it
// crosses the wire (tracer.Session.OnCommand): the one a MAIL starts, or
// the one an ETRN will deliver, whose id then ends with the ETRN's reply.
func (s *session) commandTraceID(verb, args string) string {
	switch verb {
	case "MAIL":
		return s.mailTraceID(args)
	case "ETRN":
		n, ok := s.srv.Backend.(FlushNamer)
		if !ok || s.state != stateGreeted {
			return ""
		}
		domain := ascii.Lower(strings.TrimPrefix(strings.TrimSpace(args), "@"))
		id := n.FlushMsgID(context.Background(), domain)
		if id != "" {
			s.traceDone = true
		}
		return id
	}
	return ""
}

// mailTraceID is the id under which the trace shows a MAIL command as it
// crosses the wire (tracer.Session.OnMail), before the command runs: the
// id handleMail then gives the message, or the first hop's id a relayed
// message carries in the TraceKeyword parameter.
func (s *session) mailTraceID(args string) string {
	if s.nextID == "" {
		s.nextID = newID(s.srv.Name)
	}
	if p, err := parsePath(args, "FROM:", "MAIL"); err == nil && s.carriesTrace() && isMailscopeID(p.params[TraceKeyword]) {
		return p.params[TraceKeyword]
	}
	return s.nextID
}

// fromRelay reports whether the client is a relay of the world: the trace
// labelled the session as a hop.
func (s *session) fromRelay() bool { return s.trace != nil && s.trace.Hop() != "" }

// carriesTrace reports whether this session may carry a trace id
// (Server.CarryTrace): the server carries them, and the client is a relay
// of the world, or the server is not traced at all.
func (s *session) carriesTrace() bool {
	return s.srv.CarryTrace && (s.trace == nil || s.fromRelay())
}

func newID(server string) string {
	var b [5]byte
	rand.Read(b[:])
	return server + "-" + base32.StdEncoding.EncodeToString(b[:])
}

func (s *session) handleMail(cmd command) error {
	defer func() {
		if s.state < stateMail {
			s.traceDone = true // refused: the id the trace gave the line ends with the reply
		}
	}()
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.state >= stateMail:
		return errNestedMail
	}
	p, perr := parsePath(cmd.arg, "FROM:", "MAIL")
	if perr != nil {
		return perr
	}
	if p.addr != "" {
		if _, _, ok := splitAddress(p.addr); !ok {
			if isBareLocal(p.addr) {
				return s.noDomainError("MAIL FROM:", p.addr)
			}
			return errorf(553, "5.1.7", "<%s>: sender address is not valid: %s", tracer.Printable(truncate(p.addr, 80)), addressFault(p.addr))
		}
	}
	s.lenient = nil
	carried := ""
	if !p.brackets {
		s.lenient = append(s.lenient, "RFC 5321 wants angle brackets: MAIL FROM:<"+p.addr+">")
	}
	for _, k := range p.order {
		v := p.params[k]
		switch k {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errorf(501, "5.5.4", "SIZE=%s is not a number of octets (RFC 1870)", truncate(v, 20))
			}
			if n > s.srv.maxMessageSize() {
				return errorf(552, "5.3.4", "Message size %d exceeds the limit of %d octets (RFC 1870)", n, s.srv.maxMessageSize())
			}
		case "BODY":
			switch ascii.Upper(v) {
			case "7BIT":
				s.eightBit = false
			case "8BITMIME":
				s.eightBit = true
			default:
				return errorf(501, "5.5.4", "BODY=%s unknown: use BODY=7BIT or BODY=8BITMIME (RFC 6152)", truncate(v, 20))
			}
		case "AUTH":
			// RFC 4954 section 5: accepted and ignored.
		case "ENVID":
			if v == "" || len(v) > 100 || !isXtext(v) {
				return errorf(501, "5.5.4", "ENVID must be 1 to 100 characters of xtext (RFC 3461 section 4.4)")
			}
			s.envID = v
		case "RET":
			switch ascii.Upper(v) {
			case "FULL", "HDRS":
				s.ret = ascii.Upper(v)
			default:
				return errorf(501, "5.5.4", "RET=%s unknown: use RET=FULL or RET=HDRS (RFC 3461 section 4.3)", truncate(v, 20))
			}
		case TraceKeyword:
			if !s.carriesTrace() || !s.esmtp {
				return errorf(555, "5.5.4", "MAIL FROM parameter %s not recognized or not implemented", k)
			}
			if !isMailscopeID(v) {
				return errorf(501, "5.5.4", "%s=%s is not a mailscope trace id like A-ABCDEFGH", k, truncate(v, 20))
			}
			carried = v
		case "HOLDFOR", "HOLDUNTIL":
			t, err := s.holdParam(k, v)
			if err != nil {
				return err
			}
			s.holdUntil = t
		default:
			if !s.esmtp {
				return errorf(555, "5.5.4", "Parameters need EHLO: %s not allowed after HELO", k)
			}
			return errorf(555, "5.5.4", "MAIL FROM parameter %s not recognized or not implemented", truncate(k, 30))
		}
	}
	if len(p.params) > 0 && !s.esmtp {
		return errorf(555, "5.5.4", "MAIL FROM parameters need an EHLO session, not HELO")
	}
	s.from = p.addr
	// Each server gives the message its own queue id, as real MTAs do: it
	// is in the 250 after the data and in this server's Received: line.
	// What follows a message across hops is its Message-ID: header; for
	// the trace, a message relayed from another server of this world also
	// keeps the id of its first hop, which the relay sends in the private
	// TraceKeyword parameter (not in ENVID: that is the sender's, and RFC
	// 3461 section 5.2.1 has a relay pass it on unchanged and never make
	// one up), so the timeline can follow it from server to server.
	s.id, s.nextID = s.nextID, ""
	if s.id == "" {
		s.id = newID(s.srv.Name)
	}
	s.traceID = s.id
	if carried != "" {
		s.traceID = carried
	}
	s.trace.SetMsgID(s.traceID)
	s.traceDone = false
	s.setState(stateMail, "smtp.state.mail", "sender", p.addr, "id", s.id)
	msg := fmt.Sprintf("Sender <%s> OK", p.addr)
	if p.addr == "" {
		msg = "Null sender <> OK (bounces use it so they cannot bounce again)"
	}
	if !s.holdUntil.IsZero() {
		msg += "; will be held until " + s.holdUntil.UTC().Format(time.RFC3339)
	}
	for _, n := range s.lenient {
		msg += " (note: " + n + ")"
	}
	s.reply(250, "2.1.0", msg)
	return nil
}

// holdParam parses FUTURERELEASE parameters, RFC 4865 section 3.
func (s *session) holdParam(k, v string) (time.Time, error) {
	fr, ok := s.srv.Backend.(FutureReleaser)
	if !ok || !s.esmtp {
		return time.Time{}, errorf(555, "5.5.4", "%s not available: FUTURERELEASE is not offered here", k)
	}
	if !s.holdUntil.IsZero() {
		return time.Time{}, errorf(501, "5.5.4", "Give HOLDFOR or HOLDUNTIL, not both (RFC 4865 section 3)")
	}
	max := fr.MaxHold()
	var t time.Time
	if k == "HOLDFOR" {
		// future-release-integer = 1*9DIGIT (RFC 4865 section 3): a longer
		// value is a syntax error, and the bound keeps the arithmetic below
		// far from time.Duration's limit (292 years in nanoseconds).
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || len(v) > 9 {
			return t, errorf(501, "5.5.4", "HOLDFOR=%s is not a number of seconds of at most 9 digits (RFC 4865 section 3)", truncate(v, 20))
		}
		if n > int64(max/time.Second) {
			return t, errorf(554, "5.3.4", "HOLDFOR=%d is longer than the %d seconds this server holds mail (RFC 4865 section 3)", n, int64(max/time.Second))
		}
		return time.Now().Add(time.Duration(n) * time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errorf(501, "5.5.4", "HOLDUNTIL=%s is not a date-time like 2026-11-25T10:00:00Z (RFC 3339)", truncate(v, 40))
	}
	if time.Until(t) > max {
		return t, errorf(554, "5.3.4", "HOLDUNTIL is later than this server holds mail (at most %d seconds, RFC 4865 section 3)", int64(max/time.Second))
	}
	return t, nil
}

func (s *session) handleRcpt(cmd command) error {
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.state < stateMail:
		return errNeedMail
	}
	p, perr := parsePath(cmd.arg, "TO:", "RCPT")
	if perr != nil {
		return perr
	}
	never := false
	var notify, orcpt string
	for _, k := range p.order {
		v := p.params[k]
		switch k {
		case "NOTIFY":
			notify = ascii.Upper(v)
			for _, n := range strings.Split(ascii.Upper(v), ",") {
				switch n {
				case "NEVER":
					never = true
				case "SUCCESS", "FAILURE", "DELAY":
				default:
					return errorf(501, "5.5.4", "NOTIFY=%s: use NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 section 4.1)", truncate(v, 40))
				}
			}
			if never && strings.Contains(v, ",") {
				return errorf(501, "5.5.4", "NOTIFY=NEVER cannot be combined with other values (RFC 3461 section 4.1)")
			}
		case "ORCPT":
			if !isORCPT(v) {
				return errorf(501, "5.5.4", "ORCPT=%s: write it as addr-type;address, like ORCPT=rfc822;bob@b.example (RFC 3461 section 4.2)", truncate(v, 40))
			}
			orcpt = v
		default:
			return errorf(555, "5.5.4", "RCPT TO parameter %s not recognized or not implemented", truncate(k, 30))
		}
	}
	note := ""
	if !p.brackets {
		note = " (note: RFC 5321 wants angle brackets: RCPT TO:<" + p.addr + ">)"
	}
	if len(s.local)+len(s.remote) >= s.srv.maxRecipients() {
		// RFC 5321 section 4.5.3.1.10: the server answers 452 for the
		// recipients over its limit and the client sends those in a later
		// transaction; that is no error of the client, so a pipelined list
		// of 150 recipients does not end the session before its DATA.
		e := errorf(452, "4.5.3", "Too many recipients: at most %d per message; send the rest in another message (RFC 5321 section 4.5.3.1.8)", s.srv.maxRecipients())
		e.NotCounted = true
		return e
	}
	addr := p.addr
	var local, domain string
	if strings.EqualFold(addr, "postmaster") {
		local, domain = "postmaster", s.srv.Domain
	} else {
		var ok bool
		local, domain, ok = splitAddress(addr)
		if !ok {
			if isBareLocal(addr) {
				return s.noDomainError("RCPT TO:", addr)
			}
			return errorf(501, "5.1.3", "<%s>: recipient address is not valid: %s", tracer.Printable(truncate(addr, 80)), addressFault(addr))
		}
	}
	key := ascii.Lower(addr)
	if s.rcptSeen[key] {
		s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK (already given; it gets one copy)%s", addr, note))
		return nil
	}
	if strings.EqualFold(domain, s.srv.Domain) {
		user, ok := s.srv.Backend.LocalUser(local)
		if !ok {
			s.unknownUser(local)
			return errorf(550, "5.1.1", "<%s>: Recipient address rejected: no such user here at %s", tracer.Printable(addr), s.srv.Domain)
		}
		if err := s.checkPolicy(addr, true); err != nil {
			return err
		}
		if never {
			s.never = append(s.never, addr)
		}
		s.rcpts = append(s.rcpts, Rcpt{Addr: addr, User: user, Notify: notify, ORCPT: orcpt})
		s.local = appendUnique(s.local, user)
		s.markRcpt(key)
		s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK: local mailbox of %s%s", addr, user, note))
		return nil
	}
	if s.authUser == "" && !s.srv.trusted(s.conn.RemoteAddr()) {
		s.wrongServer(addr, domain, false)
		return errorf(554, "5.7.1", "<%s>: Relay access denied: %s only accepts mail for %s from you; log in with AUTH to send to other domains", tracer.Printable(addr), s.srv.hostname(), s.srv.Domain)
	}
	if err := s.checkPolicy(addr, false); err != nil {
		return err
	}
	if never {
		s.never = append(s.never, addr)
	}
	s.rcpts = append(s.rcpts, Rcpt{Addr: addr, Notify: notify, ORCPT: orcpt})
	s.remote = append(s.remote, addr)
	s.markRcpt(key)
	why := "you are on a trusted network"
	if s.authUser != "" {
		why = "you logged in as " + s.authUser
	} else {
		s.wrongServer(addr, domain, true)
	}
	s.reply(250, "2.1.5", fmt.Sprintf("Recipient <%s> OK: not local, will relay to %s (%s)%s", addr, domain, why, note))
	return nil
}

// checkPolicy lets a Policy backend refuse a recipient (mailscope's faults).
func (s *session) checkPolicy(addr string, local bool) error {
	p, ok := s.srv.Backend.(Policy)
	if !ok {
		return nil
	}
	return p.CheckRcpt(context.Background(), &Envelope{From: s.from, Rcpt: addr, Local: local, ClientAddr: s.conn.RemoteAddr(), Helo: s.helo, AuthUser: s.authUser,
		FromRelay: s.fromRelay()})
}

// IsTraceID reports whether id is a trace id a server of this program
// gives a message (see isMailscopeID), one a relay may send in the
// TraceKeyword parameter.
func IsTraceID(id string) bool { return isMailscopeID(id) }

// isMailscopeID reports whether id looks like an id this program makes:
// a server name, a dash and eight base32 characters, and for a delivery
// status notification about a message that message's id and a dash and a
// short lower-case word ("-bounce", "-dsn").
func isMailscopeID(id string) bool {
	name, code, ok := strings.Cut(id, "-")
	if !ok || name == "" || len(name) > 16 {
		return false
	}
	if c, word, ok := strings.Cut(code, "-"); ok {
		if word == "" || len(word) > 10 || strings.Trim(word, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
		code = c
	}
	if len(code) != 8 {
		return false
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// isXtext checks RFC 3461 section 4 xtext: printable ASCII except + and =,
// with +XX hex escapes.
func isXtext(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '+':
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return false
			}
			i += 2
		case c < '!' || c > '~' || c == '=':
			return false
		}
	}
	return true
}

// isORCPT checks RFC 3461 section 4.2's original-recipient-address:
// addr-type ";" xtext, at most 500 characters, addr-type an atom.
func isORCPT(v string) bool {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok || typ == "" || addr == "" || len(v) > 500 || !isXtext(addr) {
		return false
	}
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func (s *session) markRcpt(key string) {
	if s.rcptSeen == nil {
		s.rcptSeen = map[string]bool{}
	}
	s.rcptSeen[key] = true
	if s.state == stateMail {
		s.setState(stateRcpt, "smtp.state.rcpt")
	}
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (s *session) handleRset(cmd command) error {
	if cmd.arg != "" {
		return errorf(501, "5.5.4", "Syntax: RSET takes no argument")
	}
	s.resetTransaction()
	s.reply(250, "2.0.0", "OK, message forgotten")
	return nil
}
