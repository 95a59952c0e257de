package webui

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// SessionInfo summarizes one session of the trace.
type SessionInfo struct {
	ID       string    `json:"id"`
	Server   string    `json:"server"`
	Proto    string    `json:"proto"`
	Peer     string    `json:"peer,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	Hop      string    `json:"hop,omitempty"`
	MsgIDs   []string  `json:"msgids"`
	FirstSeq uint64    `json:"first_seq"`
	LastSeq  uint64    `json:"last_seq"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Lines    int       `json:"lines"` // line, data and http events
	State    string    `json:"state,omitempty"`
	Closed   bool      `json:"closed"`
	// Owner is the student the session belongs to (classroom mode,
	// owner.go), "" for none or outside a class.
	Owner string `json:"owner,omitempty"`
}

// Sessions groups events by session, in order of first appearance.
func Sessions(evs []*tracer.Event) []SessionInfo {
	out := []SessionInfo{}
	idx := map[string]int{}
	for _, e := range evs {
		if e.Session == "" {
			continue
		}
		i, ok := idx[e.Session]
		if !ok {
			i = len(out)
			idx[e.Session] = i
			out = append(out, SessionInfo{ID: e.Session, Server: e.Server, Proto: e.Proto, FirstSeq: e.Seq, Start: e.Time, MsgIDs: []string{}})
		}
		si := &out[i]
		si.LastSeq, si.End = e.Seq, e.Time
		if e.Peer != "" && si.Peer == "" {
			si.Peer = e.Peer
		}
		if e.Actor != "" {
			si.Actor = e.Actor
		}
		if e.Hop != "" {
			si.Hop = e.Hop
		}
		if e.MsgID != "" && (len(si.MsgIDs) == 0 || si.MsgIDs[len(si.MsgIDs)-1] != e.MsgID) && !contains(si.MsgIDs, e.MsgID) {
			si.MsgIDs = append(si.MsgIDs, e.MsgID)
		}
		switch e.Kind {
		case tracer.KindLine, tracer.KindData, tracer.KindHTTP:
			si.Lines++
		case tracer.KindState:
			si.State = e.To
		case tracer.KindClose:
			si.Closed = true
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// WriteText writes events as the console shows them, without color, with
// explanations and message bodies in full.
func WriteText(w io.Writer, evs []*tracer.Event) error {
	c := tracer.NewConsole(w, tracer.ConsoleOptions{Explain: true, Data: true})
	for _, e := range evs {
		c.Print(e)
	}
	return c.Flush()
}

// WriteMarkdown writes a session as a Markdown table for a lab report: one
// row per event, who spoke, the line as code, and its meaning with the RFC.
// Its own words are x's language (nil: English), that of the instance,
// whose explanations fill the table.
func WriteMarkdown(w io.Writer, evs []*tracer.Event, x *tracer.Explainer) error {
	if x == nil {
		x = tracer.NewExplainer("en")
	}
	say := func(key string, kv ...string) string {
		if len(kv) == 0 {
			return x.Text(key)
		}
		return x.Format(tracer.M(key, kv...))
	}
	bw := bufio.NewWriter(w)
	if len(evs) == 0 {
		return bw.Flush()
	}
	si := Sessions(evs)[0]
	bw.WriteString("# " + say("web.md.session", "id", mdText(si.ID)) + "\n\n")
	bw.WriteString("- " + say("web.md.server", "server", mdText(si.Server), "proto", mdText(si.Proto)) + "\n")
	if si.Hop != "" {
		bw.WriteString("- " + say("web.md.hop", "hop", mdText(si.Hop), "actor", mdText(si.Actor)) + "\n")
	}
	if si.Peer != "" {
		bw.WriteString("- " + say("web.md.client", "peer", mdText(si.Peer)) + "\n")
	}
	if len(si.MsgIDs) > 0 {
		bw.WriteString("- " + say("web.md.msgids", "ids", mdText(strings.Join(si.MsgIDs, ", "))) + "\n")
	}
	bw.WriteString("- " + say("web.md.span", "start", si.Start.Format(time.RFC3339Nano), "end", si.End.Format(time.RFC3339Nano)) + "\n\n")
	bw.WriteString("| # | " + say("web.md.time") + " | " + say("web.md.who") + " | " + say("web.md.line") + " | " + say("web.md.meaning") + " |\n|---:|---|---|---|---|\n")
	for _, e := range evs {
		who, line := "", ""
		switch e.Kind {
		case tracer.KindLine, tracer.KindHTTP, tracer.KindData:
			who = "S"
			if e.Dir == tracer.C2S {
				who = "C"
			}
			line = mdCode(e.Text, say("web.emptyline"))
			if e.Kind == tracer.KindData {
				line = "*" + mdText(e.Text) + "*"
			}
		case tracer.KindState:
			who = say("web.kind.state")
			line = "**" + mdText(e.To) + "**"
			if e.From != "" {
				line = mdText(e.From) + " → " + line
			}
		default:
			who = say("web.kind." + string(e.Kind))
			line = mdText(e.Text)
		}
		for _, f := range e.Flags {
			line += " `" + string(f) + "`"
		}
		meaning := ""
		if ex := e.Explain; ex != nil {
			meaning = mdText(ex.Text)
			if ex.Enh != "" && ex.EnhText != "" {
				meaning += " [" + mdText(ex.Enh+" "+ex.EnhText) + "]"
			}
			if ex.RFC != "" {
				meaning += " (" + mdText(rfcRef(ex.RFC, say)) + ")"
			}
		}
		bw.WriteString("| " + strconv.FormatUint(e.Seq, 10) + " | " + e.Time.Format("15:04:05.000") + " | " + who + " | " + line + " | " + meaning + " |\n")
	}
	// Message bodies after the table: fenced blocks keep them verbatim.
	for _, e := range evs {
		if e.Kind != tracer.KindData || e.Data == "" {
			continue
		}
		fence := "```"
		for strings.Contains(e.Data, fence) {
			fence += "`"
		}
		bw.WriteString("\n#### " + say("web.md.body", "text", mdText(e.Text), "seq", strconv.FormatUint(e.Seq, 10)) + "\n\n" + fence + "\n")
		for _, l := range strings.SplitAfter(e.Data, "\n") {
			if l == "" {
				continue
			}
			bw.WriteString(tracer.Printable(strings.TrimRight(l, "\r\n")) + "\n")
		}
		bw.WriteString(fence + "\n")
	}
	return bw.Flush()
}

// mdText escapes text for a Markdown table cell.
func mdText(s string) string {
	s = tracer.Printable(s)
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// rfcRef writes an RFC reference's "section N" the way the language does
// ("第 N 节" in Chinese).
func rfcRef(r string, say func(string, ...string) string) string {
	return rfcSection.ReplaceAllStringFunc(r, func(m string) string {
		return say("web.rfc.section", "sec", strings.TrimPrefix(m, "section "))
	})
}

var rfcSection = regexp.MustCompile(`section [0-9A-Za-z.]*[0-9A-Za-z]`)

// mdCode renders wire text as a code span inside a table cell; an empty
// line is shown as empty.
func mdCode(s, empty string) string {
	s = strings.ReplaceAll(tracer.Printable(s), "|", `\|`)
	if s == "" {
		return empty
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
