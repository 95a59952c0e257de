package lifecycle

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// waiting joins a member over one end of a pipe and starts its wait for a
// command; the wait's error arrives on the channel.
func waiting(t *testing.T, g *Group) (*Member, <-chan error) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	m := &Member{Conn: server}
	if _, ok := g.Join(m); !ok {
		t.Fatal("Join refused")
	}
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- g.AwaitCommand(m, func() error {
			close(started)
			_, err := server.Read(make([]byte, 1))
			return err
		})
	}()
	<-started
	for !m.idle.Load() {
		time.Sleep(time.Millisecond)
	}
	return m, errc
}

func timedOut(t *testing.T, errc <-chan error) {
	t.Helper()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the wait ended with %v, want its deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wait was not cut")
	}
}

func TestEvictTakesTheLongestWait(t *testing.T) {
	var g Group
	first, firstErr := waiting(t, &g)
	time.Sleep(5 * time.Millisecond)
	second, _ := waiting(t, &g)
	if g.Evict(time.Hour, nil) != nil {
		t.Fatal("evicted a session that waited less than the minimum")
	}
	if g.Evict(0, func(net.Addr) bool { return false }) != nil {
		t.Fatal("evicted a session that was not eligible")
	}
	if g.Evict(0, nil) == nil {
		t.Fatal("nobody evicted")
	}
	timedOut(t, firstErr)
	if first.Cut() != CutFull || second.Cut() != NotCut {
		t.Fatalf("cuts %v and %v, want the first session's only", first.Cut(), second.Cut())
	}
}

func TestSqueezeShortensWaits(t *testing.T) {
	var g Group
	m, errc := waiting(t, &g)
	g.Squeeze(10 * time.Millisecond)
	timedOut(t, errc)
	if m.Cut() != CutBusy {
		t.Fatalf("cut %v, want CutBusy", m.Cut())
	}
}

func TestDoneAtClose(t *testing.T) {
	var g Group
	done := g.Done()
	select {
	case <-done:
		t.Fatal("Done closed before Close")
	default:
	}
	g.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed by Close")
	}
	g.Shutdown(t.Context()) // a second close of Done must not panic
}
