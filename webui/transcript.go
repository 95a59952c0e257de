package webui

import (
	"bufio"
	"io"
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
func WriteMarkdown(w io.Writer, evs []*tracer.Event) error {
	bw := bufio.NewWriter(w)
	if len(evs) == 0 {
		return bw.Flush()
	}
	si := Sessions(evs)[0]
	bw.WriteString("# Session " + mdText(si.ID) + "\n\n")
	bw.WriteString("- server: " + mdText(si.Server) + ", protocol: " + mdText(si.Proto) + "\n")
	if si.Hop != "" {
		bw.WriteString("- hop: " + mdText(si.Hop) + " (server " + mdText(si.Actor) + " is the client)\n")
	}
	if si.Peer != "" {
		bw.WriteString("- client: " + mdText(si.Peer) + "\n")
	}
	if len(si.MsgIDs) > 0 {
		bw.WriteString("- message ids: " + mdText(strings.Join(si.MsgIDs, ", ")) + "\n")
	}
	bw.WriteString("- from " + si.Start.Format(time.RFC3339Nano) + " to " + si.End.Format(time.RFC3339Nano) + "\n\n")
	bw.WriteString("| # | time | who | line | meaning |\n|---:|---|---|---|---|\n")
	for _, e := range evs {
		who, line := "", ""
		switch e.Kind {
		case tracer.KindLine, tracer.KindHTTP, tracer.KindData:
			who = "S"
			if e.Dir == tracer.C2S {
				who = "C"
			}
			line = mdCode(e.Text)
			if e.Kind == tracer.KindData {
				line = "*" + mdText(e.Text) + "*"
			}
		case tracer.KindState:
			who = "state"
			line = "**" + mdText(e.To) + "**"
			if e.From != "" {
				line = mdText(e.From) + " → " + line
			}
		default:
			who = string(e.Kind)
			line = mdText(e.Text)
		}
		for _, f := range e.Flags {
			line += " `" + string(f) + "`"
		}
		meaning := ""
		if x := e.Explain; x != nil {
			meaning = mdText(x.Text)
			if x.Enh != "" && x.EnhText != "" {
				meaning += " [" + mdText(x.Enh+" "+x.EnhText) + "]"
			}
			if x.RFC != "" {
				meaning += " (" + mdText(x.RFC) + ")"
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
		bw.WriteString("\n#### " + mdText(e.Text) + " (event " + strconv.FormatUint(e.Seq, 10) + ")\n\n" + fence + "\n")
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

// mdCode renders wire text as a code span inside a table cell.
func mdCode(s string) string {
	s = strings.ReplaceAll(tracer.Printable(s), "|", `\|`)
	if s == "" {
		return "(empty line)"
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
