package imap_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// multipart is a message with a text part and an attachment.
const multipart = "From: Bob <bob@b.example>\r\n" +
	"To: alice@a.example\r\n" +
	"Subject: slides\r\n" +
	"Date: Tue, 03 Jan 2006 10:00:00 +0800\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n" +
	"\r\n" +
	"--XX\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"See the slides.\r\n" +
	"--XX\r\n" +
	"Content-Type: application/octet-stream; name=\"a.bin\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAEC\r\n" +
	"--XX--\r\n"

func TestFetchItems(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("plain", "hello"))
	e.deliver("alice", multipart)
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), fmt.Sprintf(`
		C: f1 FETCH 2 (RFC822.SIZE INTERNALDATE)
		S: * 2 FETCH (INTERNALDATE "*" RFC822.SIZE %d)
		S: f1 OK FETCH completed
		C: f2 FETCH 2 ENVELOPE
		S: * 2 FETCH (ENVELOPE ("Tue, 03 Jan 2006 10:00:00 +0800" "slides" (("Bob" NIL "bob" "b.example")) (("Bob" NIL "bob" "b.example")) (("Bob" NIL "bob" "b.example")) ((NIL NIL "alice" "a.example")) NIL NIL NIL NIL))
		S: f2 OK FETCH completed
		C: f3 FETCH 2 BODYSTRUCTURE
		S: * 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 15 0 NIL NIL NIL NIL)("application" "octet-stream" ("name" "a.bin") NIL NIL "base64" 4 NIL NIL NIL NIL) "mixed" ("boundary" "XX") NIL NIL NIL))
		S: f3 OK FETCH completed
		C: f4 FETCH 2 BODY.PEEK[1]
		# The CRLF before a boundary belongs to the boundary (RFC 2046 section 5.1.1).
		S: * 2 FETCH (BODY[1] {15}
		S: See the slides.)
		S: f4 OK FETCH completed
		C: f5 FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]
		S: * 2 FETCH (BODY[HEADER.FIELDS ("SUBJECT")] {19}
		S: Subject: slides
		S:
		S: )
		S: f5 OK FETCH completed
		C: f6 FETCH 2 BODY.PEEK[]<0.20>
		S: * 2 FETCH (BODY[]<0> {20}
		S: From: Bob <bob@b.exa)
		S: f6 OK FETCH completed
		C: f7 FETCH 2 BODY.PEEK[2.MIME]
		S: * 2 FETCH (BODY[2.MIME] {*}
		S: Content-Type: application/octet-stream; name="a.bin"
		S: Content-Transfer-Encoding: base64
		S:
		S: )
		S: f7 OK FETCH completed
		C: f8 FETCH 1:2 FLAGS
		S: * 1 FETCH (FLAGS ())
		S: * 2 FETCH (FLAGS ())
		S: f8 OK FETCH completed
		C: f9 FETCH 1 BODY.PEEK[HEADER]
		S: * 1 FETCH (BODY[HEADER] {*}
		S: From: Bob <bob@b.example>
		S: To: Alice <alice@a.example>
		S: Subject: plain
		S: Date: Mon, 02 Jan 2006 15:04:05 +0000
		S: Message-ID: <plain@b.example>
		S:
		S: )
		S: f9 OK FETCH completed
		C: f10 UID FETCH 2 (BODY[TEXT]<6.3>)
		S: * 2 FETCH (UID 2 FLAGS (\Seen) BODY[TEXT]<6> {3}
		R: f11 FETCH 1:* (UID FLAGS)\r\n
		S: Con)
		S: f10 OK UID FETCH completed
		S: * 1 FETCH (UID 1 FLAGS ())
		S: * 2 FETCH (UID 2 FLAGS (\Seen))
		S: f11 OK FETCH completed
		C: f12 FETCH 1 FAST
		S: * 1 FETCH (FLAGS () INTERNALDATE "*" RFC822.SIZE *)
		S: f12 OK FETCH completed
	`, len(multipart)))
}

// TestBodyByteIdentical: BODY[] returns the stored message octet for
// octet, whatever it holds.
func TestBodyByteIdentical(t *testing.T) {
	e := newEnv(t)
	bodies := []string{
		msg("dots", ".\r\n..leading dots\r\n.\r\n"),
		"Subject: 8bit\r\n\r\n中文 Grüße\r\nno final newline",
		"Subject: bare\n\nbare LF line\nanother\n",
		"Subject: long\r\n\r\n" + strings.Repeat("x", 5000) + "\r\n",
		"",
		"Content-Type: multipart/mixed; boundary=none\r\n\r\nno parts at all\r\n",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/alternative\r\n\r\n",
		"\r\n\r\n",
	}
	for _, b := range bodies {
		e.deliver("alice", b)
	}
	c := selectedBox(t, e.addr, "INBOX")
	for i, want := range bodies {
		tag := fmt.Sprintf("g%d", i)
		c.Send(fmt.Sprintf("%s FETCH %d (RFC822.SIZE BODY.PEEK[])", tag, i+1))
		line, got := c.literal()
		if !strings.Contains(line, fmt.Sprintf("RFC822.SIZE %d ", len(want))) {
			t.Errorf("message %d: %q does not report RFC822.SIZE %d", i+1, line, len(want))
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("message %d: BODY[] differs:\n got %q\nwant %q", i+1, got, want)
		}
		c.Expect(")")
		c.Expect(tag + " OK FETCH completed")
	}
	// Every item of every odd message can be fetched: a malformed
	// structure must not break the response.
	c.Send("g FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE BODY BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[TEXT])")
	c.untilTagged("g", "g OK FETCH completed")
	c.Send("h FETCH 1:* (BODY.PEEK[TEXT]<5.9223372036854775807> BODY.PEEK[]<9223372036854775807.9223372036854775807> BINARY.PEEK[1]<1.9223372036854775807>)")
	c.untilTagged("h", "h OK FETCH completed")
	// And the stored bytes are what was delivered.
	ctx := context.Background()
	mb, _ := e.st.Mailbox(ctx, "A", "alice", "INBOX")
	msgs, _ := e.st.Messages(ctx, mb.ID)
	for i, m := range msgs {
		b, _ := e.st.Body(ctx, m.ID)
		if string(b) != bodies[i] {
			t.Errorf("stored message %d differs", i+1)
		}
	}
}

func TestStoreFlagsAndKeywords(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	e.deliver("alice", msg("two", "2"))
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		# Keywords are kept as typed; the same keyword in another case is the same flag.
		C: h1 STORE 1 +FLAGS ($HomeWork Important)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $HomeWork Important)
		S: * 1 FETCH (FLAGS ($HomeWork Important))
		S: h1 OK STORE completed
		C: h2 STORE 1 +FLAGS ($homework \flagged)
		S: * 1 FETCH (FLAGS ($HomeWork Important \Flagged))
		S: h2 OK STORE completed
		C: h3 STORE 1 -FLAGS (important)
		S: * 1 FETCH (FLAGS ($HomeWork \Flagged))
		S: h3 OK STORE completed
		C: h4 STORE 1:2 FLAGS (\Answered)
		S: * 1 FETCH (FLAGS (\Answered))
		S: * 2 FETCH (FLAGS (\Answered))
		S: h4 OK STORE completed
		C: h5 STORE 2 +FLAGS.SILENT (\Draft)
		S: h5 OK STORE completed
		C: h6 UID STORE 2 -FLAGS (\Answered)
		S: * 2 FETCH (UID 2 FLAGS (\Draft))
		S: h6 OK UID STORE completed
		C: h7 STORE 1 +FLAGS (\Recent)
		S: * 1 FETCH (FLAGS (\Answered))
		S: h7 OK STORE completed
		C: h8 SELECT INBOX
		S: * OK [CLOSED] Previous mailbox is now closed
		S: * 2 EXISTS
		S: * 0 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 3] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft)
		S: * OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft \*)] Permanent flags
		S: h8 OK [READ-WRITE] SELECT completed
		C: h9 STORE 2 +FLAGS (Zeta)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft Zeta)
		S: * 2 FETCH (FLAGS (\Draft Zeta))
		S: h9 OK STORE completed
		C: h10 EXAMINE INBOX
		S: * OK [CLOSED] Previous mailbox is now closed
		S: * 2 EXISTS
		S: * 0 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 3] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft Zeta)
		S: * OK [PERMANENTFLAGS ()] Permanent flags
		S: h10 OK [READ-ONLY] EXAMINE completed
	`)
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("Lecture notes", "about IMAP folders"))
	e.deliver("alice", multipart)
	e.deliver("alice", msg("Homework", "due Friday"))
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), `
		C: s1 STORE 2 +FLAGS (\Seen $Important)
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Important)
		S: * 2 FETCH (FLAGS (\Seen $Important))
		S: s1 OK STORE completed
		C: s2 SEARCH ALL
		S: * SEARCH 1 2 3
		S: s2 OK SEARCH completed
		C: s3 SEARCH UNSEEN
		S: * SEARCH 1 3
		S: s3 OK SEARCH completed
		C: s4 SEARCH SUBJECT homework
		S: * SEARCH 3
		S: s4 OK SEARCH completed
		C: s5 SEARCH FROM bob BODY "imap"
		S: * SEARCH 1
		S: s5 OK SEARCH completed
		C: s6 UID SEARCH KEYWORD $important
		S: * SEARCH 2
		S: s6 OK UID SEARCH completed
		C: s7 SEARCH OR SUBJECT lecture SUBJECT slides
		S: * SEARCH 1 2
		S: s7 OK SEARCH completed
		C: s8 SEARCH NOT SEEN 2:*
		S: * SEARCH 3
		S: s8 OK SEARCH completed
		C: s9 SEARCH SENTBEFORE 3-Jan-2006
		S: * SEARCH 1 3
		S: s9 OK SEARCH completed
		C: s10 SEARCH LARGER 300
		S: * SEARCH 2
		S: s10 OK SEARCH completed
		C: s11 SEARCH HEADER Content-Type multipart
		S: * SEARCH 2
		S: s11 OK SEARCH completed
		C: s12 SEARCH TEXT nothing-like-this
		S: * SEARCH
		S: s12 OK SEARCH completed
		C: s13 SEARCH SINCE 1-Jan-2000 UID 2:3
		S: * SEARCH 2 3
		S: s13 OK SEARCH completed
		C: s14 SEARCH NEW
		S: * SEARCH
		S: s14 OK SEARCH completed
		C: s15 SEARCH CHARSET KOI8-R ALL
		S: s15 NO [BADCHARSET] *
	`)
}

func TestAppend(t *testing.T) {
	e := newEnv(t)
	body := "Subject: draft\r\n\r\nunfinished\r\n"
	runTranscript(t, selectedBox(t, e.addr, "INBOX"), fmt.Sprintf(`
		C: p1 APPEND Drafts (\Draft $Later) "05-Jan-2006 08:00:00 +0100" {%d}
		S: + Ready for literal data
		R: %s\r\n
		S: p1 OK [APPENDUID * 1] APPEND completed
		# LITERAL- (RFC 7888 section 5): a literal of at most 4096 octets need not wait for the "+".
		R: p2 APPEND INBOX {%d+}\r\n%s\r\n
		S: * 1 EXISTS
		S: * 1 RECENT
		S: p2 OK [APPENDUID * 1] APPEND completed
		C: p3 FETCH 1 (FLAGS BODY.PEEK[])
		S: * 1 FETCH (FLAGS (\Recent) BODY[] {%d}
		S: Subject: draft
		S:
		S: unfinished
		S: )
		S: p3 OK FETCH completed
		C: p4 STATUS Drafts (MESSAGES UIDNEXT UNSEEN SIZE)
		S: * STATUS "Drafts" (MESSAGES 1 UIDNEXT 2 UNSEEN 1 SIZE %d)
		S: p4 OK STATUS completed
		C: p5 EXAMINE Drafts
		S: * OK [CLOSED] Previous mailbox is now closed
		S: * 1 EXISTS
		S: * 1 RECENT
		S: * OK [UNSEEN 1] First unseen message
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 2] Predicted next UID
		S: * FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Later)
		S: * OK [PERMANENTFLAGS ()] Permanent flags
		S: p5 OK [READ-ONLY] EXAMINE completed
		C: p6 FETCH 1 (FLAGS INTERNALDATE)
		# The store keeps the instant, not the sender's time zone.
		S: * 1 FETCH (FLAGS (\Draft $Later \Recent) INTERNALDATE "*-Jan-2006 *")
		S: p6 OK FETCH completed
	`, len(body), strings.ReplaceAll(strings.ReplaceAll(body, "\r", `\r`), "\n", `\n`),
		len(body), strings.ReplaceAll(strings.ReplaceAll(body, "\r", `\r`), "\n", `\n`), len(body), len(body)))
}
