package servers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Delivery status notifications over real sockets (RFC 3461, RFC 3464):
// python3's smtplib sends with DSN parameters, the servers pass them on,
// and python3's email package reads the notices back.

// pySend sends one message from alice through A's SMTP port with python3's
// smtplib, MAIL and RCPT parameters given as smtplib's mail_options and
// rcpt_options, and returns A's queue id from the reply to the data.
func pySend(t *testing.T, inst *servers.Instance, rcpt, subject string, mailOpts, rcptOpts []string) string {
	t.Helper()
	py := wiretest.Tool(t, "python3", "python3")
	host, port, _ := net.SplitHostPort(inst.Addr("A", world.SMTP))
	list := func(l []string) string {
		b, _ := json.Marshal(append([]string{}, l...))
		return string(b)
	}
	script := fmt.Sprintf(`
import smtplib
s = smtplib.SMTP(%q, %s, timeout=20)
s.ehlo("python")
assert s.has_extn("dsn")
s.mail("alice@a.example", %s)
code, msg = s.rcpt(%q, %s)
assert code == 250, (code, msg)
code, msg = s.data("Subject: %s\r\nMessage-ID: <py-1@a.example>\r\n\r\nhello bob\r\n")
assert code == 250, (code, msg)
print(msg.decode())
s.quit()
`, host, port, list(mailOpts), rcpt, list(rcptOpts), subject)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 smtplib: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "queued as ")
	if i < 0 {
		t.Fatalf("no queue id in %q", out)
	}
	return strings.Fields(string(out)[i+len("queued as "):])[0]
}

// dsnReport is a notice as python3's email package reads it.
type dsnReport struct {
	Type       string            `json:"type"`
	ReportType string            `json:"report_type"`
	Parts      []string          `json:"parts"`
	From       string            `json:"from"`
	Subject    string            `json:"subject"`
	PerMessage map[string]string `json:"per_message"`
	PerRcpt    map[string]string `json:"per_rcpt"`
	Returned   string            `json:"returned"`
}

// pyParseDSN parses raw with python3's email package: a multipart/report
// whose message/delivery-status part holds a block of per-message fields
// and one of per-recipient fields (RFC 3464 section 2).
func pyParseDSN(t *testing.T, raw []byte) *dsnReport {
	t.Helper()
	py := wiretest.Tool(t, "python3", "python3")
	f := filepath.Join(t.TempDir(), "dsn.eml")
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import email, json, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
out = {"type": m.get_content_type(), "report_type": m.get_param("report-type"),
       "from": m["From"], "subject": m["Subject"], "parts": [], "returned": ""}
for p in m.get_payload():
    out["parts"].append(p.get_content_type())
    if p.get_content_type() == "message/delivery-status":
        blocks = p.get_payload()
        out["per_message"] = dict(blocks[0].items())
        out["per_rcpt"] = dict(blocks[1].items())
    elif p.get_content_type() == "text/rfc822-headers":
        out["returned"] = p.get_payload()
    elif p.get_content_type() == "message/rfc822":
        out["returned"] = p.get_payload()[0].as_string()
print(json.dumps(out))
`
	out, err := exec.Command(py, "-c", script, f).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 email: %v\n%s\n%s", err, out, raw)
	}
	var r dsnReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Type != "multipart/report" || r.ReportType != "delivery-status" || len(r.Parts) != 3 ||
		r.Parts[0] != "text/plain" || r.Parts[1] != "message/delivery-status" {
		t.Fatalf("python3 reads the notice as %+v:\n%s", r, raw)
	}
	return &r
}

// collect gathers the trace until cond is true of an event.
func collect(t *testing.T, sub *tracer.Subscription, events *[]*tracer.Event, cond func(e *tracer.Event) bool) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-sub.C():
			*events = append(*events, e)
			if cond(e) {
				return
			}
		case <-timeout:
			t.Fatalf("timed out; %d events", len(*events))
		}
	}
}

// TestDSNPassedOnAndDelivered: alice asks A for a success notice with every
// DSN parameter. A passes them on to B unchanged (RFC 3461 section 5.2.1),
// the trace shows them on the relay hop, the message keeps its trace id on
// B, and B, which puts the message in bob's mailbox, sends the "delivered"
// notice from <> back through A to alice.
func TestDSNPassedOnAndDelivered(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	id := pySend(t, inst, "bob@b.example", "tell me", []string{"ENVID=alice+2B42", "RET=HDRS"},
		[]string{"NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob@b.example"})
	waitFor(t, "the delivered notice", func() bool { return len(inboxOf(t, inst.Store, "A", "alice")) == 1 })
	// Up to the notice's way back: B's relay to A, from <>.
	var events []*tracer.Event
	collect(t, sub, &events, func(e *tracer.Event) bool { return e.Hop == "B->A" && strings.HasPrefix(e.Text, "MAIL FROM:<>") })

	var mail, rcpt *tracer.Event
	pass := false
	for _, e := range events {
		switch {
		case e.Hop == "A->B" && strings.HasPrefix(e.Text, "MAIL FROM:<alice@a.example>"):
			mail = e
		case e.Hop == "A->B" && strings.HasPrefix(e.Text, "RCPT TO:<bob@b.example>"):
			rcpt = e
		case e.Kind == tracer.KindQueue && e.Server == "A" && e.MsgID == id && e.Attrs["step"] == "dsn":
			pass = pass || strings.Contains(e.Text, "ENVID=alice+2B42") && strings.Contains(e.Text, "NOTIFY=SUCCESS,FAILURE") &&
				strings.Contains(e.Text, "RFC 3461 section 5.2.1")
		}
	}
	if mail == nil || rcpt == nil {
		t.Fatal("no MAIL or RCPT line on the A->B hop")
	}
	for _, want := range []string{"RET=HDRS", "ENVID=alice+2B42", "X-MAILSCOPE-TRACE=" + id} {
		if !strings.Contains(mail.Text, want) {
			t.Errorf("A->B MAIL line %q lacks %s", mail.Text, want)
		}
	}
	if mail.MsgID != id || mail.Explain == nil || mail.Explain.Key != "smtp.cmd.MAIL.trace" {
		t.Errorf("A->B MAIL line: msgid %q (want %q), explanation %+v", mail.MsgID, id, mail.Explain)
	}
	if !strings.Contains(rcpt.Text, "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@b.example") || rcpt.Explain == nil || rcpt.Explain.Key != "smtp.cmd.RCPT.dsn" {
		t.Errorf("A->B RCPT line %q, explanation %+v", rcpt.Text, rcpt.Explain)
	}
	if !pass {
		t.Error("A's trace does not say it passed the parameters on")
	}
	if ok, _ := inst.Store.HasTraceID(context.Background(), "B", "bob", id); !ok {
		t.Errorf("bob's copy lost the trace id %s", id)
	}
	delivered := false
	for _, e := range events {
		if e.Kind == tracer.KindQueue && e.Server == "B" && e.MsgID == id && e.Attrs["step"] == "dsn" {
			delivered = delivered || strings.Contains(e.Text, "mailbox of bob@b.example") && strings.Contains(e.Text, "alice@a.example")
		}
	}
	if !delivered {
		t.Error("B's trace does not say it sends the delivered notice")
	}
	r := pyParseDSN(t, inboxOf(t, inst.Store, "A", "alice")[0])
	want := map[string]string{"Reporting-MTA": "dns; b.example", "Original-Envelope-Id": "alice+42"}
	for k, v := range want {
		if r.PerMessage[k] != v {
			t.Errorf("per-message %s = %q, want %q (%v)", k, r.PerMessage[k], v, r.PerMessage)
		}
	}
	if r.PerMessage["Arrival-Date"] == "" {
		t.Errorf("no Arrival-Date: %v", r.PerMessage)
	}
	want = map[string]string{"Final-Recipient": "rfc822; bob@b.example", "Original-Recipient": "rfc822;bob@b.example",
		"Action": "delivered", "Status": "2.0.0"}
	for k, v := range want {
		if r.PerRcpt[k] != v {
			t.Errorf("per-recipient %s = %q, want %q (%v)", k, r.PerRcpt[k], v, r.PerRcpt)
		}
	}
	if r.Parts[2] != "text/rfc822-headers" || !strings.Contains(r.Returned, "Subject: tell me") || strings.Contains(r.Returned, "hello bob") {
		t.Errorf("RET=HDRS: returned %s %q", r.Parts[2], r.Returned)
	}
	if n := len(inboxOf(t, inst.Store, "B", "bob")); n != 1 {
		t.Errorf("bob has %d messages", n)
	}
}

// TestDSNNeverNoBounce: with NOTIFY=NEVER, and with a NOTIFY= list without
// FAILURE, a recipient whose delivery fails for good (B down until the
// queue gives up) brings alice no bounce.
func TestDSNNeverNoBounce(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) {
		w.Queue.Retry = []time.Duration{100 * time.Millisecond}
		w.Queue.GiveUp = 500 * time.Millisecond
	})
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	inst.SetFault("B", servers.FaultDown)
	for _, notify := range []string{"NEVER", "SUCCESS"} {
		id := pySend(t, inst, "bob@b.example", "quiet "+notify, nil, []string{"NOTIFY=" + notify})
		var events []*tracer.Event
		collect(t, sub, &events, func(e *tracer.Event) bool {
			return e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs["step"] == tracer.StepBounced
		})
		e := events[len(events)-1]
		if !strings.Contains(e.Text, "NOTIFY="+notify) || !strings.Contains(e.Text, "no bounce") {
			t.Errorf("NOTIFY=%s: the bounce event says %q", notify, e.Text)
		}
	}
	if n := len(inboxOf(t, inst.Store, "A", "alice")); n != 0 {
		t.Fatalf("alice got %d notices", n)
	}
}

// TestDSNDelayedThenFailed: with NOTIFY=DELAY,FAILURE and B down, alice
// gets one "delayed" notice once the message has waited the world's
// delay_notice, however many retries follow, then the "failed" one when the
// queue gives up.
func TestDSNDelayedThenFailed(t *testing.T) {
	inst := start(t, t.TempDir(), func(w *world.World) {
		w.Queue.Retry = []time.Duration{100 * time.Millisecond}
		w.Queue.DelayNotice = 300 * time.Millisecond
		w.Queue.GiveUp = 2 * time.Second
	})
	inst.SetFault("B", servers.FaultDown)
	id := pySend(t, inst, "bob@b.example", "slow", []string{"ENVID=e1"}, []string{"NOTIFY=DELAY,FAILURE"})
	waitFor(t, "two notices", func() bool { return len(inboxOf(t, inst.Store, "A", "alice")) >= 2 })
	box := inboxOf(t, inst.Store, "A", "alice")
	if len(box) != 2 {
		t.Fatalf("alice has %d notices, want 2", len(box))
	}
	d := pyParseDSN(t, box[0])
	if d.PerRcpt["Action"] != "delayed" || !strings.HasPrefix(d.PerRcpt["Status"], "4.") || d.PerRcpt["Will-Retry-Until"] == "" ||
		d.PerRcpt["Last-Attempt-Date"] == "" || d.PerMessage["Original-Envelope-Id"] != "e1" || d.PerMessage["X-Mailscope-Queue-ID"] != id {
		t.Errorf("first notice: %+v", d)
	}
	f := pyParseDSN(t, box[1])
	if f.PerRcpt["Action"] != "failed" || f.PerRcpt["Status"] != "4.4.7" {
		t.Errorf("second notice: %+v", f.PerRcpt)
	}
}

// TestDSNNeverForANotice: a message from <> (a notice itself) that fails
// brings no notice, whatever its NOTIFY= asks (RFC 3461 section 6.1).
func TestDSNNeverForANotice(t *testing.T) {
	inst := start(t, t.TempDir(), nil)
	sub := inst.Bus.Subscribe(100000)
	defer sub.Close()
	inst.SetFault("B", servers.FaultReject)
	r := smtpSend(t, inst.Addr("A", world.SMTP),
		"EHLO laptop => 250",
		"MAIL FROM:<> => 250",
		"RCPT TO:<bob@b.example> NOTIFY=SUCCESS,FAILURE,DELAY => 250",
		"DATA => 354",
		"Subject: a notice\r\n\r\nx\r\n. => 250",
		"QUIT => 221")
	id := strings.Fields(r[4][strings.Index(r[4], "queued as ")+len("queued as "):])[0]
	var events []*tracer.Event
	collect(t, sub, &events, func(e *tracer.Event) bool {
		return e.Kind == tracer.KindQueue && e.MsgID == id && e.Attrs["step"] == tracer.StepBounced
	})
	if e := events[len(events)-1]; !strings.Contains(e.Text, "<>") {
		t.Errorf("bounce event: %q", e.Text)
	}
	q, _ := inst.Queue(context.Background())
	if len(q) != 0 || len(inboxOf(t, inst.Store, "A", "alice")) != 0 {
		t.Fatalf("a notice about a notice: queue %v", q)
	}
}
