package servers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// startClass starts the default world on 127.0.0.1:0 in dir with a class
// of n numbered accounts; edit changes the world first.
func startClass(t *testing.T, dir string, n int, edit func(*world.World)) *servers.Instance {
	t.Helper()
	w := world.Default()
	fastWorld(w)
	if edit != nil {
		edit(w)
	}
	inst, err := servers.Start(servers.Config{World: w, DataDir: dir, Bus: tracer.NewBus(),
		Class:  &servers.Class{Logins: world.NumberedLogins(n)},
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// passwords maps each open class account to its password.
func passwords(inst *servers.Instance) map[string]string {
	out := map[string]string{}
	for _, s := range inst.Students {
		out[s.Name] = s.Password
	}
	return out
}

func plainAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// smtpAuthed is an SMTP session of user on addr after EHLO and AUTH PLAIN.
func smtpAuthed(t *testing.T, addr, user, pass string) *wiretest.Conn {
	t.Helper()
	c := wiretest.Dial(t, addr)
	c.Run(`
		S: 220 *
		C: EHLO laptop
		S*: 250 *`)
	c.SendRawSecret("AUTH PLAIN " + plainAuth(user, pass) + "\r\n")
	c.ExpectPrefix("235 ")
	return c
}

// sendAs sends one message from c (after AUTH) to rcpt and returns the
// reply to RCPT TO; on 250 it completes the message.
func sendAs(c *wiretest.Conn, from, rcpt string) string {
	c.T().Helper()
	c.Send("MAIL FROM:<" + from + ">")
	c.ExpectPrefix("250 ")
	c.Send("RCPT TO:<" + rcpt + ">")
	r := c.ReadLine()
	if !strings.HasPrefix(r, "250 ") {
		c.Send("RSET")
		c.ExpectPrefix("250 ")
		return r
	}
	c.Run(`
		C: DATA
		S: 354 *
		C: Subject: hello from class
		C:
		C: hello
		C: .
		S: 250 *`)
	return r
}

var password = regexp.MustCompile(`^[a-km-np-z2-9]{10}$`)

// TestClassAccounts: a class of 3 has s01, s02, s03 on both servers, each
// with a readable random password, logging in over POP3, IMAP and SMTP
// AUTH and sending through A to a classmate at B, none of the passwords
// reaching the trace; a restart keeps the passwords, a smaller class
// closes the accounts beyond it (they keep their password) and a larger
// one opens them again.
func TestClassAccounts(t *testing.T) {
	dir := t.TempDir()
	inst := startClass(t, dir, 3, nil)
	pw := passwords(inst)
	if len(pw) != 3 || pw["s01"] == "" || pw["s02"] == "" || pw["s03"] == "" {
		t.Fatalf("students %v, want s01, s02, s03", inst.Students)
	}
	for name, p := range pw {
		if !password.MatchString(p) {
			t.Errorf("%s's password %q is not 10 readable characters (no 0, O, 1, l)", name, p)
		}
	}
	if pw["s01"] == pw["s02"] {
		t.Errorf("two students share the password %q", pw["s01"])
	}
	sub := inst.Bus.Subscribe(1 << 16)
	defer sub.Close()
	for _, sv := range []string{"A", "B"} {
		for name, p := range pw {
			c := wiretest.Dial(t, inst.Addr(sv, world.POP3))
			c.ExpectPrefix("+OK")
			c.Send("USER " + name)
			c.ExpectPrefix("+OK")
			c.SendRawSecret("PASS " + p + "\r\n")
			c.ExpectPrefix("+OK")
			c.Send("QUIT")
			c.ExpectPrefix("+OK")

			c = wiretest.Dial(t, inst.Addr(sv, world.IMAP))
			c.ExpectPrefix("* OK")
			c.SendRawSecret("a1 LOGIN " + name + "@" + inst.World.Server(sv).Domain + " " + p + "\r\n")
			for l := c.ReadLine(); !strings.HasPrefix(l, "a1 "); l = c.ReadLine() {
			}
			c.Send("a2 SELECT INBOX")
			for l := c.ReadLine(); !strings.HasPrefix(l, "a2 OK"); l = c.ReadLine() {
				if strings.HasPrefix(l, "a2 ") {
					c.Fatalf("SELECT: %q", l)
				}
			}
			c.Send("a3 LOGOUT")
		}
	}
	// s01 sends through A to s02 at B: SMTP AUTH, the relay, B's mailbox.
	c := smtpAuthed(t, inst.Addr("A", world.SMTP), "s01", pw["s01"])
	if r := sendAs(c, "s01@a.example", "s02@b.example"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("RCPT TO a classmate: %q", r)
	}
	c.Send("QUIT")
	waitMailbox(t, inst, "B", "s02", 1)
	// A wrong password is refused as for alice.
	c = wiretest.Dial(t, inst.Addr("A", world.POP3))
	c.ExpectPrefix("+OK")
	c.Send("USER s01")
	c.ExpectPrefix("+OK")
	c.SendRawSecret("PASS " + pw["s02"] + "\r\n")
	c.ExpectPrefix("-ERR")
	inst.Close()
	// No password reached the trace, in a line or a note.
	seen := 0
	for done := false; !done; {
		select {
		case e := <-sub.C():
			seen++
			b, _ := json.Marshal(e)
			for name, p := range pw {
				if strings.Contains(string(b), p) || strings.Contains(string(b), plainAuth(name, p)) {
					t.Fatalf("%s's password is in the trace: %s", name, b)
				}
			}
		default:
			done = true
		}
	}
	if seen < 50 {
		t.Fatalf("only %d events in the trace of the logins", seen)
	}

	again := startClass(t, dir, 3, nil)
	if got := passwords(again); !equalMaps(got, pw) {
		t.Fatalf("after a restart the passwords are %v, were %v", got, pw)
	}
	again.Close()
	smaller := startClass(t, dir, 2, nil)
	if got := passwords(smaller); len(got) != 2 || got["s01"] != pw["s01"] {
		t.Fatalf("--class 2 after 3: %v", got)
	}
	if u := smaller.World.Server("A").User("s03"); u != nil {
		t.Errorf("--class 2 left s03 able to log in")
	}
	smaller.Close()
	larger := startClass(t, dir, 5, nil)
	got := passwords(larger)
	if len(got) != 5 || got["s03"] != pw["s03"] || got["s05"] == "" {
		t.Fatalf("--class 5 after 2: %v (s03 had %q)", got, pw["s03"])
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// waitMailbox waits until user's INBOX on server holds n messages.
func waitMailbox(t *testing.T, inst *servers.Instance, server, user string, n int) {
	t.Helper()
	sub := inst.Bus.Subscribe(1 << 12)
	defer sub.Close()
	deadline := time.After(20 * time.Second)
	for {
		if mb, err := inst.Store.Mailbox(t.Context(), server, user, "INBOX"); err == nil {
			if msgs, err := inst.Store.Messages(t.Context(), mb.ID); err == nil && len(msgs) >= n {
				return
			}
		}
		select {
		case <-sub.C():
		case <-deadline:
			t.Fatalf("%s's INBOX on %s never got %d messages", user, server, n)
		}
	}
}

// noteKeys are the catalog keys of the notes sub saw until it is drained.
func noteKeys(sub *tracer.Subscription) map[string]bool {
	out := map[string]bool{}
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindNote && e.Msg != nil {
				out[e.Msg.Key] = true
			}
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

// TestClassSessionLimit: with one session per student, a second login of
// s01 is refused in each protocol's words (SMTP 454 4.7.0, POP3 -ERR
// [IN-USE], IMAP NO [LIMIT]) with a trace note, alice is not bound, and
// once the first session ends s01 logs in again.
func TestClassSessionLimit(t *testing.T) {
	inst := startClass(t, t.TempDir(), 2, func(w *world.World) { w.Class.SessionsPerUser = 1 })
	sub := inst.Bus.Subscribe(1 << 14)
	defer sub.Close()
	pw := passwords(inst)
	first := smtpAuthed(t, inst.Addr("A", world.SMTP), "s01", pw["s01"])

	c := wiretest.Dial(t, inst.Addr("B", world.SMTP))
	c.Run(`
		S: 220 *
		C: EHLO laptop
		S*: 250 *`)
	c.SendRawSecret("AUTH PLAIN " + plainAuth("s01", pw["s01"]) + "\r\n")
	c.Expect("454 4.7.0 s01 already has 1 sessions logged in*")
	c.Send("QUIT")

	c = wiretest.Dial(t, inst.Addr("A", world.POP3))
	c.ExpectPrefix("+OK")
	c.Send("USER s01")
	c.ExpectPrefix("+OK")
	c.SendRawSecret("PASS " + pw["s01"] + "\r\n")
	c.ExpectPrefix("-ERR [IN-USE] s01 already has 1 sessions")
	c.Send("QUIT")

	c = wiretest.Dial(t, inst.Addr("A", world.IMAP))
	c.ExpectPrefix("* OK")
	c.SendRawSecret("a1 LOGIN s01 " + pw["s01"] + "\r\n")
	c.ExpectPrefix("a1 NO [LIMIT] s01 already has 1 sessions")
	c.Send("a2 LOGOUT")

	// Another student and alice are not held back by s01.
	smtpAuthed(t, inst.Addr("A", world.SMTP), "s02", pw["s02"]).Send("QUIT")
	for range 3 {
		smtpAuthed(t, inst.Addr("A", world.SMTP), "alice", "alice")
	}
	if keys := noteKeys(sub); !keys["class.limit.sessions"] {
		t.Errorf("no class.limit.sessions note in the trace: %v", keys)
	}

	first.Send("QUIT")
	first.ExpectPrefix("221 ")
	first.ExpectClosed()
	// The session's end is counted when its goroutine returns: poll the
	// login, which the server answers at once either way.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c = wiretest.Dial(t, inst.Addr("A", world.IMAP))
		c.ExpectPrefix("* OK")
		c.SendRawSecret("a1 LOGIN s01 " + pw["s01"] + "\r\n")
		l := c.ReadLine()
		for strings.HasPrefix(l, "* ") {
			l = c.ReadLine()
		}
		if strings.HasPrefix(l, "a1 OK") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("s01 still refused after its session ended: %q", l)
		}
		c.Close()
	}
}

// TestClassMessageAndMailboxLimits: a student who sent messages_per_minute
// messages gets 450 4.7.1 at the next RCPT; mail for a student whose
// mailboxes are over mailbox_size gets 452 4.2.2; alice is bound by
// neither; each refusal is a trace note.
func TestClassMessageAndMailboxLimits(t *testing.T) {
	inst := startClass(t, t.TempDir(), 2, func(w *world.World) {
		w.Class.MessagesPerMinute = 2
		w.Class.MailboxSize = 1
	})
	sub := inst.Bus.Subscribe(1 << 14)
	defer sub.Close()
	pw := passwords(inst)
	c := smtpAuthed(t, inst.Addr("A", world.SMTP), "s01", pw["s01"])
	for i := range 2 {
		if r := sendAs(c, "s01@a.example", "alice@a.example"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("message %d: %q", i+1, r)
		}
	}
	if r := sendAs(c, "s01@a.example", "alice@a.example"); !wiretest.Match("450 4.7.1 <alice@a.example>: s01 has sent 2 messages in the last minute (the class limit): try again in *s", r) {
		t.Fatalf("third message in a minute: %q", r)
	}
	c.Send("QUIT")

	a := smtpAuthed(t, inst.Addr("A", world.SMTP), "alice", "alice")
	for range 3 {
		if r := sendAs(a, "alice@a.example", "bob@b.example"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("alice is not a student: %q", r)
		}
	}
	// s02's mailboxes hold one message, over the 1-octet limit.
	if r := sendAs(a, "alice@a.example", "s02@a.example"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("first message to s02: %q", r)
	}
	r := sendAs(a, "alice@a.example", "s02@a.example")
	if !wiretest.Match("452 4.2.2 <s02@a.example>: Mailbox full: s02's mailboxes are over the class limit of 1 octets; *", r) {
		t.Fatalf("mail to a full student: %q", r)
	}
	if r := sendAs(a, "alice@a.example", "alice@a.example"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("alice's own mailbox has no class limit: %q", r)
	}
	keys := noteKeys(sub)
	if !keys["class.limit.rate"] || !keys["class.limit.mailbox"] {
		t.Errorf("notes in the trace %v, want class.limit.rate and class.limit.mailbox", keys)
	}
}

// TestClassMessageLimitWithoutAuth: a student who telnets by hand, with
// no AUTH, is held to the same limit: by the student their MAIL FROM
// names, or else their HELO claims; the world's relay hop that carries
// the message on to B counts against nobody (s01's third message to B is
// refused at A, not at B).
func TestClassMessageLimitWithoutAuth(t *testing.T) {
	inst := startClass(t, t.TempDir(), 3, func(w *world.World) { w.Class.MessagesPerMinute = 2 })
	c := wiretest.Dial(t, inst.Addr("A", world.SMTP))
	c.Run(`
		S: 220 *
		C: HELO laptop
		S: 250 *`)
	for i := range 2 {
		if r := sendAs(c, "s01@a.example", "s01@b.example"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("message %d: %q", i+1, r)
		}
	}
	if r := sendAs(c, "s01@a.example", "s02@a.example"); !wiretest.Match("450 4.7.1 <s02@a.example>: s01 has sent 2 messages in the last minute (the class limit): try again in *s", r) {
		t.Fatalf("third message from s01 without AUTH: %q", r)
	}
	h := wiretest.Dial(t, inst.Addr("A", world.SMTP))
	h.Run(`
		S: 220 *
		C: HELO s03
		S: 250 *`)
	for i := range 2 {
		if r := sendAs(h, "nobody@elsewhere.example", "s03@a.example"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("claimed message %d: %q", i+1, r)
		}
	}
	if r := sendAs(h, "nobody@elsewhere.example", "s03@a.example"); !strings.HasPrefix(r, "450 4.7.1 <s03@a.example>: s03 has sent 2") {
		t.Fatalf("third message of HELO s03: %q", r)
	}
	// Both of s01's messages reached B: the hop was not refused.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		mb, err := inst.Store.Mailbox(context.Background(), "B", "s01", "INBOX")
		if err == nil {
			msgs, _ := inst.Store.Messages(context.Background(), mb.ID)
			n = len(msgs)
		}
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("s01's messages did not reach B: %d %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClassUnknownUserKeepsTheClassPrivate: the diagnostic of a 550 for
// an unknown mailbox lists the world's users, never the class's.
func TestClassUnknownUserKeepsTheClassPrivate(t *testing.T) {
	inst := startClass(t, t.TempDir(), 3, nil)
	sub := inst.Bus.Subscribe(1 << 14)
	defer sub.Close()
	c := wiretest.Dial(t, inst.Addr("A", world.SMTP))
	c.Run(`
		S: 220 *
		C: HELO s01
		S: 250 *
		C: MAIL FROM:<s01@a.example>
		S: 250 *
		C: RCPT TO:<nobody@a.example>
		S: 550 5.1.1 *
		C: QUIT`)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind != tracer.KindDiagnostic {
				continue
			}
			text := tracer.NewExplainer("en").Format(e.Msg)
			if strings.Contains(text, "s02") || !strings.Contains(text, "alice@a.example") {
				t.Fatalf("the unknown-user diagnostic: %q", text)
			}
			return
		case <-deadline:
			t.Fatal("no diagnostic")
		}
	}
}

// TestClassNothingLeavesTheWorld: a student without AUTH is refused relay
// to any other domain (554 5.7.1) from an untrusted address; after AUTH,
// mail to a domain outside the world is never sent anywhere: the relay's
// directory has no MX for it and it bounces.
func TestClassNothingLeavesTheWorld(t *testing.T) {
	inst := startClass(t, t.TempDir(), 1, func(w *world.World) { w.SMTP.TrustedNetworks = nil })
	sub := inst.Bus.Subscribe(1 << 14)
	defer sub.Close()
	c := wiretest.Dial(t, inst.Addr("A", world.SMTP))
	c.Run(`
		S: 220 *
		C: EHLO s01
		S*: 250 *
		C: MAIL FROM:<s01@a.example>
		S: 250 *
		C: RCPT TO:<someone@gmail.com>
		S: 554 5.7.1 *Relay access denied*
		C: RCPT TO:<bob@b.example>
		S: 554 5.7.1 *Relay access denied*
		C: QUIT`)
	a := smtpAuthed(t, inst.Addr("A", world.SMTP), "s01", passwords(inst)["s01"])
	if r := sendAs(a, "s01@a.example", "someone@gmail.com"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("RCPT after AUTH: %q", r)
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindLookup && e.Msg != nil && e.Msg.Key == "lookup.mx" {
				t.Fatalf("the relay found a server for a domain outside the world: %v", e.Msg)
			}
			if e.Kind == tracer.KindLookup && e.Msg != nil && e.Msg.Key == "lookup.nomx" {
				return
			}
		case <-deadline:
			t.Fatal("no MX lookup for gmail.com in the trace")
		}
	}
}

// TestClassAppendOverQuota: an IMAP APPEND that would put a student over
// mailbox_size is refused NO [OVERQUOTA] with a trace note; alice's is not.
func TestClassAppendOverQuota(t *testing.T) {
	inst := startClass(t, t.TempDir(), 1, func(w *world.World) { w.Class.MailboxSize = 100 })
	sub := inst.Bus.Subscribe(1 << 14)
	defer sub.Close()
	msg := "Subject: x\r\n\r\n" + strings.Repeat("a", 60) + "\r\n"
	for _, u := range []struct{ user, pass, second string }{{"s01", passwords(inst)["s01"], "a3 NO [OVERQUOTA] s01's mailboxes hold * octets, the class limit is 100: *"}, {"alice", "alice", "a3 OK*"}} {
		c := wiretest.Dial(t, inst.Addr("A", world.IMAP))
		c.ExpectPrefix("* OK")
		c.SendRawSecret("a1 LOGIN " + u.user + " " + u.pass + "\r\n")
		for l := c.ReadLine(); !strings.HasPrefix(l, "a1 OK"); l = c.ReadLine() {
			if strings.HasPrefix(l, "a1 ") {
				c.Fatalf("LOGIN: %q", l)
			}
		}
		for i, want := range []string{"a2 OK*", u.second} {
			tag := []string{"a2", "a3"}[i]
			c.Send(tag + " APPEND INBOX {" + itoa(len(msg)) + "+}")
			c.SendRaw(msg + "\r\n")
			l := c.ReadLine()
			for strings.HasPrefix(l, "* ") {
				l = c.ReadLine()
			}
			if !wiretest.Match(want, l) {
				c.Fatalf("%s's APPEND %d: %q, want %q", u.user, i+1, l, want)
			}
		}
		c.Send("a4 LOGOUT")
	}
	if !noteKeys(sub)["class.limit.mailbox"] {
		t.Error("no class.limit.mailbox note for the refused APPEND")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
