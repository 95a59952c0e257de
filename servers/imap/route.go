package imap

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// A source route in ENVELOPE. RFC 3501 section 7.4.2 gives each address of
// an ENVELOPE four fields: name, adl (the source route, "@a,@b" of the
// obsolete "<@a,@b:user@host>", RFC 5322 section 4.4), mailbox and host.
// imapserver's Address has no adl and writes NIL for it, whatever the
// backend knows. So the backend marks a route in the mailbox, behind a
// random word of this process that no message can know (routeMark), and
// the connection's Write turns the four fields it sees,
//
//	<name> NIL "<routeMark>@a,@b:user" "host"
//
// into <name> "@a,@b" "user" "host" on the way out. Only a route of
// domain characters and a mailbox that imapserver writes as a quoted
// string (printable ASCII) are marked; any other route is dropped, as
// before.

// routeMark starts a mailbox that carries its address's source route.
var routeMark = func() string {
	var b [8]byte
	rand.Read(b[:])
	return "MSRT" + hex.EncodeToString(b[:]) + ":"
}()

// routeNeedle is what the connection looks for: imapserver's NIL for the
// adl, then the marked mailbox's opening quote and mark.
var routeNeedle = []byte(`NIL "` + routeMark)

// withRoute marks mailbox with route for ENVELOPE, when both can be
// written as described above; else it is mailbox.
func withRoute(route, mailbox string) string {
	if route == "" || mailbox == "" || len(route)+len(mailbox) > 2000 {
		return mailbox // imapserver writes a string of 4 KiB or more as a literal
	}
	for _, c := range []byte(route) {
		ok := c == '@' || c == ',' || c == '.' || c == '-' || c == '[' || c == ']' ||
			c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return mailbox
		}
	}
	if strings.IndexFunc(mailbox, func(r rune) bool { return r < 0x20 || r >= 0x7f }) >= 0 {
		return mailbox
	}
	return routeMark + route + ":" + mailbox
}

// writeRoutes turns the marked mailboxes in p into adl and mailbox fields
// and returns what can be written now. A mark cut by the end of p (the
// writer flushes when its buffer is full) is kept in *carry until the next
// write completes it: imapserver's output always goes on after an
// ENVELOPE's mailbox, so what is kept is never the last of a response.
func writeRoutes(carry *[]byte, p []byte) []byte {
	if len(*carry) > 0 {
		p = append(*carry, p...)
		*carry = nil
	}
	if !bytes.Contains(p, routeNeedle[:1]) {
		return p
	}
	var out []byte
	for {
		i := bytes.Index(p, routeNeedle)
		if i < 0 {
			break
		}
		rest := p[i+len(routeNeedle):]
		j := bytes.IndexByte(rest, ':')
		if j < 0 {
			// The route goes on in the next write.
			out = append(out, p[:i]...)
			*carry = append([]byte(nil), p[i:]...)
			return out
		}
		out = append(out, p[:i]...)
		out = append(out, '"')
		out = append(out, rest[:j]...)
		out = append(out, '"', ' ', '"')
		p = rest[j+1:]
	}
	// A tail that may be the start of a needle waits for the next write.
	for k := min(len(routeNeedle)-1, len(p)); k > 0; k-- {
		if bytes.HasSuffix(p, routeNeedle[:k]) {
			*carry = append([]byte(nil), p[len(p)-k:]...)
			p = p[:len(p)-k]
			break
		}
	}
	if out == nil {
		return p
	}
	return append(out, p...)
}
