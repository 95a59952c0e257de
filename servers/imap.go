package servers

import (
	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/world"
)

// newIMAP builds the IMAP server of s over the instance's store: users log
// in with their world name or name@domain, STARTTLS uses the instance's
// certificate, and a student typing over telnet has 10 minutes of silence
// before the server gives up (imap.Server's default IdleTimeout).
func (inst *Instance) newIMAP(s *world.Server) (service, error) {
	return &imap.Server{
		Name:   s.Name,
		Domain: s.Domain,
		Store:  inst.Store,
		Auth: imap.AuthFunc(func(login, password string) (string, bool) {
			u := s.User(login)
			if u == nil || u.Password != password {
				return "", false
			}
			return u.Name, true
		}),
		TLSConfig: inst.TLS,
		Logger:    inst.Logger,
	}, nil
}
