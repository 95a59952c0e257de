package lessons_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// Issue 14 part 2: a step ticks on the evidence of what it teaches, and the
// tempting wrong action does not tick it. Each test plays the wrong action
// first on real servers, checks that the step is still open (the hint that
// answers the wrong action is the sync point), then plays the right one.

// client is a plain client session over a real connection.
type client struct {
	t     *testing.T
	proto string
	c     net.Conn
	r     *bufio.Reader
}

func dial(t *testing.T, addr, proto string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	cl := &client{t: t, proto: proto, c: c, r: bufio.NewReader(c)}
	cl.reply("")
	return cl
}

// send writes lines (one CRLF-terminated write) and reads the reply to the
// last one: SMTP's last line, a POP3 multi-line response to its dot, IMAP's
// tagged line.
func (cl *client) send(lines ...string) []string {
	cl.t.Helper()
	if _, err := cl.c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		cl.t.Fatal(err)
	}
	return cl.reply(lines[len(lines)-1])
}

func (cl *client) reply(sent string) []string {
	cl.t.Helper()
	var out []string
	multi := false
	tag := ""
	if f := strings.Fields(sent); cl.proto == "imap" && len(f) > 1 {
		tag = f[0] + " "
	}
	if cl.proto == "pop3" {
		f := strings.Fields(strings.ToUpper(sent))
		multi = len(f) > 0 && (f[0] == "RETR" || f[0] == "TOP" || f[0] == "CAPA" || (f[0] == "LIST" || f[0] == "UIDL") && len(f) == 1)
	}
	for {
		l, err := cl.r.ReadString('\n')
		if err != nil {
			cl.t.Fatalf("reading the reply to %q: %v (so far %q)", sent, err, out)
		}
		l = strings.TrimRight(l, "\r\n")
		out = append(out, l)
		switch cl.proto {
		case "smtp":
			if len(l) < 4 || l[3] == ' ' {
				return out
			}
		case "pop3":
			if !multi || len(out) == 1 && !strings.HasPrefix(l, "+OK") || len(out) > 1 && l == "." {
				return out
			}
		case "imap":
			if tag == "" || strings.HasPrefix(l, tag) {
				return out
			}
		}
	}
}

// mail sends one message over SMTP to server's address; body is the DATA
// lines without the final dot.
func mail(t *testing.T, addr, rcpt string, body ...string) {
	t.Helper()
	c := dial(t, addr, "smtp")
	c.send("HELO laptop")
	c.send("MAIL FROM:<alice@a.example>")
	c.send("RCPT TO:<" + rcpt + ">")
	c.send("DATA")
	if r := c.send(append(body, ".")...); !strings.HasPrefix(r[len(r)-1], "250") {
		t.Fatalf("message to %s: %q", rcpt, r)
	}
	c.send("QUIT")
}

// waitFor waits until an update of u satisfies ok and returns it.
func waitFor(t *testing.T, u *updates, what string, ok func(lessons.Update) bool) lessons.Update {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, x := range u.all() {
			if ok(x) {
				return x
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s; updates: %s", what, describe(u.all()))
	return lessons.Update{}
}

func hint(id string) func(lessons.Update) bool {
	return func(x lessons.Update) bool { return x.Status == lessons.StatusHint && x.HintID == id }
}

func stepDone(step int) func(lessons.Update) bool {
	return func(x lessons.Update) bool { return x.Status == lessons.StatusStepDone && x.Step == step }
}

// notDone fails if step was ticked.
func notDone(t *testing.T, u *updates, step int, after string) {
	t.Helper()
	for _, x := range u.all() {
		if stepDone(step)(x) {
			t.Fatalf("step %d ticked after %s, on %q", step+1, after, x.Event.Text)
		}
	}
}

// waitEvent waits until the bus of w has published an event satisfying ok.
func waitEvent(t *testing.T, w *testWorld, what string, ok func(*tracer.Event) bool) *tracer.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range w.inst.Bus.History(0) {
			if ok(e) {
				return e
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s in the trace", what)
	return nil
}

// followFrom runs an engine for lesson id from step start.
func followFrom(t *testing.T, w *testWorld, id string, start int) (*lessons.Engine, *updates) {
	t.Helper()
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	sub := w.inst.Bus.Subscribe(1 << 16)
	u := &updates{}
	e := lessons.NewEngine(set.Get(id), lessons.Options{Lang: "en", Vars: w.addrs.Vars(), Start: start, Notify: u.add})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx, sub.C()); close(done) }()
	t.Cleanup(func() { cancel(); sub.Close(); <-done })
	return e, u
}

// TestIMAPFetchNeedsSeen: imap step 5 ("Reading BODY[] also set \Seen")
// ticks on the FETCH of BODY[] that sets \Seen, not on FETCH (FLAGS
// ENVELOPE) nor BODY.PEEK[], nor on a BODY[] of a message already seen.
func TestIMAPFetchNeedsSeen(t *testing.T) {
	w := startWorld(t, "en")
	mail(t, w.addrs.Addr("B", "smtp"), "bob@b.example", "Subject: for IMAP", "", "Keep me on the server.")
	_, u := followFrom(t, w, "imap", 4)
	c := dial(t, w.addrs.Addr("B", "imap"), "imap")
	c.send("a1 LOGIN bob bob")
	c.send("a2 SELECT INBOX")
	c.send("a3 FETCH 1 (FLAGS ENVELOPE)")
	c.send("a4 FETCH 1 BODY.PEEK[]")
	waitFor(t, u, "hint imap-peek", hint("imap-peek"))
	notDone(t, u, 4, "FETCH (FLAGS ENVELOPE) and BODY.PEEK[]")
	c.send("a5 FETCH 1 BODY[]")
	x := waitFor(t, u, "step 5 done", stepDone(4))
	if !strings.Contains(x.Event.Text, `\Seen`) {
		t.Errorf("step 5 ticked on %q, want the FETCH response with FLAGS (\\Seen)", x.Event.Text)
	}

	// Another session: the message is \Seen already, reading it changes
	// nothing, and the step says why instead of ticking.
	_, u2 := followFrom(t, w, "imap", 4)
	c2 := dial(t, w.addrs.Addr("B", "imap"), "imap")
	c2.send("b1 LOGIN bob bob")
	c2.send("b2 SELECT INBOX")
	c2.send("b3 FETCH 1 BODY[]")
	waitFor(t, u2, "hint imap-already-seen", hint("imap-already-seen"))
	notDone(t, u2, 4, "BODY[] of a message already seen")
	c2.send(`b4 STORE 1 -FLAGS (\Seen)`)
	c2.send("b5 FETCH 1 BODY[]")
	waitFor(t, u2, "step 5 done after the flag was cleared", stepDone(4))
}

// TestRelayFollowsItsMessage: relay's steps tick on the message alice sent
// in step 1, and step 5 not on the RETR of an older message in bob's
// mailbox.
func TestRelayFollowsItsMessage(t *testing.T) {
	w := startWorld(t, "en")
	mail(t, w.addrs.Addr("B", "smtp"), "bob@b.example", "Subject: older", "", "Already there.")
	e, u := followFrom(t, w, "relay", 0)
	mail(t, w.addrs.Addr("A", "smtp"), "bob@b.example", "Subject: across two servers", "", "Hello Bob.")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Wait(ctx, 3); err != nil {
		t.Fatalf("steps 1-4 not done: %v; updates: %s", err, describe(u.all()))
	}
	var sent string
	for _, x := range u.all() {
		if x.Status != lessons.StatusStepDone {
			continue
		}
		if x.Step == 0 {
			sent = x.Event.MsgID
		}
		// The A->B session's EHLO (step 3) comes before MAIL names the
		// message; the queue events carry its id.
		if x.Event.Kind != tracer.KindLine && x.Event.MsgID != sent {
			t.Errorf("step %d ticked on %s %q of message %q, want message %q", x.Step+1, x.Event.Kind, x.Event.Text, x.Event.MsgID, sent)
		}
	}
	c := dial(t, w.addrs.Addr("B", "pop3"), "pop3")
	c.send("USER bob")
	c.send("PASS bob")
	c.send("RETR 1")
	waitFor(t, u, "hint relay-older-message", hint("relay-older-message"))
	notDone(t, u, 4, "RETR 1 of the older message")
	c.send("RETR 2")
	x := waitFor(t, u, "step 5 done", stepDone(4))
	if !strings.Contains(x.Event.Data, sent) {
		t.Errorf("step 5 ticked on a message without %s:\n%s", sent, x.Event.Data)
	}
}

// TestSMTPByHandNeedsBlankLine: smtp-by-hand steps 6 and 7 (a message; a
// second one on the same connection) do not tick on a message whose header
// lines run into the body without an empty line.
func TestSMTPByHandNeedsBlankLine(t *testing.T) {
	w := startWorld(t, "en")
	_, u := followFrom(t, w, "smtp-by-hand", 5)
	c := dial(t, w.addrs.Addr("A", "smtp"), "smtp")
	c.send("HELO laptop")
	message := func(body ...string) {
		c.send("MAIL FROM:<alice@a.example>")
		c.send("RCPT TO:<alice@a.example>")
		c.send("DATA")
		c.send(append(body, ".")...)
	}
	bad := []string{"Subject: x", "hello"}
	good := []string{"Subject: x", "", "hello"}
	message(bad...)
	waitFor(t, u, "hint smtp-no-blank-line", hint("smtp-no-blank-line"))
	notDone(t, u, 5, "a message without an empty line")
	message(good...)
	waitFor(t, u, "step 6 done", stepDone(5))
	message(bad...)
	waitFor(t, u, "a second hint smtp-no-blank-line", func(x lessons.Update) bool { return hint("smtp-no-blank-line")(x) && x.Step == 6 })
	notDone(t, u, 6, "a second message without an empty line")
	message(good...)
	waitFor(t, u, "step 7 done", stepDone(6))
}

// TestETRNNeedsItsDelivery: queue-retry-delay's ETRN step does not tick on
// "251 No messages waiting" after the scheduled retry delivered; with A's
// queue held, as the lesson has it before B comes back, the schedule
// cannot deliver first, and the step ticks on the delivery ETRN started.
func TestETRNNeedsItsDelivery(t *testing.T) {
	w := startWorld(t, "en") // retries after 300ms, then after an hour
	const etrnStep = 5
	_, u := followFrom(t, w, "queue-retry-delay", etrnStep)
	ctl := control{w.inst}
	ctx := context.Background()
	// The wrong way: A's queue not held, B comes back and the schedule
	// delivers first.
	ctl.SetFault(ctx, "B", "down")
	mail(t, w.addrs.Addr("A", "smtp"), "bob@b.example", "Subject: late", "", "x")
	waitEvent(t, w, "the first deferral", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})
	ctl.SetFault(ctx, "B", "up")
	waitEvent(t, w, "the scheduled delivery", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDelivered
	})
	c := dial(t, w.addrs.Addr("A", "smtp"), "smtp")
	c.send("EHLO laptop")
	if r := c.send("ETRN b.example"); !strings.HasPrefix(r[0], "251") {
		t.Fatalf("ETRN after the delivery: %q, want 251", r)
	}
	waitFor(t, u, "hint etrn-too-late", hint("etrn-too-late"))
	notDone(t, u, etrnStep, "251 after the scheduled delivery")

	// The lesson's way: A's queue held before B comes back. The 300ms
	// retry passes and nothing is delivered; ETRN delivers.
	ctl.SetFault(ctx, "B", "down")
	mark := w.inst.Bus.History(0)
	from := mark[len(mark)-1].Seq
	mail(t, w.addrs.Addr("A", "smtp"), "bob@b.example", "Subject: now", "", "y")
	// Its first attempt fails; the retry is due 300ms later.
	waitEvent(t, w, "the new message's deferral", func(e *tracer.Event) bool {
		return e.Seq > from && e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred
	})
	if err := ctl.SetFault(ctx, "A", "hold"); err != nil {
		t.Fatal(err)
	}
	ctl.SetFault(ctx, "B", "up")
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		q, err := w.inst.Queue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 {
			t.Fatalf("A's queue is held, yet the message left it: %+v", q)
		}
	}
	notDone(t, u, etrnStep, "holding A's queue")
	if r := c.send("ETRN b.example"); !strings.HasPrefix(r[0], "250") {
		t.Fatalf("ETRN with mail waiting: %q, want 250", r)
	}
	x := waitFor(t, u, "step 6 done", stepDone(etrnStep))
	if x.Event.Kind != tracer.KindQueue || x.Event.Attrs[tracer.AttrStep] != tracer.StepDelivered {
		t.Errorf("step 6 ticked on %s %q, want the delivery", x.Event.Kind, x.Event.Text)
	}
	late := 0
	for _, x := range u.all() {
		if hint("etrn-too-late")(x) {
			late++
		}
	}
	if late != 1 {
		t.Errorf("hint etrn-too-late shown %d times, want once (the wrong way only)", late)
	}
}

// TestStepWordsAfterMultiLineReply: a step completed by the first line of a
// multi-line reply (EHLO's "250-", a POP3 LIST's +OK) says so, and shows
// the next instruction, after the reply's last line, not between its lines.
// The events come from real sessions and are fed one by one, so the test
// sees which event each update followed.
func TestStepWordsAfterMultiLineReply(t *testing.T) {
	w := startWorld(t, "en")
	mail(t, w.addrs.Addr("B", "smtp"), "bob@b.example", "Subject: one", "", "1")
	mail(t, w.addrs.Addr("B", "smtp"), "bob@b.example", "Subject: two", "", "2")
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		lesson      string
		step        int
		server      string
		proto       string
		lines       []string
		trigger, at string // the line that completes the step, the reply's last line
	}{
		{"smtp-by-hand", 1, "A", "smtp", []string{"EHLO laptop"}, "250-a.example", "250 HELP"},
		{"pop3", 2, "B", "pop3", []string{"USER bob", "PASS bob", "STAT", "LIST"}, "+OK 2 messages", "."},
		// A step that ticks on the message the client sent (the data at
		// its dot) speaks after the server's 250 to it.
		{"message-format", 0, "A", "smtp", []string{"EHLO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<alice@a.example>", "DATA",
			"From: alice@a.example\r\nSubject: by hand\r\n\r\nbody\r\n."}, "", "250 2.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.lesson, func(t *testing.T) {
			from := uint64(0)
			if h := w.inst.Bus.History(0); len(h) > 0 {
				from = h[len(h)-1].Seq
			}
			c := dial(t, w.addrs.Addr(tc.server, tc.proto), tc.proto)
			for _, l := range tc.lines {
				c.send(l)
			}
			c.c.Close()
			var session string
			last := waitEvent(t, w, "the reply's last line", func(e *tracer.Event) bool {
				return e.Seq > from && e.Kind == tracer.KindLine && e.Dir == tracer.S2C && e.Proto == tc.proto && strings.HasPrefix(e.Text, tc.at)
			})
			session = last.Session
			var evs []*tracer.Event
			for _, e := range w.inst.Bus.History(from) {
				if e.Session == session && e.Seq <= last.Seq {
					evs = append(evs, e)
				}
			}
			var feeding *tracer.Event
			var at []string // the line being fed when each update came
			e := lessons.NewEngine(set.Get(tc.lesson), lessons.Options{Start: tc.step, Notify: func(u lessons.Update) {
				if u.Status == lessons.StatusStepDone || u.Status == lessons.StatusCurrent && u.Step == tc.step+1 {
					at = append(at, feeding.Text)
				}
			}})
			e.Begin()
			sawTrigger := false
			for _, ev := range evs {
				feeding = ev
				sawTrigger = sawTrigger || tc.trigger == "" && ev.Kind == tracer.KindData || tc.trigger != "" && strings.HasPrefix(ev.Text, tc.trigger)
				e.Feed(ev)
			}
			if !sawTrigger {
				t.Fatalf("no line %q in the session", tc.trigger)
			}
			if len(at) != 2 || at[0] != last.Text || at[1] != last.Text {
				t.Errorf("step done and next instruction came after %q, want both after the reply's last line %q", at, tc.at)
			}
		})
	}
}

// TestHoldOnTheWrongServer: holding B's queue instead of A's (the sending
// server) does not tick the hold step, and the hint says which server.
func TestHoldOnTheWrongServer(t *testing.T) {
	w := startWorld(t, "en")
	const holdStep = 3
	_, u := followFrom(t, w, "queue-retry-delay", holdStep)
	ctl := control{w.inst}
	if err := ctl.SetFault(context.Background(), "B", "hold"); err != nil {
		t.Fatal(err)
	}
	x := waitFor(t, u, "hint hold-wrong-server", hint("hold-wrong-server"))
	if !strings.Contains(x.Text, "mailscope fault A hold") {
		t.Errorf("hint: %q", x.Text)
	}
	notDone(t, u, holdStep, "holding B")
	if err := ctl.SetFault(context.Background(), "A", "hold"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, u, "the hold step done", stepDone(holdStep))
}
