package imap

import (
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/store"
)

// Replies are *imap.Error values: imapserver turns them into the tagged NO
// or BAD, with the response code in brackets (RFC 9051 section 7.1). Any
// other error becomes "NO [SERVERBUG] Internal server error" and a log
// line, never a leaked detail.

// no returns a NO reply with an optional response code.
func no(code imap.ResponseCode, format string, args ...any) *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: fmt.Sprintf(format, args...)}
}

// bad returns a BAD reply: the command itself is wrong.
func bad(code imap.ResponseCode, format string, args ...any) *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Code: code, Text: fmt.Sprintf(format, args...)}
}

// asciiText keeps the text of a NO or BAD 7-bit: an IMAP4rev1 response's
// text is CHAR without CR and LF (RFC 3501 section 9), and imapserver
// writes it as it is. The names a reply quotes back (a folder named in
// UTF-8, an authorization identity with CR LF in it) come out escaped as
// \xNN, and cannot end the line early to forge a response.
func asciiText(err error) error {
	var e *imap.Error
	if !errors.As(err, &e) || ascii.Printable(e.Text) {
		return err
	}
	// A copy: the replies in variables are shared by all sessions.
	esc := *e
	esc.Text = ascii.Escape(e.Text)
	return &esc
}

var (
	// errReadOnly carries no response code: READ-ONLY would tell the client
	// the mailbox's access changed while selected (RFC 9051 section 7.1).
	errReadOnly = no("", "the folder is open read-only (EXAMINE): use SELECT to change it")
	errNoAuth   = no(imap.ResponseCodeAuthenticationFailed, "wrong user name or password")
)

// storeErr turns store errors about a named mailbox into replies.
func storeErr(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoMailbox):
		return no(imap.ResponseCodeNonExistent, "there is no folder named %q", name)
	case errors.Is(err, store.ErrMailboxExists):
		return no(imap.ResponseCodeAlreadyExists, "a folder named %q already exists", name)
	case errors.Is(err, store.ErrInboxOperation):
		return no(imap.ResponseCodeCannot, "INBOX cannot be deleted: new mail arrives there")
	case errors.Is(err, store.ErrMailboxHasChild):
		return no(imap.ResponseCodeHasChildren, "folder %q has subfolders: delete them first", name)
	}
	return err
}
