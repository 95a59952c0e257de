package pop3_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
)

// TestWorldSMTPToPOP3 runs the default world (servers.Start builds the POP3
// server through newPOP3), sends a message to alice over SMTP and reads it
// back over POP3: the bytes RETR delivers are the bytes the store holds, and
// the message as sent is their tail (after the Received: header).
func TestWorldSMTPToPOP3(t *testing.T) {
	inst, err := servers.Start(servers.Config{
		World:   world.Default(),
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	pop3Addr := inst.Addr("A", world.POP3)
	if pop3Addr == "" {
		t.Fatal("server A has no POP3 listener")
	}

	// With Date and Message-ID, so that SMTP adds only its Received: header.
	sent := "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: round trip\r\n" +
		"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <round-trip@b.example>\r\n\r\nHello alice.\r\n.a line that starts with a dot\r\n"
	c, err := smtp.Dial(inst.Addr("A", world.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return c.Hello("client.b.example") },
		func() error { return c.Mail("bob@b.example") },
		func() error { return c.Rcpt("alice@a.example") },
		func() error {
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, sent); err != nil {
				return err
			}
			return w.Close()
		},
		c.Quit,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}

	ctx := context.Background()
	mb, err := inst.Store.Mailbox(ctx, "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := inst.Store.Messages(ctx, mb.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("alice's INBOX: %d messages, %v", len(msgs), err)
	}
	stored, err := inst.Store.Body(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}

	p := wiretest.Dial(t, pop3Addr)
	expect := func(cmd, prefix string) string {
		t.Helper()
		if cmd != "" {
			p.Send(cmd)
		}
		return p.ExpectPrefix(prefix)
	}
	expect("", "+OK mailscope POP3 server A")
	expect("USER alice@a.example", "+OK")
	expect("PASS alice", "+OK alice's maildrop has 1 message")
	expect("RETR 1", "+OK")
	var got []byte
	for {
		l, err := p.Reader().ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		if string(l) == ".\r\n" {
			break
		}
		if l[0] == '.' {
			l = l[1:]
		}
		got = append(got, l...)
	}
	if string(got) != string(stored) {
		t.Errorf("RETR = %q\nstored %q", got, stored)
	}
	if !strings.HasSuffix(string(got), sent) || !strings.HasPrefix(string(got), "Received: ") {
		t.Errorf("RETR = %q, want the Received: header and then the message as sent", got)
	}
	expect("DELE 1", "+OK")
	expect("QUIT", "+OK mailscope POP3 server A signing off: 1 message deleted")
}
