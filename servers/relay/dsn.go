package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Delivery status notifications, RFC 3461 (what a sender may ask for) and
// RFC 3464 (the report's format): a server sends one to the sender when a
// recipient's delivery failed for good ("failed", unless NOTIFY= leaves out
// FAILURE), when the sender asked for NOTIFY=SUCCESS and the message reached
// the recipient's mailbox ("delivered") or left for a server that does not
// offer DSN ("relayed", RFC 3461 section 5.2.2), and when the sender asked
// for NOTIFY=DELAY and the message has waited longer than the world's
// queue.delay_notice ("delayed", once). A notice is sent with the null
// reverse-path MAIL FROM:<> (RFC 3461 section 6.1, RFC 5321 section 4.5.5),
// and never about a message that had one: a notice must not cause another.

// Actions of a notice, RFC 3464 section 2.3.3.
const (
	ActionFailed    = "failed"
	ActionDelayed   = "delayed"
	ActionDelivered = "delivered"
	ActionRelayed   = "relayed"
)

// Notice is one delivery status notification about one recipient.
type Notice struct {
	Server  *world.Server // the reporting server (Reporting-MTA)
	TraceID string        // the message's trace id
	Sender  string        // who gets the notice; "" sends none
	Rcpt    string        // Final-Recipient
	ORCPT   string        // ORCPT= as given (Original-Recipient), or ""
	EnvID   string        // ENVID= as given (Original-Envelope-Id), or ""
	Ret     string        // RET=FULL or HDRS, or ""
	Arrived time.Time     // Arrival-Date
	Orig    []byte        // the message, for the returned headers or content

	Action     string
	Status     string    // RFC 3463 status, e.g. 2.0.0
	Reason     string    // the human explanation, English
	Diagnostic string    // the server's reply (Diagnostic-Code), or ""
	RemoteMTA  string    // the server that answered (Remote-MTA), or ""
	LastTry    time.Time // Last-Attempt-Date, or zero
	RetryUntil time.Time // Will-Retry-Until (delayed), or zero
}

// wants reports whether a recipient whose NOTIFY= is notify asked for a
// notice of action: with no NOTIFY=, only failures are reported (RFC 3461
// section 4.1 leaves the default to the server; Postfix does the same).
func wants(notify, action string) bool {
	has := func(w string) bool {
		for _, n := range strings.Split(notify, ",") {
			if n == w {
				return true
			}
		}
		return false
	}
	switch action {
	case ActionFailed:
		return notify == "" || has("FAILURE")
	case ActionDelayed:
		return has("DELAY")
	default:
		return has("SUCCESS")
	}
}

// send stores the notice n for its sender: in the mailbox of a local
// sender, else in the reporting server's queue, from <>. It returns
// "local" or "remote", the catalog key of the two that says where it went
// (see pick), or "" when none was sent (a null sender, or an error, logged).
func (r *Relay) send(n *Notice) string {
	if n.Sender == "" {
		return ""
	}
	suffix := "-dsn"
	if n.Action == ActionFailed {
		suffix = "-bounce"
	}
	d := &store.Delivery{Server: n.Server.Name, TraceID: n.TraceID + suffix, Sender: "", Body: buildDSN(n, time.Now()), Received: time.Now()}
	local, domain, _ := strings.Cut(n.Sender, "@")
	where := "local"
	if strings.EqualFold(domain, n.Server.Domain) && n.Server.User(local) != nil {
		d.Local = []string{n.Server.User(local).Name}
	} else {
		d.Remote = []string{n.Sender}
		where = "remote"
	}
	if _, err := r.cfg.Store.Deliver(context.Background(), d); err != nil {
		r.cfg.Logger.Error("relay: storing a delivery status notification", "err", err)
		return ""
	}
	if len(d.Remote) > 0 {
		r.Poke()
	}
	return where
}

// Delivered sends the "delivered" notices a message's local recipients
// asked for (NOTIFY=SUCCESS; RFC 3461 section 5.2.3: the server that puts
// the message in the mailbox reports it) and says so in the trace. The SMTP
// backend calls it once the message is stored.
func (r *Relay) Delivered(n Notice, notify string) {
	if !wants(notify, ActionDelivered) {
		return
	}
	n.Action, n.Status = ActionDelivered, "2.0.0"
	n.Reason = "Your message was delivered to the mailbox of " + n.Rcpt + "."
	attrs := map[string]string{tracer.AttrStep: tracer.StepDSN, tracer.AttrRcpt: n.Rcpt, tracer.AttrAction: n.Action}
	key := "queue.dsn.null"
	if w := r.send(&n); w != "" {
		key = pick(w, "queue.dsn.delivered.local", "queue.dsn.delivered.remote")
	} else if n.Sender != "" {
		return
	}
	r.cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindQueue, Server: n.Server.Name, MsgID: n.TraceID,
		Msg: tracer.M(key, "rcpt", n.Rcpt, "sender", n.Sender, "server", n.Server.Name), Attrs: attrs})
}

// pick is local or remote, as where (send's answer) says.
func pick(where, local, remote string) string {
	if where == "local" {
		return local
	}
	return remote
}

// notice starts the notice about queued recipient it of src.
func (r *Relay) notice(src *world.Server, it *store.QueueItem, dsn *store.QueueDSN) *Notice {
	orig, _ := r.cfg.Store.QueueBody(context.Background(), it.QueueID)
	n := &Notice{Server: src, TraceID: it.TraceID, Sender: it.Sender, Rcpt: it.Rcpt, Arrived: it.Created, Orig: orig}
	if dsn != nil {
		n.ORCPT, n.EnvID, n.Ret = dsn.ORCPT[it.ID], dsn.EnvID, dsn.Ret
	}
	return n
}

// queueDSN is what the sender of it's message asked of notices, or nil.
func (r *Relay) queueDSN(it *store.QueueItem) *store.QueueDSN {
	d, err := r.cfg.Store.QueueDSN(context.Background(), it.QueueID)
	if err != nil {
		return nil
	}
	return d
}

// buildDSN writes a delivery status notification, RFC 3464: a
// multipart/report (RFC 6522) with a human explanation, a
// message/delivery-status part and, per RET (RFC 3461 section 4.3), the
// whole message (RET=FULL, failures only) or its header lines.
func buildDSN(n *Notice, now time.Time) []byte {
	var rb [12]byte
	rand.Read(rb[:])
	boundary := "mailscope-dsn-" + hex.EncodeToString(rb[:])
	src := n.Server
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...); b.WriteString("\r\n") }
	subject := map[string]string{
		ActionFailed:    "Undelivered Mail Returned to Sender",
		ActionDelayed:   "Delayed Mail (still being retried)",
		ActionDelivered: "Successful Mail Delivery Report",
		ActionRelayed:   "Successful Mail Delivery Report (relayed, no further notice)",
	}[n.Action]
	w("From: Mail Delivery System <MAILER-DAEMON@%s>", src.Domain)
	w("To: <%s>", n.Sender)
	w("Subject: %s", subject)
	w("Date: %s", now.Format(time.RFC1123Z))
	w("Message-ID: <%s@%s>", noticeID(n), src.Domain)
	w("Auto-Submitted: auto-replied")
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"", boundary)
	w("")
	w("This is a MIME-encapsulated message: a delivery status notification (RFC 3464).")
	w("")
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=us-ascii")
	w("Content-Description: Notification")
	w("")
	w("This is the mail system at %s (mailscope server %s).", src.Domain, src.Name)
	w("")
	switch n.Action {
	case ActionFailed:
		w("Your message %s could not be delivered to <%s>.", n.TraceID, n.Rcpt)
	case ActionDelayed:
		w("Your message %s to <%s> has not been delivered yet: it waits in the queue", n.TraceID, n.Rcpt)
		w("of %s, which will keep trying until %s. No action is needed.", src.Domain, n.RetryUntil.Format(time.RFC1123Z))
	case ActionDelivered:
		w("Your message %s was delivered to the mailbox of <%s>.", n.TraceID, n.Rcpt)
	case ActionRelayed:
		w("Your message %s to <%s> was passed on to %s,", n.TraceID, n.Rcpt, n.RemoteMTA)
		w("which does not offer delivery status notifications: no further notice will come.")
	}
	w("")
	if n.Reason != "" {
		w("Reason: %s", wrapText(printable(n.Reason), 70))
		w("")
	}
	if n.Action == ActionFailed && n.Ret == "FULL" {
		w("The machine-readable report and your message (RET=FULL) follow.")
	} else {
		w("The machine-readable report and the headers of your message follow.")
	}
	w("")
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("")
	// Per-message fields, RFC 3464 section 2.2.
	if id := decodeXtext(n.EnvID); id != "" {
		w("Original-Envelope-Id: %s", id)
	}
	w("Reporting-MTA: dns; %s", src.Domain)
	w("X-Mailscope-Queue-ID: %s", n.TraceID)
	w("Arrival-Date: %s", n.Arrived.Format(time.RFC1123Z))
	w("")
	// Per-recipient fields, RFC 3464 section 2.3.
	if typ, addr, ok := strings.Cut(n.ORCPT, ";"); ok {
		if a := decodeXtext(addr); a != "" {
			w("Original-Recipient: %s;%s", typ, a)
		}
	}
	w("Final-Recipient: rfc822; %s", n.Rcpt)
	w("Action: %s", n.Action)
	w("Status: %s", n.Status)
	if n.RemoteMTA != "" {
		w("Remote-MTA: dns; %s", n.RemoteMTA)
	}
	if n.Diagnostic != "" {
		w("Diagnostic-Code: smtp; %s", printable(n.Diagnostic))
	}
	if !n.LastTry.IsZero() {
		w("Last-Attempt-Date: %s", n.LastTry.Format(time.RFC1123Z))
	}
	if !n.RetryUntil.IsZero() {
		w("Will-Retry-Until: %s", n.RetryUntil.Format(time.RFC1123Z))
	}
	w("")
	w("--%s", boundary)
	if n.Action == ActionFailed && n.Ret == "FULL" {
		w("Content-Type: message/rfc822")
		w("Content-Description: Undelivered Message")
		w("")
		b.Write(n.Orig)
		if !bytes.HasSuffix(n.Orig, []byte("\r\n")) {
			w("")
		}
	} else {
		w("Content-Type: text/rfc822-headers")
		if n.Action == ActionFailed {
			w("Content-Description: Undelivered Message Headers")
		} else {
			w("Content-Description: Message Headers")
		}
		w("")
		hdr := n.Orig
		if i := bytes.Index(n.Orig, []byte("\r\n\r\n")); i >= 0 {
			hdr = n.Orig[:i+2]
		}
		b.Write(hdr)
	}
	w("")
	w("--%s--", boundary)
	return b.Bytes()
}

// noticeID is the left part of a notice's Message-ID: the message's trace
// id and "bounce" for a failure, as it always was, else the action and a
// hash of the recipient, so that the notices about one message differ.
func noticeID(n *Notice) string {
	if n.Action == ActionFailed {
		return n.TraceID + "-bounce"
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(n.Rcpt)))
	return fmt.Sprintf("%s-%s-%08x", n.TraceID, n.Action, h.Sum32())
}

// failStatus picks the RFC 3463 status of a failure from the reply.
func failStatus(reason string) (status, diag string) {
	diag = strings.ReplaceAll(reason, "\r\n", " ")
	expired := strings.Contains(reason, "gave up")
	if s := enhancedIn(reason); s != "" {
		if s[0] == '4' && !expired {
			s = "5" + s[1:]
		}
		return s, diag
	}
	if expired {
		return "4.4.7", diag
	}
	return "5.0.0", diag
}

// enhancedIn finds an enhanced status code (RFC 3463) in a reply.
func enhancedIn(reply string) string {
	for _, f := range strings.Fields(reply) {
		if len(f) >= 5 && (f[0] == '5' || f[0] == '4' || f[0] == '2') && f[1] == '.' && strings.Count(f, ".") == 2 {
			return f
		}
	}
	return ""
}

// decodeXtext undoes RFC 3461 section 4's xtext (+XX hex escapes); it
// returns "" for a value that does not decode to printable ASCII, which a
// report field cannot carry.
func decodeXtext(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '+' && i+2 < len(v) {
			n, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
			if err != nil {
				return ""
			}
			c = byte(n)
			i += 2
		}
		if c < ' ' || c > '~' {
			return ""
		}
		b.WriteByte(c)
	}
	return b.String()
}

// printable keeps a report's text to printable ASCII on one line.
func printable(s string) string {
	return strings.Map(func(c rune) rune {
		if c < ' ' || c > '~' {
			return ' '
		}
		return c
	}, s)
}

func wrapText(s string, width int) string {
	var out, line strings.Builder
	for _, w := range strings.Fields(s) {
		if line.Len() > 0 && line.Len()+len(w)+1 > width {
			out.WriteString(line.String())
			out.WriteString("\r\n  ")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(w)
	}
	out.WriteString(line.String())
	return out.String()
}
