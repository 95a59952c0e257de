package imap_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/internal/wiretest"
)

func port(t *testing.T, addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if _, err := strconv.Atoi(addr[i+1:]); err != nil {
		t.Fatalf("bad address %q", addr)
	}
	return addr[i+1:]
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPythonImaplib: Python's imaplib starts TLS, logs in, lists, selects,
// fetches, stores, creates, copies, expunges, appends a message of more
// than 4096 octets (a synchronizing literal, as LITERAL- asks) and logs
// out.
func TestPythonImaplib(t *testing.T) {
	py := wiretest.Tool(t, "python3", "python3")
	if err := exec.Command(py, "-c", "import imaplib").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 has no imaplib")
		}
		t.Skip("python3 has no imaplib")
	}
	e := newEnv(t)
	body := msg("from python", "Hello from the test.")
	e.deliver("alice", body)
	out := run(t, py, "testdata/imaplib_client.py", port(t, e.addr))
	for _, want := range []string{
		"capability OK IMAP4rev1",
		"starttls OK",
		"login OK",
		`list OK 4 (\HasNoChildren) "/" INBOX | (\HasNoChildren \Drafts) "/" "Drafts" | (\HasNoChildren \Sent) "/" "Sent" | (\HasNoChildren \Trash) "/" "Trash"`,
		"create OK",
		"select OK 1",
		"fetch OK 1 (FLAGS (\\Seen \\Recent) BODY[] {" + strconv.Itoa(len(body)) + "}",
		"body " + pyRepr(body),
		"store OK 1 (FLAGS (\\Seen \\Flagged $Python \\Recent))",
		"copy OK [COPYUID",
		"expunge OK ['1']",
		"append OK [APPENDUID",
		`status OK "Homework" (MESSAGES 2)`,
		"logout BYE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("imaplib output lacks %q:\n%s", want, out)
		}
	}
}

// pyRepr is Python's repr of an ASCII bytes value.
func pyRepr(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "'", `\'`, "\r", `\r`, "\n", `\n`, "\t", `\t`)
	return "b'" + r.Replace(s) + "'"
}

// TestCurlIMAP: curl lists a mailbox and fetches a message by UID.
func TestCurlIMAP(t *testing.T) {
	curl := wiretest.Tool(t, "curl", "curl")
	e := newEnv(t)
	e.deliver("alice", msg("first", "one"))
	body := msg("second via curl", "two")
	e.deliver("alice", body)
	base := "imap://127.0.0.1:" + port(t, e.addr)

	list := run(t, curl, "-sS", "--max-time", "30", "--user", "alice:alice", base+"/")
	for _, want := range []string{`* LIST (\HasNoChildren) "/" INBOX`, `"Sent"`, `"Trash"`} {
		if !strings.Contains(list, want) {
			t.Errorf("curl list lacks %q:\n%s", want, list)
		}
	}
	search := run(t, curl, "-sS", "--max-time", "30", "--user", "alice@a.example:alice", base+"/INBOX?ALL")
	if !strings.Contains(search, "* SEARCH 1 2") {
		t.Errorf("curl search: %q", search)
	}
	got := run(t, curl, "-sS", "--max-time", "30", "--user", "alice:alice", base+"/INBOX;UID=2")
	if got != body {
		t.Errorf("curl fetched %q, want %q", got, body)
	}
	// curl's FETCH used BODY[] (not PEEK): the message is \Seen now, for
	// every later session.
	c := selectedBox(t, e.addr, "INBOX")
	c.Send("k1 UID FETCH 2 FLAGS")
	c.Expect(`* 2 FETCH (UID 2 FLAGS (\Seen))`)
	c.Expect("k1 OK UID FETCH completed")
}
