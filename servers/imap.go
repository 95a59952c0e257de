package servers

import "github.com/mailscope/mailscope/servers/world"

// newIMAP builds the IMAP server of s; nil until IMAP lands.
func (inst *Instance) newIMAP(s *world.Server) (service, error) { return nil, nil }
