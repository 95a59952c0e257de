package pop3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/tracer"
)

// run runs a client with a deadline and returns its standard output.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// poplibResult is what testdata/poplib_client.py prints.
type poplibResult struct {
	Welcome string   `json:"welcome"`
	STLS    string   `json:"stls"`
	Login   string   `json:"login"`
	Capa    []string `json:"capa"`
	Stat    []int    `json:"stat"`
	List    []string `json:"list"`
	UIDL    []string `json:"uidl"`
	Retr    []struct {
		Resp   string `json:"resp"`
		Octets int    `json:"octets"`
		Body   string `json:"body"`
	} `json:"retr"`
	Top  string `json:"top"`
	Dele string `json:"dele"`
	Quit string `json:"quit"`
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestPythonPoplib(t *testing.T) {
	py := wiretest.Tool(t, "python3", "python3")
	for _, mode := range []string{"keep", "stls", "apop", "delete"} {
		t.Run(mode, func(t *testing.T) {
			ts := newServer(t)
			bodies := []string{msg1, msg2}
			for _, b := range bodies {
				ts.deliver(t, "alice", b)
			}
			host, port, _ := net.SplitHostPort(ts.addr)
			var r poplibResult
			out := run(t, py, "testdata/poplib_client.py", host, port, mode)
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("poplib output %q: %v", out, err)
			}
			if !strings.HasPrefix(r.Login, "+OK alice's maildrop has 2 messages") {
				t.Errorf("login %q", r.Login)
			}
			if mode == "stls" && !strings.HasPrefix(r.STLS, "+OK begin TLS") {
				t.Errorf("STLS %q", r.STLS)
			}
			if want := []string{"AUTH-RESP-CODE", "IMPLEMENTATION", "PIPELINING", "RESP-CODES", "SASL", "TOP", "UIDL", "USER"}; strings.Join(r.Capa, ",") != strings.Join(want, ",") {
				t.Errorf("CAPA over %s: %q", mode, r.Capa)
			}
			if len(r.Stat) != 2 || r.Stat[0] != 2 || r.Stat[1] != len(msg1)+len(msg2) {
				t.Errorf("STAT %v", r.Stat)
			}
			if want := []string{fmt.Sprintf("1 %d", len(msg1)), fmt.Sprintf("2 %d", len(msg2))}; strings.Join(r.List, "|") != strings.Join(want, "|") {
				t.Errorf("LIST %q", r.List)
			}
			if len(r.UIDL) != 2 {
				t.Errorf("UIDL %q", r.UIDL)
			}
			for i, m := range r.Retr {
				// Byte for byte what was stored, and as many octets as LIST said.
				if m.Body != b64(bodies[i]) {
					got, _ := base64.StdEncoding.DecodeString(m.Body)
					t.Errorf("RETR %d through poplib = %q, want %q", i+1, got, bodies[i])
				}
				if m.Octets != len(bodies[i]) {
					t.Errorf("RETR %d: poplib counted %d octets, LIST said %d", i+1, m.Octets, len(bodies[i]))
				}
			}
			if want := b64("From: bob@b.example\r\nTo: alice@a.example\r\nSubject: first\r\n\r\nline 1\r\nline 2\r\n"); r.Top != want {
				t.Errorf("TOP 1 2 through poplib = %q", r.Top)
			}
			left := len(ts.inbox(t, "alice"))
			switch mode {
			case "delete":
				if !strings.Contains(r.Quit, "1 message deleted") || left != 1 {
					t.Errorf("download-and-delete: QUIT %q, %d left", r.Quit, left)
				}
			default:
				if !strings.Contains(r.Quit, "0 messages deleted") || left != 2 {
					t.Errorf("download-and-keep: QUIT %q, %d left", r.Quit, left)
				}
			}
		})
	}
}

func TestCurl(t *testing.T) {
	curl := wiretest.Tool(t, "curl", "curl")
	ts := newServer(t)
	bodies := []string{msg1, msg2}
	for _, b := range bodies {
		ts.deliver(t, "alice", b)
	}
	sub := ts.bus.Subscribe(1 << 14)
	defer sub.Close()
	url := "pop3://" + ts.addr + "/"
	base := []string{"-sS", "--max-time", "30", "-u", "alice:alice"}

	// The listing: curl sends CAPA, logs in with AUTH PLAIN (CAPA offers
	// SASL PLAIN), then LIST.
	list := run(t, curl, append(base, url)...)
	if want := fmt.Sprintf("1 %d\r\n2 %d\r\n", len(msg1), len(msg2)); string(list) != want {
		t.Errorf("curl LIST = %q, want %q", list, want)
	}
	// Retrieve, byte for byte.
	for i, b := range bodies {
		got := run(t, curl, append(base, fmt.Sprintf("%s%d", url, i+1))...)
		if string(got) != b {
			t.Errorf("curl RETR %d = %q, want %q", i+1, got, b)
		}
	}
	// Over STLS, certificate not checked (self-signed), and with APOP.
	if got := run(t, curl, append(base, "--ssl-reqd", "-k", url+"2")...); string(got) != msg2 {
		t.Errorf("curl RETR over STLS = %q", got)
	}
	if got := run(t, curl, append(base, "--login-options", "AUTH=+APOP", url+"1")...); string(got) != msg1 {
		t.Errorf("curl RETR with APOP = %q", got)
	}
	// Custom commands: UIDL and TOP are multi-line.
	if got := run(t, curl, append(base, "-X", "UIDL", url)...); len(lines(got)) != 2 {
		t.Errorf("curl UIDL = %q", got)
	}
	if got := run(t, curl, append(base, "-X", "TOP 1 0", url)...); string(got) != "From: bob@b.example\r\nTo: alice@a.example\r\nSubject: first\r\n\r\n" {
		t.Errorf("curl TOP 1 0 = %q", got)
	}
	// DELE answers with one line: -I tells curl not to wait for a listing.
	run(t, curl, append(base, "-X", "DELE", "-I", url+"1")...)
	if left := ts.inbox(t, "alice"); len(left) != 1 || left[0].Size != int64(len(msg2)) {
		t.Errorf("after curl DELE 1 alice has %d messages", len(left))
	}

	// The trace saw the SASL path, with the credential masked.
	var sawAuth, sawMasked, sawAPOP, sawTLS bool
	for len(sub.C()) > 0 {
		e := <-sub.C()
		if e.Kind == tracer.KindTLS && strings.HasPrefix(e.Text, "TLS established") {
			sawTLS = true
		}
		if e.Kind != tracer.KindLine || e.Dir != tracer.C2S {
			continue
		}
		switch {
		case strings.HasPrefix(e.Text, "AUTH PLAIN"):
			sawAuth = true
		case e.Text == "****" && e.HasFlag(tracer.FlagMasked):
			sawMasked = true
		case strings.HasPrefix(e.Text, "APOP alice "):
			sawAPOP = true
		}
		if strings.Contains(e.Text, b64("\x00alice\x00alice")) || strings.Contains(e.Text, b64("alice\x00alice\x00alice")) {
			t.Errorf("credentials in the trace: %q", e.Text)
		}
	}
	if !sawAuth || !sawMasked || !sawAPOP || !sawTLS {
		t.Errorf("trace: AUTH PLAIN %v, masked response %v, APOP %v, TLS %v", sawAuth, sawMasked, sawAPOP, sawTLS)
	}
}
