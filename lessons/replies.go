package lessons

import (
	"strings"

	"github.com/mailscope/mailscope/tracer"
)

// replyTracker follows, per session, whether a server is in the middle of
// a reply of several lines: the engine says a step is done, and shows the
// next step's instruction, after such a reply, not between its lines (an
// instruction printed after the first "250-" line of an EHLO reply, or in
// the middle of a POP3 LIST, is lost among them).
type replyTracker struct {
	open  map[string]bool   // session -> a reply is under way
	multi map[string]bool   // POP3: the last command expects a multi-line +OK
	tag   map[string]string // IMAP: the tag of the command under way
	// cont: IMAP: the server's last line was a continuation request (+),
	// so the client's next line belongs to the command under way (IDLE's
	// DONE, a literal), whatever its first word.
	cont map[string]bool
}

func newReplyTracker() replyTracker {
	return replyTracker{open: map[string]bool{}, multi: map[string]bool{}, tag: map[string]string{}, cont: map[string]bool{}}
}

// inReply reports whether the server of session is in the middle of a
// reply.
func (r *replyTracker) inReply(session string) bool { return session != "" && r.open[session] }

// feed updates the tracker with ev.
func (r *replyTracker) feed(ev *tracer.Event) {
	s := ev.Session
	if s == "" {
		return
	}
	if ev.Kind == tracer.KindClose {
		delete(r.open, s)
		delete(r.multi, s)
		delete(r.tag, s)
		delete(r.cont, s)
		return
	}
	if ev.Kind == tracer.KindData && ev.Proto == "smtp" && ev.Dir == tracer.C2S {
		// The message, whole at its final dot: its 250 (or 5xx) is to
		// come, and a step that ticks on the message speaks after it.
		r.open[s] = true
		return
	}
	if ev.Kind != tracer.KindLine {
		return
	}
	switch ev.Proto {
	case "smtp":
		// RFC 5321 section 4.2.1: "250-" goes on, "250 " is the last line.
		// Every line the client sends is answered (an empty one with
		// 500), so a command opens a reply that its last line ends.
		if ev.Dir == tracer.S2C {
			r.open[s] = len(ev.Text) >= 4 && ev.Text[3] == '-'
		} else {
			r.open[s] = true
		}
	case "pop3":
		// RFC 1939 section 3: a multi-line response ends with a line
		// holding only a dot.
		if ev.Dir == tracer.C2S {
			r.multi[s] = pop3Multiline(ev.Text, strings.ToUpper(firstField(ev.Text)))
			r.open[s] = false
			return
		}
		switch {
		case r.open[s]:
			r.open[s] = ev.Text != "."
		case r.multi[s] && strings.HasPrefix(ev.Text, "+OK"):
			r.open[s] = true
		}
		r.multi[s] = false
	case "imap":
		// RFC 9051 section 2.2.2: untagged data, then the tagged
		// completion; a continuation (+) waits for the client.
		if ev.Dir == tracer.C2S {
			if f := strings.Fields(ev.Text); len(f) >= 2 && !r.cont[s] {
				r.tag[s] = f[0]
			}
			r.cont[s] = false
			r.open[s] = r.tag[s] != ""
			return
		}
		switch {
		case strings.HasPrefix(ev.Text, "+"):
			r.open[s] = false
			r.cont[s] = true
		case strings.HasPrefix(ev.Text, "* BYE"), strings.HasPrefix(ev.Text, "* BAD"):
			// An untagged BAD refuses a whole line whose command could
			// not be told (RFC 9051 section 7.1.3: "LOGIN bob bob"
			// without a tag): no tagged line will follow.
			r.open[s] = false
			delete(r.tag, s)
		case r.tag[s] != "" && strings.HasPrefix(ev.Text, r.tag[s]+" "):
			r.open[s] = false
			delete(r.tag, s)
		}
	}
}
