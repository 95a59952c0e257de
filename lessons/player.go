package lessons

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// Controller acts on the world the way an instructor does from a second
// terminal (mailscope fault, mailscope queue flush).
type Controller interface {
	// SetFault switches a server's fault: down, up, greylist, slow, quota,
	// reject or clear.
	SetFault(ctx context.Context, server, fault string) error
	// Flush starts delivery of queued mail for domain ("" for all) now.
	Flush(ctx context.Context, domain string) error
}

// Player plays a lesson's example commands as a scripted client over real
// TCP connections, typing them like a person so that a class can follow,
// and waits for the engine to tick each step before the next.
type Player struct {
	Lesson *Lesson
	Lang   string
	Addrs  Addrs
	// Control performs the demo's control commands (faults, flushes).
	Control Controller
	// Out is the terminal; nil discards.
	Out io.Writer
	// Transcript, when set, receives the plain client/server lines of the
	// demo (the golden transcripts of the tests).
	Transcript io.Writer
	// Speed scales the pace: 1 is a person typing, 2 twice as fast; 0 is 1.
	Speed float64
	// StepMode waits for Enter (a line from In) before each command.
	StepMode bool
	In       io.Reader
	// Color uses ANSI colors on Out.
	Color bool
	// Vars override the lesson's demo variables.
	Vars map[string]string
	// Wait blocks until the engine has ticked a step; nil does not wait.
	Wait func(ctx context.Context, step int) error
	// From is the first step played.
	From int
	// ReplyTimeout bounds one reply (default 30s); StepTimeout bounds the
	// wait for a step to be ticked (default 5m: a retry may take minutes).
	ReplyTimeout, StepTimeout time.Duration

	mu        sync.Mutex // guards Out and pending: the engine may print from another goroutine
	pending   []string
	stepNotes map[int][]string
	in        *bufio.Reader
	vars      map[string]string
	sessions  map[string]*clientSession
	active    string
	rng       *rand.Rand
}

// clientSession is one client connection of a demo.
type clientSession struct {
	name, server, proto string
	addr                string
	conn                net.Conn
	r                   *bufio.Reader
	idleTag             string // IMAP: the tag of the IDLE command in progress
	closed              bool
	last                []string // the last reply read (for Command.If)
}

// Print writes s to Out at once, between the player's own writes. Like
// Notify and NotifyStep it takes text ready for the terminal: escaped
// (tracer.PrintableText) before it was colored.
func (p *Player) Print(s string) { p.say(s) }

// Notify queues s (the engine's hint about a reply, for instance) to be
// printed at the next pause: after the reply being read, or before the next
// command, so that it follows what it comments on.
func (p *Player) Notify(s string) {
	p.mu.Lock()
	p.pending = append(p.pending, s)
	p.mu.Unlock()
}

// NotifyStep queues s to be printed just before the explanation of step
// (0-based): what in the trace completed it.
func (p *Player) NotifyStep(step int, s string) {
	p.mu.Lock()
	if p.stepNotes == nil {
		p.stepNotes = map[int][]string{}
	}
	p.stepNotes[step] = append(p.stepNotes[step], s)
	p.mu.Unlock()
}

func (p *Player) flushNotes() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.pending {
		io.WriteString(p.Out, s)
	}
	p.pending = nil
}

// Play runs the demo from step From to the end.
func (p *Player) Play(ctx context.Context) error {
	if p.Out == nil {
		p.Out = io.Discard
	}
	if p.Speed <= 0 {
		p.Speed = 1
	}
	if p.ReplyTimeout <= 0 {
		p.ReplyTimeout = 30 * time.Second
	}
	if p.StepTimeout <= 0 {
		p.StepTimeout = 5 * time.Minute
	}
	if p.In != nil {
		p.in = bufio.NewReader(p.In)
	}
	p.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	p.vars = map[string]string{}
	for k, v := range p.Addrs.Vars() {
		p.vars[k] = v
	}
	for k, v := range p.Lesson.Vars {
		p.vars[k] = v
	}
	for k, v := range p.Vars {
		p.vars[k] = v
	}
	p.sessions = map[string]*clientSession{}
	defer p.closeAll()
	stop := context.AfterFunc(ctx, p.closeAll)
	defer stop()

	l := p.Lesson
	p.tr("# lesson %s", l.ID)
	p.say(p.c(cBold, UI(p.Lang, "lesson", "lesson", l.ID, "title", l.Title.In(p.Lang))) + "\n")
	for i := p.From; i < len(l.Steps); i++ {
		s := l.Steps[i]
		if len(s.Demo) == 0 && i > p.From {
			// A step to watch completes from events already under way
			// (relay's hops come within a second): leave the class time
			// to read the explanation just shown before the next.
			if err := p.readPause(ctx); err != nil {
				return err
			}
		}
		p.tr("## step %d: %s", i+1, s.Title.En)
		p.say("\n" + p.c(cBold, "── "+UI(p.Lang, "step", "n", strconv.Itoa(i+1), "steps", strconv.Itoa(len(l.Steps)), "title", s.Title.In(p.Lang))+" ──") + "\n")
		if len(s.Demo) == 0 {
			// Nothing to type: say what to watch.
			p.say(p.c(cDim, Expand(strings.TrimRight(s.Instruction.In(p.Lang), "\n"), p.vars)) + "\n")
		}
		for _, c := range s.Demo {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := p.run(ctx, c); err != nil {
				return p.stepError("step.failed", i, err)
			}
		}
		if err := p.waitStep(ctx, i); err != nil {
			return p.stepError("not.seen", i, err)
		}
		p.flushNotes()
		p.mu.Lock()
		notes := p.stepNotes[i]
		delete(p.stepNotes, i)
		p.mu.Unlock()
		for _, n := range notes {
			p.say(n)
		}
		p.tr("## step %d done", i+1)
		p.say(p.c(cGreen, UI(p.Lang, "step.done", "n", strconv.Itoa(i+1), "text", Expand(s.Explain.In(p.Lang), p.vars))) + "\n")
	}
	p.closeAll()
	p.say("\n" + p.c(cBold, UI(p.Lang, "demo.done")) + "\n")
	return nil
}

// stepError says in the player's language that step i failed with err.
func (p *Player) stepError(key string, i int, err error) error {
	msg := UI(p.Lang, key, "lesson", p.Lesson.ID, "n", strconv.Itoa(i+1), "title", p.Lesson.Steps[i].Title.In(p.Lang), "err", err.Error())
	return &stepError{msg: msg, err: err}
}

// stepError is a failed step of a demo: its message in the player's
// language, wrapping the cause (errors.Is finds context.Canceled in it).
type stepError struct {
	msg string
	err error
}

func (e *stepError) Error() string { return e.msg }
func (e *stepError) Unwrap() error { return e.err }

func (p *Player) waitStep(ctx context.Context, i int) error {
	if p.Wait == nil {
		return nil
	}
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	err := p.Wait(short, i)
	cancel()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.say(p.c(cDim, UI(p.Lang, "waiting")) + "\n")
	long, cancel := context.WithTimeout(ctx, p.StepTimeout)
	defer cancel()
	return p.Wait(long, i)
}

// run performs one command.
func (p *Player) run(ctx context.Context, c *Command) error {
	if c.cond != nil && !p.lastReplyMatches(c) {
		return nil
	}
	if err := p.prompt(ctx); err != nil {
		return err
	}
	p.think(ctx)
	p.flushNotes()
	if c.Note.En != "" {
		p.say(p.c(cDim, "# "+c.Note.In(p.Lang)) + "\n")
	}
	if c.Control != "" {
		return p.control(ctx, c)
	}
	s := p.sessions[c.Session]
	if s == nil || s.closed {
		var err error
		if s, err = p.open(ctx, c); err != nil {
			return err
		}
	} else if p.active != s.name {
		p.say(p.c(cDim, fmt.Sprintf("── %s: telnet %s ──", s.name, telnetArgs(s.addr))) + "\n")
	}
	p.active = s.name
	var lines []string
	for _, l := range c.Lines() {
		lines = append(lines, Expand(l, p.vars))
	}
	if len(lines) > 0 {
		if s.proto == "http" && lines[len(lines)-1] != "" {
			lines = append(lines, "")
		}
		for _, l := range lines {
			p.typeLine(ctx, l, c.Paste, cCyan)
			p.tr("[%s] C: %s", s.name, l)
			s.conn.SetWriteDeadline(time.Now().Add(p.ReplyTimeout))
			if _, err := io.WriteString(s.conn, l+"\r\n"); err != nil {
				return fmt.Errorf("session %s: sending %q: %w", s.name, l, err)
			}
		}
	} else if c.until == nil && c.capture == nil && !c.StartTLS {
		return nil
	}
	last := ""
	if len(lines) > 0 {
		last = lines[0]
		if len(lines) > 1 && s.proto != "http" {
			last = lines[len(lines)-1]
		}
	}
	reply, eof, err := p.readReply(s, last, c.until)
	if err != nil {
		return fmt.Errorf("session %s: reading the reply to %q: %w", s.name, last, err)
	}
	p.capture(c, reply)
	s.last = reply
	if s.proto == "http" {
		reply = p.httpShow(reply, c.show)
	}
	for _, l := range reply {
		p.tr("[%s] S: %s", s.name, l)
		p.say(p.c(replyColor(s.proto, l), printable(l)) + "\n")
	}
	p.flushNotes()
	if c.StartTLS {
		if err := p.startTLS(s); err != nil {
			return err
		}
	}
	if eof || s.proto == "http" || closesSession(s.proto, last, reply) {
		p.closeSession(s)
	}
	return nil
}

// lastReplyMatches reports whether a line of the last reply c's session
// read matches c.If (false for a session not open).
func (p *Player) lastReplyMatches(c *Command) bool {
	s := p.sessions[c.Session]
	if s == nil || s.closed {
		return false
	}
	for _, l := range s.last {
		if c.cond.MatchString(l) {
			return true
		}
	}
	return false
}

// open dials a new session and reads the greeting.
func (p *Player) open(ctx context.Context, c *Command) (*clientSession, error) {
	s := &clientSession{name: c.Session, server: c.Server, proto: c.Proto}
	if old := p.sessions[c.Session]; old != nil && c.Server == "" {
		// A session closed earlier is opened again: same server, same port.
		s.server, s.proto = old.server, old.proto
	}
	addr := p.Addrs.Addr(s.server, s.proto)
	if addr == "" {
		return nil, fmt.Errorf("session %s: no address for %s %s", c.Session, s.server, s.proto)
	}
	s.addr = addr
	p.typeLine(ctx, "$ telnet "+telnetArgs(addr), false, cBold)
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", c.Session, err)
	}
	s.conn, s.r = conn, bufio.NewReaderSize(conn, 16<<10)
	p.sessions[c.Session] = s
	p.tr("[%s] connect %s %s", s.name, s.server, s.proto)
	if s.proto == "http" {
		return s, nil
	}
	greet, eof, err := p.readReply(s, "", nil)
	if err != nil {
		return nil, fmt.Errorf("session %s: reading the greeting: %w", s.name, err)
	}
	for _, l := range greet {
		p.tr("[%s] S: %s", s.name, l)
		p.say(p.c(replyColor(s.proto, l), printable(l)) + "\n")
	}
	if eof {
		p.closeSession(s)
	}
	return s, nil
}

func (p *Player) control(ctx context.Context, c *Command) error {
	if p.Control == nil {
		return errors.New(UI(p.Lang, "no.control"))
	}
	switch c.Control {
	case "fault":
		p.typeLine(ctx, "$ mailscope fault "+c.Server+" "+c.Fault, false, cBold)
		p.tr("[control] fault %s %s", c.Server, c.Fault)
		return p.Control.SetFault(ctx, c.Server, c.Fault)
	case "flush":
		d := Expand(c.Domain, p.vars)
		p.typeLine(ctx, strings.TrimSpace("$ mailscope queue flush "+d), false, cBold)
		p.tr("[control] flush %s", d)
		return p.Control.Flush(ctx, d)
	}
	return fmt.Errorf("control %q unknown", c.Control)
}

func (p *Player) startTLS(s *clientSession) error {
	host, _, _ := net.SplitHostPort(s.addr)
	// The world's certificate is self-signed: a demo trusts it the way a
	// student does when openssl s_client shows it.
	tc := tls.Client(s.conn, &tls.Config{InsecureSkipVerify: true, ServerName: host, MinVersion: tls.VersionTLS12}) //nolint:gosec
	tc.SetDeadline(time.Now().Add(p.ReplyTimeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("session %s: TLS handshake: %w", s.name, err)
	}
	tc.SetDeadline(time.Time{})
	s.conn, s.r = tc, bufio.NewReaderSize(tc, 16<<10)
	p.tr("[%s] -- TLS --", s.name)
	p.say(p.c(cDim, UI(p.Lang, "tls")) + "\n")
	return nil
}

func (p *Player) capture(c *Command, reply []string) {
	if len(c.capture) == 0 {
		return
	}
	text := strings.Join(reply, "\n")
	for name, re := range c.capture {
		if ms := re.FindAllStringSubmatch(text, -1); len(ms) > 0 {
			p.vars[name] = ms[len(ms)-1][1]
		}
	}
}

func (p *Player) closeSession(s *clientSession) {
	if s.closed {
		return
	}
	s.closed = true
	s.conn.Close()
	p.tr("[%s] closed", s.name)
	p.say(p.c(cDim, UI(p.Lang, "closed")) + "\n")
}

func (p *Player) closeAll() {
	for _, s := range p.sessions {
		if !s.closed {
			s.closed = true
			s.conn.Close()
		}
	}
}

// closesSession reports whether the server ends the session after this
// exchange: QUIT (SMTP 221, POP3) and IMAP LOGOUT.
func closesSession(proto, sent string, reply []string) bool {
	verb := strings.ToUpper(firstField(sent))
	switch proto {
	case "smtp":
		return len(reply) > 0 && strings.HasPrefix(reply[len(reply)-1], "221")
	case "pop3":
		return verb == "QUIT"
	case "imap":
		f := strings.Fields(sent)
		return len(f) > 1 && strings.EqualFold(f[1], "LOGOUT")
	}
	return false
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// maxReply bounds what one reply may hold.
const maxReply = 4 << 20

var literalAtEnd = regexp.MustCompile(`\{(\d+)\+?\}$`)

// readReply reads one reply to sent ("" for a greeting): until a line
// matches until, or the protocol's end of reply. eof says the server closed
// the connection.
func (p *Player) readReply(s *clientSession, sent string, until *regexp.Regexp) (lines []string, eof bool, err error) {
	s.conn.SetReadDeadline(time.Now().Add(p.ReplyTimeout))
	defer s.conn.SetReadDeadline(time.Time{})
	if s.proto == "http" {
		b, err := io.ReadAll(io.LimitReader(s.r, maxReply))
		if err != nil && len(b) == 0 {
			return nil, true, err
		}
		return []string{string(b)}, true, nil // httpShow parses it
	}
	verb := strings.ToUpper(firstField(sent))
	tag := ""
	if s.proto == "imap" {
		f := strings.Fields(sent)
		switch {
		case len(f) == 1 && strings.EqualFold(f[0], "DONE"):
			tag, s.idleTag = s.idleTag, ""
		case len(f) > 1:
			tag = f[0]
			if strings.EqualFold(f[1], "IDLE") {
				s.idleTag = tag
				if until == nil {
					until = regexp.MustCompile(`^\+`)
				}
			}
		}
	}
	total := 0
	for {
		line, err := readLine(s.r)
		if err != nil {
			if errors.Is(err, io.EOF) && len(lines) > 0 {
				return lines, true, nil
			}
			return lines, errors.Is(err, io.EOF), err
		}
		total += len(line)
		if total > maxReply {
			return lines, false, errors.New("reply too long")
		}
		// An IMAP literal: exactly n octets follow the line (RFC 9051
		// section 4.3), then the line goes on.
		if s.proto == "imap" {
			if m := literalAtEnd.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				if n > maxReply {
					return lines, false, errors.New("literal too long")
				}
				buf := make([]byte, n)
				if _, err := io.ReadFull(s.r, buf); err != nil {
					return lines, false, err
				}
				lines = append(lines, line)
				lines = append(lines, strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(buf), "\r\n", "\n"), "\n"), "\n")...)
				continue
			}
		}
		lines = append(lines, line)
		if until != nil {
			if until.MatchString(line) {
				return lines, false, nil
			}
			continue
		}
		switch s.proto {
		case "smtp":
			if len(line) < 4 || line[3] == ' ' {
				return lines, false, nil
			}
		case "pop3":
			if len(lines) == 1 {
				if !strings.HasPrefix(line, "+OK") || !pop3Multiline(sent, verb) {
					return lines, false, nil
				}
			} else if line == "." {
				return lines, false, nil
			}
		case "imap":
			if tag == "" || strings.HasPrefix(line, tag+" ") {
				return lines, false, nil
			}
		default:
			return lines, false, nil
		}
	}
}

// pop3Multiline reports whether a +OK to this command starts a multi-line
// response (RFC 1939 section 3, RFC 2449 CAPA).
func pop3Multiline(sent, verb string) bool {
	args := len(strings.Fields(sent)) - 1
	switch verb {
	case "RETR", "TOP", "CAPA":
		return true
	case "LIST", "UIDL":
		return args == 0
	}
	return false
}

// readLine reads one line without its CRLF (or LF), at most 64 KiB.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == bufio.ErrBufferFull {
			if len(b) > 64<<10 {
				return "", errors.New("line too long")
			}
			continue
		}
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return strings.TrimRight(string(b), "\r\n"), nil
			}
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
}

// httpShow shows a raw HTTP response: the status line, the content type
// and the framing headers, and the body (JSON indented), filtered by show
// or cut after a screenful.
func (p *Player) httpShow(raw []string, show *regexp.Regexp) []string {
	if len(raw) == 0 {
		return nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw[0])), nil)
	if err != nil {
		return strings.Split(strings.TrimRight(strings.ReplaceAll(raw[0], "\r\n", "\n"), "\n"), "\n")
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	statusLine, _, _ := strings.Cut(raw[0], "\r\n")
	out := []string{statusLine}
	for _, h := range []string{"Content-Type", "Content-Length", "Transfer-Encoding"} {
		if v := resp.Header.Get(h); v != "" {
			out = append(out, h+": "+v)
		}
	}
	if len(resp.TransferEncoding) > 0 {
		out = append(out, "Transfer-Encoding: "+strings.Join(resp.TransferEncoding, ", "))
	}
	body := string(b)
	var pretty bytes.Buffer
	if json.Indent(&pretty, b, "", "  ") == nil {
		body = pretty.String()
	}
	out = append(out, "")
	bl := strings.Split(strings.TrimRight(body, "\n"), "\n")
	kept, hidden := 0, 0
	for _, l := range bl {
		if show != nil && !show.MatchString(l) || show == nil && kept >= 20 {
			hidden++
			continue
		}
		if len(l) > 160 {
			l = l[:157] + "..."
		}
		out = append(out, l)
		kept++
	}
	if hidden > 0 {
		out = append(out, UI(p.Lang, "more", "n", strconv.Itoa(hidden)))
	}
	return out
}

// Pace: a person types a character in about 60 ms and thinks a little
// before each command.
const (
	charDelay  = 60 * time.Millisecond
	thinkDelay = 700 * time.Millisecond
	pasteDelay = 40 * time.Millisecond // per pasted line
	readDelay  = 6 * time.Second       // to read an explanation before a step that only watches
)

func (p *Player) sleep(ctx context.Context, d time.Duration) {
	d = time.Duration(float64(d) / p.Speed)
	if d < 200*time.Microsecond {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (p *Player) think(ctx context.Context) {
	p.sleep(ctx, time.Duration(float64(thinkDelay)*(0.6+0.8*p.rng.Float64())))
}

// typeLine shows s as if typed, then a newline.
func (p *Player) typeLine(ctx context.Context, s string, paste bool, col string) {
	if paste || float64(charDelay)/p.Speed < float64(200*time.Microsecond) {
		p.say(p.c(col, printable(s)) + "\n")
		if paste {
			p.sleep(ctx, pasteDelay)
		}
		return
	}
	for _, r := range printable(s) {
		p.say(p.c(col, string(r)))
		d := float64(charDelay) * (0.4 + 1.2*p.rng.Float64())
		if r == ' ' {
			d *= 1.6
		}
		p.sleep(ctx, time.Duration(d))
	}
	p.say("\n")
}

// readPause waits for Enter in step mode, else the time to read an
// explanation.
func (p *Player) readPause(ctx context.Context) error {
	if p.StepMode && p.in != nil {
		return p.prompt(ctx)
	}
	p.sleep(ctx, readDelay)
	return nil
}

// prompt waits for Enter in step mode.
func (p *Player) prompt(ctx context.Context) error {
	if !p.StepMode || p.in == nil {
		return nil
	}
	p.say(p.c(cDim, UI(p.Lang, "enter")))
	done := make(chan error, 1)
	go func() {
		_, err := p.in.ReadString('\n')
		done <- err
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-done:
		if p.Color {
			p.say("\033[1A\033[2K") // the terminal echoed Enter: erase the prompt's line
		}
		if errors.Is(err, io.EOF) {
			p.StepMode = false // no more input: play on
			return nil
		}
		return err
	}
}

func (p *Player) say(s string) {
	p.mu.Lock()
	io.WriteString(p.Out, s)
	p.mu.Unlock()
}

func (p *Player) tr(format string, a ...any) {
	if p.Transcript != nil {
		fmt.Fprintf(p.Transcript, format+"\n", a...)
	}
}

// telnetArgs turns host:port into telnet's "host port".
func telnetArgs(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		return host + " " + port
	}
	return addr
}

// printable escapes control characters of wire text for the terminal, but
// keeps tabs (folded header lines start with one).
func printable(s string) string { return tracer.PrintableText(s) }

// ANSI colors.
const (
	cBold   = "\033[1m"
	cDim    = "\033[2m"
	cCyan   = "\033[1;36m"
	cGreen  = "\033[32m"
	cBlue   = "\033[1;34m"
	cYellow = "\033[33m"
	cRed    = "\033[1;31m"
)

// c escapes s for the terminal (tracer.PrintableText), then colors it:
// every text the player writes goes through c, so a server's reply or a
// note quoting the trace cannot drive the terminal.
func (p *Player) c(code, s string) string {
	s = tracer.PrintableText(s)
	if !p.Color || code == "" {
		return s
	}
	return code + s + "\033[0m"
}

// replyColor colors a server line by its class.
func replyColor(proto, l string) string {
	switch {
	case strings.HasPrefix(l, "+OK"), strings.HasPrefix(l, "HTTP/") && strings.Contains(l, " 2"):
		return cGreen
	case strings.HasPrefix(l, "-ERR"):
		return cRed
	case strings.HasPrefix(l, "+"):
		return cBlue
	}
	if proto == "smtp" && len(l) >= 3 {
		switch l[0] {
		case '2':
			return cGreen
		case '3':
			return cBlue
		case '4':
			return cYellow
		case '5':
			return cRed
		}
	}
	if proto == "imap" {
		if f := strings.Fields(l); len(f) > 1 && (f[1] == "NO" || f[1] == "BAD") {
			return cRed
		}
		return cGreen
	}
	return ""
}
