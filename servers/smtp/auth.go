package smtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/tracer"
)

// authAllowed says whether AUTH is offered: over TLS, from loopback (the
// lesson is what the wire shows), or when the operator allows it.
func (s *session) authAllowed() bool {
	return s.tls || s.srv.AllowInsecureAuth || limits.IsLoopback(s.conn.RemoteAddr())
}

func (s *session) handleAuth(cmd command) error {
	switch {
	case s.state == stateConnected:
		return errNeedHelo
	case s.authUser != "":
		return errorf(503, "5.5.1", "Already authenticated as %s", s.authUser)
	case s.state >= stateMail:
		return errInTransaction
	case !s.authAllowed():
		return errorf(538, "5.7.11", "Encryption required: use STARTTLS before AUTH from a non-loopback address")
	}
	mech, ir, hasIR := strings.Cut(cmd.arg, " ")
	mech = ascii.Upper(mech)
	var login, pass string
	switch mech {
	case "PLAIN":
		resp := ir
		if !hasIR {
			var err error
			if resp, err = s.challenge(""); err != nil {
				return err
			}
		}
		if resp == "=" {
			resp = ""
		}
		b, err := base64.StdEncoding.DecodeString(resp)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH PLAIN: the response is not valid base64")
		}
		parts := bytes.Split(b, []byte{0})
		if len(parts) != 3 {
			return errorf(501, "5.5.2", "AUTH PLAIN: expected base64 of authzid NUL user NUL password (RFC 4616)")
		}
		if len(parts[0]) > 0 && string(parts[0]) != string(parts[1]) {
			return errorf(535, "5.7.8", "Authentication failed: acting for another user is not allowed")
		}
		login, pass = string(parts[1]), string(parts[2])
	case "LOGIN":
		var user string
		if hasIR {
			user = ir
		} else {
			var err error
			if user, err = s.challenge("Username:"); err != nil {
				return err
			}
		}
		u, err := base64.StdEncoding.DecodeString(user)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH LOGIN: the user name is not valid base64")
		}
		p64, err := s.challenge("Password:")
		if err != nil {
			return err
		}
		p, err := base64.StdEncoding.DecodeString(p64)
		if err != nil {
			return errorf(501, "5.5.2", "AUTH LOGIN: the password is not valid base64")
		}
		login, pass = string(u), string(p)
	case "":
		return errorf(501, "5.5.4", "Syntax: AUTH mechanism, for example AUTH PLAIN (see EHLO for the list)")
	default:
		return errorf(504, "5.5.4", "AUTH mechanism %s not available: use PLAIN or LOGIN", tracer.Printable(truncate(mech, 20)))
	}
	if err := s.gate(login); err != nil {
		return err
	}
	user, ok := s.srv.Backend.Authenticate(login, pass)
	if !ok {
		return s.authFailed(login)
	}
	s.srv.Penalty.Succeed(limits.HostOf(s.conn.RemoteAddr()), user)
	release, limit, ok := limits.EnterAccount(s.srv.Backend, user)
	if !ok {
		s.trace.Note(tracer.KindNote, tracer.M("class.limit.sessions", "user", user, "n", strconv.Itoa(limit)), map[string]string{"user": user, "limit": "sessions"})
		// RFC 4954 section 6: 454 4.7.0, a temporary authentication
		// failure; the password was right.
		return &Error{Code: 454, Enh: "4.7.0", NotCounted: true, Msg: fmt.Sprintf("%s already has %d sessions logged in (the class limit): log out of one (QUIT), then try again", user, limit)}
	}
	s.account = release
	s.authUser = user
	s.trace.Emit(&tracer.Event{Kind: tracer.KindState, From: s.state.String(), To: s.state.String(),
		Msg: tracer.M("smtp.state.authenticated", "user", user), Attrs: map[string]string{"user": user},
		Explain: &tracer.Explanation{Key: "smtp.state.auth"}})
	s.reply(235, "2.7.0", "Authentication successful: hello "+user)
	return nil
}

// authFailed answers a failed AUTH: an unknown user and a wrong password
// get the same 535, after the penalty's delay (none for a first mistake,
// then doubling per failure from this address or for this user, across
// sessions). The session's last allowed failure gets its 535 and then 421.
// The trace says which and why before the delay runs.
func (s *session) authFailed(login string) error {
	s.authFail++
	f := s.srv.Penalty.FailedAfter(limits.HostOf(s.conn.RemoteAddr()), login, s.authFail, s.srv.maxAuthFailures(), s.gated)
	s.gated = 0
	f.Trace(s.trace)
	if !penalty.Wait(f.Wait, s.srv.core.Done()) {
		return s.shuttingDown()
	}
	if f.Closes() {
		s.reply(535, "5.7.8", "Authentication credentials invalid"+f.Why())
		return &Error{Code: 421, Enh: "4.7.0", Msg: fmt.Sprintf("%s Too many failed logins (%d in this session): closing the connection", s.srv.hostname(), f.Count), Close: true}
	}
	return errorf(535, "5.7.8", "Authentication credentials invalid%s", f.Why())
}

// gate waits at the penalty's gate before the password of login is checked
// (penalty.Box.Gate: after repeated failures from this address a right
// password waits like a wrong one, and the address's logins pass one at a
// time). A login the gate refuses is not checked: 421, and the close.
func (s *session) gate(login string) error {
	ip := limits.HostOf(s.conn.RemoteAddr())
	w, ok := s.srv.Penalty.Enter(s.trace, ip)
	if !ok {
		return &Error{Code: 421, Enh: "4.7.0", Close: true, Msg: fmt.Sprintf("%s Too many logins from your address are waiting after repeated failures: this one was not checked; try again in %s", s.srv.hostname(), s.srv.Penalty.QueueLimit())}
	}
	if !penalty.Wait(w, s.srv.core.Done()) {
		return s.shuttingDown()
	}
	s.gated = w
	return nil
}

func (s *session) shuttingDown() error {
	return &Error{Code: 421, Enh: "4.3.2", Msg: s.srv.hostname() + " Service shutting down, closing the connection", Close: true}
}

// challenge sends a 334 with the base64 of prompt and reads the answer.
func (s *session) challenge(prompt string) (string, error) {
	s.reply(334, "", base64.StdEncoding.EncodeToString([]byte(prompt)))
	b, err := s.readLine(maxAuthLine, false)
	if errors.Is(err, errLong) {
		return "", errorf(500, "5.5.6", "Authentication exchange line is too long")
	}
	if err != nil {
		s.quit = true
		return "", err
	}
	if string(b) == "*" {
		return "", errorf(501, "5.0.0", "Authentication cancelled by the client")
	}
	return string(b), nil
}
