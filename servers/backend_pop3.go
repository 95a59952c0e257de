package servers

import (
	"github.com/mailscope/mailscope/servers/pop3"
	"github.com/mailscope/mailscope/servers/world"
)

// newPOP3 builds the POP3 server of s over the shared store: the maildrop is
// each user's INBOX.
func (inst *Instance) newPOP3(s *world.Server) (service, error) {
	return &pop3.Server{
		Name:      s.Name,
		Domain:    s.Domain,
		Backend:   &pop3Backend{worldUsers{s, inst}},
		Store:     inst.Store,
		TLSConfig: inst.TLS,
		Penalty:   inst.Penalty,
		Logger:    inst.Logger,
	}, nil
}

// pop3Backend logs the users of one world server in and knows their APOP
// secrets.
type pop3Backend struct {
	worldUsers
}

var _ pop3.Backend = (*pop3Backend)(nil)

// APOPSecret is the user's password: the world keeps passwords in the
// clear, which is exactly what APOP needs (RFC 1939 section 7).
func (b *pop3Backend) APOPSecret(login string) (string, string, bool) {
	u := b.server.User(login)
	if u == nil {
		return "", "", false
	}
	return u.Name, u.Password, true
}
