package relay

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// englishProse is two English words in a row: what a Chinese line must not
// hold outside the wire text it quotes.
var englishProse = regexp.MustCompile(`[A-Za-z][a-z]+ [a-z]{2,}`)

// deferrals queues n messages from alice to bob, runs the relay against
// addr on a Chinese bus and returns the first want deferred events.
func deferrals(t *testing.T, addr string, n, want int) []*tracer.Event {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := tracer.NewBus(tracer.WithLang("zh"))
	sub := bus.Subscribe(256)
	defer sub.Close()
	for i := 1; i <= n; i++ {
		d := &store.Delivery{Server: "A", TraceID: fmt.Sprintf("T%d", i), Sender: "alice@a.example", Remote: []string{"bob@b.example"},
			Body: []byte(fmt.Sprintf("Subject: %d\r\n\r\nmessage %d\r\n", i, i)), Received: time.Now()}
		if _, err := st.Deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	r := New(Config{Store: st, World: world.Default(), Bus: bus, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Addr: func(string) string { return addr }})
	go r.Run()
	defer r.Shutdown(context.Background())
	var got []*tracer.Event
	timeout := time.After(20 * time.Second)
	for len(got) < want {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindQueue && e.Attrs[tracer.AttrStep] == tracer.StepDeferred {
				got = append(got, e)
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %d deferrals; got %d", want, len(got))
		}
	}
	return got
}

// fakeB serves one connection on 127.0.0.1:0 with script and returns its
// address.
func fakeB(t *testing.T, script func(c net.Conn, br *bufio.Reader)) string {
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
		c.SetDeadline(time.Now().Add(20 * time.Second))
		script(c, bufio.NewReader(c))
	}()
	return l.Addr().String()
}

// checkDeferral checks a deferred event of a zh world: its Chinese text
// says why and when in Chinese (zh), with no English prose; its English
// text and its error attribute are en, as the queue records them.
func checkDeferral(t *testing.T, e *tracer.Event, zh []string, en string) {
	t.Helper()
	for _, w := range append(zh, "已推迟：", "（15 秒后）") {
		if !strings.Contains(e.Text, w) {
			t.Errorf("zh deferral %q does not say %q", e.Text, w)
		}
	}
	if m := englishProse.FindString(e.Text); m != "" {
		t.Errorf("zh deferral %q has English prose %q", e.Text, m)
	}
	if got := e.Attrs[tracer.AttrError]; got != en {
		t.Errorf("error attribute %q, want %q", got, en)
	}
	want := "deferred: " + en + "; the message stays in A's queue; attempt 2 at "
	if got := tracer.NewExplainer("en").Format(e.Msg); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, " (in 15s)") {
		t.Errorf("en deferral %q, want %q ... (in 15s)", got, want)
	}
}

// TestDeferralReasonsInChinese: the reasons the relay gives for a deferral
// without a reply to quote (nothing listens, the server hangs up, its
// certificate is for another name, the session broke) are said in Chinese in a
// zh world, with the wait as Chinese says it (15 秒后); the English text
// and the error attribute that lessons match are as before.
func TestDeferralReasonsInChinese(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		e := deferrals(t, addr, 1, 1)[0]
		checkDeferral(t, e, []string{"连接被拒绝：" + addr + " 上没有程序在监听（服务器 B 没有运行）"},
			"connection refused: nothing listens on "+addr+" (server B is down)")
	})
	t.Run("hung up", func(t *testing.T) {
		addr := fakeB(t, func(c net.Conn, br *bufio.Reader) {
			io.WriteString(c, "220 b.example ESMTP\r\n")
			br.ReadString('\n') // EHLO, and no reply
		})
		checkDeferral(t, deferrals(t, addr, 1, 1)[0], []string{"服务器 B 没有响应就关闭了连接"}, "server B closed the connection without a reply")
	})
	t.Run("certificate for another name", func(t *testing.T) {
		cert := wiretest.ServerCert(t)
		addr := fakeB(t, func(c net.Conn, br *bufio.Reader) {
			io.WriteString(c, "220 b.example ESMTP\r\n")
			br.ReadString('\n')
			io.WriteString(c, "250-b.example\r\n250 STARTTLS\r\n")
			br.ReadString('\n')
			io.WriteString(c, "220 go ahead\r\n")
			tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
		})
		// The certificate is for 127.0.0.1, and the relay asks for
		// b.example: the name is checked first.
		checkDeferral(t, deferrals(t, addr, 1, 1)[0], []string{"与服务器 B 的 TLS 握手失败：它的证书不是颁发给 b.example 的"},
			"TLS handshake with B failed: its certificate is not for b.example")
	})
	t.Run("session broke", func(t *testing.T) {
		got := deferrals(t, brokenB(t), 3, 2)
		checkDeferral(t, got[0], []string{"服务器 B 没有响应就关闭了连接"}, "server B closed the connection without a reply")
		checkDeferral(t, got[1], []string{"这封邮件发送之前会话就中断了"}, "the session broke before this message was sent")
	})
}

// TestReplyStaysWireText: a deferral for a reply of the server quotes the
// reply as it came, in Chinese too.
func TestReplyStaysWireText(t *testing.T) {
	addr := fakeB(t, func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "220 b.example ESMTP\r\n")
		br.ReadString('\n')
		io.WriteString(c, "250 b.example\r\n")
		br.ReadString('\n') // MAIL
		io.WriteString(c, "451 4.7.1 greylisted, try again later\r\n")
		br.ReadString('\n')
	})
	e := deferrals(t, addr, 1, 1)[0]
	if want := "已推迟：451 4.7.1 greylisted, try again later；"; !strings.Contains(e.Text, want) {
		t.Errorf("zh deferral %q does not quote %q", e.Text, want)
	}
	if got := e.Attrs[tracer.AttrError]; got != "451 4.7.1 greylisted, try again later" {
		t.Errorf("error attribute %q", got)
	}
}

// TestDurationZH: durations in Chinese texts.
func TestDurationZH(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 秒",
		200 * time.Millisecond:                "200 毫秒",
		1500 * time.Millisecond:               "1.5 秒",
		30 * time.Second:                      "30 秒",
		2 * time.Minute:                       "2 分钟",
		90 * time.Second:                      "1 分钟 30 秒",
		time.Hour + 5*time.Minute:             "1 小时 5 分钟",
		10*time.Minute + 250*time.Millisecond: "10 分钟 0.25 秒",
		-3 * time.Second:                      "-3 秒",
	} {
		if got := tracer.DurationZH(d); got != want {
			t.Errorf("DurationZH(%v) = %q, want %q", d, got, want)
		}
	}
}
