package smtp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// sessionEvents collects the events of one session until it closes.
func sessionEvents(t *testing.T, sub *tracer.Subscription) []*tracer.Event {
	t.Helper()
	var out []*tracer.Event
	sess := ""
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindOpen && sess == "" {
				sess = e.Session
			}
			if sess == "" || e.Session != sess && e.MsgID == "" {
				continue
			}
			out = append(out, e)
			if e.Kind == tracer.KindClose {
				return out
			}
		case <-timeout:
			t.Fatalf("no close event; got %d events", len(out))
		}
	}
}

func describe(e *tracer.Event) string {
	s := string(e.Kind)
	if e.Dir != "" {
		s += " " + string(e.Dir)
	}
	switch e.Kind {
	case tracer.KindState:
		s += " " + e.To
	case tracer.KindLine, tracer.KindData:
		t := e.Text
		if i := strings.Index(t, "FUTURERELEASE 86400 "); i >= 0 {
			t = t[:i+len("FUTURERELEASE 86400")] // the date changes
		}
		s += " " + t
	case tracer.KindQueue:
		s += " " + e.Attrs["step"]
	}
	return s
}

func TestTraceOfASession(t *testing.T) {
	w := newWorld(t, nil)
	sub := w.inst.Bus.Subscribe(0)
	defer sub.Close()
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO laptop
		S*: 250 HELP
		C: AUTH PLAIN AGFsaWNlAGFsaWNl
		S: 235 *
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RCPT TO:<alice@a.example>
		S: 250 *
		C: DATA
		S: 354 *
		R: Subject: hi\r\n\r\n..dot\r\nbare\nlf\r\n.\r\n
		S: 250 *
		C: QUIT
		S: 221 *
		CLOSED`)
	events := sessionEvents(t, sub)
	var got []string
	for _, e := range events {
		got = append(got, describe(e))
	}
	want := []string{
		"open",
		"state connected",
		"line s2c 220 a.example ESMTP mailscope server A ready (type HELP for help)",
		"line c2s EHLO laptop",
		"state greeted",
		"line s2c 250-a.example Hello laptop [127.0.0.1], pleased to meet you",
		"line s2c 250-PIPELINING",
		"line s2c 250-SIZE 10485760",
		"line s2c 250-8BITMIME",
		"line s2c 250-ENHANCEDSTATUSCODES",
		"line s2c 250-DSN",
		"line s2c 250-STARTTLS",
		"line s2c 250-AUTH PLAIN LOGIN",
		"line s2c 250-ETRN",
		"line s2c 250-FUTURERELEASE 86400",
		"line s2c 250 HELP",
		"line c2s AUTH PLAIN ****",
		"state greeted", // authenticated: same state, noted
		"line s2c 235 2.7.0 Authentication successful: hello alice",
		"line c2s MAIL FROM:<alice@a.example>",
		"state mail",
		"line s2c 250 2.1.0 Sender <alice@a.example> OK",
		"line c2s RCPT TO:<alice@a.example>",
		"state rcpt",
		"line s2c 250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice",
		"line c2s DATA",
		"state data",
		"line s2c 354 Start mail input; end with <CRLF>.<CRLF> (a line holding only a dot)",
		"data c2s message body: 5 lines, 31 octets",
		"line c2s .",
		"queue delivered-local",
		"state greeted",
		"", // the 250 with the id, checked below
		"line c2s QUIT",
		"line s2c 221 2.0.0 a.example Bye: closing connection",
		"close",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if want[i] == "" {
			if !strings.HasPrefix(got[i], "line s2c 250 2.0.0 OK: ") {
				t.Errorf("event %d: %q, want the 250 for the message", i, got[i])
			}
			continue
		}
		if got[i] != want[i] {
			t.Errorf("event %d: %q, want %q", i, got[i], want[i])
		}
	}
	// Every line is explained, with an RFC for commands and replies.
	for _, e := range events {
		if e.Kind == tracer.KindLine && (e.Explain == nil || e.Explain.Text == "" || e.Explain.RFC == "") {
			t.Errorf("line %q has no explanation with an RFC: %+v", e.Text, e.Explain)
		}
		if strings.Contains(e.Text, "AGFsaWNlAGFsaWNl") || strings.Contains(e.Data, "AGFsaWNl") {
			t.Errorf("credentials leaked into the trace: %q", e.Text)
		}
	}
	// Replies carry their class and enhanced code; the body its flags.
	for _, e := range events {
		switch {
		case e.Kind == tracer.KindLine && strings.HasPrefix(e.Text, "250 2.1.5"):
			if e.Explain.Class != "2xx" || e.Explain.Enh != "2.1.5" || !strings.Contains(e.Explain.EnhText, "destination address valid") {
				t.Errorf("RCPT reply explanation: %+v", e.Explain)
			}
		case e.Kind == tracer.KindData:
			if !e.HasFlag(tracer.FlagDotStuffed) || !e.HasFlag(tracer.FlagBareLF) || e.Size != 31 || e.Lines != 5 {
				t.Errorf("data event: flags %v size %d lines %d", e.Flags, e.Size, e.Lines)
			}
			// The bare LF is content: this client sends CRLF.
			if e.Explain == nil || e.Explain.Key != "data.smtp.bare" {
				t.Errorf("data event with a bare LF explained as %+v", e.Explain)
			}
			if !strings.HasPrefix(e.MsgID, "A-") {
				t.Errorf("data event has no message id: %q", e.MsgID)
			}
		case e.Kind == tracer.KindLine && e.Text == "AUTH PLAIN ****":
			if !e.HasFlag(tracer.FlagMasked) {
				t.Errorf("masked AUTH line lacks the masked flag")
			}
		}
	}
}

func TestTraceMasksAuthLogin(t *testing.T) {
	w := newWorld(t, nil)
	sub := w.inst.Bus.Subscribe(0)
	defer sub.Close()
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO x
		S*: 250 HELP
		C: AUTH LOGIN
		S: 334 VXNlcm5hbWU6
		C: YWxpY2U=
		S: 334 UGFzc3dvcmQ6
		C: c2VjcmV0
		S: 535 *
		C: QUIT
		S: 221 *`)
	events := sessionEvents(t, sub)
	masked := 0
	for _, e := range events {
		if strings.Contains(e.Text, "c2VjcmV0") || strings.Contains(e.Text, "YWxpY2U=") {
			t.Errorf("credential in trace: %q", e.Text)
		}
		if e.HasFlag(tracer.FlagMasked) {
			masked++
		}
		if e.Text == "334 VXNlcm5hbWU6" && !strings.Contains(e.Explain.Text, `Decoded: "Username:"`) {
			t.Errorf("334 challenge not decoded: %q", e.Explain.Text)
		}
	}
	if masked != 2 {
		t.Errorf("%d masked lines, want 2", masked)
	}
}

// TestSlowSubscriberNeverStallsServer attaches a subscriber that never reads
// and checks that sessions run and the subscriber is told what it missed.
func TestSlowSubscriberNeverStallsServer(t *testing.T) {
	w := newWorld(t, nil)
	frozen := w.inst.Bus.Subscribe(8) // never read until the end
	defer frozen.Close()
	done := make(chan error, 1)
	go func() { done <- sendMany(w.smtpAddr("A"), 1, 50) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a frozen subscriber stalled the server")
	}
	// Drain: 8 buffered events, then the next publish brings a skipped marker.
	for i := 0; i < 8; i++ {
		<-frozen.C()
	}
	w.inst.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "after"})
	e := <-frozen.C()
	if e.Kind != tracer.KindSkipped || e.Skipped == 0 {
		t.Fatalf("want a skipped marker, got %+v", e)
	}
	if e2 := <-frozen.C(); e2.Text != "after" {
		t.Fatalf("after the marker, want the next event, got %q", e2.Text)
	}
	fmt.Fprintf(testWriter{t}, "frozen subscriber skipped %d events\n", e.Skipped)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// The laptop lid closes in the middle of DATA: nothing is stored (no 250
// was given), the trace says the body was cut off and why that loses
// nothing, and the next client is served.
func TestConnectionLostMidData(t *testing.T) {
	addr, b, _, sub := fakeServer(t, nil)
	c := ehloed(t, addr)
	c.Send("MAIL FROM:<bob@b.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.SendRaw("Subject: half\r\n\r\nthe first half of a message\r\nand then the l")
	c.NetConn().Close()

	var cut *tracer.Event
	for _, e := range sessionEvents(t, sub) {
		if e.Kind == tracer.KindData {
			cut = e
		}
	}
	if cut == nil || !strings.Contains(cut.Text, "cut off") || cut.Explain == nil || cut.Explain.Key != "data.smtp.cut" {
		t.Fatalf("the trace does not show the cut-off body: %+v", cut)
	}
	if msgs := b.bodies(); len(msgs) != 0 {
		t.Fatalf("alice has %d messages after a DATA that never ended, want 0", len(msgs))
	}
	runTranscript(t, addr, `
		S: 220 *
		C: HELO next
		S: 250 *
		C: MAIL FROM:<bob@b.example>
		S: 250 *
		C: RCPT TO:<alice@a.example>
		S: 250 *
		C: DATA
		S: 354 *
		C: Subject: whole
		C:
		C: this one ends
		C: .
		S: 250 2.0.0 OK*
		C: QUIT
		S: 221 *
		CLOSED`)
	if msgs := b.bodies(); len(msgs) != 1 || !strings.Contains(string(msgs[0]), "Subject: whole") {
		t.Fatalf("after the whole message alice has %d messages", len(msgs))
	}
}

// TestExplanationsSayWhatTheRepliesMean plays the replies issue 13 found
// explained wrongly or generically and checks each explanation: EHLO's DSN
// keyword, every HELP line, TURN, VRFY's 252 (2.0.0), an over-long line
// (500 5.5.2, not RFC 4954's 5.5.6), a failed AUTH (5.7.8, from RFC 4954),
// the end of data of a CRLF client, and ETRN's 251.
func TestExplanationsSayWhatTheRepliesMean(t *testing.T) {
	w := newWorld(t, nil)
	sub := w.inst.Bus.Subscribe(0)
	defer sub.Close()
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO laptop
		S*: 250 HELP
		C: HELP
		S*: 214 *
		C: TURN
		S: 502 5.5.1 TURN not available*
		C: VRFY bob@b.example
		S: 252 2.0.0 *
		C: NOOP `+strings.Repeat("a", 600)+`
		S: 500 5.5.2 Line too long*
		C: AUTH PLAIN AGFsaWNlAHdyb25n
		S: 535 5.7.8 *
		C: ETRN b.example
		S: 251 2.0.0 No messages waiting for node b.example
		C: MAIL FROM:<alice@a.example>
		S: 250 *
		C: RCPT TO:<alice@a.example>
		S: 250 *
		C: DATA
		S: 354 *
		R: Subject: hi\r\n\r\nhello\r\n.\r\n
		S: 250 *
		C: QUIT
		S: 221 *
		CLOSED`)
	events := sessionEvents(t, sub)
	keys := map[string]int{}
	var help []string
	for _, e := range events {
		if e.Kind != tracer.KindLine || e.Explain == nil {
			continue
		}
		keys[e.Explain.Key]++
		switch {
		case strings.HasPrefix(e.Text, "214"):
			help = append(help, e.Explain.Key)
		case e.Text == "250-DSN" && e.Explain.Key != "smtp.ext.DSN":
			t.Errorf("DSN keyword explained as %s", e.Explain.Key)
		case e.Text == "TURN" && e.Explain.Key != "smtp.cmd.TURN":
			t.Errorf("TURN explained as %s", e.Explain.Key)
		case strings.HasPrefix(e.Text, "252 "):
			if e.Explain.Enh != "2.0.0" || strings.Contains(e.Explain.EnhText, "destination address valid") {
				t.Errorf("VRFY's 252: %+v", e.Explain)
			}
		case strings.HasPrefix(e.Text, "500 "):
			if strings.Contains(e.Explain.EnhText, "authentication") || !strings.Contains(e.Explain.EnhText, "syntax error (RFC 3463)") {
				t.Errorf("over-long line: %+v", e.Explain)
			}
		case strings.HasPrefix(e.Text, "535 "):
			if !strings.HasSuffix(e.Explain.EnhText, "(RFC 4954 section 6)") {
				t.Errorf("5.7.8 is RFC 4954's: %q", e.Explain.EnhText)
			}
		case strings.HasPrefix(e.Text, "251 "):
			if e.Explain.Key != "smtp.reply.251.ETRN" || !strings.Contains(e.Explain.Text, "no messages waiting") {
				t.Errorf("ETRN's 251: %+v", e.Explain)
			}
		case e.Text == ".":
			if e.Explain.Key != "data.smtp.end" || !strings.Contains(e.Explain.Text, "smuggling") {
				t.Errorf("end of data: %+v", e.Explain)
			}
		}
	}
	// HELP: the first line is the help text's own explanation, each line
	// that names a command gets that command's, the rest the help detail.
	if len(help) < 10 || help[0] != "smtp.reply.214.HELP" {
		t.Fatalf("HELP lines explained as %v", help)
	}
	distinct := map[string]bool{}
	for _, k := range help {
		distinct[k] = true
	}
	for _, k := range []string{"smtp.cmd.MAIL", "smtp.cmd.ETRN", "smtp.cmd.QUIT"} {
		if !distinct[k] {
			t.Errorf("no HELP line explained as %s: %v", k, help)
		}
	}
	if len(distinct) < len(help)-2 {
		t.Errorf("HELP lines share their explanations: %v", help)
	}
}
