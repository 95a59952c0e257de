package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailscope/mailscope/cmd/internal/crashload"
)

// ackCounter passes the load log through to a file and counts the 250s.
type ackCounter struct {
	f    *os.File
	acks atomic.Int64
}

func (a *ackCounter) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("ack ")) {
		a.acks.Add(1)
	}
	return a.f.Write(p)
}

// TestKill9UnderLoad is the CI version of scripts/crash (issue 7, crash
// safety): SMTP sessions send to alice (local at A), bob (relayed to B) or
// both while mailscope is killed with SIGKILL at a random moment; after a
// restart on the same data directory every message that got a 250 must be
// in a mailbox or A's queue, and once the queue has drained, in each of its
// recipients' mailboxes exactly once. The rounds share the data directory,
// so each check covers the mail of the rounds before it too.
func TestKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	logDir := t.TempDir()
	var logs []string
	p := start(t, dir)
	for round := 1; round <= 3; round++ {
		path := filepath.Join(logDir, fmt.Sprintf("load-%d.log", round))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, path)
		w := &ackCounter{f: f}
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			st  crashload.Stats
			err error
		}
		done := make(chan result, 1)
		go func() {
			st, err := crashload.Run(ctx, crashload.Config{Addr: p.smtp(), Conns: 4, Prefix: fmt.Sprintf("r%d", round), Log: w})
			done <- result{st, err}
		}()
		// Kill once the load is under way, at a random moment after that.
		deadline := time.Now().Add(30 * time.Second)
		for w.acks.Load() < 20 {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("round %d: fewer than 20 messages accepted in 30 s:\n%s", round, p.out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait()
		time.Sleep(100 * time.Millisecond) // the load meets the dead server
		cancel()
		res := <-done
		f.Close()
		if res.err != nil {
			t.Fatalf("round %d: load: %v", round, res.err)
		}

		p = start(t, dir)
		vctx, vcancel := context.WithTimeout(context.Background(), 90*time.Second)
		rep, err := crashload.Verify(vctx, crashload.VerifyConfig{Web: p.webURL(t), Logs: logs, DrainTimeout: 60 * time.Second})
		vcancel()
		if err != nil {
			t.Fatalf("round %d: verify: %v", round, err)
		}
		// Relay sessions the kill interrupted, as the restart's recovery
		// found them (servers/relay/relay.go recoverInterrupted).
		out := p.out.String()
		t.Logf("round %d: load %s; relay recovery: %d arrived, %d queued again; check %s", round, res.st,
			strings.Count(out, "it had arrived, so it is marked delivered"), strings.Count(out, "it had not arrived, so it is queued again"), rep)
		if !rep.OK() || rep.Acked == 0 {
			t.Fatalf("round %d: after kill -9 and restart: %s", round, rep)
		}
	}
}

// TestCrashCheckSeesLossAndDuplicates makes sure the check of
// TestKill9UnderLoad and scripts/crash is not blind: a message logged as
// acknowledged that was never sent is missing, one stored twice is a
// duplicate, one stored though its sending was refused is reported.
func TestCrashCheckSeesLossAndDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	p := start(t, t.TempDir())
	send(t, p.smtp(), crashload.SubjectPrefix+"x-1-1")
	send(t, p.smtp(), crashload.SubjectPrefix+"x-1-1")
	send(t, p.smtp(), crashload.SubjectPrefix+"x-1-3")
	path := filepath.Join(t.TempDir(), "load.log")
	log := "sent x-1-1 a\nack x-1-1 a A-one\nsent x-1-2 a\nack x-1-2 a A-two\nsent x-1-3 a\nfail x-1-3 554\n"
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := crashload.Verify(ctx, crashload.VerifyConfig{Web: p.webURL(t), Logs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || fmt.Sprint(rep.Missing, rep.Duplicates, rep.Refused) != "[x-1-2] [x-1-1->alice@a.example(x2)] [x-1-3]" {
		t.Fatalf("the check missed a planted fault: %s", rep)
	}
}
