package servers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// smugglingEnds are the end-of-data look-alikes of the 2023 SMTP smuggling
// attacks (SEC Consult, CVE-2023-51764/51765/51766): each must be content to a
// client that ends its lines with CRLF, never the end of the message.
var smugglingEnds = []struct{ name, end string }{
	{"LF.LF", "\n.\n"},
	{"CR.CR", "\r.\r"},
	{"LF.CRLF", "\n.\r\n"},
	{"CRLF.LF", "\r\n.\n"},
	{"CRLF.CR", "\r\n.\r"},
}

// smuggle runs one SMTP session to addr whose message hides a second
// transaction behind a fake end of data, then says QUIT; it returns every
// reply the server gave after the 354, up to the close.
func smuggle(t *testing.T, addr, fakeEnd string) []string {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	reply := func() string {
		for {
			l := c.ReadLine()
			if len(l) < 4 || l[3] != '-' {
				return l
			}
		}
	}
	reply()
	for _, step := range []string{"EHLO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<bob@b.example>", "DATA"} {
		c.Send(step)
		if got := reply(); got[0] != '2' && got[0] != '3' {
			t.Fatalf("%s answered %q", step, got)
		}
	}
	c.SendRaw("Subject: first\r\n\r\nthe visible part" + fakeEnd +
		"MAIL FROM:<ceo@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\nSubject: smuggled\r\n\r\npay the invoice\r\n.\r\nQUIT\r\n")
	// Every reply up to the close, a last partial line included.
	r := c.Reader()
	var replies []string
	for {
		l, err := r.ReadString('\n')
		if l != "" {
			replies = append(replies, strings.TrimRight(l, "\r\n"))
		}
		if err != nil {
			return replies
		}
	}
}

// accepted counts the replies that accept a message.
func accepted(replies []string) int {
	n := 0
	for _, l := range replies {
		if strings.HasPrefix(l, "250 2.0.0 OK: ") {
			n++
		}
	}
	return n
}

// checkOneOrRefused says what a smuggling session must end as: one message
// holding the would-be commands as text, or (strict) a 521 and nothing.
func checkOneOrRefused(t *testing.T, replies []string, msgs [][]byte, strict bool) {
	t.Helper()
	if strict {
		if accepted(replies) != 0 || len(replies) == 0 || !strings.HasPrefix(replies[0], "521 5.5.2 ") || len(msgs) != 0 {
			t.Fatalf("strict: want a 521 and nothing stored; replies %q, %d messages", replies, len(msgs))
		}
		return
	}
	if accepted(replies) != 1 || len(msgs) != 1 {
		t.Fatalf("want exactly one message; replies %q, %d messages", replies, len(msgs))
	}
	if m := string(msgs[0]); !strings.Contains(m, "\r\nMAIL FROM:<ceo@a.example>\r\n") || !strings.Contains(m, "pay the invoice") {
		t.Fatalf("the would-be commands are not content of the one message:\n%q", m)
	}
}

// noBareEndings fails if a line or data event of a session holds a bare LF
// or a lone CR (the trace sees the plain text inside TLS).
func noBareEndings(t *testing.T, events []*tracer.Event) {
	t.Helper()
	for _, e := range events {
		if e.HasFlag(tracer.FlagBareLF) || e.HasFlag(tracer.FlagBareCR) {
			t.Fatalf("%s sent a bare LF or CR: %s %q %v", e.Actor, e.Kind, e.Text, e.Flags)
		}
		if e.Kind == tracer.KindData && (strings.Count(e.Data, "\n") != strings.Count(e.Data, "\r\n") || strings.Count(e.Data, "\r") != strings.Count(e.Data, "\r\n")) {
			t.Fatalf("%s sent a bare LF or CR in the message: %q", e.Actor, e.Data)
		}
	}
}

// noSmuggledCommand fails if the trace shows the hidden transaction's
// commands as commands: the tracer must end the data where the server does.
func noSmuggledCommand(t *testing.T, events []*tracer.Event) {
	t.Helper()
	for _, e := range events {
		if e.Kind == tracer.KindLine && e.Dir == tracer.C2S && strings.HasPrefix(e.Text, "MAIL FROM:<ceo@") {
			t.Fatalf("the trace shows a smuggled command: %s %q", e.Session, e.Text)
		}
	}
}

// published returns the events already published to sub.
func published(sub *tracer.Subscription) []*tracer.Event {
	var out []*tracer.Event
	for {
		select {
		case e := <-sub.C():
			out = append(out, e)
		default:
			return out
		}
	}
}

// hopEvents collects the events of server B's sessions with A's relay
// until the queue says delivered (or bounced) for every queued message; all
// the events it saw go to *all.
func hopEvents(t *testing.T, sub *tracer.Subscription, want int, all *[]*tracer.Event) []*tracer.Event {
	t.Helper()
	var out []*tracer.Event
	timeout := time.After(20 * time.Second)
	for done := 0; done < want; {
		select {
		case e := <-sub.C():
			if all != nil {
				*all = append(*all, e)
			}
			if e.Hop == "A->B" {
				out = append(out, e)
			}
			if e.Kind == tracer.KindQueue && (e.Attrs["step"] == "delivered" || e.Attrs["step"] == "bounced") {
				done++
			}
		case <-timeout:
			t.Fatalf("the relay did not finish")
		}
	}
	return out
}

func queueEmpty(t *testing.T, inst *servers.Instance) bool {
	q, err := inst.Queue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(q) == 0
}

// TestSmugglingDirectToB sends every variant straight to B, the receiving
// server: one message or, when strict, a refusal; never two.
func TestSmugglingDirectToB(t *testing.T) {
	for _, strict := range []bool{false, true} {
		inst := start(t, t.TempDir(), func(w *world.World) { w.SMTP.StrictLineEndings = strict })
		sub := inst.Bus.Subscribe(100000)
		defer sub.Close()
		for _, v := range smugglingEnds {
			t.Run(map[bool]string{false: "default/", true: "strict/"}[strict]+v.name, func(t *testing.T) {
				before := len(inboxOf(t, inst.Store, "B", "bob"))
				replies := smuggle(t, inst.Addr("B", world.SMTP), v.end)
				checkOneOrRefused(t, replies, inboxOf(t, inst.Store, "B", "bob")[before:], strict)
				noSmuggledCommand(t, published(sub))
			})
		}
	}
}

// TestSmugglingThroughA sends every variant to A for bob@b.example: A stores
// one message (or refuses), and its relay hands B one message with CRLF line
// endings only.
func TestSmugglingThroughA(t *testing.T) {
	for _, strict := range []bool{false, true} {
		inst := start(t, t.TempDir(), func(w *world.World) { w.SMTP.StrictLineEndings = strict })
		sub := inst.Bus.Subscribe(100000)
		defer sub.Close()
		for _, v := range smugglingEnds {
			t.Run(map[bool]string{false: "default/", true: "strict/"}[strict]+v.name, func(t *testing.T) {
				before := len(inboxOf(t, inst.Store, "B", "bob"))
				replies := smuggle(t, inst.Addr("A", world.SMTP), v.end)
				if strict {
					if !queueEmpty(t, inst) {
						t.Fatalf("strict A queued something: replies %q", replies)
					}
					checkOneOrRefused(t, replies, nil, true)
					noSmuggledCommand(t, published(sub))
					return
				}
				if accepted(replies) != 1 {
					t.Fatalf("A accepted %d messages: %q", accepted(replies), replies)
				}
				var all []*tracer.Event
				events := hopEvents(t, sub, 1, &all)
				waitFor(t, "A's queue to empty", func() bool { return queueEmpty(t, inst) })
				checkOneOrRefused(t, replies, inboxOf(t, inst.Store, "B", "bob")[before:], false)
				noBareEndings(t, events)
				noSmuggledCommand(t, all)
			})
		}
	}
}

// TestRelaySendsOnlyCRLF puts a message with bare LF and lone CR straight
// into A's queue, as an older version or a bounce might have stored it, and
// checks that what A's relay sends B has CRLF line endings only and arrives
// as one message.
func TestRelaySendsOnlyCRLF(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	body := "Subject: raw\r\n\r\nbare lf\n.\nMAIL FROM:<x@a.example>\rlone cr\r.\rend\r\n"
	if _, err := inst.Store.Deliver(context.Background(), &store.Delivery{Server: "A", TraceID: "A-RAWBODY",
		Sender: "alice@a.example", Remote: []string{"bob@b.example"}, Body: []byte(body), Received: time.Now()}); err != nil {
		t.Fatal(err)
	}
	smtpSend(t, inst.Addr("A", world.SMTP), "EHLO laptop => 250", "ETRN b.example => 25") // 251 when the relay took it already
	events := hopEvents(t, sub, 1, nil)
	noBareEndings(t, events)
	msgs := inboxOf(t, inst.Store, "B", "bob")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0]), "bare lf\r\n.\r\nMAIL FROM:<x@a.example>\r\nlone cr\r\n.\r\nend\r\n") {
		t.Fatalf("bob's mail: %q", msgs)
	}
}
