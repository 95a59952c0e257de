package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/mailscope/mailscope/servers/smtp"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// pending is one queued message with those of its recipients that are due:
// one mail transaction (MAIL, RCPT..., DATA).
type pending struct {
	queueID int64
	rcpts   []*store.QueueItem
}

// byMessage groups due recipients by message, the messages in the order
// they first appear.
func byMessage(items []*store.QueueItem) []*pending {
	var msgs []*pending
	of := map[int64]*pending{}
	for _, it := range items {
		m := of[it.QueueID]
		if m == nil {
			m = &pending{queueID: it.QueueID}
			of[it.QueueID] = m
			msgs = append(msgs, m)
		}
		m.rcpts = append(m.rcpts, it)
	}
	return msgs
}

// fail gives every recipient of msgs the same outcome: a reply of the
// server (why nil) or a reason in the catalog (see problem).
func fail(msgs []*pending, code int, reply string, why *tracer.Msg) []outcome {
	var outs []outcome
	for _, m := range msgs {
		for _, it := range m.rcpts {
			outs = append(outs, outcome{item: it, code: code, reply: reply, why: why})
		}
	}
	return outs
}

// failWhy gives every recipient of msgs a reason of the catalog.
func failWhy(msgs []*pending, why *tracer.Msg) []outcome {
	return fail(msgs, 0, reasonText(why), why)
}

// session runs one SMTP client session and returns each recipient's outcome.
func (r *Relay) session(src, dest *world.Server, addr string, msgs []*pending) []outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var forget func()
	conn, err := dialFrom(ctx, addr, func(port int) {
		forget = r.cfg.Bus.ExpectPeer(port, tracer.PeerLabel{Actor: src.Name, Hop: src.Name + "->" + dest.Name})
	})
	if err != nil {
		if forget != nil {
			forget()
		}
		why := reasonOf(err, dest, addr)
		if why.Key == "queue.why.other" {
			why = tracer.M("queue.why.unreachable", "addr", addr, "server", dest.Name, "err", err.Error())
		}
		return failWhy(msgs, why)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	c, gc, err := r.open(conn, src, dest)
	if err != nil {
		conn.Close()
		code, reply, why := problem(err, dest, addr)
		return fail(msgs, code, reply, why)
	}
	defer c.Close()
	c.CommandTimeout = 2 * time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	var outs []outcome
	say := func(err error) (int, string, *tracer.Msg) { return problem(err, dest, addr) }
	for i, m := range msgs {
		got, broke := r.transaction(ctx, c, gc, src, dest, m, say)
		outs = append(outs, got...)
		if broke {
			return append(outs, failWhy(msgs[i+1:], tracer.M("queue.why.broke", "server", dest.Name))...)
		}
	}
	c.Quit()
	return outs
}

// transaction sends one message to its recipients (MAIL, RCPT..., DATA)
// and returns each recipient's outcome; broke says the session cannot go
// on (no reply came). say turns an error into an outcome (problem).
//
// The sender's DSN parameters go on to a server that offers DSN as they
// came (RFC 3461 section 5.2.1: ENVID and RET on MAIL, NOTIFY and ORCPT on
// RCPT, never made up), and the message's trace id in the private
// smtp.TraceKeyword parameter to a server that offers it; gc adds them to
// the lines go-smtp writes (see greetedConn).
func (r *Relay) transaction(ctx context.Context, c *gosmtp.Client, gc *greetedConn, src, dest *world.Server, m *pending, say func(error) (int, string, *tracer.Msg)) (outs []outcome, broke bool) {
	it := m.rcpts[0]
	body, err := r.cfg.Store.QueueBody(ctx, m.queueID)
	if err != nil {
		return failWhy([]*pending{m}, tracer.M("queue.why.internal", "err", err.Error())), false
	}
	body = crlfOnly(body)
	opts := &gosmtp.MailOptions{Size: int64(len(body))}
	if hasHighBit(body) {
		opts.Body = gosmtp.Body8BitMIME
	}
	dsnOK, _ := c.Extension("DSN")
	dsn := r.queueDSN(it)
	mailParams, rcptParams := givenParams(dsn, m.rcpts)
	r.passEvent(src, dest, m, dsnOK, mailParams, rcptParams)
	if !dsnOK { // RFC 3461 section 5.2.2: they go no further
		mailParams, rcptParams = nil, make([]string, len(m.rcpts))
	}
	if ok, _ := c.Extension(smtp.TraceKeyword); ok && smtp.IsTraceID(it.TraceID) {
		mailParams = append(mailParams, smtp.TraceKeyword+"="+it.TraceID)
	}
	gc.extra = strings.Join(mailParams, " ")
	err = c.Mail(it.Sender, opts)
	gc.extra = ""
	if err != nil {
		code, reply, why := say(err)
		if code == 0 {
			return fail([]*pending{m}, code, reply, why), true
		}
		c.Reset()
		return fail([]*pending{m}, code, reply, why), false
	}
	var accepted []*store.QueueItem
	for i, x := range m.rcpts {
		gc.extra = rcptParams[i]
		err := c.Rcpt(x.Rcpt, nil)
		gc.extra = ""
		if err != nil {
			code, reply, why := say(err)
			outs = append(outs, outcome{item: x, code: code, reply: reply, why: why})
			continue
		}
		accepted = append(accepted, x)
	}
	if len(accepted) == 0 {
		c.Reset()
		return outs, false
	}
	code, reply := 250, ""
	var why *tracer.Msg
	w, err := c.Data()
	var resp *gosmtp.DataResponse
	if err == nil {
		_, err = w.Write(body)
		var cerr error
		if resp, cerr = w.CloseWithResponse(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		code, reply, why = say(err)
	} else {
		reply = "250 " + resp.StatusText
	}
	for _, x := range accepted {
		outs = append(outs, outcome{item: x, code: code, reply: reply, why: why, dsn: dsnOK})
	}
	return outs, code == 0
}

// givenParams are the DSN parameters of a message's MAIL FROM and of each
// of its RCPT TO lines, as the sender gave them.
func givenParams(dsn *store.QueueDSN, rcpts []*store.QueueItem) (mail []string, rcpt []string) {
	rcpt = make([]string, len(rcpts))
	if dsn == nil {
		dsn = &store.QueueDSN{}
	}
	if dsn.Ret != "" {
		mail = append(mail, "RET="+dsn.Ret)
	}
	if dsn.EnvID != "" {
		mail = append(mail, "ENVID="+dsn.EnvID)
	}
	for i, x := range rcpts {
		var p []string
		if x.Notify != "" {
			p = append(p, "NOTIFY="+x.Notify)
		}
		if o := dsn.ORCPT[x.ID]; o != "" {
			p = append(p, "ORCPT="+o)
		}
		rcpt[i] = strings.Join(p, " ")
	}
	return mail, rcpt
}

// passEvent tells the trace what became of the sender's DSN parameters on
// this hop: passed on to dest, or dropped because dest does not offer DSN
// (and who then sends the notices).
func (r *Relay) passEvent(src, dest *world.Server, m *pending, dsnOK bool, mail, rcpt []string) {
	var asked []string
	for i, x := range m.rcpts {
		if rcpt[i] != "" {
			asked = append(asked, "<"+x.Rcpt+"> "+rcpt[i])
		}
	}
	if len(mail) == 0 && len(asked) == 0 {
		return
	}
	params := strings.Join(append(append([]string{}, mail...), asked...), "; ")
	key := "queue.dsn.pass"
	if !dsnOK {
		key = "queue.dsn.nopass"
	}
	r.event(m.rcpts[0], tracer.StepDSN, tracer.M(key, "from", src.Name, "to", dest.Name, "params", params), map[string]string{"params": params})
}

// open greets the receiving server, says EHLO with the sending server's
// domain and upgrades to TLS when offered (RFC 3207), then hands the
// connection to go-smtp's client for the mail transactions. go-smtp does its
// own greeting and EHLO; after STARTTLS there is no new greeting on the wire,
// so the client is given the one already read.
func (r *Relay) open(conn net.Conn, src, dest *world.Server) (*gosmtp.Client, *greetedConn, error) {
	br := bufio.NewReader(conn)
	tp := textproto.NewReader(br)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, nil, err
	}
	if _, err := fmt.Fprintf(conn, "EHLO %s\r\n", src.Domain); err != nil {
		return nil, nil, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, nil, err
	}
	greeting := "220 " + dest.Domain + " ESMTP\r\n"
	if hasExtension(msg, "STARTTLS") {
		if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
			return nil, nil, err
		}
		if _, _, err := tp.ReadResponse(220); err != nil {
			return nil, nil, err
		}
		tc := tls.Client(conn, r.clientTLS(dest))
		if err := tc.Handshake(); err != nil {
			return nil, nil, &tlsError{dest: dest.Name, err: err}
		}
		conn = tc
	} else if br.Buffered() > 0 {
		return nil, nil, errUnasked
	}
	gc := &greetedConn{Conn: conn, prefix: []byte(greeting)}
	c := gosmtp.NewClient(gc)
	if err := c.Hello(src.Domain); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, gc, nil
}

func hasExtension(ehlo, ext string) bool {
	for _, l := range strings.Split(ehlo, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], ext) {
			return true
		}
	}
	return false
}

// greetedConn replays a greeting the relay already read, so that go-smtp's
// client can start where the session is. It also adds extra, when set, to
// the MAIL FROM or RCPT TO line go-smtp writes: go-smtp writes ENVID and
// ORCPT from decoded values, re-encoded, only of the address types it
// knows, and no private parameters at all, while RFC 3461 section 5.2.1
// wants the sender's parameters passed on unchanged.
type greetedConn struct {
	net.Conn
	prefix []byte
	extra  string // parameters for the next MAIL or RCPT line, "" for none
}

// Write adds extra before the CRLF of a MAIL or RCPT command; go-smtp
// writes each command line with one Write (textproto's buffered writer,
// flushed per command).
func (g *greetedConn) Write(p []byte) (int, error) {
	if g.extra == "" || !bytes.HasSuffix(p, crlf) || !(bytes.HasPrefix(p, []byte("MAIL FROM:")) || bytes.HasPrefix(p, []byte("RCPT TO:"))) {
		return g.Conn.Write(p)
	}
	line := make([]byte, 0, len(p)+1+len(g.extra))
	line = append(append(append(append(line, p[:len(p)-2]...), ' '), g.extra...), crlf...)
	if _, err := g.Conn.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if len(g.prefix) > 0 {
		n := copy(p, g.prefix)
		g.prefix = g.prefix[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}

func (r *Relay) clientTLS(dest *world.Server) *tls.Config {
	return &tls.Config{RootCAs: r.cfg.Roots, ServerName: dest.Domain, MinVersion: tls.VersionTLS12}
}

func replyCode(err error) int {
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func errText(err error) string {
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		enh := ""
		if se.EnhancedCode != gosmtp.NoEnhancedCode && se.EnhancedCode != (gosmtp.EnhancedCode{}) {
			enh = fmt.Sprintf("%d.%d.%d ", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return fmt.Sprintf("%d %s%s", se.Code, enh, se.Message)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Code, te.Msg)
	}
	return err.Error()
}

// crlfOnly returns b with every bare LF and lone CR made a CRLF, so that B
// is never handed a line end that A did not mean (the SMTP smuggling class of
// attacks: a "\r.\r" one server passes on and the next takes for the end of
// data). go-smtp's DotWriter, like net/textproto's, turns a bare LF into CRLF
// but passes a lone CR through. Mailscope's SMTP server stores CRLF only, so
// this is one pass over the bytes and no copy; older queued mail, or mail put
// in the queue by other means, is copied once.
func crlfOnly(b []byte) []byte {
	n := bytes.Count(b, crlf)
	if bytes.Count(b, lf) == n && bytes.Count(b, cr) == n {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/16)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case c == '\r' || c == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

var (
	cr   = []byte("\r")
	lf   = []byte("\n")
	crlf = []byte("\r\n")
)

func hasHighBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
