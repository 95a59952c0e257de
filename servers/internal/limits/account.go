package limits

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
