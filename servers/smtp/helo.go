package smtp

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
)

func (s *session) handleHelo(cmd command, ehlo bool) error {
	verb := "HELO"
	if ehlo {
		verb = "EHLO"
	}
	if cmd.arg == "" || strings.ContainsAny(cmd.arg, " \t") {
		return errorf(501, "5.5.4", "Syntax: %s yourname (your host's name, for example %s laptop)", verb, verb)
	}
	s.resetTransaction()
	s.helo = cmd.arg
	s.esmtp = ehlo
	s.setState(stateGreeted, "smtp.state.greeted", "verb", verb, "name", cmd.arg)
	greet := fmt.Sprintf("%s Hello %s [%s], pleased to meet you", s.srv.hostname(), cmd.arg, limits.HostOf(s.conn.RemoteAddr()))
	if !ehlo {
		s.reply(250, "", greet)
		return nil
	}
	lines := []string{greet, "PIPELINING", fmt.Sprintf("SIZE %d", s.srv.maxMessageSize()), "8BITMIME", "ENHANCEDSTATUSCODES", "DSN"}
	if s.srv.TLSConfig != nil && !s.tls {
		lines = append(lines, "STARTTLS")
	}
	if s.authAllowed() && s.authUser == "" {
		lines = append(lines, "AUTH PLAIN LOGIN")
	}
	if _, ok := s.srv.Backend.(Flusher); ok {
		lines = append(lines, "ETRN")
	}
	if fr, ok := s.srv.Backend.(FutureReleaser); ok {
		max := fr.MaxHold()
		lines = append(lines, fmt.Sprintf("FUTURERELEASE %d %s", int64(max/time.Second), time.Now().Add(max).UTC().Format(time.RFC3339)))
	}
	if s.carriesTrace() {
		lines = append(lines, TraceKeyword)
	}
	lines = append(lines, "HELP")
	s.reply(250, "", lines...)
	return nil
}
