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
	if got := (&pop3Framer{}).explainStatus(en, true, pop3Cmd{verb: "STAT"}, "+OK 1 300").Text; !strings.Contains(got, "holds 1 message, 300 octets") {
		t.Errorf("STAT with 1 message: %q", got)
	}
	if got := (&pop3Framer{}).explainStatus(en, true, pop3Cmd{verb: "STAT"}, "+OK 2 600").Text; !strings.Contains(got, "holds 2 messages, 600 octets") {
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

// TestQueueStepTextsStartWithTheirStep: a queue mark on the page is its
// step's name, then the text, unless the text starts with the name; the
// texts below start with it in both languages, so the page never says a
// step twice ("尝试投递：第 1 次尝试：…"). An attempt says what the
// sender tries: the receiving server may be down and no session opens.
func TestQueueStepTextsStartWithTheirStep(t *testing.T) {
	for _, lang := range Langs {
		x := NewExplainer(lang)
		for key, step := range map[string]string{"queue.attempt": "attempt", "queue.queued": "queued", "queue.deferred": "deferred", "queue.delivered": "delivered"} {
			name, text := x.Text("web.step."+step), x.Text(key)
			if !strings.HasPrefix(strings.ToLower(text), strings.ToLower(name)) {
				t.Errorf("%s: %s %q does not start with its step's name %q", lang, key, text, name)
			}
		}
	}
	if s := NewExplainer("en").Text("queue.attempt"); !strings.Contains(s, "tries to open") {
		t.Errorf("queue.attempt says a session opens: %q", s)
	}
}
