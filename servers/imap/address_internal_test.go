package imap

import "testing"

// FuzzParseAddressList: any header value parses without a panic or an
// endless loop, and group markers come in pairs (RFC 3501 section 7.4.2).
func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{
		"group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;",
		"group:;, group2: (foo) ;",
		"<@route:user@domain>",
		"user@domain (Real Name)",
		`"Real \"Name\"" <user@[127.0.0.1]>, <user-from (comment)@ (comment) domain.org>`,
		"undisclosed-recipients:;",
		"a: b: c;;", "<<>>", "(((", `"`, "@", ":",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		depth := 0
		for _, a := range parseAddressList(s) {
			switch {
			case a.IsGroupStart():
				depth++
			case a.IsGroupEnd():
				depth--
			}
			if depth < 0 || depth > 1 {
				t.Fatalf("group markers out of order in %q: %+v", s, parseAddressList(s))
			}
		}
		if depth != 0 {
			t.Fatalf("a group without its end marker in %q", s)
		}
	})
}
