package imap_test

import (
	"fmt"
	"strings"
	"testing"
)

// The tests of this file each pin down one failure Dovecot's imaptest
// found (issue 16; TestImaptest runs imaptest itself where it is built).

// TestMoveIntoSelectedFolder: MOVE into the selected folder itself is no
// error (RFC 6851 does not forbid it; Dovecot allows it): the message gets
// a new UID at the end, like COPY and EXPUNGE (imaptest group move).
func TestMoveIntoSelectedFolder(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	e.deliver("alice", msg("two", "2"))
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: m1 MOVE 1 INBOX
		S: * OK [COPYUID * 1 3] *
		S: * 1 EXPUNGE
		S: * 2 EXISTS
		S: * 1 RECENT
		S: m1 OK *
		C: m2 UID FETCH 1:* UID
		S: * 1 FETCH (UID 2)
		S: * 2 FETCH (UID 3)
		S: m2 OK *
	`)
}

// TestSubscriptions: CREATE does not subscribe (RFC 3501 sections 6.3.4 and
// 6.3.6), and LSUB lists a folder that is not subscribed but has a
// subscribed child the pattern's % does not reach with \Noselect (RFC 3501
// section 6.3.9) (imaptest group subscribe).
func TestSubscriptions(t *testing.T) {
	e := newEnv(t)
	runTranscript(t, loggedIn(t, e.addr, "alice"), `
		C: s1 CREATE Course/Week1
		S: s1 OK *
		C: s2 CREATE Notes
		S: s2 OK *
		C: s3 LSUB "" "*"
		S: * LSUB (\HasNoChildren \Subscribed) "/" INBOX
		S: * LSUB (\HasNoChildren \Subscribed \Drafts) "/" "Drafts"
		S: * LSUB (\HasNoChildren \Subscribed \Sent) "/" "Sent"
		S: * LSUB (\HasNoChildren \Subscribed \Trash) "/" "Trash"
		S: s3 OK *
		C: s4 SUBSCRIBE Course/Week1
		S: s4 OK *
		C: s5 LSUB "" "%"
		S: * LSUB (\HasNoChildren \Subscribed) "/" INBOX
		S: * LSUB (\Noselect) "/" "Course"
		S: * LSUB (\HasNoChildren \Subscribed \Drafts) "/" "Drafts"
		S: * LSUB (\HasNoChildren \Subscribed \Sent) "/" "Sent"
		S: * LSUB (\HasNoChildren \Subscribed \Trash) "/" "Trash"
		S: s5 OK *
		C: s6 LSUB "" "Course*"
		S: * LSUB (\HasNoChildren \Subscribed) "/" "Course/Week1"
		S: s6 OK *
	`)
}

// TestEnvelopeGroups: ENVELOPE keeps address groups with their start and
// end markers (RFC 3501 section 7.4.2; go-imap's ExtractEnvelope flattened
// them), and a name in a trailing comment (imaptest group fetch-envelope).
func TestEnvelopeGroups(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", "From: user@domain (Real Name)\r\nTo: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"+
		"Cc: group:;, group2: (foo) ;\r\nDate: Thu, 15 Feb 2007 01:02:03 +0200\r\n\r\nbody\r\n")
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: f1 FETCH 1 ENVELOPE
		S: * 1 FETCH (ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) ((NIL NIL "group" NIL) (NIL NIL "g1" "d1.org") (NIL NIL "g2" "d2.org") (NIL NIL NIL NIL) (NIL NIL "group2" NIL) (NIL NIL "g3" "d3.org") (NIL NIL NIL NIL)) ((NIL NIL "group" NIL) (NIL NIL NIL NIL) (NIL NIL "group2" NIL) (NIL NIL NIL NIL)) NIL NIL NIL))
		S: f1 OK *
	`)
}

// TestSearchParsedAddresses: SEARCH FROM matches the parsed address too,
// so comments inside an address do not hide it (imaptest group
// search-addresses).
func TestSearchParsedAddresses(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", "From: <user-from (comment)@ (comment) domain.org>\r\nTo: groupname: groupuser1@domain.org;\r\n\r\nbody\r\n")
	e.deliver("alice", msg("other", "x"))
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: s1 SEARCH FROM user-from@domain.org
		S: * SEARCH 1
		S: s1 OK *
		C: s2 SEARCH TO groupname
		S: * SEARCH 1
		S: s2 OK *
		C: s3 SEARCH FROM bob@b.example
		S: * SEARCH 2
		S: s3 OK *
	`)
}

// TestRecent: a message is \Recent in exactly one session, the first to
// select its folder after it arrived, or the first to hear of it while
// selected (RFC 3501 sections 2.3.2 and 6.3.1); EXAMINE and STATUS show
// it without claiming it, and SEARCH RECENT, NEW and OLD use it (imaptest
// groups select, search-flags, copy).
func TestRecent(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	e.deliver("alice", msg("two", "2"))
	a := loggedIn(t, e.addr, "alice")
	runTranscript(t, a, `
		C: r1 EXAMINE INBOX
		S: * 2 EXISTS
		S: * 2 RECENT
		S: * OK [UNSEEN 1] *
		S: * OK [UIDVALIDITY *] *
		S: * OK [UIDNEXT 3] *
		S: * FLAGS *
		S: * OK [PERMANENTFLAGS ()] *
		S: r1 OK [READ-ONLY] *
		C: r2 STATUS INBOX (RECENT)
		S: * STATUS INBOX (RECENT 2)
		S: r2 OK *
		C: r3 SELECT INBOX
		S: * OK [CLOSED] *
		S: * 2 EXISTS
		S: * 2 RECENT
		S: * OK [UNSEEN 1] *
		S: * OK [UIDVALIDITY *] *
		S: * OK [UIDNEXT 3] *
		S: * FLAGS *
		S: * OK [PERMANENTFLAGS *] *
		S: r3 OK [READ-WRITE] *
		C: r4 STORE 2 +FLAGS.SILENT (\Seen)
		S: r4 OK *
		C: r5 SEARCH RECENT
		S: * SEARCH 1 2
		S: r5 OK *
		C: r6 SEARCH NEW
		S: * SEARCH 1
		S: r6 OK *
		C: r7 SEARCH OLD
		S: * SEARCH
		S: r7 OK *
		C: r8 FETCH 1 FLAGS
		S: * 1 FETCH (FLAGS (\Recent))
		S: r8 OK *
	`)
	b := loggedIn(t, e.addr, "alice")
	runTranscript(t, b, `
		C: q1 STATUS INBOX (RECENT)
		S: * STATUS INBOX (RECENT 0)
		S: q1 OK *
		C: q2 SELECT INBOX
		S: * 2 EXISTS
		S: * 0 RECENT
		S: * OK [UNSEEN 1] *
		S: * OK [UIDVALIDITY *] *
		S: * OK [UIDNEXT 3] *
		S: * FLAGS *
		S: * OK [PERMANENTFLAGS *] *
		S: q2 OK [READ-WRITE] *
	`)
	// A message that arrives now is recent in whichever session hears of it first.
	e.deliver("alice", msg("three", "3"))
	runTranscript(t, a, `
		C: r9 NOOP
		S: * 3 EXISTS
		S: * 3 RECENT
		S: r9 OK *
	`)
	runTranscript(t, b, `
		C: q3 NOOP
		S: * 3 EXISTS
		S: q3 OK *
		C: q4 SEARCH OLD
		S: * SEARCH 1 2 3
		S: q4 OK *
	`)
}

// TestNewKeywordFlags: a keyword used for the first time is announced with
// * FLAGS before the FETCH that shows it, to the session that stored it
// and to every other session with the folder selected (RFC 3501 section
// 7.2.6; imaptest's "Keyword used without being in FLAGS").
func TestNewKeywordFlags(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	a := selectedBox(t, e.addr, "INBOX")
	b := selectedBox(t, e.addr, "INBOX")
	runTranscript(t, a, `
		C: k1 STORE 1 +FLAGS ($Exam)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Exam)
		S: * 1 FETCH (FLAGS ($Exam))
		S: k1 OK *
		C: k2 UID STORE 1 +FLAGS.SILENT ($Quiz)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Exam $Quiz)
		S: k2 OK *
		C: k3 STORE 1 +FLAGS ($exam)
		S: * 1 FETCH (FLAGS ($Exam $Quiz))
		S: k3 OK *
	`)
	runTranscript(t, b, `
		C: j1 NOOP
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Exam)
		S: * 1 FETCH (UID 1 FLAGS ($Exam))
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Exam $Quiz)
		S: * 1 FETCH (UID 1 FLAGS ($Exam $Quiz))
		S: j1 OK *
	`)
}

// TestInvalidModifiedUTF7: a folder name that is not valid modified UTF-7
// (RFC 3501 section 5.1.3) gets a clear answer, not imapserver's
// NO [SERVERBUG] Internal server error: LIST matches nothing, the other
// commands say what is wrong (imaptest group atoms). Valid names still
// work.
func TestInvalidModifiedUTF7(t *testing.T) {
	e := newEnv(t)
	runTranscript(t, loggedIn(t, e.addr, "alice"), `
		C: u1 LIST "" !#$&'+,-.0123456789:;<=>?@^_`+"`"+`|[}%*
		S: u1 OK LIST completed: no folder matches *
		C: u2 SELECT !#$&'+,-.0123456789:;<=>?@^_`+"`"+`|[}
		S: u2 NO [NONEXISTENT] * is not a valid folder name in modified UTF-7: *
		C: u3 CREATE "Folder &AGEAYg-"
		S: u3 NO [CANNOT] Folder &AGEAYg- is not a valid folder name in modified UTF-7: &AGEAYg- encodes the printable ASCII character a, which must stand for itself *
		C: u4 CREATE "Tom & Jerry"
		S: u4 NO [CANNOT] * an & begins a BASE64 run that no - ends *
		C: u5 CREATE "Tom &- Jerry &AOQ-"
		S: u5 OK *
		C: u6 LIST "" "Tom*"
		S: * LIST (\HasNoChildren) "/" "Tom &- Jerry &AOQ-"
		S: u6 OK *
		C: u7 UID MOVE 1 "x&AGE"
		S: u7 NO [NONEXISTENT] *
	`)
}

// TestID: ID (RFC 2971) is listed and answered in every state, before
// login without closing the connection (imapserver alone answered BAD and
// closed it), whatever the length of the client's fields (imaptest group
// id sends 30 pairs of 1024-octet values in one line). A message that
// quotes a capability list is fetched unchanged.
func TestID(t *testing.T) {
	e := newEnv(t)
	quote := msg("transcript", "* CAPABILITY IMAP4rev1 SASL-IR")
	e.deliver("alice", quote)
	c := greeted(t, e.addr)
	var long strings.Builder
	long.WriteString("a2 ID (")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&long, "%q %q ", fmt.Sprintf("field%02d", i), strings.Repeat("v", 1024))
	}
	long.WriteString(`"x" NIL)`)
	runTranscript(t, c, `
		C: a0 CAPABILITY
		S: * CAPABILITY IMAP4rev1 STARTTLS ID SASL-IR LITERAL- AUTH=PLAIN
		S: a0 OK *
		C: a1 ID ("name" "telnet" "version" "1.0")
		S: * ID ("name" "mailscope" "vendor" *)
		S: a1 OK ID completed
	`)
	c.Send(long.String())
	c.Expect("* ID (*)")
	c.Expect("a2 OK ID completed")
	runTranscript(t, c, `
		C: a3 ID ("name")
		S: a3 BAD ID takes NIL or a parenthesized list of field and value strings: *
		C: a4 LOGIN alice alice
		S: a4 OK [CAPABILITY IMAP4rev1 ID SASL-IR *] Logged in
		C: a5 id nil
		S: * ID (*)
		S: a5 OK ID completed
		C: a6 SELECT INBOX
		S: * 1 EXISTS
		S: * 1 RECENT
		S: * OK *
		S: * OK *
		S: * OK *
		S: * FLAGS *
		S: * OK *
		S: a6 OK *
	`)
	c.Send("a7 FETCH 1 BODY.PEEK[]")
	_, got := c.literal()
	if string(got) != quote {
		t.Errorf("FETCH changed the message: %q, want %q", got, quote)
	}
}

// TestIDDuringIdle: a line that looks like ID while IDLE waits for DONE is
// IDLE's business (imapserver ends the IDLE with BAD), not answered as ID.
func TestIDDuringIdle(t *testing.T) {
	e := newEnv(t)
	c := selectedBox(t, e.addr, "INBOX")
	runTranscript(t, c, `
		C: i1 IDLE
		S: + idling
		C: x ID NIL
		S: i1 BAD *
		C: i2 NOOP
		S: i2 OK *
	`)
}
