package servers

import (
	"context"
	"crypto/subtle"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/world"
)

// worldUsers logs the users of one world server in: the one password check
// of SMTP AUTH, POP3 USER/PASS and IMAP LOGIN/AUTHENTICATE. Each protocol's
// backend embeds it; failed logins are slowed down by the instance's
// penalty.Box, which each protocol server is handed beside its backend
// (smtp.Server.Penalty, pop3.Server.Penalty, imapAuth.Penalty).
type worldUsers struct {
	server *world.Server
	inst   *Instance // its class limits; nil in tests of a bare backend
}

var (
	_ limits.AccountGate = worldUsers{}
	_ limits.Quota       = worldUsers{}
)

// OverQuota bounds what a class account's mailboxes on one server hold
// (world.ClassPolicy.MailboxSize); the world file's own users have no
// quota.
func (w worldUsers) OverQuota(ctx context.Context, server, user string, n int64) (bool, int64, int64) {
	if w.inst == nil || !w.server.IsStudent(user) {
		return false, 0, 0
	}
	max := w.inst.World.Class.MailboxSize
	if max <= 0 {
		return false, 0, 0
	}
	size, err := w.inst.Store.UserSize(ctx, server, user)
	if err != nil {
		return false, 0, 0
	}
	return size+n > max, size, max
}

// EnterAccount bounds the sessions a class account has logged in at once,
// over every protocol and server (world.ClassPolicy.SessionsPerUser); the
// world file's own users are not bound.
func (w worldUsers) EnterAccount(user string) (func(), int, bool) {
	if w.inst == nil || !w.server.IsStudent(user) {
		return func() {}, 0, true
	}
	max := w.inst.World.Class.SessionsPerUser
	release, ok := w.inst.accounts.enter(user, max)
	return release, max, ok
}

// Authenticate returns the world name of the user login (a name or
// name@domain, as world.Server.User reads it) when password is theirs.
// The comparison takes as long whatever the password's first wrong byte.
func (w worldUsers) Authenticate(login, password string) (string, bool) {
	u := w.server.User(login)
	if u == nil || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return "", false
	}
	return u.Name, true
}
