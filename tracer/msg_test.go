package tracer

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestCatalogPlaceholdersAgree: a catalog text names the same arguments in
// every language, or a reader of one of them loses a value. Command
// explanations are exempt: their braces are IMAP syntax ("{size}" is a
// literal's length), never filled in. A zh text may name {x_zh} for {x}:
// the same value written for Chinese (a reason, a duration, DurationZH).
func TestCatalogPlaceholdersAgree(t *testing.T) {
	names := func(s string) []string {
		var out []string
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			out = append(out, strings.TrimSuffix(m[1], "_zh"))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, c := range catalogs {
		for k, e := range c {
			if strings.Contains(k, ".cmd.") {
				continue
			}
			if en, zh := names(e.en), names(e.zh); !slices.Equal(en, zh) {
				t.Errorf("%s: en names %v, zh names %v", k, en, zh)
			}
		}
	}
}

func TestExpand(t *testing.T) {
	args := map[string]string{"a": "{b}", "b": "x"}
	for in, want := range map[string]string{
		"plain":           "plain",
		"{a} then {b}":    "{b} then x",
		"{missing} {b}":   "{missing} x",
		"open { brace {b": "open { brace {b",
		"{b}{b}":          "xx",
	} {
		if got := Expand(in, args); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBusRendersMsg: the bus fills an event's text and an explanation's
// text from their keys in its language, and keeps the keys for readers in
// the other language.
func TestBusRendersMsg(t *testing.T) {
	b := NewBus(WithLang("zh"))
	e := &Event{Kind: KindState, Msg: M("smtp.state.authenticated", "user", "alice"),
		Explain: &Explanation{Key: "smtp.state.mail", Args: map[string]string{"sender": "a@x", "id": "Q1"}}}
	b.Publish(e)
	if e.Text != "已认证为 alice" {
		t.Errorf("text %q", e.Text)
	}
	if e.Explain.Text != "开始一封新邮件：发件人 <a@x>；它的编号是 Q1" || e.Explain.RFC == "" {
		t.Errorf("explanation %+v", e.Explain)
	}
	if en := NewExplainer("en").Format(e.Msg); en != "authenticated as alice" {
		t.Errorf("en %q", en)
	}
}

func TestCiteZH(t *testing.T) {
	for in, want := range map[string]string{
		"RFC 5321 section 4.1.1.1":               "RFC 5321 第 4.1.1.1 节",
		"RFC 1939":                               "RFC 1939",
		"RFC 3207 section 4.2, RFC 5321":         "RFC 3207 第 4.2 节，RFC 5321",
		"RFC 5321 section 2, RFC 3463 section 2": "RFC 5321 第 2 节，RFC 3463 第 2 节",
	} {
		if got := CiteZH(in); got != want {
			t.Errorf("CiteZH(%q) = %q, want %q", in, got, want)
		}
		if got := CiteIn("en", want); got != in {
			t.Errorf("CiteIn(en, %q) = %q, want %q", want, got, in)
		}
		if got := CiteIn("zh", want); got != want {
			t.Errorf("CiteIn(zh, %q) = %q, want it unchanged", want, got)
		}
	}
}
