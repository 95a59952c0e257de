package tracer

import "strings"

// Msg is a sentence from the catalog with its arguments: what an event says
// in prose (a queue step, a state change, a fault, a server note) as a key
// that every reader renders in its own language. The bus fills the event's
// Text from it in the instance's language when it is published, so record
// files, the console and `mailscope trace` read it as before; the web page
// renders the key again in the language its reader chose.
//
// A catalog text names its arguments in braces: "queued for {rcpt}". An
// argument is inserted as it is, never read as a template, so wire text in
// an argument (a HELO name, an address) cannot inject another one.
type Msg struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// english renders messages for events a framer builds before the bus sees
// them, so that their text reads the same with or without a bus; the bus
// renders them again in its own language.
var english = NewExplainer("en")

// M builds a message from a key and name, value pairs. A text that counts
// something has its singular form under key+".singular" ("1 message", not
// "1 messages"); M picks it when the count is 1 (see Singular).
func M(key string, kv ...string) *Msg {
	m := &Msg{Key: key}
	if len(kv) > 1 {
		m.Args = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Args[kv[i]] = kv[i+1]
		}
		m.Key = Singular(key, m.Args)
	}
	return m
}

// countArgs are the arguments that count something, in the order one is
// looked for; the first one present decides singular or plural.
var countArgs = []string{"n", "count", "attempts"}

// Singular is the catalog's plural mechanism, the smallest that English
// needs (Chinese needs none): key+".singular" when the text's count
// argument is "1" and the catalog has that form, else key. The page picks
// the form the same way (t in i18n.js) for the texts it fills itself.
func Singular(key string, args map[string]string) string {
	for _, a := range countArgs {
		if v, ok := args[a]; ok {
			if v == "1" {
				if _, _, ok := english.text(key + ".singular"); ok {
					return key + ".singular"
				}
			}
			return key
		}
	}
	return key
}

// Format renders m in the explainer's language. A key missing from the
// catalog renders as the key followed by its arguments, so nothing said is
// lost (and TestMsgKeysInCatalog catches it).
func (x *Explainer) Format(m *Msg) string {
	if m == nil {
		return ""
	}
	t, _, ok := x.text(m.Key)
	if !ok {
		var b strings.Builder
		b.WriteString(m.Key)
		for k, v := range m.Args {
			b.WriteString(" " + k + "=" + v)
		}
		return b.String()
	}
	return Expand(t, m.Args)
}

// Explain returns the explanation of key with its arguments filled in, in
// the explainer's language; Args travel with it so a page in the other
// language can render it again. Without arguments it is Key.
func (x *Explainer) Explain(key string, kv ...string) *Explanation {
	if len(kv) < 2 {
		return x.Key(key)
	}
	m := M(key, kv...)
	t, rfc, ok := x.text(m.Key)
	if !ok {
		return nil
	}
	return &Explanation{Key: m.Key, Text: Expand(t, m.Args), RFC: rfc, Args: m.Args}
}

// Expand replaces each {name} in t by args[name] in one pass; a brace that
// names no argument stays as it is.
func Expand(t string, args map[string]string) string {
	if strings.IndexByte(t, '{') < 0 {
		return t
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			break
		}
		v, ok := args[t[i+1:i+j]]
		if !ok {
			b.WriteString(t[:i+1])
			t = t[i+1:]
			continue
		}
		b.WriteString(t[:i])
		b.WriteString(v)
		t = t[i+j+1:]
	}
	b.WriteString(t)
	return b.String()
}
