package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// STARTTLS (RFC 9051 section 6.2.1) is handled here, below imapserver, and
// not by imapserver itself: imapserver would wrap the connection in TLS
// above the tracer's tap, and the trace would show nothing but ciphertext.
// Here the tap upgrades itself (tracer.Conn.StartTLS), so the trace goes on
// showing every command and response, decrypted, as it does for SMTP and
// POP3. imapserver is given no TLS configuration and so never offers
// STARTTLS; this conn adds it to the capability lists until TLS is up.

// maxLiteral is the largest literal imapserver takes into memory (every
// literal but an APPEND's message), the largest a non-synchronizing
// literal may be (LITERAL-, RFC 7888 section 5), and the largest literal
// of any kind before login.
const maxLiteral = 4096

var (
	capPlain = []byte("CAPABILITY IMAP4rev1")
	capID    = []byte("CAPABILITY IMAP4rev1 ID")
	capTLS   = []byte("CAPABILITY IMAP4rev1 STARTTLS ID")
)

// watching reports whether the conn still looks for STARTTLS: TLS is
// offered, not yet up, and nobody has logged in (RFC 9051 allows STARTTLS in
// the not authenticated state only).
func (c *patientConn) watching() bool {
	return c.tlsConfig != nil && !c.authed.Load()
}

// startTLS answers a STARTTLS command line that Read took away from
// imapserver (framing.go: only a line that begins a command, never literal
// data or an answer to a continuation request).
func (c *patientConn) startTLS(tag string) error {
	if c.tlsUp.Load() {
		return c.reply("%s BAD STARTTLS: TLS is already active on this connection\r\n", tag)
	}
	dropped := len(c.fr.pending)
	c.fr.pending, c.fr.rerr = nil, nil
	return c.upgrade(tag, dropped)
}

// startTLSCommand recognizes "tag STARTTLS" and returns the tag.
func startTLSCommand(line []byte) (string, bool) {
	f := bytes.Fields(line)
	if len(f) != 2 || !bytes.EqualFold(f[1], []byte("STARTTLS")) {
		return "", false
	}
	return string(f[0]), true
}

// upgrade answers the STARTTLS command and runs the TLS handshake. Bytes
// the client sent after the command are dropped, as RFC 3207 and RFC 9051
// require (a plaintext command injected before the handshake must not run
// as if it came over TLS).
func (c *patientConn) upgrade(tag string, dropped int) error {
	if err := c.reply("%s OK Begin TLS negotiation now\r\n", tag); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.Conn.SetDeadline(time.Time{})
	if tc, ok := c.Conn.(*tracer.Conn); ok {
		if dropped > 0 {
			tc.Session().Note(tracer.KindNote, tracer.M("note.tls.discarded", "n", strconv.Itoa(dropped), "rfc", "9051", "sec", "6.2.1"), nil)
		}
		if err := tc.StartTLS(ctx, c.tlsConfig); err != nil {
			return err
		}
	} else {
		tc := tls.Server(c.Conn, c.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		c.Conn = tc
	}
	c.tlsUp.Store(true)
	return nil
}

// Write adds STARTTLS to the capability lists while it is on offer, and
// ID (id.go) always: imapserver lists only the extensions it knows. The
// lists are looked for only before login (the server sends no literal
// then) and in the answer to CAPABILITY, LOGIN and AUTHENTICATE (capsCmd),
// never in a message's octets that a FETCH sends. Every
// write gets WriteTimeout to make progress, whatever deadline imapserver set
// or cleared: a client that reads nothing cannot hold a session in a write.
func (c *patientConn) Write(p []byte) (int, error) {
	if c.noteWrite(p) && c.pendingDiag.Load() != nil {
		defer func() {
			if e := c.pendingDiag.Swap(nil); e != nil {
				c.emit(e)
			}
		}()
	}
	if c.write > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.write))
	}
	n := len(p)
	p = writeRoutes(&c.routeCarry, p) // ENVELOPE's source routes (route.go)
	if len(p) == 0 {
		return n, nil
	}
	if (!c.authed.Load() || c.capsCmd.Load()) && bytes.Contains(p, capPlain) {
		with := capID
		if c.watching() && !c.tlsUp.Load() {
			with = capTLS
		}
		p = bytes.ReplaceAll(p, capPlain, with)
	}
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
