package pop3

import (
	"bytes"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// A student's likely mistakes (issue 14) get a diagnostic event after the
// reply that answers them: what happened (Msg) and what to do (the hint,
// the event's explanation), in the trace's language. The -ERR's own text
// and explanation say that the command failed; a diagnostic says what the
// student most likely meant and what to type instead. Attrs["diag"] names
// the mistake for lessons and tests.

// diagnose queues a diagnostic; flush publishes it after the reply.
func (s *session) diagnose(diag string, msg *tracer.Msg, hint *tracer.Explanation) {
	s.diags = append(s.diags, &tracer.Event{Kind: tracer.KindDiagnostic, Msg: msg, Explain: hint,
		Attrs: map[string]string{tracer.AttrDiag: diag}})
}

// passWithoutUser explains a PASS with no USER just before it (RFC 1939
// section 7: PASS is given only right after a successful USER): either
// there never was one, or a refused PASS used it up. Nothing of the
// password is repeated.
func (s *session) passWithoutUser() {
	if s.userUsed {
		s.diagnose("pass-used-up", tracer.M("diag.pop3.pass-used-up"),
			&tracer.Explanation{Key: "diag.pop3.pass-used-up.hint"})
		return
	}
	s.diagnose("pass-before-user", tracer.M("diag.pop3.pass-before-user"),
		&tracer.Explanation{Key: "diag.pop3.pass-before-user.hint"})
}

// message finds message arg for verb in the maildrop (maildrop.lookup)
// and, when the number is not in this session's list or names a message
// marked with DELE, says how many there are and how to see them.
func (s *session) message(verb, arg string, allowDeleted bool) (*dropMsg, int, error) {
	m, n, err := s.drop.lookup(verb, arg, allowDeleted)
	if err == nil {
		return m, n, nil
	}
	if _, ok := parseNumber(arg); !ok {
		return m, n, err
	}
	num, count := strconv.Itoa(n), len(s.drop.msgs)
	switch {
	case count == 0:
		s.diagnose("no-such-message", tracer.M("diag.pop3.nomsg.empty", "verb", verb, "n", num),
			&tracer.Explanation{Key: "diag.pop3.nomsg.hint"})
	case n < 1 || n > count:
		msg := tracer.M("diag.pop3.nomsg", "verb", verb, "n", num, "count", strconv.Itoa(count))
		if count == 1 {
			msg = tracer.M("diag.pop3.nomsg.one", "verb", verb, "n", num)
		}
		s.diagnose("no-such-message", msg, &tracer.Explanation{Key: "diag.pop3.nomsg.hint"})
	default:
		s.diagnose("deleted-message", tracer.M("diag.pop3.deleted", "verb", verb, "n", num),
			&tracer.Explanation{Key: "diag.pop3.deleted.hint"})
	}
	return m, n, err
}

// After QUIT the server reads what the client still sends, for at most
// quitLinger or quitLingerMax octets, before it closes: a script that typed
// on after QUIT (printf 'QUIT\r\nLIST\r\n' | nc) is told that those lines
// never ran, and a close with unread octets does not reset the connection
// and destroy the +OK before the client reads it.
const (
	quitLinger    = 150 * time.Millisecond
	quitLingerMax = 4096
)

// afterQuit writes the answer to QUIT, then reads what follows it and
// explains it.
func (s *session) afterQuit() {
	if err := s.flush(); err != nil {
		return
	}
	var got []byte
	if n := s.r.Buffered(); n > 0 {
		b, _ := s.r.Peek(n)
		got = append(got, b...)
	}
	s.conn.SetReadDeadline(time.Now().Add(quitLinger))
	buf := make([]byte, 1024)
	for len(got) < quitLingerMax {
		n, err := s.rw.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if len(bytes.TrimSpace(got)) == 0 {
		return
	}
	lines := bytes.Count(got, []byte("\n"))
	if got[len(got)-1] != '\n' {
		lines++
	}
	s.trace.Emit(&tracer.Event{Kind: tracer.KindDiagnostic,
		Msg:     tracer.M("diag.pop3.after-quit", "count", strconv.Itoa(lines), "verb", firstVerb(got)),
		Explain: &tracer.Explanation{Key: "diag.pop3.after-quit.hint"},
		Attrs:   map[string]string{tracer.AttrDiag: "after-quit"}})
}

// firstVerb is the command word of the first non-empty line of b, upper
// case, when it is a word of letters a POP3 command could be; "?"
// otherwise. Nothing else of the line is shown: it may be a password.
func firstVerb(b []byte) string {
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		w := f[0]
		if len(w) > 8 {
			return "?"
		}
		for _, c := range w {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return "?"
			}
		}
		return string(bytes.ToUpper(w))
	}
	return "?"
}
