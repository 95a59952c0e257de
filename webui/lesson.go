package webui

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// lessonPost is what `mailscope lesson` and `mailscope demo` send when they
// follow a running instance: one lesson update, published on the bus as a
// KindLesson event so every open page shows the lesson panel.
type lessonPost struct {
	Text    string            `json:"text"`
	Server  string            `json:"server"`
	Session string            `json:"session"`
	Proto   string            `json:"proto"`
	Attrs   map[string]string `json:"attrs"`
}

// handleLesson publishes a lesson update (a control action: it writes to
// the trace every viewer sees).
func (s *Server) handleLesson(w http.ResponseWriter, r *http.Request) {
	var p lessonPost
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, "lesson update: a JSON object {text, attrs} is expected: "+err.Error())
		return
	}
	if p.Attrs["lesson"] == "" || p.Attrs["status"] == "" {
		writeError(w, http.StatusBadRequest, "lesson update: attrs.lesson and attrs.status are required")
		return
	}
	if len(p.Attrs) > 32 {
		writeError(w, http.StatusBadRequest, "lesson update: too many attributes")
		return
	}
	e := &tracer.Event{Kind: tracer.KindLesson, Text: p.Text, Server: p.Server, Session: p.Session, Proto: strings.ToLower(p.Proto), Attrs: p.Attrs}
	s.inst.Bus.Publish(e)
	writeJSON(w, http.StatusOK, map[string]any{"seq": e.Seq})
}
