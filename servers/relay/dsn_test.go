package relay

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// plainB is a receiving server on 127.0.0.1:0 that offers neither DSN nor
// X-MAILSCOPE-TRACE, accepts every message and sends the command lines it
// read to lines.
func plainB(t *testing.T, lines chan<- string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		io.WriteString(c, "220 b.example ESMTP\r\n")
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimRight(line, "\r\n")
			switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
			case "EHLO":
				io.WriteString(c, "250-b.example\r\n250 8BITMIME\r\n")
			case "DATA":
				io.WriteString(c, "354 go ahead\r\n")
				for line != ".\r\n" {
					if line, err = br.ReadString('\n'); err != nil {
						return
					}
				}
				io.WriteString(c, "250 2.0.0 queued\r\n")
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	}()
	return l.Addr().String()
}

// TestRelayedWhenNextHopLacksDSN: a next hop that does not offer DSN gets
// no DSN parameters and no trace parameter (RFC 3461 section 5.2.2; the
// private extension goes only where offered), and the sender, who asked
// for NOTIFY=SUCCESS, gets a "relayed" notice from A instead.
func TestRelayedWhenNextHopLacksDSN(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := tracer.NewBus()
	sub := bus.Subscribe(256)
	defer sub.Close()
	lines := make(chan string, 64)
	addr := plainB(t, lines)
	d := &store.Delivery{Server: "A", TraceID: "A-ABCDEFGH", Sender: "alice@a.example", Remote: []string{"bob@b.example"},
		Body: []byte("Subject: relayed\r\n\r\nhi\r\n"), Received: time.Now(), EnvID: "e+2B1", Ret: "HDRS",
		DSN: map[string]store.RcptDSN{"bob@b.example": {Notify: "SUCCESS", ORCPT: "rfc822;bob@b.example"}}}
	if _, err := st.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	r := New(Config{Store: st, World: world.Default(), Bus: bus, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Addr: func(server string) string { return addr }})
	go r.Run()
	defer r.Shutdown(context.Background())

	var nopass, relayed bool
	timeout := time.After(20 * time.Second)
	for !relayed {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindQueue && e.Attrs["step"] == tracer.StepDSN {
				nopass = nopass || strings.Contains(e.Text, "RFC 3461 section 5.2.2") && strings.Contains(e.Text, "NOTIFY=SUCCESS") && strings.Contains(e.Text, "ENVID=e+2B1")
				relayed = e.Attrs[tracer.AttrAction] == ActionRelayed
			}
		case <-timeout:
			t.Fatal("timed out waiting for the relayed notice")
		}
	}
	if !nopass {
		t.Error("the trace does not say the parameters could not be passed on")
	}
	close(lines)
	for l := range lines {
		if strings.HasPrefix(l, "MAIL") || strings.HasPrefix(l, "RCPT") {
			if strings.Contains(l, "=") && !strings.Contains(l, "BODY=") && !strings.Contains(l, "SIZE=") {
				t.Errorf("a server without DSN got %q", l)
			}
		}
	}
	mb, err := st.Mailbox(context.Background(), "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Messages(context.Background(), mb.ID)
	if len(msgs) != 1 {
		t.Fatalf("alice has %d messages, want the relayed notice", len(msgs))
	}
	raw, _ := st.Body(context.Background(), msgs[0].ID)
	m, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if mt, p, _ := m.Header.ContentType(); mt != "multipart/report" || p["report-type"] != "delivery-status" {
		t.Fatalf("notice type %s %v", mt, p)
	}
	for _, want := range []string{"Action: relayed", "Status: 2.0.0", "Remote-MTA: dns; b.example", "Original-Envelope-Id: e+1",
		"Original-Recipient: rfc822;bob@b.example", "Final-Recipient: rfc822; bob@b.example"} {
		if !bytes.Contains(raw, []byte(want+"\r\n")) {
			t.Errorf("the notice lacks %q:\n%s", want, raw)
		}
	}
}

// TestFailedNoticeReturnsFullMessage: RET=FULL returns the whole message in
// a failure notice (RFC 3461 section 4.3), as message/rfc822.
func TestFailedNoticeReturnsFullMessage(t *testing.T) {
	src := world.Default().Server("A")
	n := &Notice{Server: src, TraceID: "A-ABCDEFGH", Sender: "alice@a.example", Rcpt: "bob@b.example", Ret: "FULL",
		Arrived: time.Now(), Orig: []byte("Subject: whole\r\n\r\nthe body comes back\r\n"),
		Action: ActionFailed, Status: "5.1.1", Diagnostic: "550 5.1.1 no such user", RemoteMTA: "b.example", LastTry: time.Now()}
	raw := buildDSN(n, time.Now())
	m, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mr := m.MultipartReader()
	var types []string
	var returned []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		types = append(types, ct)
		if ct == "message/rfc822" {
			returned, _ = io.ReadAll(p.Body)
		}
	}
	if strings.Join(types, ",") != "text/plain,message/delivery-status,message/rfc822" || !bytes.Contains(returned, []byte("the body comes back")) {
		t.Fatalf("parts %v, returned %q", types, returned)
	}
}
