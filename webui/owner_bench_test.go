package webui

import (
	"fmt"
	"testing"

	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// BenchmarkOwnerVisible measures the per-viewer filter of classroom mode:
// deciding whether one event is a student's, with a class of n students,
// each signed in from an address of their own and with 5 sessions (an
// SMTP session that claims by HELO, one that logs in, one by address, a
// relay hop of their message, a webmail read). The cost per event must
// not grow with n: it is a few map lookups (ns/op, one event for one
// viewer).
func BenchmarkOwnerVisible(b *testing.B) {
	for _, n := range []int{10, 100, 300, 1000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			o, evs := classIndex(n)
			b.ResetTimer()
			hits := 0
			for i := 0; i < b.N; i++ {
				e := evs[i%len(evs)]
				if o.visible(e, "s0001") {
					hits++
				}
			}
			_ = hits
		})
	}
}

// classIndex builds an owner index for a class of n students and returns
// the events it took in.
func classIndex(n int) (*owners, []*tracer.Event) {
	w := world.Default()
	for i := 1; i <= n; i++ {
		u := world.User{Name: fmt.Sprintf("s%04d", i), Password: "x"}
		w.Servers[0].Users = append(w.Servers[0].Users, u)
		w.Servers[1].Users = append(w.Servers[1].Users, u)
	}
	o := newOwners(w)
	var evs []*tracer.Event
	seq := uint64(0)
	add := func(e *tracer.Event) {
		seq++
		e.Seq = seq
		evs = append(evs, e)
		o.mu.Lock()
		o.takeLocked(e)
		o.mu.Unlock()
	}
	for i := 1; i <= n; i++ {
		user := fmt.Sprintf("s%04d", i)
		ip := fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
		o.signedIn(ip, user)
		msg := "m-" + user
		for k, sess := range []string{"A-smtp-" + user, "A-smtp-auth-" + user, "B-pop3-" + user, "B-smtp-hop-" + user, "A-http-" + user} {
			open := &tracer.Event{Kind: tracer.KindOpen, Session: sess, Proto: "smtp", Peer: ip + ":4000"}
			switch k {
			case 2:
				open.Proto = "pop3"
			case 3:
				open.Hop, open.Peer = "A->B", "127.0.0.1:5000"
			case 4:
				open = &tracer.Event{Kind: tracer.KindHTTP, Session: sess, Proto: "http", Actor: user, Peer: ip + ":4000"}
			}
			add(open)
			switch k {
			case 0:
				add(&tracer.Event{Kind: tracer.KindLine, Dir: tracer.C2S, Session: sess, Proto: "smtp", Text: "EHLO " + user})
				add(&tracer.Event{Kind: tracer.KindLine, Dir: tracer.C2S, Session: sess, Proto: "smtp", Text: "MAIL FROM:<x@a.example>", MsgID: msg})
			case 1:
				add(&tracer.Event{Kind: tracer.KindState, Session: sess, Proto: "smtp", Attrs: map[string]string{tracer.AttrUser: user}})
			case 3:
				add(&tracer.Event{Kind: tracer.KindLine, Dir: tracer.C2S, Session: sess, Proto: "smtp", Hop: "A->B", MsgID: msg, Text: "MAIL FROM:<x@a.example>"})
			}
			for j := 0; j < 4; j++ {
				add(&tracer.Event{Kind: tracer.KindLine, Dir: tracer.S2C, Session: sess, Proto: open.Proto, Text: "250 OK"})
			}
		}
		add(&tracer.Event{Kind: tracer.KindQueue, MsgID: msg, Attrs: map[string]string{tracer.AttrStep: tracer.StepQueued}})
	}
	return o, evs
}

// TestClassIndexOwners checks the benchmark's class: every session goes
// to its student, whatever rule gives it.
func TestClassIndexOwners(t *testing.T) {
	o, evs := classIndex(20)
	for _, e := range evs {
		if e.Session == "" {
			continue
		}
		want := "s" + e.Session[len(e.Session)-4:]
		if got := o.owner(e.Session); got != want {
			t.Errorf("%s belongs to %q, want %q", e.Session, got, want)
		}
	}
}

// BenchmarkOwnerVisibleParallel is BenchmarkOwnerVisible with viewers
// deciding at once on every core, as a class's websocket writers do: the
// index's read lock is shared (ns/op per event and viewer).
func BenchmarkOwnerVisibleParallel(b *testing.B) {
	for _, n := range []int{10, 100, 300, 1000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			o, evs := classIndex(n)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					o.visible(evs[i%len(evs)], "s0002")
					i++
				}
			})
		})
	}
}
