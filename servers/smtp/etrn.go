package smtp

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/tracer"
)

func (s *session) handleEtrn(cmd command) error {
	fl, ok := s.srv.Backend.(Flusher)
	switch {
	case !ok:
		return errorf(502, "5.5.1", "ETRN not available on this server")
	case s.state == stateConnected:
		return errNeedHelo
	case s.state >= stateMail:
		return errInTransaction
	case cmd.arg == "":
		return errorf(501, "5.5.4", "Syntax: ETRN domain, for example ETRN b.example (RFC 1985)")
	}
	arg := cmd.arg
	if strings.HasPrefix(arg, "#") {
		return errorf(458, "4.5.0", "Unable to queue messages for %s: queue names (#) are not supported, give a domain", tracer.Printable(truncate(arg, 64)))
	}
	domain := ascii.Lower(strings.TrimPrefix(arg, "@"))
	if !validDomain(domain) {
		return errorf(501, "5.5.4", "Syntax: \"%s\" is not a domain name (RFC 1985 section 3)", tracer.Printable(truncate(arg, 64)))
	}
	res, n, err := fl.Flush(context.Background(), domain)
	if err != nil {
		return errorf(458, "4.3.0", "Unable to queue messages for node %s: %v", domain, err)
	}
	switch res {
	case FlushStarted:
		s.reply(250, "2.0.0", fmt.Sprintf("Queuing for node %s started: %d message(s) will be delivered now", domain, n))
	case FlushNone:
		s.reply(251, "2.0.0", fmt.Sprintf("No messages waiting for node %s", domain))
	case FlushHeld:
		// RFC 1985 section 5: 458 "Unable to queue messages for node <x>".
		// Held mail waits for its release time (RFC 4865); ETRN does not
		// release it early, so nothing starts: a 2xx would say it had.
		return errorf(458, "4.3.0", "Unable to queue messages for node %s: the mail for %d recipient(s) is held until its release time (FUTURERELEASE, RFC 4865), and ETRN does not release it early", domain, n)
	case FlushForbidden:
		return errorf(459, "4.7.1", "Node %s not allowed: this server relays nothing to it", domain)
	default:
		return errorf(458, "4.3.0", "Unable to queue messages for node %s", domain)
	}
	return nil
}
