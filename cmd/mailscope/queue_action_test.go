package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// TestQueueRetryAndBounceCommands: mailscope queue retry ID and mailscope
// queue bounce ID, against a running world whose server B is down: retry
// makes a second attempt at once, bounce bounces, and a second bounce is
// refused (the message is no longer queued).
func TestQueueRetryAndBounceCommands(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus := tracer.NewBus()
	inst, err := servers.Start(servers.Config{World: world.Default(), Bus: bus, DataDir: t.TempDir(), Logger: quiet,
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := webui.New(inst, webui.Options{Logger: quiet})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + l.Addr().String()
	inst.SetFault("B", servers.FaultDown)

	sub, _ := bus.SubscribeFrom(0, 4096)
	defer sub.Close()
	c, err := net.Dial("tcp", inst.Addr("A", world.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "HELO x\r\nMAIL FROM:<alice@a.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\nSubject: waits\r\n\r\nhi\r\n.\r\nQUIT\r\n")
	r := bufio.NewReader(c)
	for l := ""; !strings.HasPrefix(l, "221"); {
		if l, err = r.ReadString('\n'); err != nil {
			t.Fatalf("SMTP: %v", err)
		}
	}
	c.Close()
	step := func(want string) *tracer.Event {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case e := <-sub.C():
				if e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == want {
					return e
				}
			case <-timeout:
				t.Fatalf("no queue step %s", want)
			}
		}
	}
	id := step(tracer.StepDeferred).MsgID

	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out strings.Builder
		root.SetOut(&out)
		root.SetErr(io.Discard)
		root.SetArgs(append(args, "--url", url, "--lang", "en"))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("queue", "retry", id)
	if err != nil || !strings.Contains(out, "retry "+id+": 1 recipient is due now") {
		t.Fatalf("queue retry: %v %q", err, out)
	}
	step(tracer.StepRetryNow)
	if e := step(tracer.StepDeferred); e.Attrs[tracer.AttrAttempt] != "2" {
		t.Errorf("after retry: %v", e.Attrs)
	}
	out, err = run("queue", "bounce", id)
	if err != nil || !strings.Contains(out, "bounce "+id+": 1 recipient bounced") {
		t.Fatalf("queue bounce: %v %q", err, out)
	}
	step(tracer.StepBounced)
	if _, err := run("queue", "bounce", id); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "not waiting") {
		t.Errorf("second bounce: %v", err)
	}
	if q, _ := inst.Queue(context.Background()); len(q) != 0 {
		t.Errorf("queue after bounce: %+v", q)
	}
}
