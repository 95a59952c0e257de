package lessons

import (
	"net"
	"sort"
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// UI returns the lesson runner's text key (lesson.ui.KEY in the catalog,
// tracer/explain_cli.go) in lang, with its {name} arguments given as name,
// value pairs: UI("zh", "step", "n", "2", "steps", "8", "title", t).
func UI(lang, key string, kv ...string) string {
	return tracer.NewExplainer(lang).Format(tracer.M("lesson.ui."+key, kv...))
}

// uiText is the lesson runner's words in each language, read from the
// catalog (lesson.ui.KEY in tracer/explain_cli.go), for the checks that
// read every word a student is shown.
var uiText = func() map[string]Text {
	m := map[string]Text{}
	en, zh := tracer.NewExplainer("en"), tracer.NewExplainer("zh")
	for _, k := range tracer.Keys() {
		if name, ok := strings.CutPrefix(k, "lesson.ui."); ok {
			t := Text{}
			if tracer.HasKey(k, "en") {
				t.En = en.Text(k)
			}
			if tracer.HasKey(k, "zh") {
				t.Zh = zh.Text(k)
			}
			m[name] = t
		}
	}
	return m
}()

// MissingUITexts lists the lesson runner's texts missing in some language.
func MissingUITexts() []string {
	var out []string
	for k, t := range uiText {
		if t.En == "" {
			out = append(out, k+": en")
		}
		if t.Zh == "" {
			out = append(out, k+": zh")
		}
	}
	sort.Strings(out)
	return out
}

// Addrs maps "SERVER/proto" ("A/smtp") to a live listener address
// ("127.0.0.1:10025"), and "web" to the web timeline's address.
type Addrs map[string]string

// Addr returns the address of server's proto listener ("web" for http).
func (a Addrs) Addr(server, proto string) string {
	if proto == "http" {
		return a["web"]
	}
	return a[strings.ToUpper(server)+"/"+strings.ToLower(proto)]
}

// Vars returns the address placeholders of the texts: ${A.smtp} is
// "127.0.0.1 10025" (what telnet wants), ${A.smtp.addr} "127.0.0.1:10025",
// ${A.smtp.host}, ${A.smtp.port}; ${web} is "http://127.0.0.1:8025",
// ${web.addr}, ${web.host}, ${web.port}.
func (a Addrs) Vars() map[string]string {
	v := map[string]string{}
	for k, addr := range a {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			continue
		}
		if k == "web" {
			v["web"] = "http://" + addr
			v["web.addr"], v["web.host"], v["web.port"] = addr, host, port
			continue
		}
		name := strings.Replace(k, "/", ".", 1)
		v[name] = host + " " + port
		v[name+".addr"], v[name+".host"], v[name+".port"] = addr, host, port
	}
	return v
}
