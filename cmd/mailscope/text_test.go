package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// englishProse is two English words in a row, the second in lower case.
var englishProse = regexp.MustCompile(`\b[A-Za-z][a-z]+(, | )[a-z]{2,}\b`)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestHelpFromCatalog: every command of ours and every flag has its help
// in the catalog in both languages; in Chinese each one reads Chinese.
// Cobra's own help and completion commands are cobra's.
func TestHelpFromCatalog(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		root := newRootCmd()
		localize(root, lang)
		var walk func(c *cobra.Command)
		walk = func(c *cobra.Command) {
			if c.Name() == "help" || c.Name() == "completion" {
				return
			}
			if c.Short == "" || hasHan(c.Short) != (lang == "zh") {
				t.Errorf("%s: %s: Short %q", lang, c.CommandPath(), c.Short)
			}
			if c.Long != "" && hasHan(c.Long) != (lang == "zh") {
				t.Errorf("%s: %s: Long in the wrong language", lang, c.CommandPath())
			}
			c.Flags().VisitAll(func(f *pflag.Flag) {
				if f.Usage == "" || hasHan(f.Usage) != (lang == "zh") {
					t.Errorf("%s: %s --%s: usage %q", lang, c.CommandPath(), f.Name, f.Usage)
				}
			})
			for _, s := range c.Commands() {
				walk(s)
			}
		}
		walk(root)
	}
}

// TestHelpLanguage: --lang on the command line, MAILSCOPE_LANG and the
// locale choose the language of the help.
func TestHelpLanguage(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		zh   bool
	}{
		{map[string]string{"LANG": "C"}, []string{"up", "--help"}, false},
		{map[string]string{"LANG": "C"}, []string{"up", "--lang", "zh", "--help"}, true},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, []string{"up", "--help"}, true},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, []string{"up", "--lang", "en", "--help"}, false},
		{map[string]string{"LANG": "en_US.UTF-8", "MAILSCOPE_LANG": "zh"}, []string{"queue", "--help"}, true},
		{map[string]string{"LANG": "zh_TW.UTF-8", "MAILSCOPE_LANG": "en"}, []string{"--help"}, false},
	} {
		t.Setenv("LC_ALL", "")
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("MAILSCOPE_LANG", "")
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		var out bytes.Buffer
		if err := runCmd(context.Background(), &out, c.args...); err != nil {
			t.Fatal(err)
		}
		if hasHan(out.String()) != c.zh {
			t.Errorf("%v %v: Chinese %v, want %v:\n%s", c.env, c.args, hasHan(out.String()), c.zh, out.String())
		}
	}
}

// TestBannerInChinese: with --lang zh the banner of mailscope up is
// Chinese except for addresses, commands and the protocol names, and its
// table lines up in terminal columns although the Chinese headings take
// two columns a character (text/tabwriter, counting runes, put the SMTP
// column of the heading two columns left of the rows').
func TestBannerInChinese(t *testing.T) {
	w := startTestWorld(t)
	var b strings.Builder
	printBanner(&b, "zh", w.inst, say("zh", "cli.banner.web", "url", "http://"+w.web), 1500*time.Millisecond)
	got := b.String()
	lines := strings.Split(got, "\n")
	var table []string
	for _, l := range lines {
		if strings.Contains(l, "SMTP") && strings.Contains(l, "用户") || strings.HasPrefix(l, "A ") || strings.HasPrefix(l, "B ") {
			table = append(table, l)
		}
	}
	if len(table) != 3 {
		t.Fatalf("table: %q\n%s", table, got)
	}
	col := func(l, in string) int { return lessons.Width(l[:strings.Index(l, in)]) }
	if h, a, b := col(table[0], "SMTP"), col(table[1], "127.0.0.1"), col(table[2], "127.0.0.1"); h != a || a != b {
		t.Errorf("the SMTP column starts at %d, %d, %d:\n%s", h, a, b, strings.Join(table, "\n"))
	}
	for _, want := range []string{"数据目录：", "端口：", "服务器", "域名", "网页时间线：", "在第二个终端里试一试：", "按 Ctrl-C 停止 mailscope。"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the banner:\n%s", want, got)
		}
	}
	// The sentences: every line with two English words in a row, but
	// the commands to type, is Chinese.
	for _, l := range lines {
		s := strings.TrimSpace(l)
		if s == "" || strings.HasPrefix(l, "  ") || hasHan(s) {
			continue
		}
		if englishProse.MatchString(s) {
			t.Errorf("English in the zh banner: %q", s)
		}
	}
}

// TestCatalogCLI: the command line's and the lesson runner's texts exist
// in both languages (the placeholders agree: TestCatalogPlaceholdersAgree).
func TestCatalogCLI(t *testing.T) {
	n := 0
	for _, k := range tracer.Keys() {
		if !strings.HasPrefix(k, "cli.") && !strings.HasPrefix(k, "lesson.ui.") {
			continue
		}
		n++
		if !tracer.HasKey(k, "en") || !tracer.HasKey(k, "zh") {
			t.Errorf("%s lacks a language", k)
		}
		if zh := say("zh", k); !hasHan(zh) {
			t.Errorf("%s: zh %q has no Chinese", k, zh)
		}
	}
	if n < 50 {
		t.Errorf("only %d command line texts in the catalog", n)
	}
}

// TestLocalizerSaysEventsAgain: a lesson in zh attached to an instance
// that speaks English says the instance's event prose (a state change, a
// queue step) and its explanations in Chinese, from the catalog keys the
// events carry. Before, only the explanations of protocol lines were said
// again; a state line stayed "transaction reset: ...".
func TestLocalizerSaysEventsAgain(t *testing.T) {
	en := tracer.NewBus()
	sub := en.Subscribe(16)
	defer sub.Close()
	en.Publish(&tracer.Event{Kind: tracer.KindState, Proto: "smtp", Msg: tracer.M("smtp.state.greeted", "verb", "HELO", "name", "laptop"),
		Explain: &tracer.Explanation{Key: "smtp.state.greeted", Args: map[string]string{"verb": "HELO", "name": "laptop"}}})
	e := <-sub.C()
	if hasHan(e.Text) || e.Explain == nil || hasHan(e.Explain.Text) {
		t.Fatalf("the English instance's event: %+v %+v", e, e.Explain)
	}
	z := localizer("en", "zh")(e)
	if !hasHan(z.Explain.Text) || !strings.Contains(z.Explain.Text, "laptop") {
		t.Errorf("explanation not said again in zh: %q", z.Explain.Text)
	}
	if e.Msg != nil && (!hasHan(z.Text) || !strings.Contains(z.Text, "laptop")) {
		t.Errorf("event text not said again in zh: %q", z.Text)
	}
	if localizer("zh", "zh")(e) != e {
		t.Error("same language: the event should pass as it is")
	}
}
