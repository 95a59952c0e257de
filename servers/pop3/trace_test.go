package pop3

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// sessionEvents collects the events of c's session up to its close.
func sessionEvents(t *testing.T, sub *tracer.Subscription, c *client) []*tracer.Event {
	t.Helper()
	peer := c.NetConn().LocalAddr().String()
	id := ""
	var out []*tracer.Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindOpen && e.Peer == peer {
				id = e.Session
			}
			if id == "" || e.Session != id {
				continue
			}
			out = append(out, e)
			if e.Kind == tracer.KindClose {
				return out
			}
		case <-timeout:
			t.Fatalf("timed out; events so far: %q", traceSummary(out))
		}
	}
}

var bannerInText = regexp.MustCompile(`<\d+\.\d+@a\.example>`)

// traceSummary shows kind, direction, text and explanation key per event,
// with the greeting's random timestamp replaced.
func traceSummary(evs []*tracer.Event) []string {
	var out []string
	for _, e := range evs {
		key := ""
		if e.Explain != nil {
			key = e.Explain.Key
		}
		text := bannerInText.ReplaceAllString(e.Text, "<TS>")
		if e.Kind == tracer.KindOpen {
			text = "open"
		}
		out = append(out, fmt.Sprintf("%s %s %q %s", e.Kind, e.Dir, text, key))
	}
	return out
}

func TestTraceShortSession(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", "Subject: hi\r\n\r\n.dot\r\n")
	sub := ts.bus.Subscribe(1 << 12)
	defer sub.Close()
	c := ts.greeted(t)
	c.ok("USER alice")
	c.ok("PASS alice")
	c.ok("STAT")
	c.multi("RETR 1")
	c.ok("DELE 1")
	c.ok("QUIT")
	evs := sessionEvents(t, sub, c)
	want := []string{
		`open  "open" `,
		`state  "AUTHORIZATION" pop3.state.AUTHORIZATION`,
		`line s2c "+OK mailscope POP3 server A for a.example ready <TS>" pop3.greeting.apop`,
		`line c2s "USER alice" pop3.cmd.USER`,
		`line s2c "+OK user alice: now send PASS with the password (it crosses the wire in clear text; STLS first would encrypt it)" pop3.reply.OK.USER`,
		`line c2s "PASS ****" pop3.cmd.PASS`,
		`state  "AUTHORIZATION -> TRANSACTION" pop3.state.TRANSACTION`,
		`line s2c "+OK alice's maildrop has 1 message (21 octets); logged in with USER/PASS, the maildrop is locked for this session" pop3.reply.OK.PASS`,
		`line c2s "STAT" pop3.cmd.STAT`,
		`line s2c "+OK 1 21 (1 message, 21 octets; messages marked with DELE are not counted)" pop3.reply.OK.STAT.singular`,
		`line c2s "RETR 1" pop3.cmd.RETR`,
		`line s2c "+OK 21 octets follow (message 1); it stays on the server unless you DELE it" pop3.reply.OK.RETR`,
		`data s2c "message 1: 3 lines, 21 octets (22 on the wire: 1 dot-stuffed line)" data.pop3.body`,
		`line s2c "." pop3.end`,
		`line c2s "DELE 1" pop3.cmd.DELE`,
		`line s2c "+OK message 1 marked for deletion: it is removed only when you QUIT (RSET unmarks it; a dropped connection keeps it)" pop3.reply.OK.DELE`,
		`line c2s "QUIT" pop3.cmd.QUIT`,
		`state  "TRANSACTION -> UPDATE" pop3.state.UPDATE.delete`,
		`note  "download-and-delete: 1 deleted, 0 kept in alice's maildrop" pop3.mode.delete`,
		`line s2c "+OK mailscope POP3 server A signing off: 1 message deleted, 0 messages kept (download-and-delete)" pop3.reply.OK.QUIT`,
		`close  "connection closed" `,
	}
	if got := traceSummary(evs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !evs[5].HasFlag(tracer.FlagMasked) {
		t.Error("PASS not flagged masked")
	}
	// The state events say what each state means.
	for i, want := range map[int]string{
		1:  "the client must identify itself",
		6:  "DELE only marks: QUIT applies the marks (UPDATE); a dropped connection applies nothing",
		17: "removes the messages marked with DELE (download-and-delete)",
	} {
		if e := evs[i]; e.Explain == nil || !strings.Contains(e.Explain.Text, want) {
			t.Errorf("state event %d (%s) explained %+v, want %q", i, e.Text, e.Explain, want)
		}
	}
	if evs[18].Attrs["mode"] != "download-and-delete" || evs[18].Attrs["deleted"] != "1" {
		t.Errorf("mode note attrs %v", evs[18].Attrs)
	}
	if evs[8].Actor != "alice" {
		t.Errorf("events after login carry actor %q, want alice", evs[8].Actor)
	}
}

func TestTraceKeepAndDropped(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	sub := ts.bus.Subscribe(1 << 12)
	defer sub.Close()

	// Download-and-keep: RETR, no DELE, QUIT.
	c := ts.authenticated(t, "alice")
	c.multi("RETR 1")
	c.ok("QUIT")
	evs := sessionEvents(t, sub, c)
	var update, mode *tracer.Event
	for _, e := range evs {
		switch {
		case e.Kind == tracer.KindState && e.To == "UPDATE":
			update = e
		case e.Kind == tracer.KindNote:
			mode = e
		}
	}
	if update == nil || !strings.Contains(update.Explain.Text, "download-and-keep") {
		t.Errorf("UPDATE state event %+v", update)
	}
	if mode == nil || mode.Attrs["mode"] != "download-and-keep" || mode.Explain.Key != "pop3.mode.keep" {
		t.Errorf("mode note %+v", mode)
	}

	// A dropped connection: no UPDATE, and the trace says why nothing went.
	c = ts.authenticated(t, "alice")
	c.ok("DELE 1")
	c.NetConn().Close()
	evs = sessionEvents(t, sub, c)
	var dropped *tracer.Event
	for _, e := range evs {
		if e.Kind == tracer.KindState && e.To == "UPDATE" {
			t.Errorf("a dropped session entered UPDATE: %+v", e)
		}
		if e.Kind == tracer.KindNote {
			dropped = e
		}
	}
	if dropped == nil || dropped.Explain.Key != "pop3.note.dropped" || dropped.Attrs["marked"] != "1" || dropped.Attrs["deleted"] != "0" {
		t.Fatalf("dropped note %+v", dropped)
	}
	if !strings.Contains(dropped.Text, "no UPDATE state, so the messages marked with DELE (1) stay") {
		t.Errorf("dropped note text %q", dropped.Text)
	}
}

func TestTraceChineseAndUnmasked(t *testing.T) {
	ts := newServerOn(t, tracer.NewBus(tracer.WithLang("zh"), tracer.WithMask(false)))
	sub := ts.bus.Subscribe(1 << 12)
	defer sub.Close()
	c := ts.authenticated(t, "alice")
	c.ok("QUIT")
	evs := sessionEvents(t, sub, c)
	var sawPass, sawState bool
	for _, e := range evs {
		if e.Kind == tracer.KindLine && e.Text == "PASS alice" && !e.HasFlag(tracer.FlagMasked) {
			sawPass = true
		}
		if e.Kind == tracer.KindState && e.To == "TRANSACTION" && strings.Contains(e.Explain.Text, "事务状态") {
			sawState = true
		}
	}
	if !sawPass || !sawState {
		t.Errorf("unmasked PASS %v, Chinese state %v: %q", sawPass, sawState, traceSummary(evs))
	}
}

// TestTraceErrExplainedByState checks that each -ERR is explained by what it
// means in the session's state (issue 13): a PASS without USER is not a
// wrong password, and neither is a PASS after login; a TRANSACTION command
// before login needs one; LAST (RFC 1081/1460, removed by RFC 1725) is
// explained as the old command it is.
func TestTraceErrExplainedByState(t *testing.T) {
	ts := newServer(t)
	sub := ts.bus.Subscribe(1 << 12)
	defer sub.Close()
	c := ts.greeted(t)
	c.err("PASS alice", "PASS needs USER first")
	c.err("STAT", "needs a login first")
	c.ok("USER alice")
	c.err("PASS wrong", "[AUTH]")
	c.ok("USER alice")
	c.ok("PASS alice")
	c.err("PASS alice", "only allowed before login")
	c.err("USER bob", "only allowed before login")
	c.err("LAST", "RFC 1725")
	c.err("FROB", "unknown command")
	c.ok("QUIT")
	want := map[string][2]string{
		"PASS needs USER first":        {"pop3.reply.ERR.PASS.nouser", "USER first"},
		"STAT needs a login first":     {"pop3.reply.ERR.needlogin", "needs a login first"},
		"[AUTH] authentication failed": {"pop3.reply.ERR.PASS", "wrong user name or password"},
		"PASS is only allowed":         {"pop3.reply.ERR.loggedin", "already logged in"},
		"USER is only allowed":         {"pop3.reply.ERR.loggedin", "already logged in"},
		"LAST is not offered":          {"pop3.reply.ERR.LAST", "RFC 1725 removed"},
		"unknown command":              {"pop3.reply.ERR.unknown", "does not know this command"},
	}
	seen := map[string]bool{}
	for _, e := range sessionEvents(t, sub, c) {
		if e.Kind != tracer.KindLine || e.Explain == nil {
			continue
		}
		if e.Dir == tracer.C2S && e.Text == "LAST" && (e.Explain.Key != "pop3.cmd.LAST" || !strings.Contains(e.Explain.Text, "RFC 1725")) {
			t.Errorf("LAST explained as %+v", e.Explain)
		}
		if !strings.HasPrefix(e.Text, "-ERR") {
			continue
		}
		for frag, w := range want {
			if !strings.Contains(e.Text, frag) {
				continue
			}
			seen[frag] = true
			if e.Explain.Key != w[0] || !strings.Contains(e.Explain.Text, w[1]) {
				t.Errorf("%q explained as %s %q, want %s", e.Text, e.Explain.Key, e.Explain.Text, w[0])
			}
			if w[0] != "pop3.reply.ERR.PASS" && strings.Contains(e.Explain.Text, "wrong user name or password") {
				t.Errorf("%q explained as a wrong password: %q", e.Text, e.Explain.Text)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("saw %v of %d -ERR cases", seen, len(want))
	}
}
