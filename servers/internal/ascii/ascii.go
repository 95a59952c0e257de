// Package ascii keeps the servers' own reply lines 7-bit: SMTP replies are
// US-ASCII (RFC 5321 section 2.4: "commands and replies are composed of
// characters from the ASCII character set"; section 4.2: a reply's text is
// %d9 / %d32-126), POP3 responses are printable ASCII (RFC 2449 section 4)
// and an IMAP4rev1 response's text is CHAR (%x01-7F) without CR and LF
// (RFC 3501 section 9). Client text a reply quotes back (an unknown verb, a
// user or folder name) may hold any octet: telnet option negotiation
// (0xFF ...), a terminal's control keys, 8-bit or UTF-8 text.
package ascii

import "strings"

const hex = "0123456789abcdef"

// Escape returns s with every octet that is not printable ASCII (0x20 to
// 0x7E) written as \xNN: "\xff\xfd\x03EHLO" comes out as the 16 visible
// characters `\xff\xfd\x03EHLO`. CR and LF are escaped too, so quoted text
// can never end a reply line early. Printable ASCII comes back as it was,
// so escaping twice changes nothing more.
func Escape(s string) string {
	i := 0
	for i < len(s) && printable(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 12)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if printable(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteString(`\x`)
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// Printable reports whether every octet of s is printable ASCII.
func Printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if !printable(s[i]) {
			return false
		}
	}
	return true
}

func printable(c byte) bool { return c >= 0x20 && c < 0x7f }

// Upper upper-cases the ASCII letters of s and leaves every other octet as
// it was. strings.ToUpper would turn an octet that is not UTF-8 (telnet's
// 0xFF) into U+FFFD, and a reply quoting the verb would then show octets
// the client never sent. Keywords are ASCII and case-insensitive in ASCII
// only (RFC 5321 section 2.4).
func Upper(s string) string { return mapCase(s, 'a', 'z', 'A'-'a') }

// Lower lower-cases the ASCII letters of s, as Upper upper-cases them (a
// domain name, RFC 5321 section 2.4: "no significance is attached to the
// case of characters in domain names").
func Lower(s string) string { return mapCase(s, 'A', 'Z', 'a'-'A') }

func mapCase(s string, from, to byte, shift int) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= from && c <= to {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= from && c <= to {
					b[j] = byte(int(c) + shift)
				}
			}
			return string(b)
		}
	}
	return s
}
