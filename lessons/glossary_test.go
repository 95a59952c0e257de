package lessons

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/tracer"
)

// A glossary rule forbids a variant that lessons/glossary.md tells the
// Chinese texts not to use.
type glossaryRule struct {
	name string
	bad  *regexp.Regexp
	// only, when set, limits the rule to the texts whose place matches it
	// (IMAP's flags are 标志, but POP3's DELE really marks: 标记).
	only *regexp.Regexp
	// allow lists places where the variant is the right word.
	allow map[string]bool
	use   string
	// lines, for layout rules, checks the text as it is; the others also
	// check it with its line breaks removed, as a lesson's text folded
	// over two lines reads as one sentence.
	lines bool
}

// imapPlace matches the places that speak about IMAP: its catalog keys, its
// lesson and the IMAP steps of the comparison lesson.
var imapPlace = regexp.MustCompile(`^(catalog imap\.|lesson imap |lesson pop3-vs-imap .*imap)`)

var glossaryRules = []glossaryRule{
	{name: "message queue", bad: regexp.MustCompile(`报文`), use: "消息队列; a message is 邮件 or 消息"},
	{name: "relay", bad: regexp.MustCompile(`转发|中转`), use: "中继 (开放中继, 拒绝中继); 转发 only for 251's forward",
		allow: map[string]bool{"catalog smtp.reply.251": true}},
	{name: "POP3 AUTHORIZATION", bad: regexp.MustCompile(`(认证|授权)(（AUTHORIZATION）)?阶段|(^|[^已未])认证状态`), use: "授权状态 (TRANSACTION 事务状态, UPDATE 更新状态)",
		only: regexp.MustCompile(`pop3`)},
	{name: "IMAP flags", bad: regexp.MustCompile(`标记`), use: "标志 (flag), 设置/清除标志", only: imapPlace},
	{name: "IMAP flags", bad: regexp.MustCompile(`\\[A-Z][a-z]+ *标记|标记为 *\\[A-Z]`), use: "标志"},
	{name: "selected", bad: regexp.MustCompile(`选中`), use: "已选择 (state), 选择 (SELECT)"},
	{name: "section", bad: regexp.MustCompile(`(?i)\bsection\b`), use: "第 N 节"},
	{name: "full-width punctuation", bad: regexp.MustCompile(`[：，；、。] `), use: "no space after a full-width mark", lines: true},
	{name: "failure classes", bad: regexp.MustCompile(`永久失败|暂时失败|临时性?失败|暂时性故障`), use: "永久性失败 / 暂时性失败"},
	{name: "body", bad: regexp.MustCompile(`正文|邮件体`), use: "消息体"},
	{name: "header lines", bad: regexp.MustCompile(`首部`), use: "头部行 (a header line), 头部 (all of them)"},
	{name: "persistent connection", bad: regexp.MustCompile(`持久连接|持续连接`), use: "持久性连接"},
	{name: "response", bad: regexp.MustCompile(`应答`), use: "响应 (命令/响应)"},
	{name: "status code", bad: regexp.MustCompile(`状态码|响应码|应答码`), use: "状态代码, 响应代码"},
	{name: "untagged", bad: regexp.MustCompile(`无标签`), use: "不带标签的"},
}

// zhTexts returns every Chinese text a student reads: each catalog entry of
// the tracer, each lesson text and shared hint, and the lesson interface
// words, keyed by a place like "catalog smtp.reply.220" or
// "lesson relay steps[2].explain".
func zhTexts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	zh := tracer.NewExplainer("zh")
	for _, k := range tracer.Keys() {
		out["catalog "+k] = zh.Text(k)
	}
	for k, v := range uiText {
		out["ui "+k] = v.Zh
	}
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range set.Lessons {
		p := "lesson " + l.ID + " "
		out[p+"title"], out[p+"summary"], out[p+"conclusion"] = l.Title.Zh, l.Summary.Zh, l.Conclusion.Zh
		for i, s := range l.Steps {
			w := fmt.Sprintf("%ssteps[%d] %s ", p, i, s.protos())
			out[w+"title"], out[w+"instruction"], out[w+"explain"] = s.Title.Zh, s.Instruction.Zh, s.Explain.Zh
			for _, h := range s.Hints {
				out[w+"hint "+h.ID] = h.Text.Zh
			}
			for j, c := range s.Demo {
				if !c.Note.IsZero() {
					out[fmt.Sprintf("%sdemo[%d].note", w, j)] = c.Note.Zh
				}
			}
		}
	}
	for name, hs := range set.HintSets {
		for _, h := range hs {
			out["hint "+name+" "+h.ID] = h.Text.Zh
		}
	}
	return out
}

// protos names the protocols a step's demo speaks ("smtp imap"), so that a
// rule can tell an IMAP step from a POP3 one.
func (s *Step) protos() string {
	seen := map[string]bool{}
	var ps []string
	for _, c := range s.Demo {
		if c.Proto != "" && !seen[c.Proto] {
			seen[c.Proto] = true
			ps = append(ps, c.Proto)
		}
	}
	return strings.Join(ps, "+")
}

// TestGlossary fails on every Chinese text that uses a variant
// lessons/glossary.md forbids.
func TestGlossary(t *testing.T) {
	texts := zhTexts(t)
	places := make([]string, 0, len(texts))
	for p := range texts {
		places = append(places, p)
	}
	sort.Strings(places)
	for _, p := range places {
		for _, r := range glossaryRules {
			if r.allow[p] || (r.only != nil && !r.only.MatchString(p)) {
				continue
			}
			text := texts[p]
			if !r.lines {
				text = strings.ReplaceAll(text, "\n", "")
			}
			if loc := r.bad.FindStringIndex(text); loc != nil {
				t.Errorf("%s: %s: %q in %q; use %s", p, r.name, text[loc[0]:loc[1]], around(text, loc), r.use)
			}
		}
	}
}

// around returns the text near loc, for a readable failure.
func around(s string, loc []int) string {
	r := []rune(s)
	start := len([]rune(s[:loc[0]]))
	from, to := max(0, start-12), min(len(r), start+20)
	return string(r[from:to])
}

// dupCode is a response code repeated by its own explanation, as the
// console prints it: " [AUTH [AUTH]: ...]".
var dupCode = regexp.MustCompile(`\[([A-Z][A-Z0-9/-]*) \[?([A-Z][A-Z0-9/-]*)\]`)

// TestResponseCodesNotRepeated renders every POP3 and IMAP response code the
// way the console and the transcripts do ("[code meaning]") and fails when
// the meaning starts with the code again.
func TestResponseCodesNotRepeated(t *testing.T) {
	for _, lang := range Langs {
		x := tracer.NewExplainer(lang)
		for _, k := range tracer.Keys() {
			var e *tracer.Explanation
			switch {
			case strings.HasPrefix(k, "pop3.code.") && k != "pop3.code.unknown":
				e = x.POP3Reply(false, "PASS", strings.TrimPrefix(k, "pop3.code."))
			case strings.HasPrefix(k, "imap.code."):
				e = x.IMAPStatus("tagged", "NO", "LOGIN", strings.TrimPrefix(k, "imap.code."))
			default:
				continue
			}
			shown := "[" + e.Enh + " " + e.EnhText + "]"
			if m := dupCode.FindStringSubmatch(shown); m != nil && m[1] == m[2] {
				t.Errorf("%s (%s) shows the code twice: %s", k, lang, shown)
			}
		}
	}
}
