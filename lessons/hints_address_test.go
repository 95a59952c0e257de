package lessons_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
)

// TestAddressHints: each address mistake of issue 14 gets the hint for
// that mistake, in both languages: an address without a domain (with or
// without angle brackets) is no longer answered with "needs a colon and
// angle brackets", and a recipient refused as unknown or for relaying gets
// its own hint.
func TestAddressHints(t *testing.T) {
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, server string
		lines        []string
		hint         string
		en, zh       string
	}{
		{"mail-no-domain", "A", []string{"HELO laptop", "MAIL FROM: alice"}, "smtp-address-no-domain", "local-part@domain", "本地部分@域名"},
		{"rcpt-no-domain", "A", []string{"HELO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<bob>"}, "smtp-address-no-domain", "RCPT TO:<bob@b.example>", "RCPT TO:<bob@b.example>"},
		{"unknown-user", "A", []string{"HELO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO:<alcie@a.example>"}, "smtp-unknown-user", "spelling", "拼写"},
		// The right address without brackets is accepted with a note: the
		// hint says so (it used to say SMTP does not check the sender).
		{"mail-no-brackets", "A", []string{"HELO laptop", "MAIL FROM: alice@a.example"}, "smtp-sender-no-brackets", "angle brackets", "尖括号"},
		{"rcpt-no-brackets", "A", []string{"HELO laptop", "MAIL FROM:<alice@a.example>", "RCPT TO: alice@a.example"}, "smtp-recipient-no-brackets", "angle brackets", "尖括号"},
	}
	for _, lang := range lessons.Langs {
		w := startWorld(t, lang)
		for _, c := range cases {
			t.Run(lang+"/"+c.name, func(t *testing.T) {
				_, u := follow(t, w, set.Get("smtp-by-hand"), lang)
				rawSession(t, w.addrs.Addr(c.server, "smtp"), "smtp", c.lines)
				deadline := time.Now().Add(5 * time.Second)
				for time.Now().Before(deadline) {
					for _, x := range u.all() {
						if x.Status != lessons.StatusHint {
							continue
						}
						if x.HintID != c.hint {
							t.Fatalf("hint %s, want %s: %q", x.HintID, c.hint, x.Text)
						}
						if want := map[string]string{"en": c.en, "zh": c.zh}[lang]; !strings.Contains(x.Text, want) {
							t.Errorf("hint %s in %s: %q does not contain %q", c.hint, lang, x.Text, want)
						}
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				t.Fatalf("no hint %s; hints seen: %v", c.hint, u.hints())
			})
		}
	}
}
