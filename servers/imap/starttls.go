package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
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

// maxPreTLSLine bounds the bytes held while looking for a whole line.
const maxPreTLSLine = 8192

// maxPreLoginLiteral is the largest literal accepted before login (a
// password does not need more); imapserver has the same limit.
const maxPreLoginLiteral = 4096

// trailingLiteral reads a literal announcement {N} or {N+} at the end of a
// line (RFC 9051 section 4.3, RFC 7888).
func trailingLiteral(line []byte) (size int64, nonSync, ok bool) {
	l := bytes.TrimRight(line, "\r\n")
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, false, false
	}
	open := bytes.LastIndexByte(l, '{')
	if open < 0 {
		return 0, false, false
	}
	num := l[open+1 : len(l)-1]
	if len(num) > 0 && (num[len(num)-1] == '+' || num[len(num)-1] == '-') {
		nonSync = num[len(num)-1] == '+'
		num = num[:len(num)-1]
	}
	if len(num) == 0 {
		return 0, false, false
	}
	for _, d := range num {
		if d < '0' || d > '9' {
			return 0, false, false
		}
	}
	if len(num) > 18 {
		// More than 18 digits may not fit an int64: call it huge (a 19-digit
		// count once wrapped to a negative size, found by fuzzing).
		return 1 << 62, nonSync, true
	}
	for _, d := range num {
		size = size*10 + int64(d-'0')
	}
	return size, nonSync, true
}

var (
	capPlain = []byte("CAPABILITY IMAP4rev1")
	capTLS   = []byte("CAPABILITY IMAP4rev1 STARTTLS")
)

// watching reports whether the conn still looks for STARTTLS: TLS is
// offered, not yet up, and nobody has logged in (RFC 9051 allows STARTTLS in
// the not authenticated state only).
func (c *patientConn) watching() bool {
	return c.tlsConfig != nil && !c.authed.Load()
}

// readLine hands imapserver one line at a time before TLS, and takes a
// "tag STARTTLS" line away to run the upgrade itself.
func (c *patientConn) readLine(p []byte) (int, error) {
	for {
		if i := bytes.IndexByte(c.pending, '\n'); i >= 0 {
			line := c.pending[:i+1]
			if tag, ok := startTLSCommand(line); ok && c.tlsUp.Load() {
				c.pending = c.pending[i+1:]
				if _, err := fmt.Fprintf(c.Conn, "%s BAD STARTTLS: TLS is already active on this connection\r\n", tag); err != nil {
					return 0, err
				}
				continue
			} else if ok {
				rest := len(c.pending) - (i + 1)
				c.pending = nil
				if err := c.upgrade(tag, rest); err != nil {
					return 0, err
				}
				continue
			}
			if size, nonSync, ok := trailingLiteral(line); ok && size > maxPreLoginLiteral {
				// imapserver would cancel the literal and then wait for the
				// rest of the command forever; answer now instead.
				c.pending = c.pending[i+1:]
				tag := "*"
				if f := bytes.Fields(line); len(f) > 0 {
					tag = string(f[0])
				}
				if nonSync {
					fmt.Fprintf(c.Conn, "%s BAD a non-synchronizing literal of %d octets before login: closing (at most %d)\r\n", tag, size, maxPreLoginLiteral)
					return 0, io.ErrUnexpectedEOF
				}
				if _, err := fmt.Fprintf(c.Conn, "%s NO [TOOBIG] a literal of %d octets is refused before login (at most %d)\r\n", tag, size, maxPreLoginLiteral); err != nil {
					return 0, err
				}
				continue
			}
			n := copy(p, line)
			c.pending = c.pending[n:]
			return n, nil
		}
		if len(c.pending) >= maxPreTLSLine {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		buf := make([]byte, 4096)
		n, err := c.readConn(buf)
		c.pending = append(c.pending, buf[:n]...)
		if err != nil {
			if len(c.pending) > 0 {
				n := copy(p, c.pending)
				c.pending = c.pending[n:]
				return n, nil
			}
			return 0, err
		}
	}
}

// read returns held bytes first, then reads the connection.
func (c *patientConn) read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.readConn(p)
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
	if _, err := fmt.Fprintf(c.Conn, "%s OK Begin TLS negotiation now\r\n", tag); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.Conn.SetDeadline(time.Time{})
	if tc, ok := c.Conn.(*tracer.Conn); ok {
		if dropped > 0 {
			tc.Session().Note(tracer.KindNote, fmt.Sprintf("discarded %d octets sent before the TLS handshake (command injection defence, RFC 9051 section 6.2.1)", dropped), nil)
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

// Write adds STARTTLS to the capability lists while it is on offer. Every
// write gets WriteTimeout to make progress, whatever deadline imapserver set
// or cleared: a client that reads nothing cannot hold a session in a write.
func (c *patientConn) Write(p []byte) (int, error) {
	if c.write > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.write))
	}
	if c.watching() && !c.tlsUp.Load() && bytes.Contains(p, capPlain) {
		q := bytes.ReplaceAll(p, capPlain, capTLS)
		if _, err := c.Conn.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}
