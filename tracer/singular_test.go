package tracer

import (
	"strings"
	"testing"
)

// TestSingularForms: a count of 1 reads "1 message", not "1 messages" or
// "1 recipient(s)"; other counts keep the plural; Chinese has no plural
// and says the same either way.
func TestSingularForms(t *testing.T) {
	en := NewExplainer("en")
	if got := en.pop3Fill("pop3.reply.OK.STAT", "+OK", "{n}", "1", "{size}", "300").Text; !strings.Contains(got, "holds 1 message, 300 octets") {
		t.Errorf("STAT with 1 message: %q", got)
	}
	if got := en.pop3Fill("pop3.reply.OK.STAT", "+OK", "{n}", "2", "{size}", "600").Text; !strings.Contains(got, "holds 2 messages, 600 octets") {
		t.Errorf("STAT with 2 messages: %q", got)
	}
	if got := en.Format(M("queue.flush", "n", "1")); got != "queue flush: 1 recipient due now" {
		t.Errorf("flush of 1: %q", got)
	}
	if got := en.Format(M("queue.flush", "n", "3")); got != "queue flush: 3 recipients due now" {
		t.Errorf("flush of 3: %q", got)
	}
	if got := en.Explain("queue.why.bouncenow", "attempts", "1", "elapsed", "5s", "give_up", "1h", "last", "x").Text; !strings.Contains(got, "after 1 attempt over") {
		t.Errorf("bounce after 1 attempt: %q", got)
	}
	// An ordinal {n} (attempt 1) has no singular form and stays.
	if got := M("queue.attempt", "n", "1").Key; got != "queue.attempt" {
		t.Errorf("attempt 1 took key %q", got)
	}
	for _, k := range Keys() {
		base, ok := strings.CutSuffix(k, ".singular")
		if !ok {
			continue
		}
		if !HasKey(base, "en") {
			t.Errorf("%s has no plural form %s", k, base)
		}
		s := en.Text(k)
		if strings.Contains(s, "(s)") {
			t.Errorf("%s still says (s): %q", k, s)
		}
		if zh := NewExplainer("zh").Text(k); zh != NewExplainer("zh").Text(base) {
			t.Errorf("%s: zh differs from its plural form's: %q", k, zh)
		}
	}
}
