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
		S: * 0 RECENT
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
