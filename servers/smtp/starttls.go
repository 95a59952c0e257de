package smtp

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

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
	// RFC 3207 section 4.2 (and CVE-2011-0411): anything the client sent
	// before the handshake must not be read as if it came over TLS.
	if n := s.r.Buffered(); n > 0 {
		s.r.Discard(n)
		s.trace.Note(tracer.KindNote, fmt.Sprintf("discarded %d octets sent before the TLS handshake (command injection defence, RFC 3207 section 4.2)", n), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.conn.SetDeadline(time.Time{})
	if tc, ok := s.conn.(*tracer.Conn); ok {
		if err := tc.StartTLS(ctx, s.srv.TLSConfig); err != nil {
			s.quit = true
			return nil
		}
	} else {
		tc := tls.Server(s.conn, s.srv.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			s.quit = true
			return nil
		}
		s.conn = tc
	}
	s.r.Reset(s.conn)
	s.w.Reset(s.conn)
	s.tls = true
	// RFC 3207 section 4.2: forget everything learned before TLS.
	s.resetTransaction()
	s.helo, s.esmtp, s.authUser = "", false, ""
	s.setState(stateConnected, "TLS is up: the client must say EHLO again (RFC 3207 section 4.2)")
	return nil
}
