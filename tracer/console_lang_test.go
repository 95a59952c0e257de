package tracer

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestConsoleSpeaksItsLanguage: the console's own words (the label before
// each kind of event, the way a response code shows its meaning and the
// RFC references) come from the catalog in the console's language; a code
// whose meaning names it again ("[AUTH]：...") is shown once; English stays
// as it always was.
func TestConsoleSpeaksItsLanguage(t *testing.T) {
	evs := []*Event{
		{Kind: KindState, Server: "A", Session: "A-smtp-1", Text: "connected -> greeted"},
		{Kind: KindQueue, Server: "A", Text: "q"},
		{Kind: KindLookup, Server: "A", Text: "l"},
		{Kind: KindFault, Server: "B", Text: "f"},
		{Kind: KindNote, Text: "n"},
		{Kind: KindLine, Dir: S2C, Server: "B", Session: "B-pop3-1", Text: "-ERR [AUTH] no",
			Explain: &Explanation{Text: "t", Enh: "AUTH", RFC: "RFC 1939 section 7"}},
		{Kind: KindLine, Dir: S2C, Server: "B", Session: "B-imap-1", Text: "* OK [UIDVALIDITY 1] x",
			Explain: &Explanation{Text: "t", Enh: "UIDVALIDITY", EnhText: "meaning (RFC 3207)", RFC: "RFC 3207"}},
		{Kind: KindLine, Dir: S2C, Server: "B", Session: "B-imap-1", Text: "* BYE x",
			Explain: &Explanation{Text: "bye, RFC 9051 section 7.1.5 says", RFC: "RFC 9051 section 7.1.5, RFC 7888"}},
	}
	print := func(lang string) string {
		evs[5].Explain.EnhText = NewExplainer(lang).Text("pop3.code.AUTH")
		var b bytes.Buffer
		c := NewConsole(&b, ConsoleOptions{Explain: true, Lang: lang})
		for _, e := range evs {
			e.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			c.Print(e)
		}
		c.Flush()
		return b.String()
	}
	zh := print("zh")
	for _, want := range []string{"状态：connected -> greeted", "消息队列：q", "查询：l", "故障：f", "说明：n",
		"[AUTH：凭据错误", "]（RFC 1939 第 7 节）", "[UIDVALIDITY：meaning（RFC 3207）]（RFC 3207）",
		"bye, RFC 9051 第 7.1.5 节 says（RFC 9051 第 7.1.5 节，RFC 7888）"} {
		if !strings.Contains(zh, want) {
			t.Errorf("zh console lacks %q:\n%s", want, zh)
		}
	}
	en := print("en")
	for _, out := range []string{zh, en} {
		if strings.Count(out, "AUTH") != 2 { // the reply, and the code once
			t.Errorf("the console names the code AUTH twice:\n%s", out)
		}
	}
	for _, want := range []string{"state: connected -> greeted", "queue: q", "lookup: l", "fault: f", "note: n",
		"] (RFC 1939 section 7)", "[AUTH the credentials were wrong", "[UIDVALIDITY meaning (RFC 3207)] (RFC 3207)",
		"bye, RFC 9051 section 7.1.5 says (RFC 9051 section 7.1.5, RFC 7888)"} {
		if !strings.Contains(en, want) {
			t.Errorf("en console lacks %q:\n%s", want, en)
		}
	}
}

// TestConsoleNamesStatesInChinese: a zh console names the session's states
// the way the web page does; English keeps mailscope's own names.
func TestConsoleNamesStatesInChinese(t *testing.T) {
	for lang, want := range map[string]string{
		"zh": "已连接 -> 已问候",
		"en": "connected -> greeted",
	} {
		var b strings.Builder
		c := NewConsole(&b, ConsoleOptions{Lang: lang})
		c.Print(&Event{Kind: KindState, From: "connected", To: "greeted", Text: "connected -> greeted"})
		c.Flush()
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s: %q lacks %q", lang, b.String(), want)
		}
	}
}

// TestConsoleCitesInChineseParentheses: a zh explanation's RFC, which the zh
// explainer already writes as 第 N 节, is set in full-width parentheses.
func TestConsoleCitesInChineseParentheses(t *testing.T) {
	var b strings.Builder
	c := NewConsole(&b, ConsoleOptions{Explain: true, Lang: "zh"})
	c.Print(&Event{Kind: KindState, To: "connected", Text: "connected",
		Explain: NewExplainer("zh").Key("smtp.state.connected")})
	c.Flush()
	if want := "（RFC 5321 第 3.1 节）"; !strings.Contains(b.String(), want) {
		t.Errorf("%q lacks %q", b.String(), want)
	}
}
