package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Relay is the outgoing queue worker: it delivers queued mail to the other
// servers of the world over real SMTP sessions (github.com/emersion/go-smtp's
// client), retries on the world's schedule, honours FUTURERELEASE holds and
// sends DSN bounces (RFC 3464) when a delivery fails for good.
type Relay struct {
	cfg Config

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	// perDest bounds concurrent sessions to one destination server.
	perDest map[string]chan struct{}
	mu      sync.Mutex
}

// Config is what the queue worker needs of the world it runs in.
type Config struct {
	Store  *store.Store
	World  *world.World
	Bus    *tracer.Bus
	Logger *slog.Logger
	// Addr returns the live SMTP address of a server of the world.
	Addr func(server string) string
	// Roots are the certificates trusted when a receiving server offers
	// STARTTLS (RFC 3207): the world's own.
	Roots *x509.CertPool
	// MaxPerDest is how many sessions may run to one destination at once;
	// 0 means 2.
	MaxPerDest int
}

func New(cfg Config) *Relay {
	if cfg.MaxPerDest <= 0 {
		cfg.MaxPerDest = 2
	}
	return &Relay{
		cfg:     cfg,
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		perDest: make(map[string]chan struct{}),
	}
}

// Poke wakes the worker (new mail, a flush, a fault cleared).
func (r *Relay) Poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops the worker and waits for deliveries under way: they end
// quickly once the listeners are closed, and the store must outlive them.
// It waits until ctx ends, but at least a few seconds.
func (r *Relay) Shutdown(ctx context.Context) error {
	close(r.stop)
	grace := time.NewTimer(3 * time.Second)
	defer grace.Stop()
	finished := make(chan struct{})
	go func() { <-r.done; r.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-grace.C:
	}
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Relay) Run() {
	defer close(r.done)
	r.recoverInterrupted()
	for {
		now := time.Now()
		items, err := r.cfg.Store.ClaimDue(context.Background(), now)
		if err != nil {
			if errors.Is(err, store.ErrClosed) {
				return
			}
			r.cfg.Logger.Error("relay: claiming due mail", "err", err)
		}
		r.dispatch(items)
		wait := time.Minute
		if next, err := r.cfg.Store.NextDue(context.Background()); err == nil && !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = d
			}
		}
		if wait < 50*time.Millisecond {
			wait = 50 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// recoverInterrupted handles recipients whose delivery was under way when
// the process stopped. The receiving server is part of this world, so its
// store says whether the message arrived: if it did, the delivery is marked
// done (nothing is delivered twice); if not, it is queued again (nothing is
// lost).
func (r *Relay) recoverInterrupted() {
	ctx := context.Background()
	items, err := r.cfg.Store.Delivering(ctx)
	if err != nil || len(items) == 0 {
		return
	}
	r.cfg.Store.Write(ctx, func(tx *store.Tx) error {
		for _, it := range items {
			arrived := false
			if dest := r.cfg.World.ServerFor(it.Domain); dest != nil {
				local, _, _ := strings.Cut(it.Rcpt, "@")
				if u := dest.User(local); u != nil {
					arrived, _ = r.cfg.Store.HasTraceID(ctx, dest.Name, u.Name, it.TraceID)
				}
			}
			if arrived {
				tx.MarkSent(it.ID, "delivered before the restart (found in the recipient's mailbox)")
			} else {
				tx.Requeue(it.ID, time.Now())
			}
			r.event(it, "recovered", fmt.Sprintf("after a restart: delivery to %s was interrupted; %s", it.Rcpt,
				map[bool]string{true: "it had arrived, so it is marked delivered (not sent twice)", false: "it had not arrived, so it is queued again"}[arrived]), nil)
		}
		return nil
	})
}

// dispatch starts one delivery goroutine per (server, destination domain).
func (r *Relay) dispatch(items []*store.QueueItem) {
	groups := map[string][]*store.QueueItem{}
	var keys []string
	for _, it := range items {
		k := it.Server + "\x00" + it.Domain
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], it)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.deliverGroup(g[0].Server, g[0].Domain, g)
		}()
	}
}

func (r *Relay) slot(dest string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.perDest[dest]
	if !ok {
		ch = make(chan struct{}, r.cfg.MaxPerDest)
		r.perDest[dest] = ch
	}
	return ch
}

// outcome is what happened to one recipient in one attempt.
type outcome struct {
	item  *store.QueueItem
	code  int    // SMTP reply code; 0 when no reply (connection failed)
	reply string // the reply or the error, for the record and the DSN
}

// deliverGroup delivers every due message of one server to one domain in
// one SMTP session, the messages one after another (MAIL, RCPT..., DATA).
func (r *Relay) deliverGroup(from, domain string, items []*store.QueueItem) {
	src := r.cfg.World.Server(from)
	for _, it := range items {
		if it.Attempts == 0 && !it.HoldUntil.IsZero() {
			r.event(it, "released", "FUTURERELEASE: the hold time has passed; the message leaves the queue now (RFC 4865)", nil)
		}
	}
	dest := r.cfg.World.ServerFor(domain)
	if dest == nil {
		r.lookupEvent(from, domain, items, "MX lookup for "+domain+": no such domain in this world's directory (no MX record)")
		var outs []outcome
		for _, it := range items {
			outs = append(outs, outcome{item: it, code: 550, reply: "550 5.1.2 no MX: the domain " + domain + " is not in this world's directory, so nobody receives mail for it"})
		}
		r.record(src, nil, outs)
		return
	}
	addr := r.cfg.Addr(dest.Name)
	r.lookupEvent(from, domain, items, fmt.Sprintf("MX lookup for %s: the world's directory says server %s receives its mail, at %s", domain, dest.Name, addr))

	sem := r.slot(dest.Name)
	select {
	case sem <- struct{}{}:
	case <-r.stop:
		r.requeue(items)
		return
	}
	defer func() { <-sem }()

	// Group recipients by message.
	var order []int64
	byMsg := map[int64][]*store.QueueItem{}
	for _, it := range items {
		if _, ok := byMsg[it.QueueID]; !ok {
			order = append(order, it.QueueID)
		}
		byMsg[it.QueueID] = append(byMsg[it.QueueID], it)
	}
	for _, it := range items {
		r.event(it, "attempt", fmt.Sprintf("attempt %d: %s opens an SMTP session to %s (%s) for %s; %s is the client now",
			it.Attempts+1, from, dest.Name, addr, it.Rcpt, from), map[string]string{"attempt": strconv.Itoa(it.Attempts + 1), "to": dest.Name})
	}
	outs := r.session(src, dest, addr, order, byMsg)
	r.record(src, dest, outs)
}

// session runs one SMTP client session and returns each recipient's outcome.
func (r *Relay) session(src, dest *world.Server, addr string, order []int64, byMsg map[int64][]*store.QueueItem) []outcome {
	var outs []outcome
	failAll := func(code int, reply string) []outcome {
		for _, id := range order {
			for _, it := range byMsg[id] {
				outs = append(outs, outcome{item: it, code: code, reply: reply})
			}
		}
		return outs
	}
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
		why := err.Error()
		var oe *net.OpError
		if errors.As(err, &oe) && strings.Contains(why, "refused") {
			why = "connection refused: nothing listens on " + addr + " (server " + dest.Name + " is down)"
		}
		return failAll(0, why)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	c, err := r.open(conn, src, dest)
	if err != nil {
		conn.Close()
		return failAll(replyCode(err), errText(err))
	}
	defer c.Close()
	c.CommandTimeout = 2 * time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	for _, id := range order {
		rcpts := byMsg[id]
		it := rcpts[0]
		body, err := r.cfg.Store.QueueBody(ctx, id)
		if err != nil {
			for _, x := range rcpts {
				outs = append(outs, outcome{item: x, code: 0, reply: "reading the queued message: " + err.Error()})
			}
			continue
		}
		body = crlfOnly(body)
		opts := &gosmtp.MailOptions{EnvelopeID: it.TraceID, Size: int64(len(body))}
		if hasHighBit(body) {
			opts.Body = gosmtp.Body8BitMIME
		}
		if err := c.Mail(it.Sender, opts); err != nil {
			for _, x := range rcpts {
				outs = append(outs, outcome{item: x, code: replyCode(err), reply: errText(err)})
			}
			if replyCode(err) == 0 {
				return append(outs, r.rest(order, byMsg, id)...)
			}
			c.Reset()
			continue
		}
		var accepted []*store.QueueItem
		for _, x := range rcpts {
			if err := c.Rcpt(x.Rcpt, nil); err != nil {
				outs = append(outs, outcome{item: x, code: replyCode(err), reply: errText(err)})
				continue
			}
			accepted = append(accepted, x)
		}
		if len(accepted) == 0 {
			c.Reset()
			continue
		}
		code, reply := 250, ""
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
			code, reply = replyCode(err), errText(err)
		} else {
			reply = "250 " + resp.StatusText
		}
		for _, x := range accepted {
			outs = append(outs, outcome{item: x, code: code, reply: reply})
		}
		if code == 0 {
			return append(outs, r.rest(order, byMsg, id)...)
		}
	}
	c.Quit()
	return outs
}

// open greets the receiving server, says EHLO with the sending server's
// domain and upgrades to TLS when offered (RFC 3207), then hands the
// connection to go-smtp's client for the mail transactions. go-smtp does its
// own greeting and EHLO; after STARTTLS there is no new greeting on the wire,
// so the client is given the one already read.
func (r *Relay) open(conn net.Conn, src, dest *world.Server) (*gosmtp.Client, error) {
	br := bufio.NewReader(conn)
	tp := textproto.NewReader(br)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(conn, "EHLO %s\r\n", src.Domain); err != nil {
		return nil, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, err
	}
	greeting := "220 " + dest.Domain + " ESMTP\r\n"
	if hasExtension(msg, "STARTTLS") {
		if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
			return nil, err
		}
		if _, _, err := tp.ReadResponse(220); err != nil {
			return nil, err
		}
		tc := tls.Client(conn, r.clientTLS(dest))
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake with %s: %w", dest.Name, err)
		}
		conn = tc
	} else if br.Buffered() > 0 {
		return nil, errors.New("the server sent data nobody asked for")
	}
	c := gosmtp.NewClient(&greetedConn{Conn: conn, prefix: []byte(greeting)})
	if err := c.Hello(src.Domain); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
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
// client can start where the session is; nothing extra crosses the wire.
type greetedConn struct {
	net.Conn
	prefix []byte
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if len(g.prefix) > 0 {
		n := copy(p, g.prefix)
		g.prefix = g.prefix[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}

// rest fails the messages after id when the session broke.
func (r *Relay) rest(order []int64, byMsg map[int64][]*store.QueueItem, after int64) []outcome {
	var outs []outcome
	seen := false
	for _, id := range order {
		if seen {
			for _, it := range byMsg[id] {
				outs = append(outs, outcome{item: it, reply: "the session broke before this message was sent"})
			}
		}
		seen = seen || id == after
	}
	return outs
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

// requeue hands claimed recipients back untouched (shutdown).
func (r *Relay) requeue(items []*store.QueueItem) {
	r.cfg.Store.Write(context.Background(), func(tx *store.Tx) error {
		for _, it := range items {
			tx.Requeue(it.ID, time.Now())
		}
		return nil
	})
}

// record writes each outcome to the queue: 2xx sent, 5xx bounced, anything
// else deferred on the retry schedule (or bounced once the give-up time has
// passed), then sends the bounces.
func (r *Relay) record(src, dest *world.Server, outs []outcome) {
	now := time.Now()
	type bounce struct {
		it     *store.QueueItem
		reason string
		code   int
	}
	var bounces []bounce
	var events []func()
	err := r.cfg.Store.Write(context.Background(), func(tx *store.Tx) error {
		bounces, events = nil, nil
		for _, o := range outs {
			it := o.item
			switch {
			case o.code >= 200 && o.code < 300:
				if err := tx.MarkSent(it.ID, o.reply); err != nil {
					return err
				}
				events = append(events, func() {
					r.event(it, "delivered", fmt.Sprintf("delivered: %s accepted the message for %s (%s); it is removed from %s's queue", dest.Name, it.Rcpt, o.reply, src.Name), nil)
				})
			case o.code >= 500:
				if err := tx.MarkBounced(it.ID, o.reply); err != nil {
					return err
				}
				bounces = append(bounces, bounce{it, o.reply, o.code})
			default:
				attempts := it.Attempts + 1
				sched := r.cfg.World.Queue.Retry
				wait := sched[min(attempts-1, len(sched)-1)]
				next := now.Add(wait)
				if giveUp := r.cfg.World.Queue.GiveUp; giveUp > 0 {
					if now.Sub(it.Created) >= giveUp {
						if err := tx.MarkBounced(it.ID, o.reply); err != nil {
							return err
						}
						reason := fmt.Sprintf("gave up after %d attempts over %s (the world's give_up is %s); last error: %s", attempts, now.Sub(it.Created).Round(time.Second), giveUp, o.reply)
						bounces = append(bounces, bounce{it, reason, 0})
						continue
					}
					// The last attempt comes at the give-up time, not after it.
					if end := it.Created.Add(giveUp); next.After(end) {
						next = end
						wait = time.Until(end).Round(time.Second)
					}
				}
				if err := tx.Defer(it.ID, o.reply, next); err != nil {
					return err
				}
				events = append(events, func() {
					r.event(it, "deferred", fmt.Sprintf("deferred: %s; the message stays in %s's queue; attempt %d at %s (in %s)",
						o.reply, src.Name, attempts+1, next.Format("15:04:05"), wait),
						map[string]string{"next_attempt": next.UTC().Format(time.RFC3339Nano), "attempt": strconv.Itoa(attempts), "error": o.reply})
				})
			}
		}
		return nil
	})
	if err != nil {
		r.cfg.Logger.Error("relay: recording delivery results", "err", err)
		return
	}
	for _, e := range events {
		e()
	}
	for _, b := range bounces {
		r.bounce(src, b.it, b.reason, b.code)
	}
	// The worker computed its next wake-up while these were being delivered.
	r.Poke()
}

// bounce sends a delivery status notification (RFC 3464) to the sender.
func (r *Relay) bounce(src *world.Server, it *store.QueueItem, reason string, code int) {
	ctx := context.Background()
	if it.Sender == "" {
		r.event(it, "bounced", "failed for good ("+reason+"); the sender is <> (a bounce itself), so no bounce is sent: bounces never bounce", nil)
		return
	}
	if it.NotifyNever {
		r.event(it, "bounced", "failed for good ("+reason+"); the sender asked for no failure notice (NOTIFY=NEVER, RFC 3461), so no bounce is sent", nil)
		return
	}
	orig, _ := r.cfg.Store.QueueBody(ctx, it.QueueID)
	dsn := buildDSN(src, it, reason, orig, time.Now())
	local, domain, _ := strings.Cut(it.Sender, "@")
	d := &store.Delivery{Server: src.Name, TraceID: it.TraceID + "-bounce", Sender: "", Body: dsn, Received: time.Now()}
	where := ""
	if strings.EqualFold(domain, src.Domain) && src.User(local) != nil {
		d.Local = []string{src.User(local).Name}
		where = "into the mailbox of " + it.Sender
	} else {
		d.Remote = []string{it.Sender}
		where = "through the queue to " + it.Sender
	}
	if _, err := r.cfg.Store.Deliver(ctx, d); err != nil {
		r.cfg.Logger.Error("relay: storing a bounce", "err", err)
		return
	}
	r.event(it, "bounced", fmt.Sprintf("bounced: %s; a delivery status notification (multipart/report, RFC 3464) goes %s", reason, where),
		map[string]string{"error": reason})
	if len(d.Remote) > 0 {
		r.Poke()
	}
}

func (r *Relay) event(it *store.QueueItem, step, text string, attrs map[string]string) {
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["step"] = step
	attrs["rcpt"] = it.Rcpt
	r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: it.Server, MsgID: it.TraceID, Text: text, Attrs: attrs})
}

func (r *Relay) lookupEvent(from, domain string, items []*store.QueueItem, text string) {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.TraceID] {
			continue
		}
		seen[it.TraceID] = true
		r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindLookup, Server: from, MsgID: it.TraceID, Text: text,
			Attrs: map[string]string{"domain": domain}})
	}
}

// Entry is one recipient of one message in a server's outgoing queue.
type Entry struct {
	ID          int64     `json:"id"`       // the recipient's row
	QueueID     int64     `json:"queue_id"` // the message's row
	Server      string    `json:"server"`
	MsgID       string    `json:"msgid"` // the trace id that follows the message
	Sender      string    `json:"sender"`
	Rcpt        string    `json:"rcpt"`
	Domain      string    `json:"domain"`
	Status      string    `json:"status"` // queued, held, delivering, deferred
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Created     time.Time `json:"created"`
	HoldUntil   time.Time `json:"hold_until,omitempty"`
	Size        int       `json:"size"`
}

// Queue lists every server's outgoing queue, oldest first.
func (r *Relay) Queue(ctx context.Context) ([]Entry, error) {
	items, err := r.cfg.Store.PendingQueue(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		status := it.Status
		if status == store.StatusQueued {
			switch {
			case !it.HoldUntil.IsZero() && it.HoldUntil.After(now) && it.Attempts == 0:
				status = "held"
			case it.Attempts > 0:
				status = "deferred"
			}
		}
		out = append(out, Entry{ID: it.ID, QueueID: it.QueueID, Server: it.Server, MsgID: it.TraceID, Sender: it.Sender,
			Rcpt: it.Rcpt, Domain: it.Domain, Status: status, Attempts: it.Attempts, NextAttempt: it.NextAttempt,
			LastError: it.LastError, Created: it.Created, HoldUntil: it.HoldUntil, Size: it.Size})
	}
	return out, nil
}

// Flush makes queued mail for domain ("" for every domain) due now on
// every server and returns how many recipients it woke. Held
// (FUTURERELEASE) mail stays held.
func (r *Relay) Flush(ctx context.Context, domain string) (int, error) {
	total := 0
	for _, s := range r.cfg.World.Servers {
		n, _, err := r.cfg.Store.FlushDomain(ctx, s.Name, strings.ToLower(domain), time.Now())
		if err != nil {
			return total, err
		}
		total += n
	}
	if total > 0 {
		r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Text: fmt.Sprintf("queue flush: %d recipient(s) due now", total),
			Attrs: map[string]string{"step": "flush", "domain": domain}})
		r.Poke()
	}
	return total, nil
}
