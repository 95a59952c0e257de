package tracer

import (
	"strings"
)

// pop3Framer cuts a POP3 session (RFC 1939, RFC 2449) into events. It
// watches both directions: every client command joins a queue of commands
// awaiting their status line (clients may pipeline, RFC 2449 section 6.6),
// so each +OK or -ERR is explained as the answer to its command. A +OK to
// RETR or TOP starts a message: its lines become one data event, then the
// "." line. A +OK to LIST, UIDL (without argument) or CAPA starts a listing
// whose lines are explained one by one. After AUTH the client's lines are
// SASL responses (masked) for as long as its own stream says the exchange
// is open (saslExchange), and the line after a "+ " always is. PASS and
// the APOP digest are masked.
type pop3Framer struct {
	lines

	cmds     []pop3Cmd    // commands awaiting a status line, oldest first
	greeted  bool         // the server's first line has been seen
	sasl     saslExchange // AUTH sent, its exchange not ended
	saslNext bool         // the server sent "+ ": the next client line is a SASL response

	multi    pop3Multi // what the lines of the current multi-line response are
	multiCmd pop3Cmd
	data     dataAcc

	// The session's state as the replies show it, so that a -ERR is
	// explained by what it can mean now (RFC 1939 section 4 and 7): a
	// login was accepted (TRANSACTION state), a USER was accepted and no
	// PASS has used it yet.
	loggedIn bool
	userOK   bool
}

// pop3Cmd is one command awaiting its status line.
type pop3Cmd struct {
	verb string // upper case
	arg  string // the first argument, "" for none
}

// pop3Multi says what the lines of a multi-line response are.
type pop3Multi int

const (
	pop3Single pop3Multi = iota // not in a multi-line response
	pop3Body                    // RETR, TOP: a message
	pop3List                    // LIST: "n size"
	pop3UIDL                    // UIDL: "n id"
	pop3Capa                    // CAPA: capabilities
)

// Bounds on what the framer keeps for a peer that never gets answers.
const pop3MaxPending = 1024

func newPOP3Framer() Framer { return &pop3Framer{} }

func (f *pop3Framer) Feed(s *Session, dir Dir, p []byte) {
	f.feed(f, s, dir, p)
}

func (f *pop3Framer) Flush(s *Session) {
	f.flush(f, s)
	if f.multi == pop3Body && f.data.lines > 0 {
		e := f.data.event(S2C, M("data.sum.pop3.cut"), true)
		e.Explain = s.bus.Explainer.Key("data.pop3.cut")
		s.Emit(e)
	}
}

func (f *pop3Framer) client(s *Session, l rawLine) {
	if f.sasl.takes(string(l.text), s.bus.Explainer.isPOP3Verb) || f.saslNext { // takes counts the line: first
		f.saslNext = false
		s.Emit(f.sasl.line(s, &l, "pop3.sasl"))
		return
	}
	f.emitCommand(s, l)
}

// emitCommand publishes one command line and queues it for its status line.
// It splits the line as the server does: the keyword ends at the first space
// or tab, and only ASCII letters are upper-cased.
func (f *pop3Framer) emitCommand(s *Session, l rawLine) {
	text := string(l.text)
	word, rest := text, ""
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		word, rest = text[:i], text[i+1:]
	}
	verb := pop3Upper(word)
	args := strings.Fields(rest)
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	if len(f.cmds) >= pop3MaxPending {
		f.cmds = f.cmds[1:]
	}
	f.cmds = append(f.cmds, pop3Cmd{verb: verb, arg: arg})
	e := &Event{Kind: KindLine, Dir: C2S, Text: text, Flags: l.flags(false)}
	switch verb {
	case "PASS":
		if s.bus.Mask && rest != "" {
			e.Text = word + " ****"
			e.Flags = append(e.Flags, FlagMasked)
		}
	case "APOP":
		// RFC 1939 section 7: the digest is MD5 of the greeting's
		// timestamp and the password; with a classroom password it gives
		// the password away.
		if len(args) > 1 && s.bus.Mask {
			e.Text = word + " " + args[0] + " ****"
			e.Flags = append(e.Flags, FlagMasked)
		}
	case "AUTH":
		f.sasl.start(rest)
		// AUTH mechanism initial-response: the response is a credential.
		if len(args) > 1 && args[1] != "=" && s.bus.Mask {
			e.Text = word + " " + args[0] + " ****"
			e.Flags = append(e.Flags, FlagMasked)
		}
	}
	e.Explain = s.bus.Explainer.POP3Command(verb)
	s.Emit(e)
}

// pop3Upper upper-cases ASCII letters only, as POP3 keywords are matched.
func pop3Upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// bodyFor lets the message a RETR or TOP sends be counted in bulk.
func (f *pop3Framer) bodyFor(dir Dir) *dataAcc {
	if dir == S2C && f.multi == pop3Body {
		return &f.data
	}
	return nil
}

func (f *pop3Framer) server(s *Session, l rawLine) {
	if f.multi != pop3Single {
		f.multiLine(s, l)
		return
	}
	x := s.bus.Explainer
	text := string(l.text)
	e := &Event{Kind: KindLine, Dir: S2C, Text: text, Flags: l.flags(true)}
	f.sasl.scrubEvent(s, e)
	ok := text == "+OK" || strings.HasPrefix(text, "+OK ")
	bad := text == "-ERR" || strings.HasPrefix(text, "-ERR ")
	if !f.greeted {
		// The first line is the greeting; it answers no command.
		f.greeted = true
		switch {
		case ok && pop3HasBanner(text):
			e.Explain = x.Key("pop3.greeting.apop")
		case ok:
			e.Explain = x.Key("pop3.greeting")
		case bad:
			e.Explain = x.POP3Reply(false, "", pop3RespCode(text))
		default:
			e.Explain = x.Key("pop3.reply.unparsed")
		}
		s.Emit(e)
		return
	}
	var cmd pop3Cmd
	if len(f.cmds) > 0 {
		cmd = f.cmds[0]
	}
	switch {
	case text == "+" || strings.HasPrefix(text, "+ "):
		// A SASL continuation, RFC 5034 section 4: the command is not done.
		e.Explain = x.Key("pop3.reply.cont")
		if dec := decodeChallenge(strings.TrimSpace(text[1:])); dec != "" {
			c := *e.Explain
			c.Text += " Decoded: \"" + dec + "\"."
			e.Explain = &c
		}
		s.Emit(e)
		f.saslNext = true
		return
	case ok, bad:
		e.Explain = f.explainStatus(x, ok, cmd, text)
		f.track(ok, cmd, pop3RespCode(text))
	default:
		e.Explain = x.Key("pop3.reply.unparsed")
		s.Emit(e)
		return
	}
	s.Emit(e)
	if len(f.cmds) > 0 {
		f.cmds = f.cmds[1:]
	}
	if ok {
		switch {
		case cmd.verb == "RETR" || cmd.verb == "TOP":
			f.multi = pop3Body
			f.data.reset()
		case cmd.verb == "LIST" && cmd.arg == "":
			f.multi = pop3List
		case cmd.verb == "UIDL" && cmd.arg == "":
			f.multi = pop3UIDL
		case cmd.verb == "CAPA":
			f.multi = pop3Capa
		case cmd.verb == "STLS":
			// RFC 2595 section 4: the server discards whatever the client
			// sent before the handshake, so those commands get no answer.
			f.cmds = f.cmds[:0]
		}
		f.multiCmd = cmd
	}
	if cmd.verb == "AUTH" {
		// The final answer: +OK ends the exchange; after -ERR what the
		// client still owes stays masked.
		f.sasl.end(ok)
		f.saslNext = false
	}
}

// track follows the session's state through the status lines: a +OK to
// USER names the user for the next PASS; a PASS answered with +OK, or with a
// code (a refused login, a lock, a server problem), has used it; only a
// syntax error (no code) leaves it (servers/pop3 handlePass does the same).
func (f *pop3Framer) track(ok bool, cmd pop3Cmd, code string) {
	switch cmd.verb {
	case "USER":
		f.userOK = ok && !f.loggedIn
	case "PASS":
		if ok || code != "" {
			f.userOK = false
		}
	}
	switch cmd.verb {
	case "PASS", "APOP", "AUTH", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET":
		// A login succeeded, or a TRANSACTION command did (a trace that
		// starts after the login still knows where it is).
		f.loggedIn = f.loggedIn || ok
	}
}

// errKey chooses the explanation of a -ERR answering cmd from its response
// code and the session's state: a refused password, a locked maildrop, a
// server problem, a command of the other state, PASS without USER, a
// malformed login, an unknown command.
func (f *pop3Framer) errKey(cmd pop3Cmd, code string) string {
	head, _, _ := strings.Cut(code, "/")
	switch {
	case cmd.verb == "QUIT":
		return "pop3.reply.ERR.QUIT"
	case code == "IN-USE":
		return "pop3.reply.ERR.IN-USE"
	case head == "SYS":
		return "pop3.reply.ERR.SYS"
	case code == "AUTH" && (cmd.verb == "PASS" || cmd.verb == "APOP" || cmd.verb == "AUTH"):
		return "pop3.reply.ERR." + cmd.verb
	case code != "":
		return "pop3.reply.ERR"
	}
	switch cmd.verb {
	case "USER", "PASS", "APOP", "AUTH", "STLS":
		switch {
		case f.loggedIn:
			return "pop3.reply.ERR.loggedin"
		case cmd.verb == "PASS" && !f.userOK && cmd.arg != "":
			return "pop3.reply.ERR.PASS.nouser"
		case cmd.verb == "USER" || cmd.verb == "STLS":
			return "pop3.reply.ERR"
		}
		return "pop3.reply.ERR.login.syntax"
	case "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "NOOP", "RSET":
		if !f.loggedIn {
			return "pop3.reply.ERR.needlogin"
		}
		return "pop3.reply.ERR"
	}
	switch {
	case cmd.verb == "LAST":
		return "pop3.reply.ERR.LAST"
	case !pop3Verbs[cmd.verb]:
		return "pop3.reply.ERR.unknown"
	}
	return "pop3.reply.ERR"
}

// explainStatus explains a +OK or -ERR line answering cmd; STAT, LIST n and
// UIDL n get their numbers spelled out, a -ERR its case (errKey).
func (f *pop3Framer) explainStatus(x *Explainer, ok bool, cmd pop3Cmd, text string) *Explanation {
	if ok {
		fields := strings.Fields(text)
		switch {
		case cmd.verb == "STAT" && len(fields) >= 3 && pop3Digits(fields[1]) && pop3Digits(fields[2]):
			// STAT's n counts the messages ("1 message"); LIST's and UIDL's
			// n below is a message's number.
			return x.pop3Fill(Singular("pop3.reply.OK.STAT", map[string]string{"n": fields[1]}), "+OK", "{n}", fields[1], "{size}", fields[2])
		case cmd.verb == "LIST" && cmd.arg != "" && len(fields) >= 3 && pop3Digits(fields[1]) && pop3Digits(fields[2]):
			return x.pop3Fill("pop3.reply.OK.LIST.one", "+OK", "{n}", fields[1], "{size}", fields[2])
		case cmd.verb == "UIDL" && cmd.arg != "" && len(fields) >= 3 && pop3Digits(fields[1]):
			return x.pop3Fill("pop3.reply.OK.UIDL.one", "+OK", "{n}", fields[1], "{uid}", fields[2])
		}
	}
	if !ok {
		code := pop3RespCode(text)
		return x.POP3Error(f.errKey(cmd, code), code)
	}
	return x.POP3Reply(ok, cmd.verb, pop3RespCode(text))
}

// multiLine handles one line of a multi-line response.
func (f *pop3Framer) multiLine(s *Session, l rawLine) {
	x := s.bus.Explainer
	if len(l.text) == 1 && l.text[0] == '.' {
		if f.multi == pop3Body {
			s.Emit(f.bodyEvent(x))
		}
		s.Emit(&Event{Kind: KindLine, Dir: S2C, Text: ".", Flags: l.flags(true), Explain: x.Key("pop3.end")})
		f.multi = pop3Single
		return
	}
	if f.multi == pop3Body {
		// A message line: only counted into the body's one data event, so
		// nothing per line is built (a 100 KiB RETR is 1,500 lines).
		f.data.addLine(&l)
		return
	}
	text := string(l.text)
	e := &Event{Kind: KindLine, Dir: S2C, Text: text, Flags: l.flags(true)}
	fields := strings.Fields(text)
	switch f.multi {
	case pop3List:
		if len(fields) >= 2 && pop3Digits(fields[0]) && pop3Digits(fields[1]) {
			e.Explain = x.pop3Fill("pop3.list.line", "", "{n}", fields[0], "{size}", fields[1])
		} else {
			e.Explain = x.Key("pop3.reply.unparsed")
		}
	case pop3UIDL:
		if len(fields) >= 2 && pop3Digits(fields[0]) {
			e.Explain = x.pop3Fill("pop3.uidl.line", "", "{n}", fields[0], "{uid}", fields[1])
		} else {
			e.Explain = x.Key("pop3.reply.unparsed")
		}
	case pop3Capa:
		name := ""
		if len(fields) > 0 {
			name = strings.ToUpper(fields[0])
		}
		e.Explain = x.POP3Capability(name)
	}
	s.Emit(e)
}

// bodyEvent summarizes the message a RETR or TOP sent. Size and the preview
// are the wire's (dot-stuffed); the message's own size, as LIST counts it,
// is one octet less per stuffed line.
func (f *pop3Framer) bodyEvent(x *Explainer) *Event {
	key := "data.sum.retr"
	if f.multiCmd.verb == "TOP" {
		key = "data.sum.top"
	}
	d := &f.data
	switch {
	case d.dotStuffed == 1:
		key += ".stuffed1"
	case d.dotStuffed > 1:
		key += ".stuffed"
	}
	msg := M(key, "n", f.multiCmd.arg, "lines", itoa(d.lines), "octets", itoa(d.size-d.dotStuffed),
		"wire", itoa(d.size), "stuffed", itoa(d.dotStuffed))
	e := d.event(S2C, msg, true)
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	e.Attrs[AttrCommand] = f.multiCmd.verb
	e.Attrs["message_octets"] = itoa(d.size - d.dotStuffed)
	if f.multiCmd.arg != "" {
		e.Attrs["message"] = f.multiCmd.arg
	}
	e.Explain = x.Key("data.pop3.body")
	return e
}

// pop3RespCode returns the response code of a status line, RFC 2449
// section 8: "-ERR [IN-USE] ..." gives "IN-USE".
func pop3RespCode(text string) string {
	_, rest, _ := strings.Cut(text, " ")
	if !strings.HasPrefix(rest, "[") {
		return ""
	}
	end := strings.IndexByte(rest, ']')
	if end < 2 || end > 64 {
		return ""
	}
	code := strings.ToUpper(rest[1:end])
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '/') {
			return ""
		}
	}
	return code
}

// pop3HasBanner reports whether a greeting carries an APOP timestamp,
// "<...@...>" (RFC 1939 section 7).
func pop3HasBanner(text string) bool {
	i := strings.IndexByte(text, '<')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(text[i:], '>')
	return j > 0 && strings.Contains(text[i:i+j], "@")
}

func pop3Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
