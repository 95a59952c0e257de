package servers

import (
	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/world"
)

// newIMAP builds the IMAP server of s over the instance's store: users log
// in with their world name or name@domain, STARTTLS uses the instance's
// certificate, and a student typing over telnet has 10 minutes of silence
// before the server gives up (imap.Server's default IdleTimeout).
func (inst *Instance) newIMAP(s *world.Server) (service, error) {
	return &imap.Server{
		Name:      s.Name,
		Domain:    s.Domain,
		Store:     inst.Store,
		Auth:      imapAuth{worldUsers: worldUsers{s, inst}, penalty: inst.Penalty},
		TLSConfig: inst.TLS,
		Logger:    inst.Logger,
		// A class types LOGIN by hand from the lab's machines (see
		// classLogins).
		AllowInsecureAuth: inst.classLogins(),
	}, nil
}

// imapAuth logs the users of one world server in; failed logins are
// slowed down by the instance's penalty, shared with SMTP and POP3.
type imapAuth struct {
	worldUsers
	penalty *penalty.Box
}

var (
	_ imap.Authenticator = imapAuth{}
	_ imap.Penalizer     = imapAuth{}
)

// Penalty is the instance's penalty Box.
func (a imapAuth) Penalty() *penalty.Box { return a.penalty }
