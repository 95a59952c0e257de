package ascii

import "testing"

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"EHLO laptop", "EHLO laptop"},
		{"\xff\xfd\x03EHLO", `\xff\xfd\x03EHLO`},
		{"b\xc3\xb6b", `b\xc3\xb6b`},
		{"a\r\nb\tc\x7f", `a\x0d\x0ab\x09c\x7f`},
		{"", ""},
	} {
		got := Escape(tc.in)
		if got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !Printable(got) || Escape(got) != got {
			t.Errorf("Escape(%q) = %q is not printable ASCII or not stable", tc.in, got)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\xff\xfd\x03EHLO laptop")
	f.Fuzz(func(t *testing.T, s string) {
		if got := Escape(s); !Printable(got) || Escape(got) != got {
			t.Fatalf("Escape(%q) = %q", s, got)
		}
	})
}

func TestCase(t *testing.T) {
	if got := Upper("ehlo\xff\xfdé"); got != "EHLO\xff\xfdé" {
		t.Errorf("Upper = %q", got)
	}
	if got := Lower("B.Example\xe9"); got != "b.example\xe9" {
		t.Errorf("Lower = %q", got)
	}
	if s := "ALREADY"; Upper(s) != s {
		t.Error("Upper changed an upper-case string")
	}
}
