package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/webui"
)

// maxClass is the largest class one process takes: the scale the
// classroom issue measures (100 students) with room to spare.
const maxClass = 500

// classSheet is the sheet's file name in the data directory.
const classSheet = "class.txt"

// addClassFlag adds --class to up (and to the bare command, which is up).
func addClassFlag(cmd *cobra.Command, o *options) {
	cmd.Flags().StringVar(&o.class, "class", "", "")
}

// renamed is a roster line whose login is not the line itself.
type renamed struct{ line, login string }

// classRequest reads --class: a number N (accounts s01 ... sNN) or a roster
// file with one student's name a line (blank lines and # comments are
// skipped). Roster names become safe logins (world.Logins); renamed lists
// the lines that changed beyond case, for the banner.
func classRequest(arg string, w *world.World, lang string) (*servers.Class, []renamed, error) {
	if n, err := strconv.Atoi(arg); err == nil {
		if n < 1 || n > maxClass {
			return nil, nil, sayErr(lang, "cli.err.class.n", nil, "value", arg, "max", strconv.Itoa(maxClass))
		}
		return &servers.Class{Logins: world.NumberedLogins(n)}, nil, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, nil, sayErr(lang, "cli.err.class.file", err, "file", arg)
	}
	names := rosterNames(b)
	if len(names) == 0 || len(names) > maxClass {
		return nil, nil, sayErr(lang, "cli.err.class.roster", nil, "file", arg, "n", strconv.Itoa(len(names)), "max", strconv.Itoa(maxClass))
	}
	taken := map[string]bool{}
	for _, s := range w.Servers {
		for _, u := range s.Users {
			taken[strings.ToLower(u.Name)] = true
		}
	}
	logins := world.Logins(names, taken)
	var ren []renamed
	for i, n := range names {
		if logins[i] != strings.ToLower(n) {
			ren = append(ren, renamed{n, logins[i]})
		}
	}
	return &servers.Class{Logins: logins, Roster: names}, ren, nil
}

// rosterNames are a roster file's names: one a line, trimmed, without
// blank lines, # comments and control characters, at most 200 bytes
// each.
func rosterNames(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// The line reaches the terminal and the sheet: no control
		// characters (an escape sequence in a name would run there).
		l := strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == '\ufeff' {
				return -1
			}
			return r
		}, sc.Text()))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if len(l) > 200 {
			l = strings.ToValidUTF8(l[:200], "")
		}
		out = append(out, l)
	}
	return out
}

// classWeb is the web address a class uses when --web was not given: the
// mail listeners' host (--host 0.0.0.0) on the web port, so that students'
// browsers reach the page too. "" keeps the world's address.
func classWeb(o *options, w *world.World) string {
	if o.class == "" || o.web != "" || webui.IsLoopback(net.JoinHostPort(w.Host, "1")) {
		return ""
	}
	_, port, err := net.SplitHostPort(w.Web)
	if err != nil {
		return ""
	}
	return net.JoinHostPort(w.Host, port)
}

// studentWeb is the page's address for students: on another machine, the
// LAN address; never with the token, which is the instructor's.
func studentWeb(ws *webStart) string {
	if ws == nil {
		return ""
	}
	if ws.public {
		if u := ws.remoteURLs(); len(u) > 0 {
			return u[len(u)-1] + "/"
		}
	}
	return webURL(ws.addr) + "/"
}

// writeSheet writes the class's sheet to class.txt in the data directory,
// readable by its owner only (it holds every password): a header of
// # lines with the addresses to type, then one student a line: name,
// password and the roster's line. It returns the file's path.
func writeSheet(inst *servers.Instance, web, lang string) (string, error) {
	var b bytes.Buffer
	sheet(&b, inst, web, lang)
	path := filepath.Join(inst.DataDir, classSheet)
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return "", err
	}
	// WriteFile keeps the mode of a file that exists; the sheet never
	// inherits a looser one.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// sheet prints the class sheet.
func sheet(out io.Writer, inst *servers.Instance, web, lang string) {
	fmt.Fprintf(out, "# %s\n", say(lang, "cli.class.sheet.title", "n", strconv.Itoa(len(inst.Students)), "time", time.Now().UTC().Format("2006-01-02 15:04 UTC")))
	if web != "" {
		fmt.Fprintf(out, "# %s\n", say(lang, "cli.class.sheet.web", "url", web))
	}
	for _, s := range inst.World.Servers {
		fmt.Fprintf(out, "# %s\n", say(lang, "cli.class.sheet.server", "server", s.Name, "domain", s.Domain,
			"smtp", telnetForm(inst.PublicAddr(s.Name, world.SMTP)), "pop3", telnetForm(inst.PublicAddr(s.Name, world.POP3)), "imap", telnetForm(inst.PublicAddr(s.Name, world.IMAP))))
	}
	fmt.Fprintf(out, "# %s\n#\n", say(lang, "cli.class.sheet.login"))
	rows := [][]string{{"# " + say(lang, "cli.class.col.name"), say(lang, "cli.class.col.password"), say(lang, "cli.class.col.roster")}}
	for _, st := range inst.Students {
		rows = append(rows, []string{st.Name, st.Password, st.Roster})
	}
	var t strings.Builder
	writeTable(&t, rows)
	for _, l := range strings.SplitAfter(t.String(), "\n") {
		io.WriteString(out, strings.TrimRight(l, " \n")+strings.Repeat("\n", strings.Count(l, "\n")))
	}
}

// telnetForm writes an address as telnet takes it: "192.168.1.10 2525"
// (telnet reads "HOST:PORT" as a host name).
func telnetForm(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return orDash(addr)
	}
	return host + " " + port
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// classBanner is what the banner says of a class: how many accounts, where
// the sheet is, the addresses students type, the roster names that were
// changed, and a warning when the listeners are on loopback only.
func classBanner(out io.Writer, lang string, inst *servers.Instance, sheetPath, web string, ren []renamed) {
	fmt.Fprintln(out, say(lang, "cli.class.banner", "n", strconv.Itoa(len(inst.Students)), "path", sheetPath))
	for _, s := range inst.World.Servers {
		fmt.Fprintln(out, "  "+say(lang, "cli.class.sheet.server", "server", s.Name, "domain", s.Domain,
			"smtp", telnetForm(inst.PublicAddr(s.Name, world.SMTP)), "pop3", telnetForm(inst.PublicAddr(s.Name, world.POP3)), "imap", telnetForm(inst.PublicAddr(s.Name, world.IMAP))))
	}
	if web != "" {
		fmt.Fprintln(out, "  "+say(lang, "cli.class.sheet.web", "url", web))
	}
	for _, r := range ren {
		fmt.Fprintln(out, "  "+say(lang, "cli.class.renamed", "name", strconv.Quote(r.line), "login", r.login))
	}
	if len(inst.LabNetworks) > 0 {
		nets := make([]string, len(inst.LabNetworks))
		for i, n := range inst.LabNetworks {
			nets[i] = n.String()
		}
		fmt.Fprintln(out, "  "+say(lang, "cli.class.trusted", "nets", strings.Join(nets, ", ")))
	}
	if webui.IsLoopback(net.JoinHostPort(inst.World.Host, "1")) {
		fmt.Fprintln(out, say(lang, "cli.class.loopback"))
	}
	fmt.Fprintln(out)
}

// closedClassNote is a banner line when the data directory keeps a class's
// accounts but this run has no --class: they cannot log in now.
func closedClassNote(inst *servers.Instance, lang string) string {
	accounts, err := inst.Store.ClassAccounts(context.Background())
	if err != nil || len(accounts) == 0 {
		return ""
	}
	return "\n\n" + say(lang, "cli.class.closed", "n", strconv.Itoa(len(accounts)))
}
