package limits

import "context"

// AccountGate is implemented by backends that bound how many sessions one
// account may have logged in at once (mailscope's class accounts: one
// student must not hold every session of the class). The SMTP, POP3 and
// IMAP servers ask it after a right password and refuse the login, each in
// its protocol's words, when it says no; release is called when the
// session ends.
type AccountGate interface {
	// EnterAccount counts a session of user. When user is at its limit it
	// counts nothing and returns ok false and the limit.
	EnterAccount(user string) (release func(), limit int, ok bool)
}

// EnterAccount asks gate, when backend implements it, to count a session
// of user; a backend without one admits everything.
func EnterAccount(backend any, user string) (release func(), limit int, ok bool) {
	g, is := backend.(AccountGate)
	if !is {
		return func() {}, 0, true
	}
	return g.EnterAccount(user)
}

// Quota is implemented by backends that bound the octets a user's
// mailboxes may hold (mailscope's class accounts). A server that files a
// message for the user itself (IMAP APPEND) asks it first.
type Quota interface {
	// OverQuota reports whether user's mailboxes on server, with n more
	// octets, are over the user's limit, and then their size and the
	// limit, for the refusal.
	OverQuota(ctx context.Context, server, user string, n int64) (over bool, size, limit int64)
}

// OverQuota asks backend, when it implements Quota; a backend without one
// has no quota.
func OverQuota(ctx context.Context, backend any, server, user string, n int64) (bool, int64, int64) {
	q, is := backend.(Quota)
	if !is {
		return false, 0, 0
	}
	return q.OverQuota(ctx, server, user, n)
}
