package tracer

import (
	"strconv"
	"strings"
	"sync"
)

// entry is one catalog entry: the text in each language and the RFC section
// that defines the thing explained. Catalogs are read-only tables, one file
// per protocol (explain_smtp.go, explain_pop3.go, ...).
type entry struct {
	en, zh string
	rfc    string
}

// catalogs lists every protocol's table; lookups try them in order.
var catalogs = []map[string]entry{commonCatalog, smtpCatalog, pop3Catalog, imapCatalog, eventCatalog, cliCatalog, webCatalog, mailDiagCatalog, lessonCatalog, smtpDiagCatalog, dsnCatalog, panelsCatalog, imap16Catalog, webPresentCatalog, classCatalog, webFront2Catalog, classviewCatalog, dashboardCatalog, webFront3Catalog, classLessonsCatalog}

// Langs are the languages explanations come in.
var Langs = []string{"en", "zh"}

// Explainer turns catalog keys into explanations in one language. Results are
// cached, so explaining a line costs a map lookup and no allocation.
type Explainer struct {
	lang  string
	cache sync.Map // string -> *Explanation
}

// NewExplainer returns an explainer for lang ("en" or "zh"; anything else is
// English).
func NewExplainer(lang string) *Explainer {
	if lang != "zh" {
		lang = "en"
	}
	return &Explainer{lang: lang}
}

// Lang is the explainer's language.
func (x *Explainer) Lang() string { return x.lang }

// text returns the catalog text for key in the explainer's language, falling
// back to English, and the RFC reference.
func (x *Explainer) text(key string) (string, string, bool) {
	for _, c := range catalogs {
		if e, ok := c[key]; ok {
			t, rfc := e.en, e.rfc
			if x.lang == "zh" && e.zh != "" {
				t, rfc = e.zh, CiteZH(rfc)
			}
			return t, rfc, true
		}
	}
	return "", "", false
}

// CiteZH writes an RFC citation the way Chinese text cites a section:
// "RFC 5321 section 4.1.1.1" becomes "RFC 5321 第 4.1.1.1 节" (several
// citations, comma-separated, each).
func CiteZH(rfc string) string {
	if !strings.Contains(rfc, " section ") {
		return rfc
	}
	parts := strings.Split(rfc, ", ")
	for i, p := range parts {
		if doc, sec, ok := strings.Cut(p, " section "); ok {
			parts[i] = doc + " 第 " + sec + " 节"
		}
	}
	return strings.Join(parts, "，")
}

// CiteIn says a citation in lang, whichever language it was said in:
// CiteZH for "zh", and for "en" the inverse ("RFC 1939 第 7 节" becomes
// "RFC 1939 section 7"), for a reader who says an event again in another
// language than the instance's.
func CiteIn(lang, rfc string) string {
	if lang == "zh" {
		return CiteZH(rfc)
	}
	if !strings.Contains(rfc, " 第 ") {
		return rfc
	}
	parts := strings.Split(rfc, "，")
	for i, p := range parts {
		if doc, sec, ok := strings.Cut(p, " 第 "); ok {
			parts[i] = doc + " section " + strings.TrimSuffix(sec, " 节")
		}
	}
	return strings.Join(parts, ", ")
}

// Key returns the explanation for one catalog key, or nil if the key is not
// in any catalog.
func (x *Explainer) Key(key string) *Explanation {
	if v, ok := x.cache.Load(key); ok {
		return v.(*Explanation)
	}
	t, rfc, ok := x.text(key)
	if !ok {
		return nil
	}
	e := &Explanation{Key: key, Text: t, RFC: rfc}
	v, _ := x.cache.LoadOrStore(key, e)
	return v.(*Explanation)
}

// first returns the explanation of the first key that exists.
func (x *Explainer) first(keys ...string) *Explanation {
	for _, k := range keys {
		if e := x.Key(k); e != nil {
			return e
		}
	}
	return nil
}

// Text returns the catalog text for key, or key itself when it is missing.
func (x *Explainer) Text(key string) string {
	if t, _, ok := x.text(key); ok {
		return t
	}
	return key
}

// HasKey reports whether every language has text for key (used by tests that
// check the Chinese catalog is complete).
func HasKey(key, lang string) bool {
	for _, c := range catalogs {
		if e, ok := c[key]; ok {
			if lang == "zh" {
				return e.zh != ""
			}
			return e.en != ""
		}
	}
	return false
}

// Keys lists every catalog key.
func Keys() []string {
	var ks []string
	for _, c := range catalogs {
		for k := range c {
			ks = append(ks, k)
		}
	}
	return ks
}

// SMTPCommand explains an SMTP command verb (upper case).
func (x *Explainer) SMTPCommand(verb string) *Explanation {
	return x.first("smtp.cmd."+verb, "smtp.cmd.unknown")
}

// SMTPReply explains an SMTP reply line: its code, enhanced code and the
// command it answers (empty for the greeting or an unsolicited reply).
func (x *Explainer) SMTPReply(code int, enh, cmd string) *Explanation {
	ck := strconv.Itoa(code)
	cacheKey := "smtp.reply|" + ck + "|" + enh + "|" + cmd
	if v, ok := x.cache.Load(cacheKey); ok {
		return v.(*Explanation)
	}
	base := x.first("smtp.reply."+ck+"."+cmd, "smtp.reply."+ck, "smtp.class."+ck[:1])
	e := &Explanation{Key: "smtp.reply." + ck, Class: ck[:1] + "xx"}
	if base != nil {
		e.Key, e.Text, e.RFC = base.Key, base.Text, base.RFC
	}
	if cls := x.Key("smtp.class." + ck[:1]); cls != nil && base != cls {
		sep := " "
		if strings.HasSuffix(cls.Text, "：") {
			sep = "" // no space after a full-width colon
		}
		e.Text = cls.Text + sep + e.Text
	}
	if enh != "" {
		e.Enh = enh
		e.EnhText = x.enhanced(enh)
	}
	v, _ := x.cache.LoadOrStore(cacheKey, e)
	return v.(*Explanation)
}

// enhanced explains an enhanced status code class.subject.detail: RFC 3463
// defines the structure and most codes; a code another RFC added (5.5.6 and
// 5.7.8 by RFC 4954, 5.6.6 by RFC 4468) names that RFC instead.
func (x *Explainer) enhanced(enh string) string {
	parts := strings.SplitN(enh, ".", 3)
	if len(parts) != 3 {
		return ""
	}
	colon, open, shut := ": ", " (", ")"
	if x.lang == "zh" {
		colon, open, shut = "：", "（", "）"
	}
	var b strings.Builder
	if t, _, ok := x.text("enh.class." + parts[0]); ok {
		b.WriteString(t)
	}
	src := "RFC 3463"
	if x.lang == "zh" {
		src = CiteZH(src)
	}
	if t, rfc, ok := x.text("enh." + parts[1] + "." + parts[2]); ok {
		if b.Len() > 0 {
			b.WriteString(colon)
		}
		b.WriteString(t)
		if rfc != "" {
			src = rfc
		}
	} else if t, _, ok := x.text("enh.subject." + parts[1]); ok {
		if b.Len() > 0 {
			b.WriteString(colon)
		}
		b.WriteString(t)
	}
	if b.Len() > 0 {
		b.WriteString(open + src + shut)
	}
	return b.String()
}

// SMTPExtension explains one EHLO keyword (PIPELINING, SIZE, ...).
func (x *Explainer) SMTPExtension(keyword string) *Explanation {
	key, ok := extensionKeys[keyword]
	if !ok {
		key = "smtp.ext.unknown"
	}
	return x.Key(key)
}

// extensionKeys maps each EHLO keyword the catalog explains to its key, so
// that explaining the ten lines of every EHLO reply builds no strings.
var extensionKeys = func() map[string]string {
	m := map[string]string{}
	for _, c := range []map[string]entry{smtpCatalog, dsnCatalog} {
		for k := range c {
			if kw, ok := strings.CutPrefix(k, "smtp.ext."); ok {
				m[kw] = k
			}
		}
	}
	return m
}()

func itoa(n int) string { return strconv.Itoa(n) }
