package relay

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
)

// buildDSN writes a delivery status notification, RFC 3464: a
// multipart/report (RFC 6522) with a human explanation, a
// message/delivery-status part and the returned message's headers.
func buildDSN(src *world.Server, it *store.QueueItem, reason string, orig []byte, now time.Time) []byte {
	var rb [12]byte
	rand.Read(rb[:])
	boundary := "mailscope-dsn-" + hex.EncodeToString(rb[:])
	status, diag := dsnStatus(reason)
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...); b.WriteString("\r\n") }
	w("From: Mail Delivery System <MAILER-DAEMON@%s>", src.Domain)
	w("To: <%s>", it.Sender)
	w("Subject: Undelivered Mail Returned to Sender")
	w("Date: %s", now.Format(time.RFC1123Z))
	w("Message-ID: <%s-bounce@%s>", it.TraceID, src.Domain)
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
	w("Your message %s could not be delivered to <%s>.", it.TraceID, it.Rcpt)
	w("")
	w("Reason: %s", wrapText(reason, 70))
	w("")
	w("The machine-readable report and the headers of your message follow.")
	w("")
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("")
	w("Reporting-MTA: dns; %s", src.Domain)
	w("X-Mailscope-Queue-ID: %s", it.TraceID)
	w("Arrival-Date: %s", it.Created.Format(time.RFC1123Z))
	w("")
	w("Final-Recipient: rfc822; %s", it.Rcpt)
	w("Action: failed")
	w("Status: %s", status)
	if dest := it.Domain; dest != "" {
		w("Remote-MTA: dns; %s", dest)
	}
	w("Diagnostic-Code: smtp; %s", diag)
	w("Last-Attempt-Date: %s", now.Format(time.RFC1123Z))
	w("")
	w("--%s", boundary)
	w("Content-Type: text/rfc822-headers")
	w("Content-Description: Undelivered Message Headers")
	w("")
	hdr := orig
	if i := bytes.Index(orig, []byte("\r\n\r\n")); i >= 0 {
		hdr = orig[:i+2]
	}
	b.Write(hdr)
	w("")
	w("--%s--", boundary)
	return b.Bytes()
}

// dsnStatus picks the RFC 3463 status for the report from the reply.
func dsnStatus(reason string) (status, diag string) {
	diag = strings.ReplaceAll(reason, "\r\n", " ")
	expired := strings.Contains(reason, "gave up")
	for _, f := range strings.Fields(reason) {
		if len(f) >= 5 && (f[0] == '5' || f[0] == '4') && f[1] == '.' && strings.Count(f, ".") == 2 {
			status = f
			if status[0] == '4' && !expired {
				status = "5" + status[1:]
			}
			return status, diag
		}
	}
	if expired {
		return "4.4.7", diag
	}
	return "5.0.0", diag
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
