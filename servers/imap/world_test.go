package imap_test

import (
	"bytes"
	"context"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestWorldSMTPToIMAP runs the default world: a message sent over SMTP to
// A wakes alice's IDLE at once and comes back through IMAP BODY[] exactly
// as stored (the SMTP server's Received: line, then what was sent).
func TestWorldSMTPToIMAP(t *testing.T) {
	w := world.Default()
	bus := tracer.NewBus()
	sub := bus.Subscribe(1 << 14)
	defer sub.Close()
	inst, err := servers.Start(servers.Config{
		World: w, DataDir: t.TempDir(), Bus: bus,
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	imapAddr := inst.Addr("A", world.IMAP)
	if imapAddr == "" {
		t.Fatal("A has no IMAP listener")
	}

	c := greeted(t, imapAddr)
	runTranscript(t, c, `
		C: w1 LOGIN alice@a.example alice
		S: w1 OK *
		C: w2 SELECT INBOX
		S: * 0 EXISTS
		S: * 0 RECENT
		S: * OK [UIDVALIDITY *] UIDs valid
		S: * OK [UIDNEXT 1] Predicted next UID
		S: * FLAGS *
		S: * OK [PERMANENTFLAGS *] *
		S: w2 OK [READ-WRITE] SELECT completed
		C: w3 IDLE
		S: + idling
	`)

	sent := "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: over SMTP\r\nMessage-ID: <x@b.example>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\n.leading dot\r\nline two\r\n"
	sc, err := smtp.Dial(inst.Addr("A", world.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Hello("test.example"); err != nil {
		t.Fatal(err)
	}
	if err := sc.Mail("bob@b.example"); err != nil {
		t.Fatal(err)
	}
	if err := sc.Rcpt("alice@a.example"); err != nil {
		t.Fatal(err)
	}
	wc, err := sc.Data()
	if err != nil {
		t.Fatal(err)
	}
	wc.Write([]byte(sent))
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	sc.Quit()

	c.Expect("* 1 EXISTS")
	c.Expect("* 1 RECENT")
	c.Send("DONE")
	c.Expect("w3 OK IDLE completed")
	c.Send("w4 UID FETCH 1 (RFC822.SIZE BODY.PEEK[])")
	line, got := c.literal()
	c.Expect(")")
	c.Expect("w4 OK UID FETCH completed")

	ctx := context.Background()
	mb, _ := inst.Store.Mailbox(ctx, "A", "alice", "INBOX")
	msgs, _ := inst.Store.Messages(ctx, mb.ID)
	stored, _ := inst.Store.Body(ctx, msgs[0].ID)
	if !bytes.Equal(got, stored) {
		t.Errorf("BODY[] differs from the stored message:\n got %q\nwant %q", got, stored)
	}
	if !strings.HasPrefix(string(got), "Received: ") || !strings.HasSuffix(string(got), sent) {
		t.Errorf("BODY[] is not Received: + the sent message: %q", got)
	}
	if !strings.Contains(line, "RFC822.SIZE "+strconv.Itoa(len(stored))+" ") {
		t.Errorf("RFC822.SIZE in %q, want %d", line, len(stored))
	}
}
