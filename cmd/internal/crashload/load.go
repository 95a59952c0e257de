// Package crashload is the SMTP load and the verification of the crash-safety
// check (issue 7): many concurrent SMTP sessions send uniquely tokened
// messages to a running mailscope while it is killed with SIGKILL, and after
// a restart every message that got its 250 must be found exactly once.
//
// The load side writes a log, one line per event, with one write(2) per
// line (no user-space buffer), so a line is in the kernel before the next
// command goes out; killing the server, or the load process itself, loses
// no record:
//
//	sent TOKEN RCPTS          before MAIL FROM of the message
//	ack TOKEN RCPTS TRACEID   after its 250 to the final dot (RFC 5321 section 4.1.1.4)
//	fail TOKEN CODE           after a reply that refuses it
//
// RCPTS is "a" (alice@a.example, delivered at A), "b" (bob@b.example, queued
// at A and relayed to B) or "ab". A token that was sent but never
// acknowledged is "unknown": the server may or may not have kept it, but it
// may be found at most once per recipient.
package crashload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Recipients of the default world: alice is local to A, bob is in B's domain.
const (
	LocalRcpt  = "alice@a.example"
	RemoteRcpt = "bob@b.example"
	Sender     = "alice@a.example"
)

// SubjectPrefix starts the Subject of every load message; the token follows.
const SubjectPrefix = "crashload "

// Config says how to load a server.
type Config struct {
	Addr  string // SMTP address of server A
	Conns int    // concurrent sessions (default 8)
	// Prefix makes the tokens of this run unique (for example the round).
	Prefix string
	// Log receives the sent/ack/fail lines; each line is one Write call.
	Log io.Writer
	// Pipelining: "on" groups MAIL, RCPT and DATA in one write (RFC 2920),
	// "off" waits for each reply, "mix" (default) picks per session.
	Pipelining string
	// BodySize is the approximate size of each message body (default 600).
	BodySize int
	// Seed seeds the random choices (0: random).
	Seed uint64
}

// Stats counts what a run did.
type Stats struct {
	Sent, Acked, Refused, Sessions, Errors int64
}

func (s Stats) String() string {
	return fmt.Sprintf("sent=%d acked=%d refused=%d sessions=%d errors=%d", s.Sent, s.Acked, s.Refused, s.Sessions, s.Errors)
}

// Run sends messages on cfg.Conns sessions until ctx ends. A broken session
// (the server was killed) is counted and replaced after a short pause, so
// Run keeps trying until it is stopped. It returns only the error of the
// log writer, which would make the check meaningless.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if cfg.Conns <= 0 {
		cfg.Conns = 8
	}
	if cfg.BodySize <= 0 {
		cfg.BodySize = 600
	}
	if cfg.Pipelining == "" {
		cfg.Pipelining = "mix"
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	l := &logger{w: cfg.Log}
	var st counters
	var wg sync.WaitGroup
	for i := 0; i < cfg.Conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{cfg: &cfg, id: i, log: l, st: &st, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))}
			w.loop(ctx)
		}()
	}
	wg.Wait()
	return st.snapshot(), l.error()
}

type counters struct {
	sent, acked, refused, sessions, errors atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{Sent: c.sent.Load(), Acked: c.acked.Load(), Refused: c.refused.Load(), Sessions: c.sessions.Load(), Errors: c.errors.Load()}
}

// logger writes whole lines, one Write each, and remembers the first error.
type logger struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (l *logger) line(format string, args ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if _, err := fmt.Fprintf(l.w, format+"\n", args...); err != nil {
		l.err = err
	}
	return l.err
}

func (l *logger) error() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

var errLog = errors.New("the log cannot be written")

type worker struct {
	cfg *Config
	id  int
	log *logger
	st  *counters
	rng *rand.Rand
	seq int
}

func (w *worker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		err := w.session(ctx)
		if errors.Is(err, errLog) {
			return
		}
		if err != nil {
			w.st.errors.Add(1)
			// The server is down or restarting: try again soon, not in a
			// tight loop.
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(20+w.rng.IntN(80)) * time.Millisecond):
			}
		}
	}
}

// session runs one SMTP session of up to a random number of messages: one,
// a few, or many, so that both connection set-up and long sessions are
// under load when the kill comes.
func (w *worker) session(ctx context.Context) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", w.cfg.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	w.st.sessions.Add(1)
	c := &client{conn: conn, r: textproto.NewReader(bufio.NewReader(conn)), w: bufio.NewWriter(conn)}
	if code, msg, err := c.reply(); err != nil {
		return err
	} else if code != 220 {
		return fmt.Errorf("greeting: %d %s", code, msg)
	}
	c.send("EHLO crashload.test\r\n")
	code, msg, err := c.flushReply()
	if err != nil {
		return err
	}
	if code != 250 {
		return fmt.Errorf("EHLO: %d %s", code, msg)
	}
	pipelining := false
	switch w.cfg.Pipelining {
	case "on":
		pipelining = strings.Contains(msg, "PIPELINING")
	case "mix":
		pipelining = strings.Contains(msg, "PIPELINING") && w.rng.IntN(2) == 0
	}
	n := []int{1, 5, 50, 1 << 30}[w.rng.IntN(4)]
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if err := w.message(c, pipelining); err != nil {
			return err
		}
	}
	c.send("QUIT\r\n")
	c.flushReply()
	return nil
}

// message sends one message; it returns an error when the session cannot go on.
func (w *worker) message(c *client, pipelining bool) error {
	w.seq++
	token := fmt.Sprintf("%s-%d-%d", w.cfg.Prefix, w.id, w.seq)
	rcpts := []string{"a", "b", "ab"}[w.rng.IntN(3)]
	if err := w.log.line("sent %s %s", token, rcpts); err != nil {
		return errLog
	}
	w.st.sent.Add(1)
	var to []string
	if strings.Contains(rcpts, "a") {
		to = append(to, LocalRcpt)
	}
	if strings.Contains(rcpts, "b") {
		to = append(to, RemoteRcpt)
	}
	cmds := []string{"MAIL FROM:<" + Sender + ">\r\n"}
	for _, r := range to {
		cmds = append(cmds, "RCPT TO:<"+r+">\r\n")
	}
	cmds = append(cmds, "DATA\r\n")
	// Any refusal before the body: drop the session without the final dot,
	// so that nothing of this message is stored (RFC 5321 section 4.1.1.4:
	// only the dot commits).
	want := func(i int, code int) bool {
		if i == len(cmds)-1 {
			return code == 354
		}
		return code == 250
	}
	if pipelining {
		for _, cmd := range cmds {
			c.send(cmd)
		}
		if err := c.w.Flush(); err != nil {
			return err
		}
		for i := range cmds {
			code, msg, err := c.reply()
			if err != nil {
				return err
			}
			if !want(i, code) {
				w.refused(token, code)
				return fmt.Errorf("%s: %d %s", strings.TrimSpace(cmds[i]), code, msg)
			}
		}
	} else {
		for i, cmd := range cmds {
			c.send(cmd)
			code, msg, err := c.flushReply()
			if err != nil {
				return err
			}
			if !want(i, code) {
				w.refused(token, code)
				return fmt.Errorf("%s: %d %s", strings.TrimSpace(cmd), code, msg)
			}
		}
	}
	c.send(w.body(token, to))
	code, msg, err := c.flushReply()
	if err != nil {
		return err // unknown: the 250 never arrived
	}
	if code != 250 {
		w.refused(token, code)
		return nil
	}
	id := "-"
	if _, after, ok := strings.Cut(msg, "queued as "); ok {
		if f := strings.Fields(after); len(f) > 0 {
			id = f[0]
		}
	}
	if err := w.log.line("ack %s %s %s", token, rcpts, id); err != nil {
		return errLog
	}
	w.st.acked.Add(1)
	return nil
}

func (w *worker) refused(token string, code int) {
	w.st.refused.Add(1)
	w.log.line("fail %s %d", token, code)
}

// body builds the message, dot-stuffed (RFC 5321 section 4.5.2) and ended
// with the lone dot. The token is in the Subject (what the check reads) and
// in the Message-ID.
func (w *worker) body(token string, to []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <%s>\r\nTo: %s\r\nSubject: %s%s\r\nMessage-ID: <%s@crashload.test>\r\nDate: %s\r\n\r\n",
		Sender, "<"+strings.Join(to, ">, <")+">", SubjectPrefix, token, token, time.Now().Format(time.RFC1123Z))
	b.WriteString("..a line that starts with a dot, stuffed\r\n")
	line := "crash-safety load " + token + " " + strings.Repeat("x", 50) + "\r\n"
	for b.Len() < w.cfg.BodySize {
		b.WriteString(line)
	}
	b.WriteString(".\r\n")
	return b.String()
}

// client is a raw SMTP client connection.
type client struct {
	conn net.Conn
	r    *textproto.Reader
	w    *bufio.Writer
}

func (c *client) send(s string) { c.w.WriteString(s) }

// reply reads one reply, multi-line replies joined (RFC 5321 section 4.2.1).
func (c *client) reply() (int, string, error) {
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	code, msg, err := c.r.ReadResponse(0)
	var te *textproto.Error
	if errors.As(err, &te) {
		err = nil
	}
	return code, msg, err
}

func (c *client) flushReply() (int, string, error) {
	if err := c.w.Flush(); err != nil {
		return 0, "", err
	}
	return c.reply()
}
