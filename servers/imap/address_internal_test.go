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

// FuzzFolderNameCheck: the front layer's look at a command line's folder
// names never panics, and a name it finds wrong really is wrong.
func FuzzFolderNameCheck(f *testing.F) {
	for _, s := range []string{
		"a1 LIST \"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%*\r\n",
		"a2 CREATE \"Folder &AGEAYg-\"\r\n", "a3 UID MOVE 1:* \"x&-\"\r\n",
		"a4 RENAME a &2D3cAA-\r\n", "a5 LIST (SUBSCRIBED) \"\" (a b)\r\n", "a6 APPEND x {3}\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if _, name, why, bad := badFolderName([]byte(line)); bad && (why == "" || mutf7Problem(name) == "") {
			t.Fatalf("%q: refused %q for %q", line, name, why)
		}
	})
}
