package servers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// The real mail clients of a classroom, run against a whole world: fetchmail
// downloads bob's mail over POP3 in both course modes (keep and delete), and
// mbsync (isync) keeps a local Maildir and bob's IMAP folders in step both
// ways. Both are installed by .ci/run; here they are skipped when missing,
// except under CI where they are required.

// rcTrace prints the world's console trace (explanations included,
// credentials masked by the bus) when the test fails.
func rcTrace(t *testing.T, inst *servers.Instance) {
	t.Helper()
	sub := inst.Bus.Subscribe(200000)
	var buf bytes.Buffer
	con := tracer.NewConsole(&buf, tracer.ConsoleOptions{Explain: true})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); con.Run(sub) }()
	t.Cleanup(func() {
		sub.Close()
		wg.Wait()
		if t.Failed() {
			t.Logf("trace of the world:\n%s", buf.String())
		}
	})
}

// rcRun runs a client with a bounded time and HOME (and FETCHMAILHOME) set to
// home, and returns its combined output and exit code. A timeout or a failure
// to start fails the test; a non-zero exit code is the caller's business.
func rcRun(t *testing.T, home, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "FETCHMAILHOME="+home, "LC_ALL=C", "TZ=UTC")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after 60 s\n%s", name, strings.Join(args, " "), out)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// rcPort returns the port of a host:port address.
func rcPort(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rcMailbox returns the messages of one mailbox of the store with their bodies.
func rcMailbox(t *testing.T, st *store.Store, server, user, name string) ([]*store.Message, []string) {
	t.Helper()
	ctx := context.Background()
	mb, err := st.Mailbox(ctx, server, user, name)
	if err != nil {
		t.Fatalf("mailbox %s of %s on %s: %v", name, user, server, err)
	}
	msgs, err := st.Messages(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([]string, len(msgs))
	for i, m := range msgs {
		b, err := st.Body(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = string(b)
	}
	return msgs, bodies
}

// rcSubjects returns the Subject: values found in messages, sorted.
func rcSubjects(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		for _, l := range strings.Split(strings.ReplaceAll(m, "\r\n", "\n"), "\n") {
			if l == "" {
				break
			}
			if s, ok := strings.CutPrefix(l, "Subject: "); ok {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// rcDeliver sends n messages to bob from alice (A relays them to B) and waits
// until bob's INBOX holds want messages.
func rcDeliver(t *testing.T, inst *servers.Instance, want int, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		mailTo(t, inst, "bob@b.example", s, "")
	}
	waitFor(t, fmt.Sprintf("%d messages in bob's INBOX", want), func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == want })
}

// TestFetchmailKeepAndDelete: fetchmail downloads bob's mail from B over
// POP3 (STLS with the world's certificate checked) into a local MDA, first in
// download-and-keep mode, then in download-and-delete mode, with its exit
// codes: 0 when mail was retrieved, 1 when there was none.
func TestFetchmailKeepAndDelete(t *testing.T) {
	fetchmail := wiretest.Tool(t, "fetchmail", "fetchmail")
	dir := t.TempDir()
	inst := start(t, filepath.Join(dir, "world"), nil)
	rcTrace(t, inst)
	home := filepath.Join(dir, "home")
	out := filepath.Join(dir, "out")
	for _, d := range []string{home, out} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// One file per message: fetchmail starts the MDA once per message.
	rc := fmt.Sprintf(`set no syslog
poll 127.0.0.1 protocol pop3 port %s timeout 30
  user "bob" there with password "bob" is "bob" here
  sslproto "tls1.2+" sslcertck sslcertfile "%s" sslcommonname "b.example"
  mda "cat > $(mktemp '%s/msg.XXXXXX')"
`, rcPort(t, inst.Addr("B", world.POP3)), filepath.Join(dir, "world", "tls", "cert.pem"), out)
	rcfile := filepath.Join(home, ".fetchmailrc")
	if err := os.WriteFile(rcfile, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	downloaded := func() []string {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(out, "msg.*"))
		var msgs []string
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, string(b))
		}
		return msgs
	}
	fetch := func(wantExit int, args ...string) string {
		t.Helper()
		args = append([]string{"--fetchmailrc", rcfile, "--nodetach", "--verbose"}, args...)
		o, code := rcRun(t, home, fetchmail, args...)
		if code != wantExit {
			t.Fatalf("fetchmail %s exited with %d, want %d:\n%s", strings.Join(args, " "), code, wantExit, o)
		}
		t.Logf("fetchmail %s:\n%s", strings.Join(args, " "), o)
		return o
	}
	eq := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
	}

	// Nothing there yet: exit code 1.
	fetch(1, "--keep")

	// Download-and-keep: both messages come down and stay on the server.
	rcDeliver(t, inst, 2, "homework 1", "homework 2")
	o := fetch(0, "--keep")
	for _, want := range []string{"POP3> STLS", "upgrade to TLS succeeded", "POP3> PASS *", "RETR 1", "RETR 2",
		"signing off: 0 messages deleted, 2 messages kept (download-and-keep)", "normal termination, status 0"} {
		if !strings.Contains(o, want) {
			t.Errorf("fetchmail's keep run lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "POP3> DELE") {
		t.Errorf("fetchmail sent DELE in keep mode:\n%s", o)
	}
	got := downloaded()
	eq("subjects downloaded in keep mode", rcSubjects(got), "homework 1", "homework 2")
	for _, m := range got {
		if !strings.Contains(m, "hello bob") || !strings.Contains(m, "by b.example (mailscope B)") {
			t.Fatalf("downloaded message lacks its body or B's Received: line:\n%s", m)
		}
	}
	_, bodies := rcMailbox(t, inst.Store, "B", "bob", "INBOX")
	eq("bob's INBOX after keep mode", rcSubjects(bodies), "homework 1", "homework 2")
	// What the MDA got is the stored message, with LF line ends and
	// fetchmail's own Received: line on top.
	for _, b := range bodies {
		lf := strings.ReplaceAll(b, "\r\n", "\n")
		found := false
		for _, m := range got {
			found = found || (strings.HasSuffix(m, "\n"+lf) && strings.HasPrefix(m, "Received: from 127.0.0.1"))
		}
		if !found {
			t.Fatalf("no download is the stored message plus fetchmail's Received: line; stored:\n%s\ndownloaded:\n%s", b, strings.Join(got, "\n----\n"))
		}
	}

	// Keep mode again: fetchmail remembers the UIDLs (in $HOME/.fetchids), so
	// there is nothing new; exit code 1, and still nothing deleted.
	fetch(1, "--keep")
	eq("downloads after a second keep run", rcSubjects(downloaded()), "homework 1", "homework 2")
	if _, err := os.Stat(filepath.Join(home, ".fetchids")); err != nil {
		t.Errorf("fetchmail kept no UIDL list in the temporary HOME: %v", err)
	}

	// A third message: keep mode fetches only that one (UIDLs are stable).
	rcDeliver(t, inst, 3, "homework 3")
	fetch(0, "--keep")
	eq("downloads after the third message", rcSubjects(downloaded()), "homework 1", "homework 2", "homework 3")

	// Download-and-delete: --fetchall takes the old ones too, and each is
	// deleted (DELE, applied at QUIT).
	o = fetch(0, "--nokeep", "--fetchall")
	for _, want := range []string{"DELE 1", "DELE 2", "DELE 3", "signing off: 3 messages deleted, 0 messages kept (download-and-delete)"} {
		if !strings.Contains(o, want) {
			t.Errorf("fetchmail's delete run lacks %q:\n%s", want, o)
		}
	}
	eq("downloads after the delete run", rcSubjects(downloaded()),
		"homework 1", "homework 1", "homework 2", "homework 2", "homework 3", "homework 3")
	if n := len(inboxOf(t, inst.Store, "B", "bob")); n != 0 {
		t.Fatalf("bob's INBOX holds %d messages after download-and-delete, want 0", n)
	}
	fetch(1, "--nokeep")

	// A wrong password: exit code 3 (authentication failed), and the
	// server's -ERR carries the [AUTH] response code (RFC 3206).
	bad := filepath.Join(home, "bad.fetchmailrc")
	if err := os.WriteFile(bad, []byte(strings.Replace(rc, `password "bob"`, `password "wrong"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	o, code := rcRun(t, home, fetchmail, "--fetchmailrc", bad, "--nodetach", "--verbose")
	if code != 3 || !strings.Contains(o, "POP3< -ERR [AUTH]") {
		t.Fatalf("fetchmail with a wrong password exited with %d, want 3 and -ERR [AUTH]:\n%s", code, o)
	}
	t.Logf("fetchmail with a wrong password:\n%s", o)
}

// rcIMAP runs one tagged IMAP session (LOGIN first, LOGOUT last) and fails
// unless every command is answered OK.
func rcIMAP(t *testing.T, addr, user string, cmds ...string) {
	t.Helper()
	c := wiretest.Dial(t, addr)
	defer c.Close()
	c.ExpectPrefix("* OK")
	cmds = append(append([]string{"LOGIN " + user + " " + user}, cmds...), "LOGOUT")
	for i, cmd := range cmds {
		tag := "r" + strconv.Itoa(i+1)
		var seen []string
		// A synchronizing literal waits for the server's continuation.
		if head, lit, ok := strings.Cut(cmd, "}\r\n"); ok {
			c.Send(tag + " " + head + "}")
			seen = append(seen, c.ExpectPrefix("+"))
			cmd = lit
		} else {
			cmd = tag + " " + cmd
		}
		c.Send(cmd)
		for {
			l := c.ReadLine()
			seen = append(seen, l)
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("IMAP %s answered %q", cmd, seen)
				}
				break
			}
		}
	}
}

// rcMaildir lists a Maildir folder's messages (new and cur), keyed by
// Subject, with their file paths.
func rcMaildir(t *testing.T, folder string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{"new", "cur"} {
		files, err := os.ReadDir(filepath.Join(folder, sub))
		if err != nil {
			t.Fatalf("maildir %s: %v", folder, err)
		}
		for _, f := range files {
			p := filepath.Join(folder, sub, f.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s := rcSubjects([]string{string(b)})
			if len(s) != 1 {
				t.Fatalf("maildir file %s has subjects %q", p, s)
			}
			if _, dup := out[s[0]]; dup {
				t.Fatalf("maildir %s holds %q twice", folder, s[0])
			}
			out[s[0]] = p
		}
	}
	return out
}

// rcKeys returns a map's keys, sorted.
func rcKeys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// rcMaildirFlags returns the flags of a Maildir file name (after ":2,").
func rcMaildirFlags(path string) string {
	_, f, _ := strings.Cut(filepath.Base(path), ":2,")
	return f
}

// rcDropTUID removes the X-TUID: header mbsync (isync 1.4) adds to every
// message it copies, in either direction, to find it again after the copy.
func rcDropTUID(msg string) string {
	head, rest, ok := strings.Cut(msg, "\nX-TUID: ")
	if !ok {
		return msg
	}
	_, rest, _ = strings.Cut(rest, "\n")
	return head + "\n" + rest
}

// rcServerFolder returns one of bob's mailboxes on B keyed by Subject.
func rcServerFolder(t *testing.T, inst *servers.Instance, name string) map[string]*store.Message {
	t.Helper()
	msgs, bodies := rcMailbox(t, inst.Store, "B", "bob", name)
	out := map[string]*store.Message{}
	for i, m := range msgs {
		s := rcSubjects(bodies[i : i+1])
		if len(s) != 1 {
			t.Fatalf("%s message %d has subjects %q", name, m.UID, s)
		}
		out[s[0]] = m
	}
	return out
}

// TestMbsyncBothWays: mbsync (isync) keeps a local Maildir and bob's IMAP
// INBOX and Homework folder on B in step, over STARTTLS with the world's
// certificate checked: server mail and flags come down, local mail, flags
// and deletions go up, server deletions come down.
func TestMbsyncBothWays(t *testing.T) {
	mbsync := wiretest.Tool(t, "mbsync", "isync")
	dir := t.TempDir()
	inst := start(t, filepath.Join(dir, "world"), nil)
	rcTrace(t, inst)
	home := filepath.Join(dir, "home")
	mail := filepath.Join(home, "Mail")
	if err := os.MkdirAll(mail, 0o700); err != nil {
		t.Fatal(err)
	}
	imapAddr := inst.Addr("B", world.IMAP)

	// On the server: two messages in INBOX, a Homework folder with one.
	rcDeliver(t, inst, 2, "inbox 1", "inbox 2")
	rcIMAP(t, imapAddr, "bob", "CREATE Homework",
		"APPEND Homework (\\Seen) {48}\r\nSubject: homework from the teacher\r\n\r\nsolve it\r\n")

	// isync 1.5 renamed SSLType to TLSType; before 1.4 the two sides of a
	// channel were Master and Slave.
	tlsType, far, near := "SSLType", "Far", "Near"
	ver, _ := rcRun(t, home, mbsync, "--version")
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimSpace(ver), "isync %d.%d", &major, &minor); err != nil {
		t.Fatalf("mbsync --version: %q", ver)
	}
	if major > 1 || major == 1 && minor >= 5 {
		tlsType = "TLSType"
	}
	if major == 1 && minor < 4 {
		far, near = "Master", "Slave"
	}
	rc := fmt.Sprintf(`IMAPAccount b
Host 127.0.0.1
Port %s
User bob
Pass bob
%s STARTTLS
CertificateFile "%s"
AuthMechs LOGIN PLAIN
Timeout 30

IMAPStore b-remote
Account b

MaildirStore b-local
Path "%s/"
Inbox "%s/INBOX"
SubFolders Verbatim

Channel b
%s :b-remote:
%s :b-local:
Patterns INBOX Homework
Create Both
Expunge Both
Sync All
SyncState *
`, rcPort(t, imapAddr), tlsType, filepath.Join(dir, "world", "tls", "cert.pem"), mail, mail, far, near)
	rcfile := filepath.Join(home, ".mbsyncrc")
	if err := os.WriteFile(rcfile, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	syncNow := func(what string) {
		t.Helper()
		// mbsync sleeps a second when a Maildir folder changed within the
		// current second (it cannot tell later changes apart); the test
		// makes its changes look older instead.
		past := time.Now().Add(-3 * time.Second)
		dirs, _ := filepath.Glob(filepath.Join(mail, "*", "*"))
		for _, d := range dirs {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				os.Chtimes(d, past, past)
			}
		}
		// -Dn prints the IMAP dialogue (credentials as <authdata>): the
		// world's trace only shows ciphertext after STARTTLS.
		o, code := rcRun(t, home, mbsync, "-Dn", "--all")
		if code != 0 {
			t.Fatalf("mbsync (%s) exited with %d:\n%s", what, code, o)
		}
		t.Logf("mbsync (%s):\n%s", what, o)
	}
	eq := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
	}
	inbox, homework := filepath.Join(mail, "INBOX"), filepath.Join(mail, "Homework")

	// 1. Server to local: INBOX and Homework come down, \Seen as S.
	syncNow("first sync")
	local := rcMaildir(t, inbox)
	eq("local INBOX after the first sync", rcKeys(local), "inbox 1", "inbox 2")
	hw := rcMaildir(t, homework)
	eq("local Homework after the first sync", rcKeys(hw), "homework from the teacher")
	if f := rcMaildirFlags(hw["homework from the teacher"]); f != "S" {
		t.Errorf("the \\Seen message came down with maildir flags %q, want S", f)
	}
	_, bodies := rcMailbox(t, inst.Store, "B", "bob", "INBOX")
	for _, body := range bodies {
		subj := rcSubjects([]string{body})[0]
		b, _ := os.ReadFile(local[subj])
		if rcDropTUID(string(b)) != strings.ReplaceAll(body, "\r\n", "\n") {
			t.Fatalf("local copy of %s:\n%q\nwant the stored message with LF line ends and an X-TUID: header:\n%q", subj, b, body)
		}
	}

	// 2. Local to server: a new message in Homework, flags on an INBOX
	// message (seen and flagged).
	laptop := "Subject: notes from the laptop\r\nFrom: bob@b.example\r\n\r\nwritten offline\r\n"
	if err := os.WriteFile(filepath.Join(homework, "new", "1700000000.rc1.laptop"), []byte(laptop), 0o600); err != nil {
		t.Fatal(err)
	}
	old := local["inbox 1"]
	base, _, _ := strings.Cut(filepath.Base(old), ":2,")
	if err := os.Rename(old, filepath.Join(inbox, "cur", base+":2,FS")); err != nil {
		t.Fatal(err)
	}
	syncNow("upload")
	srvHW := rcServerFolder(t, inst, "Homework")
	eq("server Homework after the upload", rcKeys(srvHW), "homework from the teacher", "notes from the laptop")
	if b, _ := inst.Store.Body(context.Background(), srvHW["notes from the laptop"].ID); rcDropTUID(string(b)) != laptop {
		t.Errorf("uploaded message on the server:\n%q\nwant\n%q", b, laptop)
	}
	srvIn := rcServerFolder(t, inst, "INBOX")
	if m := srvIn["inbox 1"]; m == nil || !m.HasFlag(`\Flagged`) || !m.HasFlag(`\Seen`) {
		t.Fatalf("server flags of inbox 1 after a local :2,FS: %+v", m)
	}
	if m := srvIn["inbox 2"]; m == nil || m.HasFlag(`\Seen`) || m.HasFlag(`\Flagged`) {
		t.Fatalf("server flags of inbox 2 (untouched): %+v", m)
	}

	// 3. Server to local: a flag set and a message expunged over IMAP, and a
	// new delivery.
	rcIMAP(t, imapAddr, "bob", "SELECT INBOX",
		fmt.Sprintf("UID STORE %d +FLAGS (\\Answered)", srvIn["inbox 2"].UID),
		fmt.Sprintf("UID STORE %d +FLAGS (\\Deleted)", srvIn["inbox 1"].UID),
		"EXPUNGE")
	rcDeliver(t, inst, 2, "inbox 3")
	syncNow("server changes")
	local = rcMaildir(t, inbox)
	eq("local INBOX after the server changes", rcKeys(local), "inbox 2", "inbox 3")
	if f := rcMaildirFlags(local["inbox 2"]); f != "R" {
		t.Errorf("local flags of inbox 2 after \\Answered on the server: %q, want R", f)
	}

	// 4. Local deletion: removing a file from the Maildir deletes the message
	// on the server (Expunge Both).
	hw = rcMaildir(t, homework)
	eq("local Homework", rcKeys(hw), "homework from the teacher", "notes from the laptop")
	if err := os.Remove(hw["homework from the teacher"]); err != nil {
		t.Fatal(err)
	}
	syncNow("local deletion")
	eq("server Homework after the local deletion", rcKeys(rcServerFolder(t, inst, "Homework")), "notes from the laptop")

	// 5. A sync with nothing to do changes nothing on either side.
	syncNow("idle")
	eq("local INBOX at the end", rcKeys(rcMaildir(t, inbox)), "inbox 2", "inbox 3")
	eq("local Homework at the end", rcKeys(rcMaildir(t, homework)), "notes from the laptop")
	eq("server INBOX at the end", rcKeys(rcServerFolder(t, inst, "INBOX")), "inbox 2", "inbox 3")
	eq("server Homework at the end", rcKeys(rcServerFolder(t, inst, "Homework")), "notes from the laptop")
}
