package relay

import (
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Why an attempt failed when the receiving server gave no reply to quote:
// the connection was refused, nothing answered in time, the TLS handshake
// failed, the server hung up. Each is a catalog message (queue.why.*), so
// the trace says it in its reader's language; its English text is what the
// queue records, the DSN quotes and the deferred event's error attribute
// holds, as before. A reply of the server (451 4.7.1 ...) is wire text and
// stays as it came in every language.

// errUnasked is a server that sent more than its EHLO reply before the
// relay asked for anything (a pipelining server, or garbage).
var errUnasked = errors.New("the server sent data nobody asked for")

// tlsError is a failed STARTTLS handshake with dest.
type tlsError struct {
	dest string
	err  error
}

func (e *tlsError) Error() string { return "TLS handshake with " + e.dest + ": " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

// english renders a reason for the queue's record and the DSN.
var english = tracer.NewExplainer("en")

// reasonText is the English text of why.
func reasonText(why *tracer.Msg) string { return english.Format(why) }

// problem turns an error of a session with dest (at addr) into an outcome:
// the server's reply with its code when there was one, else code 0 and a
// catalog reason.
func problem(err error, dest *world.Server, addr string) (code int, reply string, why *tracer.Msg) {
	if code := replyCode(err); code != 0 {
		return code, errText(err), nil
	}
	why = reasonOf(err, dest, addr)
	return 0, reasonText(why), why
}

// reasonOf names what went wrong when no reply came.
func reasonOf(err error, dest *world.Server, addr string) *tracer.Msg {
	var te *tlsError
	var ne net.Error
	var unknownCA x509.UnknownAuthorityError
	var badName x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.Is(err, errUnasked):
		return tracer.M("queue.why.unasked", "server", dest.Name)
	case errors.As(err, &te) && errors.As(err, &unknownCA):
		return tracer.M("queue.why.tls.untrusted", "server", dest.Name)
	case errors.As(err, &te) && errors.As(err, &badName):
		return tracer.M("queue.why.tls.name", "server", dest.Name, "name", dest.Domain)
	case errors.As(err, &te) && errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return tracer.M("queue.why.tls.expired", "server", dest.Name)
	case errors.As(err, &te):
		return tracer.M("queue.why.tls", "server", dest.Name, "err", te.err.Error())
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused"):
		return tracer.M("queue.why.refused", "addr", addr, "server", dest.Name)
	case errors.As(err, &ne) && ne.Timeout():
		return tracer.M("queue.why.timeout", "addr", addr, "server", dest.Name)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed):
		return tracer.M("queue.why.closed", "server", dest.Name)
	}
	return tracer.M("queue.why.other", "server", dest.Name, "err", err.Error())
}
