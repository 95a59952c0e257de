package tracer

import (
	"bytes"
	"strconv"
	"strings"
)

// imapFramer cuts an IMAP session (RFC 9051 section 2.2) into events.
//
// Both directions are lines, except that a line ending in a literal
// announcement, {N} (or {N+}, RFC 7888, from the client), is followed by
// exactly N octets of literal data in the same direction, then by the rest
// of the line. The framer publishes the part up to the announcement as a
// line, the literal as one data event with its size (never keeping more
// than MaxDataPreview octets of it), and the rest as a continuation line.
//
// It watches both directions to explain them: a client command is explained
// by its verb (UID FETCH as one), a tagged response by the command it
// completes, a "+" by what it continues (a literal, IDLE, an AUTHENTICATE
// challenge). LOGIN passwords (atom, quoted or literal) and AUTHENTICATE
// responses are masked when the bus masks: a client line is a response
// while the client's own stream says the exchange is open (saslExchange),
// whether or not the server's "+" was framed yet. After the tagged OK to STARTTLS
// the bytes are TLS records, summarized instead of printed.
type imapFramer struct {
	c2s, s2c imapDir

	greeted   bool         // the server's first line was seen
	cmds      []imapCmd    // commands awaiting their tagged response, oldest first
	tag       string       // tag of the client command being read
	idle      bool         // IDLE in progress: the client ends it with DONE
	authTag   string       // AUTHENTICATE in progress
	sasl      saslExchange // the client's side of that exchange
	saslNext  bool         // the next client line answers a SASL challenge
	tlsTag    string       // STARTTLS sent: its OK switches to TLS
	encrypted bool         // TLS is up: the tap sees ciphertext
	login     *loginScan   // LOGIN arguments being read, across literals
	// pwRefused says the server refused a LOGIN before the client sent
	// its password literal: a client that did not wait for "+" sends it
	// anyway, as the next line.
	pwRefused bool
}

// maxPendingCmds bounds the commands remembered for their responses; a
// client that pipelines more simply gets less precise explanations.
const maxPendingCmds = 64

// imapCmd is a command awaiting its tagged response. noTag says the line
// began with a command name instead of a tag: the server reads that name
// as the tag and the next word (verb here) as the command.
type imapCmd struct {
	tag, verb string
	noTag     bool
}

// imapDir is one direction's framing state.
type imapDir struct {
	dir  Dir
	sp   splitter
	tail []byte // the last octets of the line being read: a cut line still shows its literal

	left, total int64 // literal octets still to come, and announced
	acc         dataAcc
	mask        bool   // the literal is a credential: count it, do not keep it
	sync        bool   // client literal waiting for the server's "+" (RFC 9051 section 4.3)
	litTag      string // the command the client literal belongs to
	cont        bool   // the next line continues a command or response after a literal
}

// tailLen is enough for "{" + 19 digits + "+}" + CRLF.
const tailLen = 32

func newIMAPFramer() Framer {
	return &imapFramer{c2s: imapDir{dir: C2S}, s2c: imapDir{dir: S2C}}
}

func (f *imapFramer) Feed(s *Session, dir Dir, p []byte) {
	d := &f.c2s
	if dir == S2C {
		d = &f.s2c
	}
	for len(p) > 0 {
		if f.encrypted {
			f.ciphertext(s, dir, len(p))
			return
		}
		if d.left > 0 {
			n := int64(len(p))
			if n > d.left {
				n = d.left
			}
			d.addLiteral(p[:n])
			d.left -= n
			p = p[n:]
			if d.left == 0 {
				f.endLiteral(s, d, false)
			}
			continue
		}
		chunk := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			chunk = p[:i+1]
		}
		d.keepTail(chunk)
		l, rest, ok := d.sp.take(p)
		p = rest
		if !ok {
			return
		}
		n, nonSync, isLit := literalAt(d.tail, dir == C2S)
		d.tail = d.tail[:0]
		if dir == C2S {
			f.client(s, l, n, nonSync, isLit)
		} else {
			f.server(s, l, n, isLit)
		}
	}
}

func (f *imapFramer) Flush(s *Session) {
	if f.encrypted {
		return
	}
	for _, d := range []*imapDir{&f.c2s, &f.s2c} {
		if d.left > 0 && d.left < d.total {
			f.endLiteral(s, d, true)
		}
		if d.sp.pending() {
			l := d.sp.finish(false)
			if d.dir == C2S {
				f.client(s, l, 0, false, false)
			} else {
				f.server(s, l, 0, false)
			}
		}
	}
}

// keepTail remembers the last tailLen octets of the current line.
func (d *imapDir) keepTail(chunk []byte) {
	if len(chunk) >= tailLen {
		d.tail = append(d.tail[:0], chunk[len(chunk)-tailLen:]...)
		return
	}
	d.tail = append(d.tail, chunk...)
	if extra := len(d.tail) - tailLen; extra > 0 {
		d.tail = append(d.tail[:0], d.tail[extra:]...)
	}
}

// literalAt finds a literal announcement at the end of a line: {N}, and
// from the client also {N+} (LITERAL+) and ~{N} (literal8, RFC 3516).
func literalAt(tail []byte, client bool) (n int64, nonSync, ok bool) {
	t := bytes.TrimSuffix(tail, []byte("\n"))
	t = bytes.TrimSuffix(t, []byte("\r"))
	if len(t) < 3 || t[len(t)-1] != '}' {
		return 0, false, false
	}
	i := bytes.LastIndexByte(t, '{')
	if i < 0 {
		return 0, false, false
	}
	num := t[i+1 : len(t)-1]
	if client && len(num) > 0 && num[len(num)-1] == '+' {
		nonSync = true
		num = num[:len(num)-1]
	}
	if len(num) == 0 || len(num) > 19 {
		return 0, false, false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, false, false
		}
	}
	v, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 0, false, false
	}
	return v, nonSync, true
}

// addLiteral counts literal octets, keeping at most MaxDataPreview of them.
func (d *imapDir) addLiteral(p []byte) {
	d.acc.lines += bytes.Count(p, []byte("\n"))
	if d.mask {
		d.acc.size += len(p)
		return
	}
	d.acc.addBytes(p)
}

// startLiteral switches d to literal data after the announcing line.
func (f *imapFramer) startLiteral(s *Session, d *imapDir, n int64, nonSync, mask bool) {
	d.left, d.total = n, n
	d.acc.reset()
	d.mask = mask
	d.sync = d.dir == C2S && !nonSync
	d.litTag = f.tag
	if n == 0 {
		f.endLiteral(s, d, false)
	}
}

// endLiteral publishes the literal; cut says the connection closed first.
func (f *imapFramer) endLiteral(s *Session, d *imapDir, cut bool) {
	x := s.bus.Explainer
	var e *Event
	switch {
	case d.mask:
		key := "data.sum.literal.masked"
		if cut {
			key += ".cut"
		}
		msg := M(key, "octets", itoa(d.acc.size), "total", strconv.FormatInt(d.total, 10))
		e = &Event{Kind: KindData, Dir: d.dir, Size: d.acc.size, Lines: d.acc.lines,
			Msg: msg, Text: english.Format(msg),
			Flags: []Flag{FlagMasked}, Explain: x.Key("line.masked")}
	default:
		key := "data.sum.literal"
		if cut {
			key += ".cut"
		}
		e = d.acc.event(d.dir, M(key, "octets", itoa(d.acc.size), "lines", itoa(d.acc.lines), "total", strconv.FormatInt(d.total, 10)), true)
		e.Explain = x.Key("data.imap.literal")
	}
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	e.Attrs["announced"] = strconv.FormatInt(d.total, 10)
	s.Emit(e)
	d.left, d.total = 0, 0
	d.mask, d.sync = false, false
	d.acc.reset()
	d.cont = true
}

// ciphertext summarizes bytes after STARTTLS.
func (f *imapFramer) ciphertext(s *Session, dir Dir, n int) {
	msg := M("data.sum.ciphertext", "octets", itoa(n))
	s.Emit(&Event{Kind: KindData, Dir: dir, Size: n, Msg: msg, Text: english.Format(msg),
		Flags: []Flag{FlagEncrypted}, Explain: s.bus.Explainer.Key("line.encrypted")})
}

// client publishes one client line (or the part of it before a literal).
func (f *imapFramer) client(s *Session, l rawLine, n int64, nonSync, isLit bool) {
	x := s.bus.Explainer
	text := string(l.text)
	e := &Event{Kind: KindLine, Dir: C2S, Text: text, Flags: l.flags(false)}
	maskLit := false
	pwRefused := f.pwRefused
	f.pwRefused = false
	switch {
	case pwRefused && !f.isCommand(x, text):
		// The password literal of a refused LOGIN, sent without waiting
		// for the server's "+".
		e = f.sasl.line(s, &l, "imap.line.continued")
		isLit = false
	case f.c2s.cont:
		f.c2s.cont = false
		e.Explain = x.Key("imap.line.continued")
		if f.login != nil {
			shown, masked, litIsPassword := f.login.scan(text, 0, isLit, l.cut)
			f.mask(s, e, shown, masked)
			maskLit = litIsPassword
			if f.login.done() && !isLit {
				f.login = nil
			}
		}
	case f.sasl.takes(text, nil) || f.saslNext: // takes counts the line: first
		f.saslNext = false
		e = f.sasl.line(s, &l, "imap.line.sasl")
		// A response is one line (RFC 9051 section 6.2.2): a "{N}" at its
		// end announces nothing to the server.
		isLit = false
	case f.idle && strings.EqualFold(strings.TrimSpace(text), "DONE"):
		f.idle = false
		e.Explain = x.Key("imap.cmd.DONE")
	default:
		tag, verb, argsAt := parseIMAPCommand(text)
		e.Explain = x.IMAPCommand(verb)
		if tag == "" {
			break
		}
		if f.idle && verb == "DONE" {
			// "a10 DONE": DONE has no tag, so the server cannot take
			// this for the end of IDLE; it ends the IDLE with BAD.
			f.idle = false
			e.Explain = x.Key("imap.cmd.DONE.tagged")
		}
		f.tag = tag
		word := strings.ToUpper(tag)
		noTag := x.Key(x.cmdKey(verb)) == nil && x.Key(x.cmdKey(word)) != nil
		f.remember(imapCmd{tag: tag, verb: verb, noTag: noTag})
		if noTag {
			// "LOGIN alice alice": the client forgot the tag. The server
			// takes LOGIN for the tag, so the command is explained as
			// what it is, and credentials stay masked all the same.
			e.Explain = x.Explain("imap.cmd.notag", "word", word)
			if word == "LOGIN" || word == "AUTHENTICATE" {
				verb, argsAt = word, len(tag)+1
			}
		}
		switch verb {
		case "LOGIN":
			f.login = &loginScan{}
			shown, masked, litIsPassword := f.login.scan(text, argsAt, isLit, l.cut)
			f.mask(s, e, shown, masked)
			maskLit = litIsPassword
			if f.login.done() && !isLit {
				f.login = nil
			}
		case "AUTHENTICATE":
			f.authTag = tag
			f.sasl.start(text[argsAt:])
			// AUTHENTICATE mech initial-response (SASL-IR, RFC 4959).
			mech, ir, ok := strings.Cut(strings.TrimSpace(text[argsAt:]), " ")
			if ok && ir != "" && ir != "=" && s.bus.Mask {
				f.mask(s, e, text[:argsAt]+mech+" ****", true)
			}
		case "IDLE":
			f.idle = true
		case "STARTTLS":
			f.tlsTag = tag
		}
	}
	s.Emit(e)
	if isLit {
		f.startLiteral(s, &f.c2s, n, nonSync, maskLit && s.bus.Mask)
	}
}

// isCommand reports whether a client line is a command this framer knows:
// a tag, then a verb the catalog explains.
func (f *imapFramer) isCommand(x *Explainer, text string) bool {
	tag, verb, _ := parseIMAPCommand(text)
	return tag != "" && x.Key(x.cmdKey(verb)) != nil
}

// mask replaces the event's text when the bus masks credentials.
func (f *imapFramer) mask(s *Session, e *Event, shown string, masked bool) {
	if !masked || !s.bus.Mask {
		return
	}
	e.Text = shown
	e.Flags = append(e.Flags, FlagMasked)
}

// remember records a command until its tagged response.
func (f *imapFramer) remember(c imapCmd) {
	if len(f.cmds) == maxPendingCmds {
		f.cmds = append(f.cmds[:0], f.cmds[1:]...)
	}
	f.cmds = append(f.cmds, c)
}

// complete finds and forgets the command a tagged response answers.
func (f *imapFramer) complete(tag string) imapCmd {
	for i, c := range f.cmds {
		if c.tag == tag {
			f.cmds = append(f.cmds[:i], f.cmds[i+1:]...)
			return c
		}
	}
	return imapCmd{}
}

// server publishes one server line (or the part of it before a literal).
func (f *imapFramer) server(s *Session, l rawLine, n int64, isLit bool) {
	x := s.bus.Explainer
	text := string(l.text)
	e := &Event{Kind: KindLine, Dir: S2C, Text: text, Flags: l.flags(true)}
	f.sasl.scrubEvent(s, e)
	startTLS := false
	switch {
	case f.s2c.cont:
		f.s2c.cont = false
		e.Explain = x.Key("imap.resp.continued")
	case text == "+" || strings.HasPrefix(text, "+ "):
		switch {
		case f.c2s.sync && f.c2s.left > 0:
			f.c2s.sync = false
			e.Explain = x.Key("imap.cont.literal")
		case f.idle:
			e.Explain = x.Key("imap.cont.idle")
		case f.authTag != "":
			f.saslNext = true
			e.Explain = x.Key("imap.cont.sasl")
			if dec := decodeChallenge(strings.TrimSpace(strings.TrimPrefix(text, "+"))); dec != "" {
				c := *e.Explain
				c.Text += " Decoded: \"" + dec + "\"."
				e.Explain = &c
			}
		default:
			e.Explain = x.Key("imap.cont")
		}
	case strings.HasPrefix(text, "* "):
		e.Explain = f.untagged(x, text[2:])
	default:
		tag, rest, _ := strings.Cut(text, " ")
		status, code := statusAndCode(rest)
		c := f.complete(tag)
		cmd := c.verb
		e.Explain = x.IMAPStatus("tagged", status, cmd, code)
		if c.noTag && status == "BAD" {
			e.Explain = x.imapNoTag(e.Explain, tag, cmd)
		}
		switch {
		case tag == f.tlsTag:
			f.tlsTag = ""
			startTLS = status == "OK"
		case tag == f.authTag:
			f.authTag, f.saslNext = "", false
			f.sasl.end(status == "OK")
		}
		if cmd == "IDLE" {
			f.idle = false
		}
		if d := &f.c2s; d.sync && d.left > 0 && d.left == d.total && d.litTag == tag {
			// The server refused the command before the client sent its
			// synchronizing literal: no literal follows, unless the
			// client did not wait, and then a password must stay hidden.
			f.pwRefused = d.mask
			d.left, d.total, d.mask, d.sync, d.cont = 0, 0, false, false, false
			f.login = nil
		}
	}
	f.greeted = true
	s.Emit(e)
	if isLit {
		f.startLiteral(s, &f.s2c, n, false, false)
	}
	if startTLS {
		// From the next octet on both sides speak TLS (RFC 9051 section
		// 6.2.1); what this tap sees is ciphertext.
		f.encrypted = true
		f.c2s.sp = splitter{}
		f.s2c.sp = splitter{}
	}
}

// untagged explains a "* ..." line: a status response (the greeting is the
// first), a message datum ("* 3 EXISTS") or a data response ("* LIST").
func (f *imapFramer) untagged(x *Explainer, rest string) *Explanation {
	first, after, _ := strings.Cut(rest, " ")
	if first != "" && first[0] >= '0' && first[0] <= '9' {
		name, _, _ := strings.Cut(after, " ")
		return x.first("imap.data."+strings.ToUpper(name), "imap.data.unknown")
	}
	switch up := strings.ToUpper(first); up {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		status, code := statusAndCode(rest)
		kind := "untagged"
		if !f.greeted {
			kind = "greeting"
		}
		return x.IMAPStatus(kind, status, "", code)
	default:
		return x.first("imap.data."+up, "imap.data.unknown")
	}
}

// statusAndCode reads "OK [CODE args] text": the status word and the
// response code's name.
func statusAndCode(s string) (status, code string) {
	status, rest, _ := strings.Cut(s, " ")
	status = strings.ToUpper(status)
	if strings.HasPrefix(rest, "[") {
		inner := rest[1:]
		if i := strings.IndexByte(inner, ']'); i >= 0 {
			inner = inner[:i]
		}
		name, _, _ := strings.Cut(inner, " ")
		code = strings.ToUpper(name)
	}
	return status, code
}

// parseIMAPCommand reads "tag VERB args": the tag, the verb (UID FETCH as
// one), and where the arguments begin. A line without a tag and a verb has
// an empty tag.
func parseIMAPCommand(text string) (tag, verb string, argsAt int) {
	tag, rest, ok := strings.Cut(text, " ")
	if !ok || tag == "" {
		return "", "", len(text)
	}
	v, after, _ := strings.Cut(rest, " ")
	verb = strings.ToUpper(v)
	argsAt = len(tag) + 1 + len(v) + 1
	if verb == "UID" && after != "" {
		sub, _, _ := strings.Cut(after, " ")
		verb += " " + strings.ToUpper(sub)
		argsAt += len(sub) + 1
	}
	if argsAt > len(text) {
		argsAt = len(text)
	}
	return tag, verb, argsAt
}

// loginScan follows LOGIN's two arguments, user name and password (RFC
// 9051 section 6.2.3), each an atom, a quoted string or a literal, through
// the lines and literals of one command.
type loginScan struct{ args int }

func (ls *loginScan) done() bool { return ls.args >= 2 }

// scan reads the arguments in text from position at. It returns the text
// with the password replaced by asterisks, whether it replaced anything, and
// whether the literal announced at the end of the line is the password.
func (ls *loginScan) scan(text string, at int, endsInLiteral, cut bool) (shown string, masked, literalIsPassword bool) {
	var b strings.Builder
	b.WriteString(text[:at])
	i := at
	for i < len(text) {
		if text[i] == ' ' {
			b.WriteByte(' ')
			i++
			continue
		}
		start := i
		switch text[i] {
		case '"':
			i++
			for i < len(text) && text[i] != '"' {
				if text[i] == '\\' {
					i++
				}
				i++
			}
			if i < len(text) {
				i++
			}
		case '{':
			if endsInLiteral && strings.HasSuffix(text, "}") && strings.IndexByte(text[i:], ' ') < 0 {
				ls.args++
				b.WriteString(text[start:])
				return b.String(), masked, ls.args == 2
			}
			fallthrough
		default:
			for i < len(text) && text[i] != ' ' {
				i++
			}
		}
		ls.args++
		if ls.args == 2 {
			b.WriteString("****")
			masked = true
		} else {
			b.WriteString(text[start:min(i, len(text))])
		}
	}
	if cut && ls.args < 2 {
		// The line was longer than the trace keeps: whatever was not
		// seen may hold the password, so hide everything after the verb,
		// and the literal that may follow.
		return text[:at] + "****", true, endsInLiteral
	}
	return b.String(), masked, false
}

// tlsStarted is called by the tap when it upgraded the connection itself:
// it sees plaintext again, so lines are framed as before.
func (f *imapFramer) tlsStarted() {
	f.encrypted = false
	f.tlsTag = ""
}
