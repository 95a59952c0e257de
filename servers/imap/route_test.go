package imap

import (
	"strings"
	"testing"
)

// TestWriteRoutes: a marked mailbox becomes the adl and mailbox fields of
// an ENVELOPE address, wherever the writes cut the output; other output
// passes unchanged, and nothing is kept back at the end of a response.
func TestWriteRoutes(t *testing.T) {
	marked := withRoute("@route1,@route2", "user")
	in := `* 1 FETCH (ENVELOPE (NIL "s" (("Name" NIL "` + marked + `" "example.com")) NIL NIL ((NIL NIL "` + strings.ReplaceAll(withRoute("@r", "x\"y"), `"`, `\"`) + `" "h")) NIL NIL NIL NIL NIL))` + "\r\n"
	want := `* 1 FETCH (ENVELOPE (NIL "s" (("Name" "@route1,@route2" "user" "example.com")) NIL NIL ((NIL "@r" "x\"y" "h")) NIL NIL NIL NIL NIL))` + "\r\n"
	for cut := 0; cut <= len(in); cut++ {
		for cut2 := cut; cut2 <= len(in); cut2 += 7 {
			var carry []byte
			var out []byte
			for _, p := range []string{in[:cut], in[cut:cut2], in[cut2:]} {
				out = append(out, writeRoutes(&carry, []byte(p))...)
			}
			if string(out) != want || len(carry) != 0 {
				t.Fatalf("cut at %d, %d:\n got %q (kept %q)\nwant %q", cut, cut2, out, carry, want)
			}
		}
	}
	// Output without a mark, even with NIL " everywhere, is unchanged.
	plain := `* 2 FETCH (BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL))` + "\r\n"
	var carry []byte
	if got := string(writeRoutes(&carry, []byte(plain))); got != plain || len(carry) != 0 {
		t.Errorf("plain output changed: %q (kept %q)", got, carry)
	}
	// A route of other characters, or an 8-bit mailbox, is not marked.
	for _, c := range [][2]string{{`@a"b`, "user"}, {"@a", "us\u00e9r"}, {"", "user"}} {
		if got := withRoute(c[0], c[1]); got != c[1] {
			t.Errorf("withRoute(%q, %q) = %q, want it unmarked", c[0], c[1], got)
		}
	}
}
