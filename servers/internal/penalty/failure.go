package penalty

import (
	"fmt"
	"strconv"
	"strings"
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

// Trace tells ts what happened, in the trace's language: a note event with
// the numbers in its text and a catalog explanation (auth.fail.free,
// auth.fail.wait or auth.fail.close) filled in with them. It is emitted
// before the delay runs, so the trace says why the answer is slow while
// the client waits.
func (f Failure) Trace(ts *tracer.Session) {
	if ts == nil {
		return
	}
	key := "auth.fail.free"
	text := fmt.Sprintf("failed login from %s (%d of %d allowed in this session): answered at once; a next failure within 15 minutes waits %s", f.IP, f.Count, f.Max, f.Next)
	switch {
	case f.Next <= 0: // no Box: no delays at all
		key = "auth.fail"
		text = fmt.Sprintf("failed login from %s (%d of %d allowed in this session): answered at once", f.IP, f.Count, f.Max)
	case f.Total() > 0:
		key = "auth.fail.wait"
		text = fmt.Sprintf("failed login from %s (%d of %d allowed in this session): the answer waits %s because of earlier failures from this address or for this user; the next one waits %s", f.IP, f.Count, f.Max, f.Total().Round(time.Millisecond), f.Next)
	}
	if f.Closes() {
		key = "auth.fail.close"
		text += fmt.Sprintf("; %d failed logins in one session: the server closes the connection after answering", f.Count)
	}
	ts.Emit(&tracer.Event{Kind: tracer.KindNote, Text: text, Explain: f.explain(ts, key), Attrs: map[string]string{
		"step": "auth-failed", "wait_ms": strconv.FormatInt(f.Wait.Milliseconds(), 10),
		"next_ms": strconv.FormatInt(f.Next.Milliseconds(), 10), "failures": strconv.Itoa(f.Count), "max": strconv.Itoa(f.Max),
	}})
}

// explain is the catalog entry for key with {wait}, {next}, {n} and {max}
// filled in.
func (f Failure) explain(ts *tracer.Session, key string) *tracer.Explanation {
	b := ts.Bus()
	if b == nil || b.Explainer == nil {
		return nil
	}
	e := b.Explainer.Key(key)
	if e == nil {
		return nil
	}
	filled := *e
	filled.Text = strings.NewReplacer("{wait}", f.Total().Round(time.Millisecond).String(), "{next}", f.Next.String(),
		"{n}", strconv.Itoa(f.Count), "{max}", strconv.Itoa(f.Max)).Replace(e.Text)
	return &filled
}

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
	limit := b.QueueLimit()
	key := "auth.gate"
	text := fmt.Sprintf("login from %s waits %s before its password is checked: earlier failed logins from this address", ip, wait.Round(time.Millisecond))
	if !ok {
		key = "auth.gate.full"
		text = fmt.Sprintf("login from %s refused without checking its password: this address's logins are already queued %s ahead", ip, limit)
	}
	var x *tracer.Explanation
	if bus := ts.Bus(); bus != nil && bus.Explainer != nil {
		if e := bus.Explainer.Key(key); e != nil {
			filled := *e
			filled.Text = strings.NewReplacer("{wait}", wait.Round(time.Millisecond).String(), "{max}", limit.String()).Replace(e.Text)
			x = &filled
		}
	}
	ts.Emit(&tracer.Event{Kind: tracer.KindNote, Text: text, Explain: x, Attrs: map[string]string{
		"step": "auth-gate", "wait_ms": strconv.FormatInt(wait.Milliseconds(), 10),
	}})
	return wait, ok
}
