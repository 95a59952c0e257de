package penalty

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/tracer"
)

// DefaultMaxPerSession is how many failed logins one session may have: the
// last is answered, then the connection is closed (Dovecot and Postfix close
// after a few failures as well).
const DefaultMaxPerSession = 3

// Failure is one failed login as a session handles it: how long its answer
// waits, what the next failure would wait, and where the session stands.
type Failure struct {
	IP    string        // the client's address
	Wait  time.Duration // the delay before this answer after the check (zero for the first)
	Gated time.Duration // the wait before the password was checked (Gate)
	Next  time.Duration // the delay a next failure from here or for this user would get
	Count int           // failed logins in this session, this one included
	Max   int           // failed logins a session may have before it is closed
}

// Failed records a failed login from ip for the login name user (wrong
// password or unknown user alike, so that the answer does not tell which)
// and returns it for the session's count-th failure of at most max.
func (b *Box) Failed(ip, user string, count, max int) Failure {
	return b.FailedAfter(ip, user, count, max, 0)
}

// FailedAfter is Failed for a login that waited gated at the Gate before
// its password was checked: the answer waits what is left of the failure's
// delay.
func (b *Box) FailedAfter(ip, user string, count, max int, gated time.Duration) Failure {
	if max <= 0 {
		max = DefaultMaxPerSession
	}
	wait := max0(b.Fail(ip, user) - gated)
	return Failure{IP: ip, Wait: wait, Gated: gated, Next: b.Pending(ip, user), Count: count, Max: max}
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// Total is how long the answer waited in all: at the gate and after.
func (f Failure) Total() time.Duration { return f.Gated + f.Wait }

// Closes reports whether the session must end after this answer.
func (f Failure) Closes() bool { return f.Count >= f.Max }

// Why is what the reply adds to its text, in the wire's English: nothing
// for an answer that did not wait (a student's first mistake reads as it
// always did), else how long it waited and why.
func (f Failure) Why() string {
	if f.Total() <= 0 {
		return ""
	}
	return fmt.Sprintf(" (answered after %s: repeated failed logins from your address or for this user; the next failure waits %s)", f.Total().Round(time.Millisecond), f.Next)
}

// Trace tells ts what happened, in the trace's language: a note event
// from the catalog (auth.note.fail...) with the numbers, explained by
// auth.fail, auth.fail.free, auth.fail.wait or auth.fail.close filled in
// with them. It is emitted before the delay runs, so the trace says why the
// answer is slow while the client waits.
func (f Failure) Trace(ts *tracer.Session) {
	if ts == nil {
		return
	}
	key := "auth.fail.free"
	switch {
	case f.Next <= 0: // no Box: no delays at all
		key = "auth.fail"
	case f.Total() > 0:
		key = "auth.fail.wait"
	}
	note := failNotes[key][0]
	if f.Closes() {
		key, note = "auth.fail.close", failNotes[key][1]
	}
	args := argMap("ip", f.IP, "n", strconv.Itoa(f.Count), "max", strconv.Itoa(f.Max),
		"wait", f.Total().Round(time.Millisecond).String(), "next", f.Next.String(),
		"wait_zh", tracer.DurationZH(f.Total().Round(time.Millisecond)), "next_zh", tracer.DurationZH(f.Next))
	ts.Emit(&tracer.Event{Kind: tracer.KindNote, Msg: &tracer.Msg{Key: note, Args: args},
		Explain: &tracer.Explanation{Key: key, Args: args}, Attrs: map[string]string{
			"step": "auth-failed", "wait_ms": strconv.FormatInt(f.Wait.Milliseconds(), 10),
			"next_ms": strconv.FormatInt(f.Next.Milliseconds(), 10), "failures": strconv.Itoa(f.Count), "max": strconv.Itoa(f.Max),
		}})
}

// failNotes pairs each explanation of a failed login with the catalog key
// of its note, and of the note's form for the failure that closes the
// session.
var failNotes = map[string][2]string{
	"auth.fail":      {"auth.note.fail", "auth.note.fail.close"},
	"auth.fail.free": {"auth.note.fail.free", "auth.note.fail.free.close"},
	"auth.fail.wait": {"auth.note.fail.wait", "auth.note.fail.wait.close"},
}

// argMap makes a message's arguments from name, value pairs.
func argMap(kv ...string) map[string]string { return tracer.M("", kv...).Args }

// Enter takes the gate for a login from ip (Gate) and tells ts about it in
// the trace's language: how long the login waits before its password is
// checked (auth.gate), or that it is refused unchecked (auth.gate.full).
// The caller waits the returned time, or answers the refusal in its
// protocol's words.
func (b *Box) Enter(ts *tracer.Session, ip string) (wait time.Duration, ok bool) {
	wait, ok = b.Gate(ip)
	if ts == nil || (wait <= 0 && ok) {
		return wait, ok
	}
	key, note := "auth.gate", "auth.note.gate"
	if !ok {
		key, note = "auth.gate.full", "auth.note.gate.full"
	}
	args := argMap("ip", ip, "wait", wait.Round(time.Millisecond).String(), "max", b.QueueLimit().String(),
		"wait_zh", tracer.DurationZH(wait.Round(time.Millisecond)), "max_zh", tracer.DurationZH(b.QueueLimit()))
	ts.Emit(&tracer.Event{Kind: tracer.KindNote, Msg: &tracer.Msg{Key: note, Args: args},
		Explain: &tracer.Explanation{Key: key, Args: args}, Attrs: map[string]string{
			"step": "auth-gate", "wait_ms": strconv.FormatInt(wait.Milliseconds(), 10),
		}})
	return wait, ok
}
