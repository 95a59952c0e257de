package webui

import (
	"encoding/base64"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// classStudents makes s01 and s02 (newClassWorld's users) the class, and
// extra rows with the names given (rows of the sheet with no account).
func classStudents(inst *servers.Instance, extra ...string) {
	inst.Students = []world.Student{{Name: "s01", Password: "pw01"}, {Name: "s02", Password: "pw02"}}
	for _, n := range extra {
		inst.Students = append(inst.Students, world.Student{Name: n})
	}
}

// mistakeFrom logs in to A as user from ip and types a header line where
// DATA was due: a 500 reply and the no-data-mode diagnostic.
func mistakeFrom(t *testing.T, inst *servers.Instance, ip, user, pass string) {
	t.Helper()
	w := dialWire(t, ip, inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("EHLO pc", "250")
	w.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)), "235")
	w.cmd("MAIL FROM:<"+user+"@a.example>", "250")
	w.cmd("RCPT TO:<bob@b.example>", "250")
	w.cmd("Subject: hello", "5")
}

func progressOf(t *testing.T, b *browser) map[string]studentProgress {
	t.Helper()
	var pr classProgress
	if code := b.get("/api/class/progress", &pr); code != 200 {
		t.Fatalf("progress: %d", code)
	}
	out := map[string]studentProgress{}
	for _, p := range pr.Students {
		out[p.Name] = p
	}
	return out
}

// TestClassProgress: two students each log in and make a mistake, from
// their own addresses; the instructor's progress API counts each one's
// session, error reply and diagnostic, and a student gets none of it.
func TestClassProgress(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	classStudents(inst)
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	b1 := newBrowser(t, base, "127.0.0.2")
	b1.signin("s01", "pw01")
	mistakeFrom(t, inst, "127.0.0.2", "s01", "pw01")
	mistakeFrom(t, inst, "127.0.0.3", "s02", "pw02")
	waitFor(t, inst.Bus, "both diagnostics", func() func(*tracer.Event) bool {
		n := 0
		return func(e *tracer.Event) bool {
			if e.Kind == tracer.KindDiagnostic {
				n++
			}
			return n == 2
		}
	}())
	// A lesson event for s02 (the browser's lesson panel, attribute user).
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLesson, Text: "step", Attrs: map[string]string{
		tracer.AttrUser: "s02", "lesson": "smtp-by-hand", "status": "current", "step": "2", "steps": "7"}})
	// The index takes events in its own goroutine: wait for it.
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "mark"})
	srv.ownerIndex().wait(inst.Bus.Seq())

	got := progressOf(t, teacher)
	for _, c := range []struct {
		name     string
		signedIn bool
	}{{"s01", true}, {"s02", false}} {
		p := got[c.name]
		if p.Sessions != 1 || p.Open != 1 || p.Errors != 1 || p.Diagnostics != 1 || len(p.Mistakes) != 1 || p.Mistakes[0] != "no-data-mode" {
			t.Errorf("%s: %+v, want 1 open session, 1 error, the no-data-mode diagnostic", c.name, p)
		}
		if p.SignedIn != c.signedIn || p.Newest == "" || p.Last.IsZero() || p.Stuck {
			t.Errorf("%s: %+v", c.name, p)
		}
	}
	if p := got["s02"]; p.Lesson != "smtp-by-hand" || p.Step != 2 || p.Steps != 7 || got["s01"].Lesson != "" {
		t.Errorf("lessons: s01 %+v, s02 %+v", got["s01"], p)
	}
	// Ten minutes on, with nothing done, both are connected and idle.
	for _, p := range srv.progress(time.Now().Add(10 * time.Minute)).Students {
		if !p.Stuck || p.StuckWhy != "idle" {
			t.Errorf("ten minutes on: %+v, want stuck (idle)", p)
		}
	}
	if a := got["s01"].Addrs; len(a) != 1 || a[0] != "127.0.0.2" {
		t.Errorf("s01 signed in from %v", a)
	}

	// A student, signed in, is refused; so is anyone without the token.
	for _, path := range []string{"/api/class/progress", "/api/class/progress.csv"} {
		if code, _ := b1.do("GET", path, "", ""); code != 401 && code != 403 {
			t.Errorf("student: GET %s: %d", path, code)
		}
		if code, _ := newBrowser(t, base, "127.0.0.4").do("GET", path, "", ""); code != 401 && code != 403 {
			t.Errorf("anonymous: GET %s: %d", path, code)
		}
	}
}

// TestClassProgressStuck: three mistakes within the window mark a
// student stuck (the rule of progress.go).
func TestClassProgressStuck(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	classStudents(inst)
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	w := dialWire(t, "127.0.0.2", inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("EHLO s01", "250")
	for range 3 {
		w.cmd("RCPT TO:<bob@b.example>", "503")
	}
	inst.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "mark"})
	srv.ownerIndex().wait(inst.Bus.Seq())
	got := progressOf(t, teacher)
	if p := got["s01"]; !p.Stuck || p.StuckWhy != "errors" || p.Errors < 3 {
		t.Errorf("s01: %+v, want stuck by errors", p)
	}
	if p := got["s02"]; p.Stuck || p.Sessions != 0 {
		t.Errorf("s02: %+v", p)
	}
}

// TestClassProgressSignedInIdle: a student who signed in and did nothing
// since is stuck (idle) after stuckIdle; before, with no activity at all,
// they were never stuck.
func TestClassProgressSignedInIdle(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	classStudents(inst)
	newBrowser(t, base, "127.0.0.2").signin("s01", "pw01")
	now := srv.progress(time.Now())
	later := srv.progress(time.Now().Add(stuckIdle + time.Minute))
	for _, c := range []struct {
		got   classProgress
		stuck bool
	}{{now, false}, {later, true}} {
		for _, p := range c.got.Students {
			want := c.stuck && p.Name == "s01"
			if p.Stuck != want || want && p.StuckWhy != "idle" {
				t.Errorf("%s: stuck %v (%s), want %v", p.Name, p.Stuck, p.StuckWhy, want)
			}
		}
	}
}

// TestClassProgressCSV: the export quotes by RFC 4180 and keeps cells
// from being read as formulas.
func TestClassProgressCSV(t *testing.T) {
	inst, _, base := newClassWorld(t)
	evil := `=HYPERLINK("http://x","y")`
	quoted := `Li, "Lee"`
	classStudents(inst, evil, quoted, "@SUM(A1)", "-1+2", "+x")
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	code, body := teacher.do("GET", "/api/class/progress.csv", "", "")
	if code != 200 {
		t.Fatalf("csv: %d %s", code, body)
	}
	if !strings.Contains(body, "\r\n") {
		t.Error("records not ended by CRLF")
	}
	if !strings.Contains(body, `"Li, ""Lee"""`) {
		t.Errorf("quote and comma not quoted: %s", body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range recs[1:] {
		names[r[0]] = true
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q can be read as a formula", cell)
			}
		}
	}
	for _, want := range []string{"s01", "s02", "'" + evil, quoted, "'@SUM(A1)", "'-1+2", "'+x"} {
		if !names[want] {
			t.Errorf("no row named %q in %v", want, names)
		}
	}
}

// TestClassProgressOneMistakeOnce: a 550 for an unknown user and the
// diagnostic that explains it are one mistake; two mistakes are not yet
// "repeated errors", a third is. The page's own mailbox reads are no
// session of the student's on the dashboard.
func TestClassProgressOneMistakeOnce(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	classStudents(inst)
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	b1 := newBrowser(t, base, "127.0.0.2")
	b1.signin("s01", "pw01")
	b1.get("/api/mailboxes?server=A&user=s01", nil)
	w := dialWire(t, "127.0.0.2", inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("EHLO pc", "250")
	w.cmd("MAIL FROM:<s01@a.example>", "250")
	w.cmd("RCPT TO:<nobody@a.example>", "550")
	w.cmd("DATA", "503")
	settle := func() {
		inst.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Text: "mark"})
		srv.ownerIndex().wait(inst.Bus.Seq())
	}
	settle()
	p := progressOf(t, teacher)["s01"]
	if p.Stuck || p.Errors != 2 || p.Sessions != 1 {
		t.Errorf("after two mistakes: %+v, want 2 errors in 1 session and not stuck", p)
	}
	w.cmd("RCPT TO:<nobody2@a.example>", "550")
	settle()
	if p := progressOf(t, teacher)["s01"]; !p.Stuck || p.StuckWhy != "errors" {
		t.Errorf("after three mistakes: %+v, want stuck (errors)", p)
	}
}
