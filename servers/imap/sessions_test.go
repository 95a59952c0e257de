package imap_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestIdleExists: a message delivered while the client IDLEs is announced
// at once (RFC 2177).
func TestIdleExists(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	c := selectedBox(t, e.addr, "INBOX")
	c.Send("i1 IDLE")
	c.Expect("+ idling")
	e.deliver("alice", msg("two", "2"))
	c.Expect("* 2 EXISTS")
	c.Expect("* 1 RECENT") // RFC 3501 section 7.3.2: recent in this session
	e.deliver("bob", msg("not for alice", "x"))
	e.deliver("alice", msg("three", "3"))
	c.Expect("* 3 EXISTS")
	c.Expect("* 2 RECENT")
	c.Send("DONE")
	c.Expect("i1 OK IDLE completed")
	c.Send("i2 FETCH 3 (UID ENVELOPE)")
	c.Expect(`* 3 FETCH (UID 3 ENVELOPE (* "three" *))`)
	c.Expect("i2 OK FETCH completed")
}

// TestCrossSession: changes made by one session reach another that has the
// folder selected, with sequence numbers kept consistent.
func TestCrossSession(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"one", "two", "three"} {
		e.deliver("alice", msg(s, s))
	}
	a := selectedBox(t, e.addr, "INBOX")
	b := selectedBox(t, e.addr, "INBOX")
	runTranscript(t, b, `
		C: x1 STORE 2 +FLAGS (\Flagged)
		S: * 2 FETCH (FLAGS (\Flagged))
		S: x1 OK STORE completed
		C: x2 STORE 1 +FLAGS.SILENT (\Deleted)
		S: x2 OK STORE completed
		C: x3 EXPUNGE
		S: * 1 EXPUNGE
		S: x3 OK EXPUNGE completed
	`)
	// A still knows three messages: a FETCH must not renumber them, so the
	// EXPUNGE waits until a command that allows it.
	runTranscript(t, a, `
		C: y1 FETCH 3 (UID)
		S: * 3 FETCH (UID 3)
		S: * 2 FETCH (UID 2 FLAGS (\Flagged))
		S: * 1 FETCH (UID 1 FLAGS (\Deleted))
		S: y1 OK FETCH completed
		C: y2 NOOP
		S: * 1 EXPUNGE
		S: y2 OK NOOP completed
		C: y3 FETCH 2 (UID)
		S: * 2 FETCH (UID 3)
		S: y3 OK FETCH completed
		C: y4 FETCH 3 (UID)
		S: y4 BAD there is no message 3: *
	`)
	// A message delivered now reaches both at their next command.
	e.deliver("alice", msg("four", "4"))
	a.Send("y5 NOOP")
	a.Expect("* 3 EXISTS")
	a.Expect("* 1 RECENT") // a is the first to learn of it: recent there only
	a.Expect("y5 OK NOOP completed")
	b.Send("x4 UID SEARCH ALL")
	// SEARCH runs over the messages the client knows; the new one is
	// announced after it.
	b.Expect("* SEARCH 2 3")
	b.Expect("* 3 EXISTS")
	b.Expect("x4 OK UID SEARCH completed")
}

// TestUIDPlus covers UID COPY, UID MOVE and UID EXPUNGE with their codes.
func TestUIDPlus(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"a", "b", "c", "d"} {
		e.deliver("alice", msg(s, s))
	}
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: u1 CREATE Archive
		S: u1 OK CREATE completed
		C: u2 UID COPY 2:3 Archive
		S: u2 OK [COPYUID * 2:3 1:2] COPY completed
		C: u3 UID MOVE 1,4 Archive
		S: * OK [COPYUID * 1,4 3:4] COPY completed
		S: * 4 EXPUNGE
		S: * 1 EXPUNGE
		S: u3 OK UID MOVE completed
		C: u4 STORE 1:2 +FLAGS.SILENT (\Deleted)
		S: u4 OK STORE completed
		C: u5 UID EXPUNGE 3
		S: * 2 EXPUNGE
		S: u5 OK UID EXPUNGE completed
		C: u6 UID FETCH 1:* (FLAGS)
		S: * 1 FETCH (UID 2 FLAGS (\Deleted))
		S: u6 OK UID FETCH completed
		C: u7 STATUS Archive (MESSAGES UIDNEXT)
		S: * STATUS "Archive" (MESSAGES 4 UIDNEXT 5)
		S: u7 OK STATUS completed
		C: u8 CLOSE
		S: u8 OK CLOSE completed
		C: u9 STATUS INBOX (MESSAGES)
		S: * STATUS INBOX (MESSAGES 0)
		S: u9 OK STATUS completed
	`)
}

// TestRestartKeepsState: UIDVALIDITY, UIDs, flags and folders survive a
// restart of server and store: state across sessions.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	e := newEnvIn(t, dir)
	e.deliver("alice", msg("one", "1"))
	e.deliver("alice", msg("two", "2"))
	c := selectedBox(t, e.addr, "INBOX")
	c.Send("r1 STATUS INBOX (UIDVALIDITY)")
	status := c.Expect("* STATUS INBOX (UIDVALIDITY *)")
	c.Expect("r1 OK STATUS completed")
	runTranscript(t, c, `
		C: r2 STORE 1 +FLAGS (\Deleted)
		S: * 1 FETCH (FLAGS (\Deleted))
		S: r2 OK STORE completed
		C: r3 EXPUNGE
		S: * 1 EXPUNGE
		S: r3 OK EXPUNGE completed
		C: r4 STORE 1 +FLAGS (\Answered $Graded)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Graded)
		S: * 1 FETCH (FLAGS (\Answered $Graded))
		S: r4 OK STORE completed
		C: r5 CREATE Kept
		S: r5 OK CREATE completed
		C: r6 LOGOUT
		S: * BYE Logging out
		S: r6 OK LOGOUT completed
	`)
	e.stop()

	e2 := newEnvIn(t, dir)
	e2.deliver("alice", msg("three", "3"))
	c2 := loggedIn(t, e2.addr, "alice")
	c2.Send("r7 STATUS INBOX (UIDVALIDITY)")
	c2.Expect(status)
	c2.Expect("r7 OK STATUS completed")
	runTranscript(t, c2, `
		C: r8 SELECT INBOX
		S: * 2 EXISTS
		S: * 1 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 4] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Graded)
		S: * OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Graded \*)] Permanent flags
		S: r8 OK [READ-WRITE] SELECT completed
		C: r9 FETCH 1:* (UID FLAGS)
		S: * 1 FETCH (UID 2 FLAGS (\Answered $Graded))
		S: * 2 FETCH (UID 3 FLAGS (\Recent))
		S: r9 OK FETCH completed
		C: r10 LIST "" Kept
		S: * LIST (\HasNoChildren) "/" "Kept"
		S: r10 OK LIST completed
	`)
}

// TestAuthenticatePlain covers SASL PLAIN with and without an initial
// response (RFC 4616, RFC 4959).
func TestAuthenticatePlain(t *testing.T) {
	e := newEnv(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	runTranscript(t, greeted(t, e.addr), `
		C: q1 AUTHENTICATE PLAIN `+b64("\x00alice\x00wrong")+`
		S: q1 NO [AUTHENTICATIONFAILED] wrong user name or password
		C: q2 AUTHENTICATE PLAIN `+b64("bob\x00alice\x00alice")+`
		S: q2 NO [AUTHORIZATIONFAILED] alice may not act as bob
		C: q3 AUTHENTICATE PLAIN
		S: + =
		C: *
		S: q3 BAD AUTHENTICATE cancelled
		C: q4 AUTHENTICATE CRAM-MD5
		S: q4 NO unsupported SASL mechanism CRAM-MD5: this server offers PLAIN
		C: q5 AUTHENTICATE PLAIN
		S: + =
		C: `+b64("alice@a.example\x00alice@a.example\x00alice")+`
		S: q5 OK [CAPABILITY *] PLAIN authentication successful
		C: q6 SELECT INBOX
		S: * 0 EXISTS
	`)
}

// TestStartTLS: after STARTTLS the session continues encrypted.
func TestStartTLS(t *testing.T) { startTLSSession(t, newEnv(t)) }

func startTLSSession(t *testing.T, e *env) {
	t.Helper()
	c := greeted(t, e.addr)
	c.Send("t1 STARTTLS")
	c.Expect("t1 OK Begin TLS negotiation now")
	c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "a.example"})
	runTranscript(t, c, `
		C: t2 CAPABILITY
		S: * CAPABILITY IMAP4rev1 ID SASL-IR LITERAL- AUTH=PLAIN
		S: t2 OK CAPABILITY completed
		C: t3 STARTTLS
		S: t3 BAD STARTTLS: TLS is already active on this connection
		C: t4 LOGIN carol Pa55-w0rd
		S: t4 OK [CAPABILITY *] Logged in
		C: t5 LOGOUT
		S: * BYE Logging out
		S: t5 OK LOGOUT completed
	`)
}

// TestShutdownSaysBye: Shutdown says BYE to every session and waits for
// them to end.
func TestShutdownSaysBye(t *testing.T) {
	e := newEnv(t)
	a := loggedIn(t, e.addr, "alice")
	b := greeted(t, e.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	a.Expect("* BYE mailscope server A is shutting down")
	a.ExpectClosed()
	b.Expect("* BYE mailscope server A is shutting down")
	b.ExpectClosed()
	if err := <-e.done; err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Serve returned %v, want ErrServerClosed", err)
	}
	e.done <- nil // let cleanup's stop find it
}
