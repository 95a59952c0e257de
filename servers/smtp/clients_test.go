package smtp_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
)

func TestStartTLS(t *testing.T) {
	w := newWorld(t, nil)
	c := ehloed(t, w.smtpAddr("A"))
	c.Send("STARTTLS extra")
	c.Expect("501 5.5.4 *")
	// Bytes sent along with STARTTLS must be thrown away, not run after the
	// handshake (RFC 3207 section 4.2, CVE-2011-0411).
	c.SendRaw("STARTTLS\r\nMAIL FROM:<injected@a.example>\r\n")
	c.Expect("220 2.0.0 Ready to start TLS*")
	c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "a.example"})
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("503 5.5.1 Bad sequence of commands: say HELO or EHLO first")
	c.Send("EHLO laptop")
	lines := strings.Join(c.readReply(), "\n")
	if strings.Contains(lines, "STARTTLS") {
		t.Errorf("STARTTLS offered again over TLS:\n%s", lines)
	}
	c.Send("STARTTLS")
	c.Expect("503 5.5.1 Already using TLS")
	c.Send("AUTH PLAIN AGFsaWNlAGFsaWNl")
	c.Expect("235 *")
	c.Send("MAIL FROM:<alice@a.example>")
	c.Expect("250 *")
	c.Send("RCPT TO:<alice@a.example>")
	c.Expect("250 *")
	c.Send("DATA")
	c.Expect("354 *")
	c.Send("Subject: tls\r\n\r\nsecret\r\n.")
	c.Expect("250 2.0.0 *")
	body := string(inbox(t, w.inst.Store, "A", "alice")[0])
	if !strings.Contains(body, "with ESMTPSA id") {
		t.Errorf("Received: header does not say ESMTPSA:\n%s", body)
	}
}

// message builds a test message of about size octets with short lines.
func message(subject string, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: alice@a.example\r\nTo: alice@a.example\r\nSubject: %s\r\n\r\n", subject)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return b.String()
}

func TestPythonSmtplib(t *testing.T) {
	py := wiretest.Tool(t, "python3", "python3")
	w := newWorld(t, nil)
	host, port, _ := net.SplitHostPort(w.smtpAddr("A"))
	script := fmt.Sprintf(`
import smtplib, sys
s = smtplib.SMTP(%q, %s, timeout=20)
code, _ = s.ehlo("python")
assert code == 250, code
assert s.has_extn("pipelining") and s.has_extn("8bitmime") and s.has_extn("size")
s.login("alice", "alice")
refused = s.sendmail("alice@a.example", ["alice@a.example"], "Subject: from python\r\n\r\n.leading dot line\r\nbody\r\n")
assert refused == {}, refused
try:
    s.sendmail("alice@a.example", ["nobody@a.example"], "Subject: x\r\n\r\nx\r\n")
    sys.exit("unknown recipient accepted")
except smtplib.SMTPRecipientsRefused as e:
    assert e.recipients["nobody@a.example"][0] == 550, e.recipients
s.starttls()
s.ehlo("python")
s.sendmail("alice@a.example", ["alice@a.example"], "Subject: over tls\r\n\r\nhi\r\n")
s.quit()
print("ok")
`, host, port)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("python3 smtplib: %v\n%s", err, out)
	}
	msgs := inbox(t, w.inst.Store, "A", "alice")
	if len(msgs) != 2 {
		t.Fatalf("alice has %d messages, want 2", len(msgs))
	}
	if !bytes.Contains(msgs[0], []byte("\r\n\r\n.leading dot line\r\nbody\r\n")) {
		t.Errorf("smtplib message body wrong:\n%q", msgs[0])
	}
}

func TestCurlSMTP(t *testing.T) {
	curl := wiretest.Tool(t, "curl", "curl")
	w := newWorld(t, nil)
	dir := t.TempDir()
	msg := writeFile(t, dir, "msg.txt", message("from curl", 4096))
	out, err := exec.Command(curl, "-sS", "--max-time", "20", "smtp://"+w.smtpAddr("A")+"/laptop",
		"--mail-from", "alice@a.example", "--mail-rcpt", "alice@a.example",
		"--user", "alice:alice", "--upload-file", msg).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	msgs := inbox(t, w.inst.Store, "A", "alice")
	if len(msgs) != 1 || !bytes.Contains(msgs[0], []byte("Subject: from curl")) {
		t.Fatalf("curl's message not stored: %d messages", len(msgs))
	}
	// An unknown recipient makes curl fail with the server's 550.
	out, err = exec.Command(curl, "-sS", "--max-time", "20", "smtp://"+w.smtpAddr("A"),
		"--mail-from", "alice@a.example", "--mail-rcpt", "nobody@a.example", "--upload-file", msg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "550") {
		t.Fatalf("curl to unknown user: err=%v\n%s", err, out)
	}
}

func TestSwaks(t *testing.T) {
	swaks := wiretest.Tool(t, "swaks", "swaks")
	w := newWorld(t, nil)
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		base := []string{"--server", w.smtpAddr("A"), "--from", "alice@a.example", "--to", "alice@a.example", "--timeout", "30"}
		out, err := exec.Command(swaks, append(base, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("swaks %s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	out := run("plain", "--header", "Subject: swaks plain")
	if !strings.Contains(out, "<-  250 2.0.0 OK") {
		t.Errorf("swaks plain transcript lacks the 250:\n%s", out)
	}
	out = run("pipelined", "--pipeline", "--header", "Subject: swaks pipelined")
	if !strings.Contains(out, "PIPELINING") {
		t.Errorf("swaks did not see PIPELINING:\n%s", out)
	}
	big := writeFile(t, dir, "big.eml", message("swaks 2MiB", 2<<20))
	out = run("2MiB", "--data", "@"+big)
	if !strings.Contains(out, "250 2.0.0 OK") {
		t.Errorf("2 MiB message not accepted:\n%s", out[len(out)-min(len(out), 2000):])
	}
	msgs := inbox(t, w.inst.Store, "A", "alice")
	if len(msgs) != 3 {
		t.Fatalf("alice has %d messages, want 3", len(msgs))
	}
	if len(msgs[2]) < 2<<20 {
		t.Errorf("2 MiB message stored as %d octets", len(msgs[2]))
	}
	t.Run("auth over TLS", func(t *testing.T) {
		requireFeature(t, swaks, []string{"--support"}, "=== TLS supported", "swaks without TLS (Perl's Net::SSLeay and IO::Socket::SSL are missing: apt-get install libnet-ssleay-perl libio-socket-ssl-perl)")
		run("auth over TLS", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alice", "--header", "Subject: swaks tls")
		if msgs := inbox(t, w.inst.Store, "A", "alice"); len(msgs) != 4 {
			t.Fatalf("alice has %d messages after the TLS run, want 4", len(msgs))
		}
	})
}

// TestManySessionsAtOnce drives concurrent sessions through the group
// commit and checks every acknowledged message is stored once.
func TestManySessionsAtOnce(t *testing.T) {
	w := newWorld(t, nil)
	const clients, each = 8, 10
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		go func(i int) {
			errs <- sendMany(w.smtpAddr("A"), i, each)
		}(i)
	}
	for i := 0; i < clients; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(inbox(t, w.inst.Store, "A", "alice")); n != clients*each {
		t.Fatalf("%d messages stored, want %d", n, clients*each)
	}
}

func sendMany(addr string, id, n int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	expect := func(prefix string) error {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(l, prefix) {
				return fmt.Errorf("client %d: got %q, want %s", id, l, prefix)
			}
			if len(l) < 4 || l[3] != '-' {
				return nil
			}
		}
	}
	if err := expect("220"); err != nil {
		return err
	}
	fmt.Fprintf(c, "EHLO c%d\r\n", id)
	if err := expect("250"); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(c, "MAIL FROM:<alice@a.example>\r\nRCPT TO:<alice@a.example>\r\nDATA\r\n")
		for _, p := range []string{"250", "250", "354"} {
			if err := expect(p); err != nil {
				return err
			}
		}
		fmt.Fprintf(c, "Subject: %d-%d\r\n\r\nhello\r\n.\r\n", id, i)
		if err := expect("250"); err != nil {
			return err
		}
	}
	fmt.Fprintf(c, "QUIT\r\n")
	return expect("221")
}
