package smtp

func (s *session) handleStartTLS(cmd command) error {
	switch {
	case s.srv.TLSConfig == nil:
		return errorf(502, "5.5.1", "STARTTLS not available on this server")
	case s.tls:
		return errorf(503, "5.5.1", "Already using TLS")
	case cmd.arg != "":
		return errorf(501, "5.5.4", "Syntax: STARTTLS takes no argument")
	case s.state >= stateMail:
		return errInTransaction
	}
	s.reply(220, "2.0.0", "Ready to start TLS: the next bytes are a TLS handshake")
	if err := s.flush(); err != nil {
		return err
	}
	// RFC 3207 section 4.2: anything sent before the handshake is dropped.
	conn, err := s.line.StartTLS(s.conn, s.srv.TLSConfig, s.trace, "3207", "4.2")
	if err != nil {
		s.quit = true
		return nil
	}
	s.conn = conn
	s.w.Reset(s.conn)
	s.tls = true
	// RFC 3207 section 4.2: forget everything learned before TLS.
	s.resetTransaction()
	s.helo, s.esmtp, s.authUser = "", false, ""
	s.setState(stateConnected, "smtp.state.tls")
	return nil
}
