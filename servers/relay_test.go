package servers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

func fastWorld(w *world.World) {
	w.Queue.Retry = []time.Duration{200 * time.Millisecond}
	w.Queue.GiveUp = time.Hour
}

func start(t *testing.T, dir string, edit func(*world.World)) *servers.Instance {
	t.Helper()
	w := world.Default()
	fastWorld(w)
	if edit != nil {
		edit(w)
	}
	inst, err := servers.Start(servers.Config{World: w, DataDir: dir, Bus: tracer.NewBus(),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// smtpSend runs a raw SMTP session; lines are sent one by one and each
// reply must start with the code given after "=>".
func smtpSend(t *testing.T, addr string, steps ...string) []string {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	var replies []string
	read := func() string { // the last line of a reply
		for {
			l := c.ReadLine()
			if len(l) < 4 || l[3] != '-' {
				return l
			}
		}
	}
	read()
	for _, s := range steps {
		line, want, _ := strings.Cut(s, " => ")
		c.Send(line)
		if want == "" {
			continue
		}
		got := read()
		if !strings.HasPrefix(got, want) {
			t.Fatalf("%q answered %q, want %q", line, got, want)
		}
		replies = append(replies, got)
	}
	return replies
}

func mailTo(t *testing.T, inst *servers.Instance, rcpt, subject string, mailParams string) string {
	t.Helper()
	r := smtpSend(t, inst.Addr("A", world.SMTP),
		"EHLO laptop => 250",
		"MAIL FROM:<alice@a.example>"+mailParams+" => 250",
		"RCPT TO:<"+rcpt+"> => 250",
		"DATA => 354",
		"Subject: "+subject+"\r\n\r\nhello bob\r\n. => 250",
		"QUIT => 221")
	i := strings.Index(r[4], "queued as ")
	return strings.Fields(r[4][i+len("queued as "):])[0]
}

func inboxOf(t *testing.T, st *store.Store, server, user string) [][]byte {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, server, user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Messages(ctx, mb.ID)
	var out [][]byte
	for _, m := range msgs {
		b, _ := st.Body(ctx, m.ID)
		out = append(out, b)
	}
	return out
}

// waitFor polls cond (the relay works in the background) for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRelayAToB(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	id := mailTo(t, inst, "bob@b.example", "hello", "")
	waitFor(t, "bob's mail", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
	body := string(inboxOf(t, inst.Store, "B", "bob")[0])
	// Two Received: headers, B's on top, each with its own server's queue
	// id; what A's id stays in is the Message-ID: header A added.
	bID := ""
	if i := strings.Index(body, "by b.example (mailscope B) with ESMTPS id "); i >= 0 {
		bID = strings.Fields(body[i+len("by b.example (mailscope B) with ESMTPS id "):])[0]
	}
	if strings.Count(body, "Received: ") != 2 || !strings.HasPrefix(body, "Received: from a.example") ||
		!strings.HasPrefix(bID, "B-") || !strings.Contains(body, "by a.example (mailscope A) with ESMTP id "+id) ||
		!strings.Contains(body, "Message-ID: <"+id+"@a.example>") {
		t.Fatalf("bob's message headers (A's id %s, B's %q):\n%s", id, bID, body)
	}
	// The story, in order: queued at A, looked up, attempted, B's session
	// with A as the client (labelled A->B, traced on B), delivered.
	var story []string
	timeout := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case e := <-sub.C():
			if e.MsgID != id && !(e.Hop == "A->B") {
				continue
			}
			s := string(e.Kind)
			switch e.Kind {
			case tracer.KindQueue:
				s += " " + e.Attrs["step"]
				done = e.Attrs["step"] == "delivered"
			case tracer.KindLine:
				s += " " + string(e.Dir) + " " + strings.Fields(e.Text)[0]
				if e.Hop != "A->B" || e.Actor != "A" || e.Server != "B" {
					continue
				}
				// B answers the data with its own queue id.
				if strings.Contains(e.Text, "queued as ") && !strings.Contains(e.Text, "queued as "+bID+" ") {
					t.Errorf("B's reply to the relayed data: %q, want B's id %s", e.Text, bID)
				}

			case tracer.KindData:
				s += " " + string(e.Dir)
				// The trace's message id stays A's on B, so the page can
				// follow the message from hop to hop.
				if e.Hop == "A->B" && e.MsgID != id {
					t.Errorf("the relayed data has trace id %q on B, want %s", e.MsgID, id)
				}
			case tracer.KindLookup:
			case tracer.KindOpen, tracer.KindClose, tracer.KindTLS:
				if e.Hop != "A->B" {
					continue
				}
			default:
				continue
			}
			story = append(story, s)
		case <-timeout:
			t.Fatalf("no delivered event; story so far:\n%s", strings.Join(story, "\n"))
		}
	}
	got := strings.Join(story, "\n")
	for _, want := range []string{
		"queue queued", "lookup", "queue attempt", "open",
		"line s2c 220", "line c2s EHLO", "line c2s STARTTLS", "line s2c 220", "tls", "line c2s EHLO",
		"line c2s MAIL", "line s2c 250", "line c2s RCPT", "line s2c 250", "line c2s DATA", "line s2c 354",
		"data c2s", "line c2s .", "line s2c 250", "line c2s QUIT", "line s2c 221",
	} {
		i := strings.Index(got, want)
		if i < 0 {
			t.Fatalf("story lacks %q after the previous steps:\n%s", want, strings.Join(story, "\n"))
		}
		got = got[i+len(want):]
	}
	if !strings.Contains(got, "queue delivered") {
		t.Fatalf("no delivered event at the end:\n%s", strings.Join(story, "\n"))
	}
	if q, _ := inst.Queue(context.Background()); len(q) != 0 {
		t.Fatalf("queue not empty after delivery: %+v", q)
	}
}

func TestRelayFaultDownThenUp(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	if err := inst.SetFault("B", servers.FaultDown); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", inst.Addr("B", world.SMTP)); err == nil {
		t.Fatal("B is down but accepts connections")
	}
	id := mailTo(t, inst, "bob@b.example", "while B is down", "")
	deferred := 0
	for deferred < 2 {
		e := <-sub.C()
		if e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs["step"] == "deferred" {
			if !strings.Contains(e.Text, "connection refused") || e.Attrs["next_attempt"] == "" {
				t.Fatalf("deferred event: %q %v", e.Text, e.Attrs)
			}
			// The next attempt is scheduled one retry interval (200ms here)
			// after the attempt: never more after the event that says so.
			// (The event is stamped when published, which a loaded machine
			// delays, so only the upper bound holds everywhere.)
			next, err := time.Parse(time.RFC3339Nano, e.Attrs["next_attempt"])
			if err != nil {
				t.Fatal(err)
			}
			if d := next.Sub(e.Time); d > 400*time.Millisecond {
				t.Errorf("next attempt %s after the deferral, want the schedule's 200ms", d)
			}
			deferred++
		}
	}
	q, _ := inst.Queue(context.Background())
	if len(q) != 1 || q[0].Status != "deferred" || q[0].Attempts < 2 || q[0].MsgID != id {
		t.Fatalf("queue while B is down: %+v", q)
	}
	// "connection refused" is the relay's own words: the queue keeps
	// them as a catalog message, which a reader says in Chinese.
	if w := q[0].LastWhy; w == nil || strings.ContainsAny(tracer.NewExplainer("zh").Format(w), "abcdefghijklmnopqrstuvwxyz") && !strings.ContainsFunc(tracer.NewExplainer("zh").Format(w), func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("queue entry's last error has no catalog form: %+v", q[0])
	}
	if err := inst.SetFault("B", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after B came back", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
}

func TestRelaySlowServer(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	inst.SetSlowDelay(20 * time.Millisecond)
	inst.SetFault("B", servers.FaultSlow)
	begin := time.Now()
	mailTo(t, inst, "bob@b.example", "slow", "")
	waitFor(t, "delivery through a slow server", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
	// Greeting, EHLO, STARTTLS, EHLO, MAIL, RCPT, DATA, end of data: each reply waited.
	if d := time.Since(begin); d < 8*20*time.Millisecond {
		t.Errorf("delivery took %s: the replies were not slowed", d)
	}
}

func TestRelayGreylistAndQuota(t *testing.T) {
	for _, f := range []servers.Fault{servers.FaultGreylist, servers.FaultQuota} {
		t.Run(string(f), func(t *testing.T) {
			inst := start(t, t.TempDir(), nil)
			sub := inst.Bus.Subscribe(100000)
			defer sub.Close()
			inst.SetFault("B", f)
			id := mailTo(t, inst, "bob@b.example", string(f), "")
			want := map[servers.Fault]string{servers.FaultGreylist: "451 4.7.1", servers.FaultQuota: "452 4.2.2"}[f]
			for {
				e := <-sub.C()
				if e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs["step"] == "deferred" {
					if !strings.Contains(e.Text, want) {
						t.Fatalf("deferred with %q, want %s", e.Text, want)
					}
					break
				}
			}
			if f == servers.FaultQuota {
				inst.SetFault("B", servers.FaultNone)
			}
			waitFor(t, "delivery after "+string(f), func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
		})
	}
}

// TestRelayRejectBounces checks a 550 from B comes back to alice as a
// multipart/report DSN (RFC 3464), parsed back with go-message.
func TestRelayRejectBounces(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	inst.SetFault("B", servers.FaultReject)
	id := mailTo(t, inst, "bob@b.example", "to be rejected", "")
	waitFor(t, "the bounce", func() bool { return len(inboxOf(t, inst.Store, "A", "alice")) == 1 })
	checkDSN(t, inboxOf(t, inst.Store, "A", "alice")[0], id, "bob@b.example", "5.1.1", "Subject: to be rejected")
	if n := len(inboxOf(t, inst.Store, "B", "bob")); n != 0 {
		t.Fatalf("bob got %d messages", n)
	}
}

func checkDSN(t *testing.T, raw []byte, id, rcpt, status, origHeader string) {
	t.Helper()
	m, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := m.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("bounce content type %s %v", mt, params)
	}
	if s := m.Header.Get("Subject"); s != "Undelivered Mail Returned to Sender" {
		t.Fatalf("subject %q", s)
	}
	mr := m.MultipartReader()
	var types []string
	var report, headers string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		types = append(types, ct)
		b, _ := io.ReadAll(p.Body)
		switch ct {
		case "message/delivery-status":
			report = string(b)
		case "text/rfc822-headers":
			headers = string(b)
		}
	}
	if strings.Join(types, ",") != "text/plain,message/delivery-status,text/rfc822-headers" {
		t.Fatalf("parts: %v", types)
	}
	for _, want := range []string{"Reporting-MTA: dns; a.example", "Final-Recipient: rfc822; " + rcpt, "Action: failed", "Status: " + status, "Diagnostic-Code: smtp; ", "X-Mailscope-Queue-ID: " + id} {
		if !strings.Contains(report, want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, report)
		}
	}
	if !strings.Contains(headers, origHeader) {
		t.Errorf("returned headers lack %q:\n%s", origHeader, headers)
	}
}

func TestRelayGiveUpAndUnknownDomain(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) {
		w.Queue.Retry = []time.Duration{100 * time.Millisecond}
		w.Queue.GiveUp = 400 * time.Millisecond
	})
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	inst.SetFault("B", servers.FaultDown)
	id := mailTo(t, inst, "bob@b.example", "never arrives", "")
	waitFor(t, "the give-up bounce", func() bool { return len(inboxOf(t, inst.Store, "A", "alice")) == 1 })
	checkDSN(t, inboxOf(t, inst.Store, "A", "alice")[0], id, "bob@b.example", "4.4.7", "Subject: never arrives")

	id = mailTo(t, inst, "carol@nowhere.example", "no mx", "")
	waitFor(t, "the no-MX bounce", func() bool { return len(inboxOf(t, inst.Store, "A", "alice")) == 2 })
	dsn := string(inboxOf(t, inst.Store, "A", "alice")[1])
	if !strings.Contains(dsn, "not in this world's directory") || !strings.Contains(dsn, "Status: 5.1.2") {
		t.Fatalf("no-MX bounce:\n%s", dsn)
	}
	// The trace says both, every argument of its sentences filled in.
	var bounced []string
	timeout := time.After(10 * time.Second)
	for len(bounced) < 2 {
		select {
		case e := <-sub.C():
			if missing := unfilled(e); len(missing) > 0 {
				t.Errorf("%s event %q lacks %v", e.Kind, e.Text, missing)
			}
			if e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepBounced {
				bounced = append(bounced, e.Text)
			}
		case <-timeout:
			t.Fatalf("bounce events: %q", bounced)
		}
	}
	if !strings.HasPrefix(bounced[0], "bounced: gave up after ") || !strings.Contains(bounced[0], "(the world's give_up is 400ms); last error: ") ||
		!strings.HasSuffix(bounced[0], "goes into the mailbox of alice@a.example") || !strings.Contains(bounced[1], "550 5.1.2 no MX") {
		t.Errorf("bounce events: %q", bounced)
	}
}

func TestQueueSurvivesRestartAndInterruptedRelay(t *testing.T) {
	dir := t.TempDir()
	inst := start(t, dir, func(w *world.World) { w.Queue.Retry = []time.Duration{time.Hour} })
	inst.SetFault("B", servers.FaultDown)
	mailTo(t, inst, "bob@b.example", "queued over a restart", "")
	waitFor(t, "the first attempt", func() bool {
		q, _ := inst.Queue(context.Background())
		return len(q) == 1 && q[0].Attempts == 1
	})
	inst.Close()

	// After a restart the message is still queued with its schedule; ETRN
	// starts it now.
	inst = start(t, dir, func(w *world.World) { w.Queue.Retry = []time.Duration{time.Hour} })
	q, _ := inst.Queue(context.Background())
	if len(q) != 1 || q[0].Attempts != 1 || time.Until(q[0].NextAttempt) < 50*time.Minute {
		t.Fatalf("queue after restart: %+v", q)
	}
	smtpSend(t, inst.Addr("A", world.SMTP), "EHLO x => 250", "ETRN b.example => 250 2.0.0 Queuing for node b.example started")
	waitFor(t, "delivery after ETRN", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })

	// A relay interrupted after B's 250 but before A recorded it: after a
	// restart, A finds the message in bob's mailbox and does not send it again.
	ctx := context.Background()
	qid := mustQueueID(t, inst.Store)
	inst.Store.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE queue_rcpts SET status = 'delivering' WHERE queue_id = ?`, qid)
		return err
	})
	inst.Close()
	inst = start(t, dir, nil)
	time.Sleep(300 * time.Millisecond) // give a wrong second delivery the chance to happen
	if n := len(inboxOf(t, inst.Store, "B", "bob")); n != 1 {
		t.Fatalf("bob has %d messages after recovery, want 1 (no duplicate)", n)
	}
	// Interrupted before it arrived: queued again and delivered once.
	inst.SetFault("B", servers.FaultDown)
	mailTo(t, inst, "bob@b.example", "interrupted early", "")
	waitFor(t, "an attempt", func() bool {
		q, _ := inst.Queue(ctx)
		return len(q) == 1 && q[0].Attempts >= 1
	})
	inst.Store.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE queue_rcpts SET status = 'delivering' WHERE status = 'queued'`)
		return err
	})
	inst.Close()
	inst = start(t, dir, nil)
	waitFor(t, "re-delivery after recovery", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 2 })
}

func mustQueueID(t *testing.T, st *store.Store) int64 {
	items, err := st.QueueHistory(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	_ = items
	var id int64
	st.Write(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(`SELECT max(id) FROM queue`).Scan(&id)
	})
	return id
}

func TestFutureReleaseAndETRNTranscripts(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	a := inst.Addr("A", world.SMTP)
	r := smtpSend(t, a, "EHLO x => 250")
	_ = r
	// EHLO advertises FUTURERELEASE, ETRN and DSN.
	c := wiretest.Dial(t, a)
	c.ReadLine()
	c.Send("EHLO x")
	var ehlo []string
	for {
		l := c.ReadLine()
		ehlo = append(ehlo, strings.TrimSpace(l))
		if l[3] == ' ' {
			break
		}
	}
	joined := strings.Join(ehlo, "\n")
	for _, ext := range []string{"250-ETRN", "250-FUTURERELEASE 86400 ", "250-DSN"} {
		if !strings.Contains(joined, ext) {
			t.Errorf("EHLO lacks %q:\n%s", ext, joined)
		}
	}
	smtpSend(t, a,
		"EHLO x => 250",
		"MAIL FROM:<alice@a.example> HOLDFOR=abc => 501 5.5.4 HOLDFOR=abc is not a number",
		"MAIL FROM:<alice@a.example> HOLDFOR=999999 => 554 5.3.4 HOLDFOR=999999 is longer",
		"MAIL FROM:<alice@a.example> HOLDUNTIL=tomorrow => 501 5.5.4 HOLDUNTIL=tomorrow is not a date-time",
		"MAIL FROM:<alice@a.example> HOLDFOR=1 HOLDUNTIL=2030-01-01T00:00:00Z => 501 5.5.4 Give HOLDFOR or HOLDUNTIL, not both",
		"ETRN => 501 5.5.4 Syntax: ETRN domain",
		"ETRN #queue1 => 458",
		"ETRN c.example => 459 4.7.1 Node c.example not allowed",
		"ETRN b.example => 251 2.0.0 No messages waiting for node b.example",
		"ETRN bad..domain => 501",
	)
	smtpSend(t, a, "ETRN b.example => 503 5.5.1")
	id := mailTo(t, inst, "bob@b.example", "held for a second", " HOLDFOR=1")
	q, _ := inst.Queue(context.Background())
	if len(q) != 1 || q[0].Status != "held" || q[0].MsgID != id {
		t.Fatalf("queue with a held message: %+v", q)
	}
	// RFC 1985 section 5: 252 and 253 say "started"; held mail cannot be
	// started before its time, so the answer is 458 (unable to queue).
	smtpSend(t, a, "EHLO x => 250", "ETRN b.example => 458 4.3.0 Unable to queue messages for node b.example: the mail for 1 recipient(s) is held")
	start := time.Now()
	waitFor(t, "the held message", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
	if time.Since(start) < 500*time.Millisecond {
		t.Errorf("held message delivered after %s, before its hold ended", time.Since(start))
	}
	var steps []string
	for e := range sub.C() {
		if e.Kind == tracer.KindQueue && e.MsgID == id {
			steps = append(steps, e.Attrs["step"])
			if e.Attrs["step"] == "delivered" {
				break
			}
		}
	}
	if got := strings.Join(steps, ","); got != "held,released,attempt,delivered-local,delivered" {
		t.Fatalf("queue steps of a held message: %s", got)
	}
}

func TestRelaySharesOneSessionForSeveralMessages(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) { w.Queue.Retry = []time.Duration{time.Hour} })
	inst.SetFault("B", servers.FaultDown)
	for i := 0; i < 3; i++ {
		mailTo(t, inst, "bob@b.example", fmt.Sprint("batch ", i), "")
	}
	waitFor(t, "three deferred", func() bool {
		q, _ := inst.Queue(context.Background())
		n := 0
		for _, e := range q {
			if e.Attempts > 0 {
				n++
			}
		}
		return n == 3
	})
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	inst.SetFault("B", servers.FaultNone)
	if n, err := inst.Flush(context.Background(), "b.example"); err != nil || n != 3 {
		t.Fatalf("flush: %d %v", n, err)
	}
	waitFor(t, "three delivered", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 3 })
	sessions := map[string]bool{}
	timeout := time.After(5 * time.Second)
	for len(sessions) == 0 {
		select {
		case e := <-sub.C():
			if e.Hop == "A->B" && e.Kind == tracer.KindLine && strings.HasPrefix(e.Text, "MAIL FROM") {
				sessions[e.Session] = true
			}
		case <-timeout:
			t.Fatal("no relay session seen")
		}
	}
	time.Sleep(100 * time.Millisecond)
	for {
		select {
		case e := <-sub.C():
			if e.Hop == "A->B" && e.Kind == tracer.KindLine && strings.HasPrefix(e.Text, "MAIL FROM") {
				sessions[e.Session] = true
			}
			continue
		default:
		}
		break
	}
	if len(sessions) != 1 {
		t.Fatalf("3 messages for one domain used %d sessions, want 1", len(sessions))
	}
}

// TestRelayNotifyNever: a recipient given with NOTIFY=NEVER bounces without
// a notice to the sender (RFC 3461 section 4.1).
func TestRelayNotifyNever(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	inst.SetFault("B", servers.FaultReject)
	r := smtpSend(t, inst.Addr("A", world.SMTP),
		"EHLO laptop => 250",
		"MAIL FROM:<alice@a.example> => 250",
		"RCPT TO:<bob@b.example> NOTIFY=NEVER => 250",
		"DATA => 354",
		"Subject: quiet\r\n\r\nx\r\n. => 250",
		"QUIT => 221")
	id := strings.Fields(r[4][strings.Index(r[4], "queued as ")+len("queued as "):])[0]
	for e := range sub.C() {
		if e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs["step"] == "bounced" {
			if !strings.Contains(e.Text, "NOTIFY=NEVER") {
				t.Fatalf("bounce event: %q", e.Text)
			}
			break
		}
	}
	if n := len(inboxOf(t, inst.Store, "A", "alice")); n != 0 {
		t.Fatalf("alice got %d notices despite NOTIFY=NEVER", n)
	}
}

// TestGreylistWantsAWait: a retry sooner than half the first retry interval
// is greylisted again (RFC 6647 section 4.2).
func TestGreylistWantsAWait(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) { w.Queue.Retry = []time.Duration{10 * time.Second} })
	inst.SetFault("B", servers.FaultGreylist)
	smtpSend(t, inst.Addr("B", world.SMTP),
		"EHLO x => 250",
		"MAIL FROM:<alice@a.example> => 250",
		"RCPT TO:<bob@b.example> => 451 4.7.1 <bob@b.example>: Greylisted: first delivery attempt from this sender, please try again in 5s",
		"RCPT TO:<bob@b.example> => 451 4.7.1 <bob@b.example>: Greylisted: retried too soon, try again in ")
}
