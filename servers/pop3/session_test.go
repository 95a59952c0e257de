package pop3

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
)

// Messages as SMTP stores them: CRLF line endings.
const (
	msg1 = "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: first\r\n\r\nline 1\r\nline 2\r\nline 3\r\nline 4\r\nline 5\r\n"
	msg2 = "From: carol@b.example\r\nSubject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\nend\r\n"
	msg3 = "Subject: headers only\r\nX-Note: no body at all\r\n"
)

// manyErrors lets a transcript walk through every error path in one session.
func manyErrors(s *Server) { s.MaxErrors = 1000 }

var bannerRE = regexp.MustCompile(`^\+OK mailscope POP3 server A for a\.example ready (<\d+\.\d+@a\.example>)$`)

func TestGreetingAndCapa(t *testing.T) {
	ts := newServer(t)
	c := ts.dial(t)
	g := c.line()
	if !bannerRE.MatchString(g) {
		t.Fatalf("greeting %q", g)
	}
	wantCapa := []string{"USER", "TOP", "UIDL", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE", "SASL PLAIN", "STLS", "IMPLEMENTATION mailscope"}
	st, raw := c.multi("CAPA")
	if st != "+OK capability list follows, one per line, ending with a dot" {
		t.Errorf("CAPA status %q", st)
	}
	if got := lines(raw); strings.Join(got, ",") != strings.Join(wantCapa, ",") {
		t.Errorf("CAPA before login: %q", got)
	}
	c.err("CAPA now", "syntax: CAPA takes no argument")
	c.ok("USER alice")
	c.ok("PASS alice")
	_, raw = c.multi("capa") // keywords are case-insensitive
	if got := strings.Join(lines(raw), ","); strings.Contains(got, "STLS") {
		t.Errorf("STLS offered after login (RFC 2595 allows it only in AUTHORIZATION): %s", got)
	}

	// Every greeting carries a new timestamp (RFC 1939 section 7).
	c2 := ts.dial(t)
	if g2 := c2.line(); bannerRE.FindStringSubmatch(g2)[1] == bannerRE.FindStringSubmatch(g)[1] {
		t.Errorf("two greetings with the same APOP timestamp: %q", g2)
	}
}

func TestNoTLSConfigured(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.TLSConfig = nil })
	c := ts.greeted(t)
	_, raw := c.multi("CAPA")
	if strings.Contains(string(raw), "STLS") {
		t.Errorf("STLS offered without a certificate: %q", raw)
	}
	c.err("STLS", "STLS not available")
	if r := c.ok("USER alice"); !strings.Contains(r, "clear text") || strings.Contains(r, "STLS first") {
		t.Errorf("USER reply %q", r)
	}
}

func TestAuthorizationErrors(t *testing.T) {
	ts := newServer(t, manyErrors)
	c := ts.greeted(t)
	for _, verb := range []string{"STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1", "NOOP", "RSET"} {
		c.err(verb, "needs a login first", "AUTHORIZATION state")
	}
	c.err("PASS alice", "PASS needs USER first")
	c.err("USER", "syntax: USER name")
	c.err("USER a b", "syntax: USER name")
	r := c.ok("USER alice")
	if r != "+OK user alice: now send PASS with the password (it crosses the wire in clear text; STLS first would encrypt it)" {
		t.Errorf("USER reply %q", r)
	}
	c.err("PASS", "syntax: PASS password")
	c.err("PASS wrong", "-ERR [AUTH] authentication failed")
	// A failed PASS forgets the USER: RFC 1939 section 7.
	c.err("PASS alice", "PASS needs USER first")
	c.ok("USER nobody")
	c.err("PASS nobody", "[AUTH]")
	c.err("FROB", `unknown command "FROB"`)
	c.err("", "empty line")
	c.err("RETR 1 2 3", "needs a login first")
	c.ok("USER alice@a.example") // name@domain works too
	if r := c.ok("PASS alice"); r != "+OK alice's maildrop has 0 messages (0 octets); logged in with USER/PASS, the maildrop is locked for this session" {
		t.Errorf("login reply %q", r)
	}
	c.err("USER alice", "only allowed before login", "logged in as alice")
	c.err("PASS alice", "only allowed before login")
	c.err("APOP alice 0123456789abcdef0123456789abcdef", "only allowed before login")
	c.err("AUTH PLAIN", "only allowed before login")
	c.err("STLS", "only allowed before login")
	if r := c.ok("QUIT"); r != "+OK mailscope POP3 server A signing off: 0 messages deleted, 0 messages kept (download-and-keep)" {
		t.Errorf("QUIT reply %q", r)
	}
	if !c.Closed() {
		t.Error("connection open after QUIT")
	}
}

func TestQuitBeforeLogin(t *testing.T) {
	ts := newServer(t)
	c := ts.greeted(t)
	c.err("QUIT now", "syntax: QUIT takes no argument")
	if r := c.ok("QUIT"); !strings.Contains(r, "not logged in: nothing to update") {
		t.Errorf("QUIT reply %q", r)
	}
	if !c.Closed() {
		t.Error("connection open after QUIT")
	}
}

func TestTransaction(t *testing.T) {
	ts := newServer(t, manyErrors)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	ts.deliver(t, "bob", msg3) // not alice's
	c := ts.authenticated(t, "alice")
	total := len(msg1) + len(msg2)

	if r := c.ok("STAT"); r != fmt.Sprintf("+OK 2 %d (2 messages, %d octets; messages marked with DELE are not counted)", total, total) {
		t.Errorf("STAT %q", r)
	}
	c.err("STAT 1", "STAT takes no argument")
	st, raw := c.multi("LIST")
	if st != fmt.Sprintf("+OK 2 messages (%d octets)", total) {
		t.Errorf("LIST status %q", st)
	}
	if got, want := lines(raw), []string{fmt.Sprintf("1 %d", len(msg1)), fmt.Sprintf("2 %d", len(msg2))}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("LIST %q, want %q", got, want)
	}
	if r := c.ok("LIST 2"); r != fmt.Sprintf("+OK 2 %d", len(msg2)) {
		t.Errorf("LIST 2: %q", r)
	}
	c.err("LIST 0", "no message 0", "messages 1 to 2")
	c.err("LIST 3", "no message 3")
	c.err("LIST 99999999999999999999", "no message")
	c.err("LIST x", `"x" is not a message number`)
	c.err("LIST -1", "is not a message number")
	c.err("LIST +1", "is not a message number")
	c.err("LIST 1 2", "syntax: LIST")
	c.err("UIDL 1 2", "syntax: UIDL")
	c.err("RETR", "syntax: RETR msg")
	c.err("RETR one", "not a message number")
	c.err("TOP 1", "syntax: TOP msg lines")
	c.err("TOP 1 x", `"x" is not a number of lines`)
	c.err("TOP 1 -1", "is not a number of lines")
	c.err("TOP 9 1", "no message 9")
	c.err("DELE", "syntax: DELE msg")
	c.err("NOOP x", "NOOP takes no argument")
	c.err("RSET x", "RSET takes no argument")
	if r := c.ok("NOOP"); r != "+OK nothing done; the server is still here" {
		t.Errorf("NOOP %q", r)
	}

	st, raw = c.multi("RETR 1")
	if st != fmt.Sprintf("+OK %d octets follow (message 1); it stays on the server unless you DELE it", len(msg1)) {
		t.Errorf("RETR status %q", st)
	}
	if string(unstuff(raw)) != msg1 {
		t.Errorf("RETR 1 = %q, want %q", unstuff(raw), msg1)
	}

	// DELE only marks; the marked message is out of every listing.
	if r := c.ok("DELE 1"); r != "+OK message 1 marked for deletion: it is removed only when you QUIT (RSET unmarks it; a dropped connection keeps it)" {
		t.Errorf("DELE %q", r)
	}
	c.err("DELE 1", "message 1 is already marked for deletion")
	c.err("RETR 1", "message 1 is marked as deleted", "RSET unmarks it")
	c.err("TOP 1 0", "marked as deleted")
	c.err("LIST 1", "marked as deleted")
	c.err("UIDL 1", "marked as deleted")
	if r := c.ok("STAT"); !strings.HasPrefix(r, fmt.Sprintf("+OK 1 %d ", len(msg2))) {
		t.Errorf("STAT after DELE %q", r)
	}
	_, raw = c.multi("LIST")
	if got := lines(raw); len(got) != 1 || got[0] != fmt.Sprintf("2 %d", len(msg2)) {
		t.Errorf("LIST after DELE %q (message numbers must not change)", got)
	}
	if r := c.ok("RSET"); r != fmt.Sprintf("+OK 1 message unmarked; the maildrop has 2 messages (%d octets)", total) {
		t.Errorf("RSET %q", r)
	}
	c.ok("RETR 1")
	c.rawBody()
	if r := c.ok("QUIT"); !strings.Contains(r, "0 messages deleted, 2 messages kept (download-and-keep)") {
		t.Errorf("QUIT %q", r)
	}
	if n := len(ts.inbox(t, "alice")); n != 2 {
		t.Errorf("alice has %d messages after RSET and QUIT, want 2", n)
	}
}

func TestQuitDeletesMarked(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	keep := ts.deliver(t, "alice", msg2)
	ts.deliver(t, "alice", msg3)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	c.ok("DELE 3")
	if r := c.ok("QUIT"); r != "+OK mailscope POP3 server A signing off: 2 messages deleted, 1 message kept (download-and-delete)" {
		t.Errorf("QUIT %q", r)
	}
	if !c.Closed() {
		t.Error("connection open after QUIT")
	}
	left := ts.inbox(t, "alice")
	if len(left) != 1 || left[0].UID != keep {
		t.Fatalf("after QUIT alice has %+v, want only UID %d", left, keep)
	}
	// The lock was released before the +OK: a new session may log in at once.
	c2 := ts.authenticated(t, "alice")
	if r := c2.ok("STAT"); !strings.HasPrefix(r, fmt.Sprintf("+OK 1 %d", len(msg2))) {
		t.Errorf("STAT in the next session %q", r)
	}
}

func TestDroppedConnectionDeletesNothing(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	c.ok("DELE 2")
	c.NetConn().Close() // no QUIT: RFC 1939 section 6, no UPDATE
	ts.waitClose(t, c)
	if n := len(ts.inbox(t, "alice")); n != 2 {
		t.Fatalf("alice has %d messages after a dropped session, want 2", n)
	}
	c2 := ts.authenticated(t, "alice")
	if r := c2.ok("STAT"); !strings.HasPrefix(r, "+OK 2 ") {
		t.Errorf("STAT %q", r)
	}
}

func TestMaildropLock(t *testing.T) {
	ts := newServer(t)
	first := ts.authenticated(t, "alice")
	second := ts.greeted(t)
	second.ok("USER alice")
	second.err("PASS alice", "-ERR [IN-USE] alice's maildrop is in use", "RFC 1939 section 4")
	// Every way in meets the lock.
	second.err("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice")), "[IN-USE]")
	// Other users are not affected.
	third := ts.authenticated(t, "bob")
	third.ok("QUIT")

	first.ok("QUIT")
	ts.waitClose(t, first)
	second.ok("USER alice")
	second.ok("PASS alice")
}

func TestListOctetsEqualRetrBytes(t *testing.T) {
	ts := newServer(t)
	long := strings.Repeat("x", 998)
	bodies := []string{msg1, msg2, msg3,
		"Subject: long\r\n\r\n" + long + "\r\n" + long + "\r\n",
		"Subject: utf-8 \xe4\xbd\xa0\xe5\xa5\xbd\r\n\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n.\r\n",
		"Subject: empty body\r\n\r\n",
	}
	for _, b := range bodies {
		ts.deliver(t, "alice", b)
	}
	c := ts.authenticated(t, "alice")
	_, raw := c.multi("LIST")
	var sum int
	for i, l := range lines(raw) {
		var n, size int
		if _, err := fmt.Sscanf(l, "%d %d", &n, &size); err != nil || n != i+1 {
			t.Fatalf("scan listing %q", l)
		}
		st, body := c.multi(fmt.Sprintf("RETR %d", n))
		got := unstuff(body)
		if len(got) != size || string(got) != bodies[i] {
			t.Errorf("message %d: LIST says %d octets, RETR sent %d (%q)", n, size, len(got), st)
		}
		if !strings.HasPrefix(st, fmt.Sprintf("+OK %d octets", size)) {
			t.Errorf("RETR %d status %q", n, st)
		}
		sum += size
	}
	if r := c.ok("STAT"); !strings.HasPrefix(r, fmt.Sprintf("+OK %d %d ", len(bodies), sum)) {
		t.Errorf("STAT %q, want %d %d", r, len(bodies), sum)
	}
}

func TestDotStuffedRetr(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg2)
	c := ts.authenticated(t, "alice")
	_, raw := c.multi("RETR 1")
	want := "From: carol@b.example\r\nSubject: dots\r\n\r\n..\r\n...\r\n..leading dot\r\nend\r\n"
	if string(raw) != want {
		t.Fatalf("RETR on the wire %q, want %q", raw, want)
	}
	if string(unstuff(raw)) != msg2 {
		t.Fatalf("unstuffed %q, want %q", unstuff(raw), msg2)
	}
}

func TestTop(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg3)
	ts.deliver(t, "alice", msg2)
	c := ts.authenticated(t, "alice")
	header := "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: first\r\n\r\n"
	for k, want := range map[int]string{
		0:   header,
		1:   header + "line 1\r\n",
		3:   header + "line 1\r\nline 2\r\nline 3\r\n",
		5:   msg1,
		100: msg1,
	} {
		st, raw := c.multi(fmt.Sprintf("TOP 1 %d", k))
		if string(raw) != want {
			t.Errorf("TOP 1 %d = %q, want %q", k, raw, want)
		}
		if !strings.HasPrefix(st, "+OK top of message 1 follows") {
			t.Errorf("TOP status %q", st)
		}
	}
	// A message without a body: the headers are all there is.
	if _, raw := c.multi("TOP 2 0"); string(raw) != msg3 {
		t.Errorf("TOP 2 0 = %q", raw)
	}
	// Body lines count as lines, dot-stuffed on the wire.
	if _, raw := c.multi("TOP 3 2"); string(raw) != "From: carol@b.example\r\nSubject: dots\r\n\r\n..\r\n...\r\n" {
		t.Errorf("TOP 3 2 = %q", raw)
	}
}

func TestUIDLStableAcrossSessions(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	ts.deliver(t, "alice", msg2)
	ts.deliver(t, "alice", msg3)
	mb, err := ts.st.Mailbox(context.Background(), "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	c := ts.authenticated(t, "alice")
	st, raw := c.multi("UIDL")
	if st != "+OK unique-id listing follows: the ids never change, across sessions" {
		t.Errorf("UIDL status %q", st)
	}
	ids := map[string]string{} // number -> id
	seen := map[string]bool{}
	for _, l := range lines(raw) {
		n, id, _ := strings.Cut(l, " ")
		if seen[id] {
			t.Errorf("id %s given twice", id)
		}
		seen[id] = true
		ids[n] = id
		if !regexp.MustCompile(`^[\x21-\x7e]{1,70}$`).MatchString(id) {
			t.Errorf("id %q is not 1 to 70 printable characters (RFC 1939 section 7)", id)
		}
	}
	if want := fmt.Sprintf("%d.1", mb.UIDValidity); ids["1"] != want {
		t.Errorf("UIDL of message 1 = %q, want %q", ids["1"], want)
	}
	if r := c.ok("UIDL 2"); r != "+OK 2 "+ids["2"] {
		t.Errorf("UIDL 2 %q", r)
	}
	c.ok("DELE 1")
	c.ok("QUIT")
	ts.deliver(t, "alice", "Subject: new\r\n\r\nnew\r\n")

	c2 := ts.authenticated(t, "alice")
	_, raw = c2.multi("UIDL")
	got := lines(raw)
	want := []string{"1 " + ids["2"], "2 " + ids["3"], fmt.Sprintf("3 %d.4", mb.UIDValidity)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("UIDL in the next session %q, want %q (ids follow the message, not its number)", got, want)
	}
}

func TestLineTooLong(t *testing.T) {
	ts := newServer(t)
	c := ts.greeted(t)
	// 255 octets including CRLF is the limit (RFC 2449 section 4).
	c.ok("USER " + strings.Repeat("a", maxCommandLine-2-len("USER ")))
	c.err("USER "+strings.Repeat("a", maxCommandLine-1-len("USER ")), "line too long", "255 octets")
	c.err(strings.Repeat("N", 100000), "line too long")
	// The session is still in step.
	c.ok("USER alice")
	c.ok("PASS alice")
}

func TestErrorsInARow(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.MaxErrors = 3 })
	c := ts.greeted(t)
	c.err("ONE")
	c.err("TWO")
	c.ok("USER alice") // a success resets the count
	c.err("ONE")
	c.err("TWO")
	c.err("THREE", "unknown command")
	if r := c.line(); !strings.HasPrefix(r, "-ERR too many errors in a row") {
		t.Errorf("after the third error: %q", r)
	}
	if !c.Closed() {
		t.Error("connection open after too many errors")
	}
}

func TestErrorsInARowKeepsMarkedMessages(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.MaxErrors = 1 })
	ts.deliver(t, "alice", msg1)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	c.err("BOOM")
	if r := c.line(); !strings.Contains(r, "only QUIT deletes") {
		t.Errorf("close reply %q", r)
	}
	ts.waitClose(t, c)
	if n := len(ts.inbox(t, "alice")); n != 1 {
		t.Errorf("closing for errors deleted messages: %d left", n)
	}
}

func TestPipelining(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	c := ts.greeted(t)
	c.Send("CAPA\r\nUSER alice\r\nPASS alice\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nNOOP\r\nBAD\r\nQUIT")
	c.rawBody() // CAPA, after its +OK
	for _, want := range []string{"+OK user alice", "+OK alice's maildrop has 1 message", "+OK 1 "} {
		if r := c.line(); !strings.HasPrefix(r, want) {
			t.Fatalf("pipelined response %q, want %q", r, want)
		}
	}
	c.line()
	if got := lines(c.rawBody()); len(got) != 1 {
		t.Errorf("LIST %q", got)
	}
	c.line()
	if string(unstuff(c.rawBody())) != msg1 {
		t.Error("pipelined RETR body differs")
	}
	for _, want := range []string{"+OK message 1 marked", "+OK nothing done", "-ERR unknown command", "+OK mailscope POP3 server A signing off: 1 message deleted"} {
		if r := c.line(); !strings.HasPrefix(r, want) {
			t.Fatalf("pipelined response %q, want %q", r, want)
		}
	}
}

func TestSTLS(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	c := ts.greeted(t)
	c.err("STLS now", "STLS takes no argument")
	c.ok("USER alice") // forgotten by STLS
	if r := c.ok("STLS"); r != "+OK begin TLS negotiation: the next bytes are a TLS handshake" {
		t.Errorf("STLS %q", r)
	}
	c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "a.example"})
	_, raw := c.multi("CAPA")
	if strings.Contains(string(raw), "STLS") {
		t.Errorf("STLS offered again over TLS: %q", raw)
	}
	c.err("STLS", "already using TLS")
	c.err("PASS alice", "PASS needs USER first")
	if r := c.ok("USER alice"); !strings.Contains(r, "encrypted with TLS") {
		t.Errorf("USER over TLS %q", r)
	}
	c.ok("PASS alice")
	if _, raw := c.multi("RETR 1"); string(unstuff(raw)) != msg1 {
		t.Errorf("RETR over TLS %q", raw)
	}
	c.ok("QUIT")
}

// TestSTLSDiscardsPipelinedInput: commands sent in the same packet as STLS
// must not be run as if they came over TLS (CVE-2011-0411).
func TestSTLSDiscardsPipelinedInput(t *testing.T) {
	ts := newServer(t)
	c := ts.greeted(t)
	c.Send("STLS\r\nUSER alice")
	if r := c.line(); !strings.HasPrefix(r, "+OK begin TLS") {
		t.Fatalf("STLS %q", r)
	}
	c.StartTLS(&tls.Config{InsecureSkipVerify: true})
	c.err("PASS alice", "PASS needs USER first")
}

func TestAuthPlain(t *testing.T) {
	ts := newServer(t, manyErrors)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	c := ts.greeted(t)
	c.err("AUTH", "syntax: AUTH PLAIN")
	c.err("AUTH LOGIN", "AUTH mechanism LOGIN not available")
	c.err("AUTH PLAIN a b", "syntax: AUTH PLAIN")
	c.err("AUTH PLAIN !!!", "not valid base64")
	c.err("AUTH PLAIN "+b64("alice"), "authzid NUL user NUL password")
	c.err("AUTH PLAIN =", "authzid NUL user NUL password")
	c.err("AUTH PLAIN "+b64("\x00alice\x00wrong"), "-ERR [AUTH] authentication failed")
	c.err("AUTH PLAIN "+b64("bob\x00alice\x00alice"), "[AUTH]", "may not act as bob")
	// Continuation, then cancel.
	if r := c.cmd("AUTH PLAIN"); r != "+ " {
		t.Fatalf("AUTH PLAIN without initial response: %q, want \"+ \"", r)
	}
	c.err("*", "AUTH cancelled by the client")
	if r := c.cmd("AUTH PLAIN"); r != "+ " {
		t.Fatalf("AUTH PLAIN: %q", r)
	}
	c.err(strings.Repeat("A", maxAuthLine+10), "AUTH response longer than")
	// Continuation with the right answer.
	if r := c.cmd("auth plain"); r != "+ " {
		t.Fatalf("AUTH PLAIN: %q", r)
	}
	if r := c.ok(b64("alice\x00alice\x00alice")); !strings.Contains(r, "logged in with AUTH PLAIN") {
		t.Errorf("AUTH reply %q", r)
	}
	c.ok("QUIT")
	ts.waitClose(t, c)

	// Initial response, RFC 5034 section 4.
	c = ts.greeted(t)
	c.ok("AUTH PLAIN " + b64("\x00alice@a.example\x00alice"))
	c.ok("STAT")
}

func TestAPOP(t *testing.T) {
	ts := newServer(t, manyErrors)
	c := ts.dial(t)
	banner := bannerRE.FindStringSubmatch(c.line())[1]
	digest := func(secret string) string {
		sum := md5.Sum([]byte(banner + secret))
		return hex.EncodeToString(sum[:])
	}
	c.err("APOP alice", "syntax: APOP name digest", banner)
	c.err("APOP alice xyz", "syntax: APOP name digest")
	c.err("APOP alice "+digest("wrong"), "-ERR [AUTH] APOP failed")
	c.err("APOP nobody "+digest("nobody"), "[AUTH]")
	r := c.ok("APOP alice " + strings.ToUpper(digest("alice")))
	if !strings.Contains(r, "logged in with APOP") {
		t.Errorf("APOP reply %q", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.IdleTimeout = 100 * time.Millisecond })
	ts.deliver(t, "alice", msg1)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	// Silence: the server's autologout timer fires.
	if r := c.line(); !strings.HasPrefix(r, "-ERR autologout: idle for 100ms") || !strings.Contains(r, "nothing was deleted") {
		t.Errorf("autologout %q", r)
	}
	if !c.Closed() {
		t.Error("connection open after the autologout")
	}
	ts.waitClose(t, c)
	if n := len(ts.inbox(t, "alice")); n != 1 {
		t.Errorf("autologout deleted a marked message")
	}
}

func TestMaxConns(t *testing.T) {
	ts := newServer(t, func(s *Server) { s.MaxConns = 1 })
	ts.greeted(t)
	c := ts.dial(t)
	if r := c.line(); !strings.HasPrefix(r, "-ERR [SYS/TEMP] a.example has too many POP3 connections open") {
		t.Errorf("second connection %q", r)
	}
	if !c.Closed() {
		t.Error("refused connection left open")
	}
}

func TestShutdown(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	c := ts.authenticated(t, "alice")
	c.ok("DELE 1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if r := c.line(); !strings.HasPrefix(r, "-ERR [SYS/TEMP] the server is shutting down") {
		t.Errorf("idle session at shutdown: %q", r)
	}
	if !c.Closed() {
		t.Error("session open after Shutdown")
	}
	if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve returned %v, want ErrServerClosed", err)
	}
	if n := len(ts.inbox(t, "alice")); n != 1 {
		t.Error("shutdown applied a DELE without QUIT")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("Serve after Shutdown left its listener open")
	}
}

func TestClose(t *testing.T) {
	ts := newServer(t)
	c := ts.greeted(t)
	ts.srv.Close()
	if !c.Closed() {
		t.Error("session open after Close")
	}
	if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve returned %v, want ErrServerClosed", err)
	}
}

func TestPanicRecovery(t *testing.T) {
	ts := newServer(t)
	ts.allowLogErrors = true
	c := ts.greeted(t)
	c.ok("USER panic")
	if r := c.cmd("PASS panic"); !strings.HasPrefix(r, "-ERR [SYS/TEMP] internal error") {
		t.Errorf("after a panic: %q", r)
	}
	if !c.Closed() {
		t.Error("session open after a panic")
	}
	// The server lives on.
	ts.authenticated(t, "alice").ok("QUIT")
	if errs := ts.logs.errors(); len(errs) != 1 || !strings.Contains(errs[0], "panic") {
		t.Errorf("logged %q, want one panic", errs)
	}
}

// TestMessageRemovedDuringSession: a message removed behind the session's back (by IMAP,
// say) is reported, not crashed on.
func TestMessageRemovedDuringSession(t *testing.T) {
	ts := newServer(t)
	ts.deliver(t, "alice", msg1)
	c := ts.authenticated(t, "alice")
	id := ts.inbox(t, "alice")[0].ID
	if err := ts.st.Write(context.Background(), func(tx *store.Tx) error { return tx.DeleteMessages([]int64{id}) }); err != nil {
		t.Fatal(err)
	}
	c.err("RETR 1", "[SYS/PERM] message 1 is gone")
	c.ok("DELE 1")
	c.ok("QUIT") // deleting what is already gone is fine
}

// TestUntraced: the server works on a plain listener too (no bus), STLS
// included.
func TestUntraced(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Deliver(context.Background(), &store.Delivery{Server: "A", Local: []string{"alice"}, Body: []byte(msg1)}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Name: "A", Domain: "a.example", Backend: testBackend{}, Store: st, TLSConfig: testTLSConfig(t)}
	go srv.Serve(l)
	defer srv.Close()
	c := newClient(wiretest.Dial(t, l.Addr().String()))
	c.line()
	c.ok("STLS")
	c.StartTLS(&tls.Config{InsecureSkipVerify: true})
	c.ok("USER alice")
	c.ok("PASS alice")
	if _, raw := c.multi("RETR 1"); string(unstuff(raw)) != msg1 {
		t.Errorf("RETR over TLS without a tracer: %q", raw)
	}
	c.ok("QUIT")
}
