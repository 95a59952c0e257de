package tracer

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
)

// smtpFramer cuts an SMTP session (RFC 5321) into events. It watches both
// directions: a 354 reply turns the client's next lines into a message body
// (one data event, then the "." line); a 334 reply makes the next client line
// a SASL response (masked). Lines the client sends after DATA but before the
// server answered it are held back until the answer says what they are.
//
// The body ends exactly where mailscope's SMTP server ends it (servers/smtp,
// data.go), or the trace would show smuggled "commands" the server took for
// text: a client that ended any command line with CRLF ends its data only
// at CRLF "." CRLF, a bare LF or lone CR being content; a client that ended
// every command line with a bare LF may end it with LF "." LF.
type smtpFramer struct {
	lines

	cmds        []string // commands awaiting a final reply, oldest first
	dataPending bool     // DATA sent, reply not yet seen
	held        []rawLine
	inData      bool
	data        dataAcc
	saslNext    bool
	eightBitOK  bool // MAIL FROM declared BODY=8BITMIME
	replyIdx    int  // line number within the current multi-line reply
	crlf        bool // the client ended a command line with CRLF (it stays set)
	lfData      bool // the current body's lines end at a bare LF too (the client never sent CRLF)

	// sasl is the AUTH exchange as the client's stream shows it: its
	// responses are masked even when they come before the 334 that asks
	// for them (a client that does not wait).
	sasl saslExchange
}

func newSMTPFramer() *smtpFramer { return &smtpFramer{} }

func (f *smtpFramer) Feed(s *Session, dir Dir, p []byte) {
	f.feed(f, s, dir, p)
}

func (f *smtpFramer) Flush(s *Session) {
	f.flush(f, s)
	if f.inData && f.data.lines > 0 {
		e := f.data.event(C2S, M("data.sum.smtp.cut"), f.eightBitOK)
		e.Explain = s.bus.Explainer.Key("data.smtp.cut")
		s.Emit(e)
	}
	// Lines held behind a DATA never answered are shown as commands,
	// through client so that an AUTH among them masks its responses.
	held := f.held
	f.held, f.dataPending = nil, false
	for _, l := range held {
		f.client(s, l)
	}
}

// bodyFor lets the message body after 354 be counted in bulk.
func (f *smtpFramer) bodyFor(dir Dir) *dataAcc {
	if dir == C2S && f.inData {
		return &f.data
	}
	return nil
}

func (f *smtpFramer) client(s *Session, l rawLine) {
	switch {
	case f.inData:
		// The line ends a line of the message in the client's terms (a
		// line cut off by the close ends nothing).
		ends := (!l.bareLF || f.lfData) && !l.noEnd
		if ends && !f.data.midLine && len(l.text) == 1 && l.text[0] == '.' {
			f.endData(s, l)
			return
		}
		f.data.addLine(&l)
		f.data.midLine = !ends
	case f.dataPending:
		f.held = append(f.held, l.clone())
	case f.sasl.takes(string(l.text), s.bus.Explainer.isSMTPVerb) || f.saslNext: // takes counts the line: first
		f.crlf = f.crlf || !l.bareLF
		f.saslNext = false
		s.Emit(f.sasl.line(s, &l, "line.sasl"))
	default:
		f.crlf = f.crlf || !l.bareLF
		f.emitCommand(s, l)
	}
}

// endData publishes the body and the line that ended it.
func (f *smtpFramer) endData(s *Session, l rawLine) {
	x := s.bus.Explainer
	f.inData = false
	e := f.data.event(C2S, M("data.sum.smtp", "lines", itoa(f.data.lines), "octets", itoa(f.data.size)), f.eightBitOK)
	e.Explain = x.Key("data.smtp.body")
	if !f.lfData && f.data.bareLF+f.data.bareCR > 0 {
		e.Explain = x.Key("data.smtp.bare")
	}
	s.Emit(e)
	end := x.Key("data.smtp.end")
	if f.lfData {
		end = x.Key("data.smtp.end.lf")
	}
	s.Emit(&Event{Kind: KindLine, Dir: C2S, Text: ".", Flags: l.flags(true), Explain: end})
	f.eightBitOK = false
	// The reply that follows answers the whole DATA transaction.
	f.cmds = append(f.cmds, "DATA")
}

// emitCommand publishes one command line and remembers it for its reply.
func (f *smtpFramer) emitCommand(s *Session, l rawLine) {
	text := string(l.text)
	verb, args, _ := strings.Cut(text, " ")
	verb = strings.ToUpper(verb)
	f.cmds = append(f.cmds, verb)
	e := &Event{Kind: KindLine, Dir: C2S, Text: text, Flags: l.flags(false)}
	switch verb {
	case "DATA":
		if strings.TrimSpace(args) == "" {
			f.dataPending = true
		}
	case "MAIL":
		f.eightBitOK = strings.Contains(strings.ToUpper(args), "BODY=8BITMIME")
		s.beginCommand(verb, args)
	case "ETRN":
		s.beginCommand(verb, args)
	case "AUTH":
		f.sasl.start(args)
		// AUTH mech initial-response: the response is a credential.
		mech, ir, ok := strings.Cut(strings.TrimSpace(args), " ")
		if ok && ir != "" && ir != "=" && s.bus.Mask {
			e.Text = verb + " " + mech + " ****"
			e.Flags = append(e.Flags, FlagMasked)
		}
	}
	e.Explain = s.bus.Explainer.SMTPCommand(verb)
	if k := DSNCommandKey(verb, " "+args); k != "" {
		e.Explain = s.bus.Explainer.Key(k)
	}
	s.Emit(e)
}

func (f *smtpFramer) server(s *Session, l rawLine) {
	text := string(l.text)
	code, cont, enh := parseSMTPReply(l.text)
	e := &Event{Kind: KindLine, Dir: S2C, Text: text, Flags: l.flags(true)}
	f.sasl.scrubEvent(s, e)
	if code == 0 {
		e.Explain = s.bus.Explainer.Key("smtp.reply.unparsed")
		s.Emit(e)
		return
	}
	cmd := ""
	if len(f.cmds) > 0 {
		cmd = f.cmds[0]
	}
	idx := f.replyIdx
	f.replyIdx++
	if cont {
		f.replyIdx = idx + 1
	} else {
		f.replyIdx = 0
	}
	x := s.bus.Explainer
	switch {
	case cmd == "EHLO" && code == 250 && idx > 0 && len(text) > 4:
		kw, _, _ := strings.Cut(text[4:], " ")
		e.Explain = x.SMTPExtension(strings.ToUpper(kw))
	case cmd == "HELP" && code == 214 && idx > 0:
		e.Explain = x.smtpHelpLine(text)
	case code == 334:
		e.Explain = x.SMTPReply(code, enh, cmd)
		if dec := decodeChallenge(strings.TrimSpace(text[3:])); dec != "" {
			c := *e.Explain
			c.Text += " Decoded: \"" + dec + "\"."
			e.Explain = &c
		}
	default:
		e.Explain = x.SMTPReply(code, enh, cmd)
	}
	s.Emit(e)
	if cont {
		return
	}
	if code == 334 {
		f.saslNext = true
		return
	}
	if cmd == "AUTH" {
		// The final answer: 235 ends the exchange; after a refusal
		// (504, 535) what the client still owes stays masked.
		f.sasl.end(code/100 == 2)
		f.saslNext = false
	}
	if len(f.cmds) > 0 {
		f.cmds = f.cmds[1:]
	}
	// The DATA command waiting for its reply is the last command sent (the
	// lines after it are held), so a reply answers it only when no command
	// is left before it: the reply to an earlier message's end of data,
	// pipelined with the next transaction, does not.
	if cmd == "DATA" && f.dataPending && len(f.cmds) == 0 {
		f.dataPending = false
		held := f.held
		f.held = nil
		if code == 354 {
			f.inData = true
			f.data.reset()
			f.lfData = !f.crlf
			if f.lfData {
				s.Emit(&Event{Kind: KindNote, Text: "this client ends its lines with bare LF, so the data may end with LF.LF",
					Explain: x.Key("data.smtp.lf")})
			}
		}
		for _, h := range held {
			f.client(s, h)
		}
	}
}

// smtpHelpLine explains a line of a HELP reply after the first: a line that
// names a command gets that command's explanation, any other line is more
// text for a person.
func (x *Explainer) smtpHelpLine(text string) *Explanation {
	rest := strings.TrimSpace(text[min(4, len(text)):])
	if w, after, _ := strings.Cut(rest, " "); isEnhanced([]byte(w)) {
		rest = strings.TrimSpace(after)
	}
	verb, _, _ := strings.Cut(rest, " ")
	verb = strings.ToUpper(verb)
	if x.isSMTPVerb(verb) {
		return x.SMTPCommand(verb)
	}
	return x.Key("smtp.help.text")
}

// decodeChallenge returns the text of a base64 SASL challenge when it is
// printable ASCII ("VXNlcm5hbWU6" is "Username:").
func decodeChallenge(b64 string) string {
	if b64 == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) == 0 {
		return ""
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(b)
}

// parseSMTPReply reads "250-2.1.0 text": the code, whether more lines follow,
// and the enhanced status code if there is one.
func parseSMTPReply(b []byte) (code int, cont bool, enh string) {
	if len(b) < 3 {
		return 0, false, ""
	}
	n, err := strconv.Atoi(string(b[:3]))
	if err != nil || n < 200 || n > 599 {
		return 0, false, ""
	}
	if len(b) > 3 {
		switch b[3] {
		case '-':
			cont = true
		case ' ':
		default:
			return 0, false, ""
		}
	}
	if len(b) > 4 {
		rest := b[4:]
		if i := bytes.IndexByte(rest, ' '); i > 0 {
			cand := rest[:i]
			if isEnhanced(cand) {
				enh = string(cand)
			}
		} else if isEnhanced(rest) {
			enh = string(rest)
		}
	}
	return n, cont, enh
}

func isEnhanced(b []byte) bool {
	if len(b) < 5 || (b[0] != '2' && b[0] != '4' && b[0] != '5') || b[1] != '.' {
		return false
	}
	dots := 0
	for _, c := range b[2:] {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 1
}
