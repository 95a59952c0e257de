package servers_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// credPassword is alice's password in the credentials test: unlike the
// default ("alice") it appears nowhere else in a trace.
const credPassword = "s3cret-pw"

// withPassword gives alice of server A credPassword.
func withPassword(w *world.World) {
	for _, s := range w.Servers {
		for i := range s.Users {
			if s.Name == "A" && s.Users[i].Name == "alice" {
				s.Users[i].Password = credPassword
			}
		}
	}
}

// traceUntilClosed collects the events of the protocol sessions until n of
// them have closed.
func traceUntilClosed(t *testing.T, sub *tracer.Subscription, n int) []*tracer.Event {
	t.Helper()
	var out []*tracer.Event
	timeout := time.After(20 * time.Second)
	for n > 0 {
		select {
		case e := <-sub.C():
			out = append(out, e)
			if e.Kind == tracer.KindClose && e.Proto != "http" {
				n--
			}
		case <-timeout:
			t.Fatalf("%d sessions did not close; %d events", n, len(out))
		}
	}
	return out
}

// apopLogin logs in with APOP (RFC 1939 section 7): the digest needs the
// greeting's timestamp, so this one waits for it.
func apopLogin(t *testing.T, addr string) string {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	greeting := c.ReadLine()
	ts := regexp.MustCompile(`<[^>]+@[^>]+>`).FindString(greeting)
	if ts == "" {
		t.Fatalf("no APOP timestamp in %q", greeting)
	}
	sum := md5.Sum([]byte(ts + credPassword))
	digest := hex.EncodeToString(sum[:])
	c.SendRawSecret("APOP alice " + digest + "\r\nQUIT\r\n")
	rest, _ := io.ReadAll(c.Reader())
	if !strings.HasPrefix(string(rest), "+OK") {
		t.Fatalf("APOP refused: %q", rest)
	}
	return digest
}

// converse sends each step's text on one connection and reads lines until
// one contains the step's expected text ("": read nothing): a client that writes its SASL
// response as a second write, after the server has answered the command.
func converse(t *testing.T, addr string, steps ...[2]string) {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	for _, st := range steps {
		// Every step may carry a credential written blindly.
		c.SendRawSecret(st[0])
		for st[1] != "" && !strings.Contains(c.ReadLine(), st[1]) {
		}
	}
	io.ReadAll(c.Reader()) // until the server closes
}

// A client that sends its SASL response without waiting for the 334 or
// "+" (and every other way of logging in) logs in, and its credentials
// reach neither the bus, nor the JSONL record, nor the console.
func TestCredentialsNeverInTheTrace(t *testing.T) {
	inst := start(t, t.TempDir(), withPassword)
	sub := inst.Bus.Subscribe(1 << 16)
	defer sub.Close()
	smtpAddr, pop3Addr, imapAddr := inst.Addr("A", world.SMTP), inst.Addr("A", world.POP3), inst.Addr("A", world.IMAP)
	b64 := base64.StdEncoding.EncodeToString
	plain := b64([]byte("\x00alice\x00" + credPassword))
	user, pass := b64([]byte("alice")), b64([]byte(credPassword))
	secrets := []string{credPassword, plain, pass}

	sessions := []struct {
		addr, script, want string
	}{
		{smtpAddr, "EHLO laptop\r\nAUTH PLAIN\r\n" + plain + "\r\nQUIT\r\n", "\r\n235 "},
		{smtpAddr, "EHLO laptop\r\nAUTH PLAIN " + plain + "\r\nQUIT\r\n", "\r\n235 "},
		{smtpAddr, "EHLO laptop\r\nAUTH LOGIN\r\n" + user + "\r\n" + pass + "\r\nQUIT\r\n", "\r\n235 "},
		{smtpAddr, "EHLO laptop\r\nAUTH LOGIN " + user + "\r\n" + pass + "\r\nQUIT\r\n", "\r\n235 "},
		{pop3Addr, "USER alice\r\nPASS " + credPassword + "\r\nQUIT\r\n", "maildrop"},
		{pop3Addr, "AUTH PLAIN\r\n" + plain + "\r\nQUIT\r\n", "maildrop"},
		{pop3Addr, "AUTH PLAIN " + plain + "\r\nQUIT\r\n", "maildrop"},
		{imapAddr, "a1 LOGIN alice " + credPassword + "\r\na2 LOGOUT\r\n", "a1 OK"},
		{imapAddr, `a1 LOGIN "alice" "` + credPassword + `"` + "\r\na2 LOGOUT\r\n", "a1 OK"},
		{imapAddr, "a1 LOGIN alice {9+}\r\n" + credPassword + "\r\na2 LOGOUT\r\n", "a1 OK"},
		{imapAddr, "a1 AUTHENTICATE PLAIN\r\n" + plain + "\r\na2 LOGOUT\r\n", "a1 OK"},
		{imapAddr, "a1 AUTHENTICATE PLAIN " + plain + "\r\na2 LOGOUT\r\n", "a1 OK"},
	}
	for _, s := range sessions {
		if got := hostile(t, s.addr, []byte(s.script), 10*time.Second); !strings.Contains(got, s.want) {
			t.Fatalf("%q: the server answered %q, not %q: the login did not happen", s.script, got, s.want)
		}
	}
	secrets = append(secrets, apopLogin(t, pop3Addr))
	// The server refuses AUTH (already logged in) before the response,
	// written blindly, arrives: the response is still masked.
	converse(t, smtpAddr, [2]string{"EHLO laptop\r\nAUTH PLAIN " + plain + "\r\n", "235 "},
		[2]string{"AUTH PLAIN\r\n", "503 "}, [2]string{plain + "\r\n", "500 "}, [2]string{"QUIT\r\n", "221 "})
	converse(t, pop3Addr, [2]string{"USER alice\r\nPASS " + credPassword + "\r\n", "maildrop"},
		[2]string{"AUTH PLAIN\r\n", "-ERR"}, [2]string{plain + "\r\n", "-ERR"}, [2]string{"QUIT\r\n", "+OK"})
	converse(t, imapAddr, [2]string{"a1 LOGIN alice " + credPassword + "\r\n", "a1 OK"},
		[2]string{"a2 AUTHENTICATE PLAIN\r\n", "a2 "}, [2]string{plain + "\r\n", ""})
	evs := traceUntilClosed(t, sub, len(sessions)+4)

	var rec, con bytes.Buffer
	r := tracer.NewRecorder(&rec)
	c := tracer.NewConsole(&con, tracer.ConsoleOptions{Explain: true, Data: true})
	masked := 0
	for _, e := range evs {
		if err := r.Write(e); err != nil {
			t.Fatal(err)
		}
		c.Print(e)
		if e.HasFlag(tracer.FlagMasked) {
			masked++
		}
	}
	r.Flush()
	c.Flush()
	// A server quotes a line it read as a command upper-cased and cut: the
	// first octets of a credential, in any case, give it away too.
	for _, secret := range secrets {
		head := strings.ToUpper(secret[:min(len(secret), 12)])
		if strings.Contains(strings.ToUpper(rec.String()), head) {
			t.Errorf("the JSONL record holds %q:\n%s", secret, rec.String())
		}
		if strings.Contains(strings.ToUpper(con.String()), head) {
			t.Errorf("the console shows %q:\n%s", secret, con.String())
		}
	}
	// One masked line or literal per login, two for AUTH LOGIN.
	if masked < len(sessions)+1+2+3 {
		t.Errorf("%d masked events, want at least %d:\n%s", masked, len(sessions)+6, con.String())
	}
}
