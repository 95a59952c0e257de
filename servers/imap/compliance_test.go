package imap_test

import "testing"

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
