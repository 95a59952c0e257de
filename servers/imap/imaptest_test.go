package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/tracer"
)

// Dovecot's imaptest (MIT licensed; .ci/imaptest builds it) is the best-known
// independent check of an IMAP server: scripted test groups, each a list of
// commands and the replies RFC 3501 and its extensions require, and a stress
// run of random commands from several clients at once that checks every
// reply against what the other clients did.
//
// The binary is $IMAPTEST, or /tmp/imaptest/src/imaptest (where
// .ci/imaptest/build.sh puts it by default); the groups are in $IMAPTEST_TESTS,
// or the tests directory beside the binary. Without the binary the test is
// skipped, and under CI (which builds it) it fails.

// imaptestPass is the password of every imaptest account: each group gets
// its own account (it expunges its INBOX and creates and deletes folders),
// named after it, and any name logs in.
const imaptestPass = "imaptest-pass"

// imaptestAuth lets any user name log in with imaptestPass.
func imaptestAuth(login, password string) (string, bool) {
	if password != imaptestPass || login == "" || strings.ContainsAny(login, "@/") {
		return "", false
	}
	return strings.ToLower(login), true
}

// imaptestBinary finds imaptest and its test groups, or skips (fails in CI).
func imaptestBinary(t *testing.T) (bin, tests string) {
	t.Helper()
	bin = os.Getenv("IMAPTEST")
	if bin == "" {
		bin = "/tmp/imaptest/src/imaptest"
	}
	tests = os.Getenv("IMAPTEST_TESTS")
	if tests == "" {
		tests = filepath.Join(filepath.Dir(bin), "tests")
	}
	_, errBin := os.Stat(bin)
	_, errTests := os.Stat(filepath.Join(tests, "default.mbox"))
	if errBin != nil || errTests != nil {
		why := fmt.Sprintf("imaptest is not built here (%v; %v): run .ci/imaptest/build.sh (it needs the Debian packages dovecot-dev dovecot-core build-essential autoconf automake libtool pkg-config) or set IMAPTEST", errBin, errTests)
		if os.Getenv("CI") != "" {
			t.Fatal(why + "; CI builds it (.ci/run)")
		}
		t.Skip(why)
	}
	return bin, tests
}

// imaptestGroup is one scripted test group's file and the header lines
// that decide whether it runs.
type imaptestGroup struct {
	name  string
	path  string
	caps  []string // capabilities: the group needs
	state string   // state: the state it starts in
}

// imaptestGroups reads the headers of the scripted groups in dir (every
// file that is not a .mbox; a directory is not a group).
func imaptestGroups(t *testing.T, dir string) []imaptestGroup {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []imaptestGroup
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".mbox") {
			continue
		}
		g := imaptestGroup{name: e.Name(), path: filepath.Join(dir, e.Name())}
		f, err := os.Open(g.path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() && strings.TrimSpace(sc.Text()) != "" {
			k, v, _ := strings.Cut(sc.Text(), ":")
			switch strings.TrimSpace(k) {
			case "capabilities":
				g.caps = strings.Fields(v)
			case "state":
				g.state = strings.TrimSpace(v)
			}
		}
		f.Close()
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// advertised asks the server for its capabilities before and after login.
func advertised(t *testing.T, addr string) map[string]bool {
	t.Helper()
	c := greeted(t, addr)
	defer c.Close()
	caps := map[string]bool{}
	read := func(tag string) {
		for _, l := range c.untilTagged(tag, tag+" OK *") {
			if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
				for _, w := range strings.Fields(rest) {
					caps[strings.ToUpper(w)] = true
				}
			}
		}
	}
	c.Send("c1 CAPABILITY")
	read("c1")
	c.Send("c2 LOGIN capabilities " + imaptestPass)
	c.untilTagged("c2", "c2 OK *")
	c.Send("c3 CAPABILITY")
	read("c3")
	c.Send("c4 LOGOUT")
	return caps
}

// missingCap names a capability the group needs that the server does not
// advertise, or "".
func (g imaptestGroup) missingCap(caps map[string]bool) string {
	for _, c := range g.caps {
		if !caps[strings.ToUpper(c)] {
			return c
		}
	}
	return ""
}

// imaptestRun runs imaptest with args against addr and returns its output.
func imaptestRun(t *testing.T, bin, addr string, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"host=" + host, "port=" + port, "pass=" + imaptestPass}, args...)...)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+strings.TrimPrefix(os.Getenv("LD_LIBRARY_PATH")+":/usr/lib/dovecot", ":"))
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("imaptest did not finish within %s: %w", timeout, ctx.Err())
	}
	return string(out), err
}

var groupsLine = regexp.MustCompile(`(\d+) test groups: (\d+) failed, (\d+) skipped`)

// TestImaptest runs every scripted group of Dovecot's imaptest whose
// capabilities the server advertises, each as its own user, then a
// 10-client, 10-second stress run: a failed group or an "Error:" of the
// stress run fails the test. Groups are logged with -v.
func TestImaptest(t *testing.T) {
	bin, dir := imaptestBinary(t)
	e := newEnvAuth(t, t.TempDir(), tracer.NewBus(), imap.AuthFunc(imaptestAuth))
	caps := advertised(t, e.addr)

	t.Run("groups", func(t *testing.T) {
		var mu sync.Mutex
		var ran, skipped []string
		sem := make(chan struct{}, 2) // two groups at a time: the machines are small
		var wg sync.WaitGroup
		for _, g := range imaptestGroups(t, dir) {
			if c := g.missingCap(caps); c != "" {
				skipped = append(skipped, g.name+" ("+c+")")
				continue
			}
			ran = append(ran, g.name)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				out, err := imaptestRun(t, bin, e.addr, 2*time.Minute, "user=g-"+g.name, "test="+g.path)
				m := groupsLine.FindStringSubmatch(out)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case m == nil:
					t.Errorf("group %s: no summary (%v):\n%s", g.name, err, out)
				case m[2] != "0" || m[3] != "0":
					t.Errorf("group %s: %s:\n%s", g.name, m[0], out)
				default:
					t.Logf("group %s: passed", g.name)
				}
			}()
		}
		wg.Wait()
		t.Logf("ran %d groups: %s", len(ran), strings.Join(ran, " "))
		t.Logf("skipped %d groups for a capability the server does not advertise: %s", len(skipped), strings.Join(skipped, ", "))
	})

	t.Run("stress", func(t *testing.T) {
		out, err := imaptestRun(t, bin, e.addr, 2*time.Minute, "user=stress",
			"mbox="+filepath.Join(dir, "default.mbox"), "clients=10", "secs=10")
		var errs []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "Error:") {
				errs = append(errs, l)
			}
		}
		if err != nil || len(errs) > 0 {
			t.Errorf("stress run: %v, %d errors:\n%s", err, len(errs), out)
		} else {
			t.Logf("stress run: no errors:\n%s", out)
		}
	})
}
