package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sheetAccounts reads class.txt: its # header and name -> password.
func sheetAccounts(t *testing.T, dir string) (string, map[string]string, []string) {
	t.Helper()
	path := filepath.Join(dir, "class.txt")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("class.txt has mode %v, want 0600: it holds every password", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var header strings.Builder
	pw := map[string]string{}
	var order []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			header.WriteString(l + "\n")
			continue
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("class.txt line %q is not name and password", l)
		}
		pw[f[0]] = f[1]
		order = append(order, f[0])
	}
	return header.String(), pw, order
}

// talk sends each line to addr (a blank want skips the read) and fails
// unless each reply line starts with its want; multi-line SMTP replies and
// IMAP untagged lines are read past.
func talk(t *testing.T, addr string, steps ...[2]string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	for _, s := range steps {
		if s[0] != "" {
			fmt.Fprintf(c, "%s\r\n", s[0])
		}
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: after %q: %v", addr, s[0], err)
			}
			if strings.HasPrefix(l, s[1]) {
				break
			}
			if len(l) > 3 && l[3] == '-' || strings.HasPrefix(l, "* ") {
				continue
			}
			t.Fatalf("%s: after %q got %q, want %q", addr, s[0], l, s[1])
		}
	}
}

// TestUpClass: mailscope up --class 3 creates s01 ... s03 on both servers,
// writes class.txt (0600) with the addresses the banner shows, the
// accounts log in over POP3 and IMAP and send over SMTP AUTH, the
// instructor's API gives the same sheet, and a restart keeps the
// passwords; a run without --class keeps the accounts closed and says so.
func TestUpClass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	p := start(t, dir, "--class", "3")
	header, pw, order := sheetAccounts(t, dir)
	if strings.Join(order, ",") != "s01,s02,s03" {
		t.Fatalf("class.txt lists %v", order)
	}
	addrs := fmt.Sprintf("server A (a.example): SMTP telnet 127.0.0.1 %d, POP3 telnet 127.0.0.1 %d, IMAP telnet 127.0.0.1 %d", p.base+25, p.base+110, p.base+143)
	addrsB := fmt.Sprintf("server B (b.example): SMTP telnet 127.0.0.1 %d, POP3 telnet 127.0.0.1 %d, IMAP telnet 127.0.0.1 %d", p.base+1025, p.base+1110, p.base+1143)
	web := p.webURL(t)
	for _, want := range []string{addrs, addrsB, "web page: " + web + "/", "3 students"} {
		if !strings.Contains(header, want) {
			t.Errorf("class.txt's header lacks %q:\n%s", want, header)
		}
	}
	out := p.out.String()
	for _, want := range []string{"class: 3 student accounts on every server", filepath.Join(dir, "class.txt"), addrs, "+3 students (class.txt)", "listen on this machine only"} {
		if !strings.Contains(out, want) {
			t.Errorf("the banner lacks %q:\n%s", want, out)
		}
	}
	for _, p := range pw {
		if strings.Contains(out, p) {
			t.Errorf("the banner shows a student's password %q (it belongs on the sheet only)", p)
		}
	}

	talk(t, fmt.Sprintf("127.0.0.1:%d", p.base+110), [2]string{"", "+OK"}, [2]string{"USER s02", "+OK"}, [2]string{"PASS " + pw["s02"], "+OK"}, [2]string{"QUIT", "+OK"})
	talk(t, fmt.Sprintf("127.0.0.1:%d", p.base+1143), [2]string{"", "* OK"}, [2]string{"a1 LOGIN s03 " + pw["s03"], "a1 OK"}, [2]string{"a2 LOGOUT", "* BYE"})
	auth := base64.StdEncoding.EncodeToString([]byte("\x00s01\x00" + pw["s01"]))
	talk(t, p.smtp(), [2]string{"", "220 "}, [2]string{"EHLO laptop", "250 "}, [2]string{"AUTH PLAIN " + auth, "235 "},
		[2]string{"MAIL FROM:<s01@a.example>", "250 "}, [2]string{"RCPT TO:<s03@b.example>", "250 "}, [2]string{"DATA", "354 "},
		[2]string{"Subject: hi\r\n\r\nhello\r\n.", "250 "}, [2]string{"QUIT", "221 "})

	// The instructor's sheet over the API: with a class, the token is
	// needed on loopback too (students sign in there); the instance
	// keeps it in its run file, as for the commands that talk to it.
	if res, err := http.Get(web + "/api/class"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/class without the token: %v %v", res.StatusCode, err)
	}
	info := findRunning(dir)
	if info == nil || info.Token == "" {
		t.Fatalf("no token in the run file of a class: %+v", info)
	}
	req, _ := http.NewRequest("GET", web+"/api/class", nil)
	req.Header.Set("Authorization", "Bearer "+info.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Students []struct{ Name, Password string }
		Servers  []struct{ Name, SMTP string }
	}
	json.NewDecoder(res.Body).Decode(&api)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(api.Students) != 3 || api.Students[1].Password != pw["s02"] ||
		api.Servers[0].SMTP != fmt.Sprintf("127.0.0.1:%d", p.base+25) {
		t.Errorf("GET /api/class: %d %+v", res.StatusCode, api)
	}

	p.cmd.Process.Signal(os.Interrupt)
	if err := p.wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	p2 := start(t, dir, "--class", "3")
	_, pw2, _ := sheetAccounts(t, dir)
	// The instructor's page keeps its token across the restart.
	if info2 := findRunning(dir); info2 == nil || info2.Token != info.Token {
		t.Errorf("the class's token changed with the restart: %+v, was %q", info2, info.Token)
	}
	for name, v := range pw {
		if pw2[name] != v {
			t.Errorf("after a restart %s's password is %q, was %q", name, pw2[name], v)
		}
	}
	talk(t, fmt.Sprintf("127.0.0.1:%d", p2.base+110), [2]string{"", "+OK"}, [2]string{"USER s01", "+OK"}, [2]string{"PASS " + pw["s01"], "+OK"}, [2]string{"QUIT", "+OK"})
	p2.cmd.Process.Signal(os.Interrupt)
	p2.wait()

	// Without --class the accounts are closed, and the banner says so.
	p3 := start(t, dir)
	if !strings.Contains(p3.out.String(), "keeps 3 student accounts, closed in this run") {
		t.Errorf("a run without --class does not say the class is closed:\n%s", p3.out.String())
	}
	talk(t, fmt.Sprintf("127.0.0.1:%d", p3.base+110), [2]string{"", "+OK"}, [2]string{"USER s01", "+OK"}, [2]string{"PASS " + pw["s01"], "-ERR"}, [2]string{"QUIT", "+OK"})
}

// TestUpClassRoster: a roster's names become safe logins, the banner says
// which were changed, and the sheet keeps the roster's line.
func TestUpClassRoster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	roster := filepath.Join(t.TempDir(), "roster.txt")
	os.WriteFile(roster, []byte("\ufeffJosé Núñez\nann\n  Ann \n\n# a comment\n王小明\nBob\n"), 0o644)
	p := start(t, dir, "--class", roster)
	_, pw, order := sheetAccounts(t, dir)
	if got := strings.Join(order, ","); got != "josenunez,ann,ann2,s04,bob2" {
		t.Fatalf("class.txt lists %s", got)
	}
	out := p.out.String()
	for _, want := range []string{`roster name "José Núñez" became the login josenunez`, `roster name "Ann" became the login ann2`,
		`roster name "王小明" became the login s04`, `roster name "Bob" became the login bob2`} {
		if !strings.Contains(out, want) {
			t.Errorf("the banner lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"ann" became`) {
		t.Errorf("the banner lists a name that did not change")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "class.txt"))
	if !strings.Contains(string(b), "王小明") {
		t.Errorf("the sheet lost the roster's line:\n%s", b)
	}
	talk(t, fmt.Sprintf("127.0.0.1:%d", p.base+110), [2]string{"", "+OK"}, [2]string{"USER josenunez@a.example", "+OK"}, [2]string{"PASS " + pw["josenunez"], "+OK"}, [2]string{"QUIT", "+OK"})
}

// TestUpClassBadArgument: a class of 0, or a roster that is not there,
// is refused before anything starts.
func TestUpClassBadArgument(t *testing.T) {
	for _, arg := range []string{"0", "501", filepath.Join(t.TempDir(), "missing.txt")} {
		root := newRootCmd()
		root.SetArgs([]string{"up", "--data", t.TempDir(), "--class", arg, "--port-base", "30000", "--web", "127.0.0.1:0"})
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), "--class") {
			t.Errorf("--class %s: %v", arg, err)
		}
	}
}
