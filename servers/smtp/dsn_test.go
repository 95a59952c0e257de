package smtp_test

import (
	"reflect"
	"testing"

	"github.com/mailscope/mailscope/servers/smtp"
)

// TestDSNParameters: RCPT TO's NOTIFY and ORCPT (RFC 3461 sections 4.1,
// 4.2) and MAIL FROM's ENVID and RET reach the backend with the message;
// a malformed ORCPT is refused.
func TestDSNParameters(t *testing.T) {
	addr, b, _, _ := fakeServer(t, nil)
	runTranscript(t, addr, `
		S: 220 *
		C: EHLO laptop
		S: 250-*
		S: 250-PIPELINING
		S: 250-SIZE *
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-DSN
		S: 250-AUTH PLAIN LOGIN
		S: 250 HELP
		C: MAIL FROM:<alice@a.example> ENVID=q+2B1 RET=hdrs
		S: 250 2.1.0 *
		C: RCPT TO:<bob@a.example> ORCPT=bob@a.example
		S: 501 5.5.4 ORCPT=bob@a.example: write it as addr-type;address*
		C: RCPT TO:<bob@a.example> ORCPT=rfc822;bob@a.example NOTIFY=success,delay
		S: 250 2.1.5 *
		C: RCPT TO:<carol@c.example> NOTIFY=FAILURE
		S: 250 2.1.5 *
		C: DATA
		S: 354 *
		C: Subject: dsn
		C:
		C: x
		C: .
		S: 250 2.0.0 *
		C: QUIT
		S: 221 *
	`)
	b.mu.Lock()
	got := b.delivered[0]
	b.mu.Unlock()
	want := []smtp.Rcpt{{Addr: "bob@a.example", User: "bob", Notify: "SUCCESS,DELAY", ORCPT: "rfc822;bob@a.example"},
		{Addr: "carol@c.example", Notify: "FAILURE"}}
	if got.EnvID != "q+2B1" || got.Ret != "HDRS" || !reflect.DeepEqual(got.Rcpts, want) {
		t.Fatalf("ENVID %q RET %q recipients %+v", got.EnvID, got.Ret, got.Rcpts)
	}
	if !want[0].Has("DELAY") || want[0].Has("FAILURE") {
		t.Error("Rcpt.Has")
	}
}

// TestTraceParameter: a server that carries trace ids offers
// X-MAILSCOPE-TRACE to the world's relays and gives the message the id a
// relay sends in it; to any other client (a student who copied another's
// trace id from a Received line) it is an unknown parameter, as on a
// server that does not carry them; and a client's ENVID, even one that
// looks like a trace id, names no trace.
func TestTraceParameter(t *testing.T) {
	addr, b, _, _ := fakeServer(t, func(s *smtp.Server) { s.CarryTrace = true })
	dialAsRelay(t, addr, b.bus, "B", "A").Run(`
		S: 220 *
		C: EHLO a.example
		S: 250-*
		S: 250-PIPELINING
		S: 250-SIZE *
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-DSN
		S: 250-AUTH PLAIN LOGIN
		S: 250-X-MAILSCOPE-TRACE
		S: 250 HELP
		C: MAIL FROM:<alice@a.example> X-MAILSCOPE-TRACE=bad
		S: 501 5.5.4 X-MAILSCOPE-TRACE=bad is not a mailscope trace id*
		C: MAIL FROM:<alice@a.example> ENVID=B-ABCDEFGH X-MAILSCOPE-TRACE=Z-ABCDEFGH-dsn
		S: 250 2.1.0 *
		C: RCPT TO:<bob@a.example>
		S: 250 2.1.5 *
		C: DATA
		S: 354 *
		C: Subject: carried
		C:
		C: x
		C: .
		S: 250 2.0.0 *
		C: MAIL FROM:<alice@a.example> ENVID=B-ABCDEFGH
		S: 250 2.1.0 *
		C: RCPT TO:<bob@a.example>
		S: 250 2.1.5 *
		C: DATA
		S: 354 *
		C: Subject: own envid
		C:
		C: x
		C: .
		S: 250 2.0.0 *
		C: QUIT
		S: 221 *
	`)
	b.mu.Lock()
	carried, own := b.delivered[0], b.delivered[1]
	b.mu.Unlock()
	if id := carried.TraceID; id != "Z-ABCDEFGH-dsn" {
		t.Errorf("carried trace id %q", id)
	}
	if m := own; m.TraceID != m.ID || m.EnvID != "B-ABCDEFGH" {
		t.Errorf("a client's ENVID became the trace id: %q (queue id %q)", m.TraceID, m.ID)
	}
	student := `
		S: 220 *
		C: EHLO a.example
		S: 250-*
		S: 250-PIPELINING
		S: 250-SIZE *
		S: 250-8BITMIME
		S: 250-ENHANCEDSTATUSCODES
		S: 250-DSN
		S: 250-AUTH PLAIN LOGIN
		S: 250 HELP
		C: MAIL FROM:<alice@a.example> X-MAILSCOPE-TRACE=A-ABCDEFGH
		S: 555 5.5.4 MAIL FROM parameter X-MAILSCOPE-TRACE not recognized*
		C: QUIT
		S: 221 *
	`
	runTranscript(t, addr, student)
	// A server that does not carry trace ids answers everyone so.
	plain, _, _, _ := fakeServer(t, nil)
	runTranscript(t, plain, student)
}
