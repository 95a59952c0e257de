package webui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

func TestWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8025":         "ws://127.0.0.1:8025/ws",
		"http://127.0.0.1:8025/":        "ws://127.0.0.1:8025/ws",
		"127.0.0.1:8025":                "ws://127.0.0.1:8025/ws",
		"https://lab.example/mailscope": "wss://lab.example/mailscope/ws",
		"ws://[::1]:8025?x=1":           "ws://[::1]:8025/ws",
	} {
		u, err := wsURL(in)
		if err != nil || u.String() != want {
			t.Errorf("wsURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "http://[::1"} {
		if _, err := wsURL(bad); err == nil {
			t.Errorf("wsURL(%q) accepted", bad)
		}
	}
}

// following runs f.Run and returns the events it delivers, one at a time,
// and the error Run returns.
func following(t *testing.T, f *Follower) (<-chan *tracer.Event, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan *tracer.Event, 1024)
	errc := make(chan error, 1)
	go func() {
		errc <- f.Run(ctx, func(evs []*tracer.Event) {
			for _, e := range evs {
				events <- e
			}
		})
	}()
	t.Cleanup(cancel)
	return events, errc
}

func nextNote(t *testing.T, events <-chan *tracer.Event) string {
	t.Helper()
	select {
	case e := <-events:
		return e.Text
	case <-time.After(10 * time.Second):
		t.Fatal("no event from the follower")
	}
	return ""
}

// TestFollowerResumes: a follower starts after the sequence number it was
// given, on a public instance with the token, and sees live events once.
func TestFollowerResumes(t *testing.T) {
	bus := tracer.NewBus()
	srv := New(&servers.Instance{Bus: bus, World: world.Default()}, Options{Logger: quietLogger(), Token: "s3cret"})
	note(bus, 5, "old")
	base := servePublic(t, srv)
	if err := (&Follower{URL: base}).Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "refused the trace") {
		t.Fatalf("without the token: %v", err)
	}
	f := &Follower{URL: base, Token: "s3cret", After: 3, Epoch: srv.epoch}
	events, _ := following(t, f)
	for _, want := range []string{"old 3", "old 4"} {
		if got := nextNote(t, events); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	note(bus, 2, "new")
	for _, want := range []string{"new 0", "new 1"} {
		if got := nextNote(t, events); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestFollowerGivesUp: with Retries set, a follower whose instance went
// away for good stops with an error that names it.
func TestFollowerGivesUp(t *testing.T) {
	srv, bus, base := newBusServer(t, Options{})
	note(bus, 1, "only")
	var logged []string
	f := &Follower{URL: base, Last: -1, Retries: 2, Log: func(msg string) { logged = append(logged, msg) }}
	events, errc := following(t, f)
	if got := nextNote(t, events); got != "only 0" {
		t.Fatalf("got %q", got)
	}
	srv.Close()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "lost the trace of "+base) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the follower did not give up")
	}
	if len(logged) == 0 || !strings.HasPrefix(logged[0], "connection lost") {
		t.Errorf("logged %q", logged)
	}
}
