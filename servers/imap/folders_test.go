package imap_test

import "testing"

func TestFolders(t *testing.T) {
	e := newEnv(t)
	e.deliver("alice", msg("one", "1"))
	runTranscript(t, loggedIn(t, e.addr, "alice"), `
		C: l1 LIST "" ""
		S: * LIST (\Noselect) "/" ""
		S: l1 OK LIST completed
		C: l2 LIST "" "*"
		S: * LIST (\HasNoChildren) "/" INBOX
		S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
		S: * LIST (\HasNoChildren \Sent) "/" "Sent"
		S: * LIST (\HasNoChildren \Trash) "/" "Trash"
		S: l2 OK LIST completed
		C: l3 CREATE Course/Week1/
		S: l3 OK CREATE completed
		C: l4 CREATE Course/Week2
		S: l4 OK CREATE completed
		C: l5 LIST "" "%"
		S: * LIST (\HasNoChildren) "/" INBOX
		S: * LIST (\HasChildren) "/" "Course"
		S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
		S: * LIST (\HasNoChildren \Sent) "/" "Sent"
		S: * LIST (\HasNoChildren \Trash) "/" "Trash"
		S: l5 OK LIST completed
		C: l6 LIST Course/ %
		S: * LIST (\HasNoChildren) "/" "Course/Week1"
		S: * LIST (\HasNoChildren) "/" "Course/Week2"
		S: l6 OK LIST completed
		C: l7 LIST "" inbox
		S: * LIST (\HasNoChildren) "/" INBOX
		S: l7 OK LIST completed
		C: l8 RENAME Course Class
		S: l8 OK RENAME completed
		C: l9 LIST "" Class*
		S: * LIST (\HasChildren) "/" "Class"
		S: * LIST (\HasNoChildren) "/" "Class/Week1"
		S: * LIST (\HasNoChildren) "/" "Class/Week2"
		S: l9 OK LIST completed
		C: l10 SUBSCRIBE Class/Week1
		S: l10 OK SUBSCRIBE completed
		C: l11 LSUB "" Class/*
		S: * LSUB (\HasNoChildren \Subscribed) "/" "Class/Week1"
		S: l11 OK LSUB completed
		C: l12 SUBSCRIBE Class/Week2
		S: l12 OK SUBSCRIBE completed
		C: l13 LIST (SUBSCRIBED) "" "Class/Week2"
		S: * LIST (\HasNoChildren \Subscribed) "/" "Class/Week2"
		S: l13 OK LIST completed
		C: l14 LIST (SPECIAL-USE) "" "*"
		S: * LIST (\HasNoChildren \Drafts) "/" "Drafts"
		S: * LIST (\HasNoChildren \Sent) "/" "Sent"
		S: * LIST (\HasNoChildren \Trash) "/" "Trash"
		S: l14 OK LIST completed
		C: l15 DELETE Class/Week1
		S: l15 OK DELETE completed
		C: l16 DELETE Class/Week2
		S: l16 OK DELETE completed
		C: l17 LIST "" Class
		S: * LIST (\HasNoChildren) "/" "Class"
		S: l17 OK LIST completed
		C: l18 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE)
		S: * STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1 DELETED 0 SIZE * RECENT 1)
		S: l18 OK STATUS completed
		C: l19 NAMESPACE
		S: * NAMESPACE (("" "/")) NIL NIL
		S: l19 OK NAMESPACE completed
		C: l20 CREATE Junk (USE (\Junk))
		S: l20 OK CREATE completed
		C: l21 LIST "" Junk
		S: * LIST (\HasNoChildren \Junk) "/" "Junk"
		S: l21 OK LIST completed
		# Renaming INBOX moves its messages; INBOX stays, empty.
		C: l22 RENAME INBOX Old
		S: l22 OK RENAME completed
		C: l23 STATUS INBOX (MESSAGES)
		S: * STATUS INBOX (MESSAGES 0)
		S: l23 OK STATUS completed
		C: l24 STATUS Old (MESSAGES)
		S: * STATUS "Old" (MESSAGES 1)
		S: l24 OK STATUS completed
	`)
}
