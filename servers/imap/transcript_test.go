package imap_test

import (
	"testing"
)

// TestIssueFlow plays the issue's telnet flow from testdata/issue3.txt.
func TestIssueFlow(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("homework", "Please read chapter 2."))
	transcriptFile(t, dial(t, e.addr), "issue3.txt")
}

// TestErrorsBeforeLogin covers the not authenticated state.
func TestErrorsBeforeLogin(t *testing.T) {
	e := newEnv(t)
	runTranscript(t, greeted(t, e.addr), `
		C: a1 LOGIN alice wrong
		S: a1 NO [AUTHENTICATIONFAILED] wrong user name or password
		C: a2 LOGIN nobody nobody
		S: a2 NO [AUTHENTICATIONFAILED] wrong user name or password
		# Mailbox commands need a login first: IMAP is stateful.
		C: a4 SELECT INBOX
		S: a4 BAD [CLIENTBUG] This command is only valid in the authenticated state
		C: a5 FETCH 1 BODY[]
		S: a5 BAD [CLIENTBUG] *
		C: a6 NOOP
		S: a6 OK NOOP completed
		C: a7 LOGIN alice@a.example alice
		S: a7 OK [CAPABILITY *] Logged in
		C: a8 LOGIN alice alice
		S: a8 BAD [CLIENTBUG] This command is only valid in the not authenticated state
		C: a9 LOGOUT
		S: * BYE Logging out
		S: a9 OK LOGOUT completed
		CLOSED
	`)
	// The third failed login in a session closes it (* BYE, RFC 9051
	// section 7.1.5), however many other commands came in between.
	runTranscript(t, greeted(t, e.addr), `
		C: a1 LOGIN alice wrong
		S: a1 NO [AUTHENTICATIONFAILED] wrong user name or password
		C: a2 NOOP
		S: a2 OK NOOP completed
		C: a3 AUTHENTICATE PLAIN AGFsaWNlAHdyb25n
		S: a3 NO [AUTHENTICATIONFAILED] wrong user name or password
		C: a4 LOGIN alice@b.example alice
		S: * BYE wrong user name or password; 3 failed logins in this session: closing the connection
		CLOSED
	`)
}

// TestUnknownCommandBeforeLogin: a stray command before login ends the
// connection (protection against cross-protocol attacks).
func TestUnknownCommandBeforeLogin(t *testing.T) {
	e := newEnv(t)
	runTranscript(t, greeted(t, e.addr), `
		C: HELO example.org
		S: HELO BAD Unknown command
		S: * BYE Unknown command
		CLOSED
	`)
}

// TestFolderErrors covers the NO answers of folder commands.
func TestFolderErrors(t *testing.T) {
	e := newEnv(t)
	runTranscript(t, loggedIn(t, e.addr, "alice"), `
		C: b1 SELECT Nowhere
		S: b1 NO [NONEXISTENT] there is no folder named "Nowhere"
		C: b2 EXAMINE Nowhere
		S: b2 NO [NONEXISTENT] *
		C: b3 DELETE INBOX
		S: b3 NO [CANNOT] INBOX cannot be deleted: new mail arrives there
		C: b4 DELETE Nowhere
		S: b4 NO [NONEXISTENT] *
		C: b5 CREATE Sent
		S: b5 NO [ALREADYEXISTS] a folder named "Sent" already exists
		C: b6 CREATE inbox
		S: b6 NO [ALREADYEXISTS] INBOX always exists
		C: b7 CREATE "a%b"
		S: b7 NO [CANNOT] % and * are LIST wildcards and cannot be part of a folder name
		C: b8 CREATE Course/Week1
		S: b8 OK CREATE completed
		C: b9 DELETE Course
		S: b9 NO [HASCHILDREN] folder "Course" has subfolders: delete them first
		C: b10 RENAME Nowhere Somewhere
		S: b10 NO [NONEXISTENT] *
		C: b11 RENAME Course Sent
		S: b11 NO [ALREADYEXISTS] *
		C: b12 RENAME Course Course/Inner
		S: b12 NO [CANNOT] *
		C: b13 STATUS Nowhere (MESSAGES)
		S: b13 NO [NONEXISTENT] *
		C: b14 SUBSCRIBE Nowhere
		S: b14 NO [NONEXISTENT] *
		C: b15 APPEND Nowhere {3}
		S: + Ready for literal data
		R: Hi!\r\n
		S: b15 NO [TRYCREATE] *
		C: b16 FETCH 1 FLAGS
		S: b16 BAD [CLIENTBUG] This command is only valid in the selected state
		C: b17 CREATE Trash2 (USE (\Bogus))
		S: b17 NO [USEATTR] *
	`)
}

// TestSelectedErrors covers bad sequence numbers and missing targets.
func TestSelectedErrors(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: c1 FETCH 2 FLAGS
		S: c1 BAD there is no message 2: this folder has 1 messages (sequence numbers run from 1 to 1)
		C: c2 FETCH 1:5 FLAGS
		S: c2 BAD there is no message 5: *
		C: c3 STORE 9 +FLAGS (\Seen)
		S: c3 BAD there is no message 9: *
		C: c4 UID FETCH 99 FLAGS
		S: c4 OK UID FETCH completed
		C: c5 COPY 1 Nowhere
		S: c5 NO [TRYCREATE] there is no folder named "Nowhere": CREATE it first
		C: c7 FETCH 1 (FLAGS
		S: c7 BAD *
		C: c8 FETCH * FLAGS
		S: * 1 FETCH (FLAGS ())
		S: c8 OK FETCH completed
		C: c9 STORE 1 FLAGS.BOGUS (\Seen)
		S: c9 BAD *
	`)
}

// TestExamineIsReadOnly: EXAMINE changes nothing, not even \Seen.
func TestExamineIsReadOnly(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "first"))
	runTranscript(t, loggedIn(t, e.addr, "alice"), `
		C: d1 EXAMINE INBOX
		S: * 1 EXISTS
		S: * 1 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 2] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft)
		S: * OK [PERMANENTFLAGS ()] Permanent flags
		S: d1 OK [READ-ONLY] EXAMINE completed
		C: d2 FETCH 1 BODY[TEXT]
		S: * 1 FETCH (BODY[TEXT] {7}
		S: first
		S: )
		S: d2 OK FETCH completed
		C: d3 FETCH 1 FLAGS
		S: * 1 FETCH (FLAGS (\Recent))
		S: d3 OK FETCH completed
		C: d4 STORE 1 +FLAGS (\Deleted)
		S: d4 NO the folder is open read-only (EXAMINE): use SELECT to change it
		C: d5 EXPUNGE
		S: d5 NO the folder is open read-only *
		C: d6 MOVE 1 Trash
		S: d6 NO the folder is open read-only *
		C: d7 COPY 1 Trash
		S: d7 OK [COPYUID * 1 1] COPY completed
		C: d8 CLOSE
		S: d8 OK CLOSE completed
		C: d9 STATUS INBOX (MESSAGES UNSEEN)
		S: * STATUS INBOX (MESSAGES 1 UNSEEN 1)
		S: d9 OK STATUS completed
		C: d10 SELECT INBOX
		S: * 1 EXISTS
		S: * 1 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 2] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft)
		S: * OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft \*)] Permanent flags
		S: d10 OK [READ-WRITE] SELECT completed
		C: d11 FETCH 1 BODY[TEXT]
		S: * 1 FETCH (FLAGS (\Seen \Recent) BODY[TEXT] {7}
		S: first
		S: )
		S: d11 OK FETCH completed
	`)
}
