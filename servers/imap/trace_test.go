package imap_test

import (
	"crypto/tls"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// sessionEvents collects one session's events until its close event.
func sessionEvents(t *testing.T, sub *tracer.Subscription) []*tracer.Event {
	t.Helper()
	var out []*tracer.Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Proto != "imap" {
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

// TestTraceSession: a short session as the trace shows it: state changes,
// explained lines, the LOGIN password masked whether atom, quoted or
// literal, and literals as data events with their size.
func TestTraceSession(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(10000)
	defer sub.Close()
	body := "Subject: note\r\n\r\nremember the milk\r\n"
	runTranscript(t, greeted(t, e.addr), `
		C: a1 LOGIN carol "Pa55-w0rd"
		S: a1 OK *
		C: a2 APPEND INBOX {`+strconv.Itoa(len(body))+`}
		S: + Ready for literal data
		R: `+strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(body)+`\r\n
		S: a2 OK [APPENDUID *] APPEND completed
		C: a3 SELECT INBOX
		S: * 1 EXISTS
		S: * 1 RECENT
		S: * OK [UNSEEN 1] *
		S: * OK [UIDVALIDITY *] *
		S: * OK [UIDNEXT 2] *
		S: * FLAGS *
		S: * OK [PERMANENTFLAGS *] *
		S: a3 OK [READ-WRITE] SELECT completed
		C: a4 UNSELECT
		S: a4 OK UNSELECT completed
		C: a5 LOGOUT
		S: * BYE Logging out
		S: a5 OK LOGOUT completed
		CLOSED
	`)
	evs := sessionEvents(t, sub)
	var states []string
	var lines []string
	var lit *tracer.Event
	for _, ev := range evs {
		if strings.Contains(ev.Text, "Pa55") || strings.Contains(ev.Data, "Pa55") {
			t.Errorf("the password leaked into the trace: %+v", ev)
		}
		switch ev.Kind {
		case tracer.KindState:
			states = append(states, ev.To)
		case tracer.KindLine:
			if ev.Explain == nil || ev.Explain.Text == "" {
				t.Errorf("line %q is not explained", ev.Text)
			}
			lines = append(lines, string(ev.Dir)+" "+ev.Text)
		case tracer.KindData:
			lit = ev
		}
	}
	if got, want := strings.Join(states, " -> "), "not authenticated -> authenticated -> selected -> authenticated -> logout"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}
	if lines[1] != `c2s a1 LOGIN carol ****` {
		t.Errorf("LOGIN shown as %q", lines[1])
	}
	for _, ev := range evs {
		if ev.Kind == tracer.KindLine && ev.Text == "a1 LOGIN carol ****" && !ev.HasFlag(tracer.FlagMasked) {
			t.Error("masked LOGIN lacks the masked flag")
		}
	}
	if lit == nil || lit.Size != len(body) || lit.Data != body || lit.Explain.Key != "data.imap.literal" || lit.Dir != tracer.C2S {
		t.Errorf("APPEND literal event %+v", lit)
	}
	checkExplained(t, evs, "a2 OK [APPENDUID", "imap.tagged.OK.APPEND")
	checkExplained(t, evs, "* 1 EXISTS", "imap.data.EXISTS")
	checkExplained(t, evs, "* OK [UIDVALIDITY", "imap.untagged.OK")
	checkExplained(t, evs, "+ Ready for literal data", "imap.cont.literal")
	checkExplained(t, evs, "a4 UNSELECT", "imap.cmd.UNSELECT")
}

// TestTraceLoginLiteral: a password sent as a literal is a masked data
// event.
func TestTraceLoginLiteral(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(10000)
	defer sub.Close()
	runTranscript(t, greeted(t, e.addr), `
		C: b1 LOGIN {5}
		S: + Ready for literal data
		R: carol {9}\r\n
		S: + Ready for literal data
		R: Pa55-w0rd\r\n
		S: b1 OK *
		C: b2 LOGOUT
		S: * BYE *
		S: b2 OK *
	`)
	evs := sessionEvents(t, sub)
	var datas []*tracer.Event
	for _, ev := range evs {
		if strings.Contains(ev.Text, "Pa55") || strings.Contains(ev.Data, "Pa55") {
			t.Errorf("the password leaked into the trace: %+v", ev)
		}
		if ev.Kind == tracer.KindData {
			datas = append(datas, ev)
		}
	}
	if len(datas) != 2 {
		t.Fatalf("%d data events, want 2 (user name, password)", len(datas))
	}
	if datas[0].Data != "carol" || datas[0].HasFlag(tracer.FlagMasked) {
		t.Errorf("user name literal: %+v", datas[0])
	}
	if datas[1].Size != 9 || datas[1].Data != "" || !datas[1].HasFlag(tracer.FlagMasked) {
		t.Errorf("password literal: %+v", datas[1])
	}
}

// TestTraceStartTLS: after STARTTLS the tap upgrades itself, so the trace
// goes on showing the decrypted commands and responses (credentials masked).
func TestTraceStartTLS(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(10000)
	defer sub.Close()
	startTLSSession(t, e)
	evs := sessionEvents(t, sub)
	var sawTLS, sawLogin, sawCap bool
	for _, ev := range evs {
		if strings.Contains(ev.Text, "Pa55") {
			t.Errorf("password in the trace: %q", ev.Text)
		}
		if ev.HasFlag(tracer.FlagEncrypted) {
			t.Errorf("ciphertext in the trace: %+v", ev)
		}
		switch {
		case ev.Kind == tracer.KindTLS:
			sawTLS = true
		case ev.Kind == tracer.KindLine && strings.HasPrefix(ev.Text, "t4 LOGIN carol"):
			sawLogin = sawTLS && ev.HasFlag(tracer.FlagMasked)
		case ev.Kind == tracer.KindLine && strings.HasPrefix(ev.Text, "* OK [CAPABILITY IMAP4rev1 STARTTLS"):
			sawCap = true
		}
	}
	if !sawTLS || !sawLogin || !sawCap {
		t.Errorf("trace: tls event %v, masked LOGIN after TLS %v, STARTTLS offered in the greeting %v", sawTLS, sawLogin, sawCap)
	}
}

// TestStartTLSInjectionDropped: commands sent in the same packet as
// STARTTLS are thrown away, not run after the handshake.
func TestStartTLSInjectionDropped(t *testing.T) {
	e := newEnv(t)
	c := greeted(t, e.addr)
	c.SendRaw("t1 STARTTLS\r\nt2 LOGIN carol Pa55-w0rd\r\n")
	c.Expect("t1 OK Begin TLS negotiation now")
	c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "a.example"})
	runTranscript(t, c, `
		C: t3 SELECT INBOX
		S: t3 BAD *
	`)
}

func checkExplained(t *testing.T, evs []*tracer.Event, prefix, key string) {
	t.Helper()
	for _, ev := range evs {
		if strings.HasPrefix(ev.Text, prefix) {
			if ev.Explain == nil || ev.Explain.Key != key {
				t.Errorf("%q explained as %+v, want key %s", ev.Text, ev.Explain, key)
			}
			return
		}
	}
	t.Errorf("no line starts with %q", prefix)
}

// TestTraceBadExplained: a tagged BAD is explained by what was wrong
// (issue 13): a command the server does not know, a line without a tag
// ("LOGIN carol pw": LOGIN is taken as the tag; the password stays
// masked), and ID, which this server does not offer.
func TestTraceBadExplained(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(10000)
	defer sub.Close()
	c := greeted(t, e.addr)
	// A line without a tag is answered in front of imapserver (issue 14,
	// diag_test.go): * BAD, and the connection stays.
	c.Send("LOGIN carol Pa55-w0rd")
	c.Expect("* BAD IMAP commands start with a tag, like a1 LOGIN carol <password>: *")
	c.Send("z LOGOUT")
	c.Expect("* BYE *")
	c.Expect("z OK *")
	evs := sessionEvents(t, sub)
	for _, ev := range evs {
		if strings.Contains(ev.Text, "Pa55-w0rd") {
			t.Errorf("password in the trace: %q", ev.Text)
		}
	}
	checkExplained(t, evs, "LOGIN carol", "imap.cmd.notag")

	c = greeted(t, e.addr)
	c.Send("i1 ID NIL")
	c.Expect("* ID (*)")
	c.Expect("i1 OK ID completed")
	c.Send("i2 ID (\"name\")")
	c.Expect("i2 BAD *")
	c.Send("i3 LOGOUT")
	c.Expect("* BYE *")
	evs = sessionEvents(t, sub)
	checkExplained(t, evs, "i1 ID", "imap.cmd.ID")
	checkExplained(t, evs, "* ID", "imap.data.ID")
	checkExplained(t, evs, "i1 OK", "imap.tagged.OK.ID")
	checkExplained(t, evs, "i2 BAD", "imap.tagged.BAD.ID")

	c = loggedIn(t, e.addr, "carol")
	c.Send("x1 FROB")
	c.Expect("x1 BAD *")
	c.Send("x2 LOGOUT")
	c.untilTagged("x2", "x2 OK *")
	evs = sessionEvents(t, sub)
	checkExplained(t, evs, "x1 BAD", "imap.tagged.BAD.unknown")
	for _, ev := range evs {
		if strings.HasPrefix(ev.Text, "x1 BAD") && !strings.Contains(ev.Explain.Text, "does not know the command FROB") {
			t.Errorf("unknown command's BAD explained as %q", ev.Explain.Text)
		}
	}
}

// TestEnableOnlyWhatCapabilityOffers: ENABLE IMAP4rev2 switched IMAP4rev2 on
// although CAPABILITY lists IMAP4rev1 only; RFC 5161 section 3.1 has the
// server ignore it and enable the rest.
func TestEnableOnlyWhatCapabilityOffers(t *testing.T) {
	e := newEnv(t)
	c := loggedIn(t, e.addr, "carol")
	c.Send("c1 CAPABILITY")
	caps := strings.Join(c.untilTagged("c1", "c1 OK *"), "\n")
	if strings.Contains(caps, "IMAP4rev2") {
		t.Skipf("CAPABILITY offers IMAP4rev2 now: %s", caps)
	}
	c.Send("e1 ENABLE IMAP4rev2")
	if got := strings.Join(c.untilTagged("e1", "e1 OK *"), "\n"); got != "* ENABLED" {
		t.Errorf("ENABLE IMAP4rev2 answered %q, want * ENABLED with nothing enabled", got)
	}
	c.Send("e2 ENABLE imap4rev2 UTF8=ACCEPT")
	if got := strings.Join(c.untilTagged("e2", "e2 OK *"), "\n"); got != "* ENABLED UTF8=ACCEPT" {
		t.Errorf("ENABLE imap4rev2 UTF8=ACCEPT answered %q, want * ENABLED UTF8=ACCEPT", got)
	}
	// Still IMAP4rev1: SELECT reports RECENT, which IMAP4rev2 dropped.
	c.Send("s1 SELECT INBOX")
	if got := strings.Join(c.untilTagged("s1", "s1 OK *"), "\n"); !strings.Contains(got, "RECENT") {
		t.Errorf("SELECT after ENABLE IMAP4rev2 speaks IMAP4rev2:\n%s", got)
	}
}
