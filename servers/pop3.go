package servers

import "github.com/mailscope/mailscope/servers/world"

// newPOP3 builds the POP3 server of s; nil until POP3 lands.
func (inst *Instance) newPOP3(s *world.Server) (service, error) { return nil, nil }
