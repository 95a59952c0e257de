package smtp

import (
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/tracer"
)

func (s *session) handleVrfy(cmd command) error {
	if cmd.arg == "" {
		return errorf(501, "5.5.4", "Syntax: VRFY user (for example VRFY alice)")
	}
	arg := strings.Trim(cmd.arg, "<>")
	local, domain := arg, s.srv.Domain
	if i := strings.LastIndexByte(arg, '@'); i >= 0 {
		local, domain = arg[:i], ascii.Lower(arg[i+1:])
	}
	if !strings.EqualFold(domain, s.srv.Domain) {
		// RFC 5321 section 3.5.3: 252 verifies nothing, so it carries no
		// address status (X.1.5 "destination address valid"), only 2.0.0.
		s.reply(252, "2.0.0", fmt.Sprintf("Cannot VRFY <%s>: not a local address, but will accept mail for it and try to deliver", tracer.Printable(truncate(arg, 80))))
		return nil
	}
	user, ok := s.srv.Backend.LocalUser(local)
	if !ok {
		return errorf(550, "5.1.1", "<%s>: no such user here (VRFY tells: that is why many servers disable it)", tracer.Printable(truncate(arg, 80)))
	}
	s.reply(250, "2.1.5", fmt.Sprintf("%s <%s@%s>", user, user, s.srv.Domain))
	return nil
}
