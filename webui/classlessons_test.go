package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// smtpByHand types the smtp-by-hand lesson from ip as user: greeting,
// helo, two messages to their own mailbox on A in one session, QUIT.
func smtpByHand(t *testing.T, inst *servers.Instance, ip, helo, user string) {
	t.Helper()
	w := dialWire(t, ip, inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("HELO "+helo, "250")
	for _, subj := range []string{"hello from telnet", "second message"} {
		w.cmd("MAIL FROM:<"+user+"@a.example>", "250")
		w.cmd("RCPT TO:<"+user+"@a.example>", "250")
		w.cmd("DATA", "354")
		w.cmd("From: "+user+"@a.example\r\nSubject: "+subj+"\r\n\r\nHello.\r\n.", "250")
	}
	w.cmd("QUIT", "221")
}

// lessonEvents returns the lesson events for user among evs.
func lessonEvents(evs []*tracer.Event, user string) []*tracer.Event {
	var out []*tracer.Event
	for _, e := range evs {
		if e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == user {
			out = append(out, e)
		}
	}
	return out
}

// TestClassLessons: two students on two addresses start smtp-by-hand from
// their pages. s01 is known by the address they signed in from, s02 (typing
// from an address nobody signed in from, like a NAT's) by "HELO s02". The server ticks each one's steps from their own sessions
// only, in their language; each sees only their own lesson events; the
// progress is saved per student and the dashboard shows it; a student's
// lesson text never spells a password; a stranger cannot start one.
func TestClassLessons(t *testing.T) {
	inst, srv, base := newClassWorld(t)
	classStudents(inst)
	teacher := newBrowser(t, base, "127.0.0.1")
	teacher.token = "tok"
	b1 := newBrowser(t, base, "127.0.0.2")
	b1.signin("s01", "pw01")
	b2 := newBrowser(t, base, "127.0.0.3")
	b2.signin("s02", "pw02")

	if code, body := newBrowser(t, base, "127.0.0.4").do("POST", "/api/lessons/smtp-by-hand/start", "application/json", `{}`); code != 401 {
		t.Errorf("a stranger started a lesson: %d %s", code, body)
	}
	if code, body := b1.do("POST", "/api/lessons/weaknesses/start", "application/json", `{}`); code != 404 || !strings.Contains(body, "smtp-by-hand") {
		t.Errorf("weaknesses in a class: %d %s", code, body)
	}
	var list lessonList
	if code := b1.get("/api/lessons?lang=zh", &list); code != 200 || list.Student != "s01" || len(list.Lessons) == 0 || list.Lessons[0].Title != "动手尝试 SMTP 交互" {
		t.Fatalf("lessons list: %d %+v", code, list)
	}
	if code, body := b1.do("POST", "/api/lessons/smtp-by-hand/start", "application/json", `{"lang":"en"}`); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	if code, body := b2.do("POST", "/api/lessons/smtp-by-hand/start", "application/json", `{"lang":"zh"}`); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}

	smtpByHand(t, inst, "127.0.0.2", "laptop", "s01")
	waitFor(t, inst.Bus, "s01 finished", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == "s01" && e.Attrs["status"] == "finished"
	})
	// s02 types from an address nobody signed in from (a lab's NAT):
	// only the HELO claim makes the session theirs, and the greeting
	// before it still ticks their first step.
	smtpByHand(t, inst, "127.0.0.4", "s02", "s02")
	waitFor(t, inst.Bus, "s02 finished", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == "s02" && e.Attrs["status"] == "finished"
	})

	for _, c := range []struct {
		b          *browser
		user, peer string
		word       string // a word of the lesson's language
	}{{b1, "s01", "s02", "Step"}, {b2, "s02", "s01", "HELO"}} {
		evs := c.b.events()
		own := lessonEvents(evs, c.user)
		done := 0
		for _, e := range own {
			if e.Attrs["status"] == "step-done" {
				done++
			}
			if strings.Contains(e.Text, "pw0") {
				t.Errorf("%s's lesson event spells a password: %q", c.user, e.Text)
			}
		}
		if done != 8 {
			t.Errorf("%s: %d steps done in their view, want 8", c.user, done)
		}
		if len(lessonEvents(evs, c.peer)) > 0 {
			t.Errorf("%s sees %s's lesson", c.user, c.peer)
		}
		if c.user == "s02" {
			zh := false
			for _, e := range own {
				zh = zh || strings.Contains(e.Text, "你")
			}
			if !zh {
				t.Errorf("s02's lesson is not in Chinese")
			}
		}
	}
	// The lesson asked for the student's own addresses.
	for _, e := range lessonEvents(teacher.events(), "s01") {
		if strings.Contains(e.Text, "alice@a.example") {
			t.Errorf("s01's lesson names alice: %q", e.Text)
		}
	}

	// Progress per student, on disk and on the dashboard.
	raw, err := os.ReadFile(filepath.Join(inst.DataDir, "class-progress", "s02.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pf struct {
		Lessons map[string]struct {
			Completed bool `json:"completed"`
		} `json:"lessons"`
	}
	if err := json.Unmarshal(raw, &pf); err != nil || !pf.Lessons["smtp-by-hand"].Completed {
		t.Errorf("s02's progress file: %s (%v)", raw, err)
	}
	srv.ownerIndex().wait(inst.Bus.Seq())
	got := progressOf(t, teacher)
	for _, u := range []string{"s01", "s02"} {
		if p := got[u]; p.Lesson != "smtp-by-hand" || p.Status != "finished" || p.Steps != 8 {
			t.Errorf("dashboard row of %s: %+v", u, p)
		}
	}
	// The CSV has a column per class lesson, for grading.
	if code, body := teacher.do("GET", "/api/class/progress.csv", "", ""); code != 200 || !strings.Contains(body, ",smtp-by-hand,message-format,") || !strings.Contains(body, "8/8 completed") {
		t.Errorf("the CSV: %d %s", code, body)
	}
	b1.get("/api/lessons", &list)
	if list.Lessons[0].ID != "smtp-by-hand" || !list.Lessons[0].Completed || list.Lessons[0].Done != 8 {
		t.Errorf("s01's list after the lesson: %+v", list.Lessons[0])
	}
}

// TestClassLessonsPlayed: every lesson a class can do, rewritten for s01,
// is played by its own demo (the player types the example commands, with
// s01's password where the texts say <password>) from the address s01
// signed in from, and the server ticks every step and finishes it.
func TestClassLessonsPlayed(t *testing.T) {
	inst, _, base := newClassWorld(t)
	classStudents(inst)
	b := newBrowser(t, base, "127.0.0.1")
	b.signin("s01", "pw01")
	set, err := lessons.LoadFor("s01")
	if err != nil {
		t.Fatal(err)
	}
	addrs := lessons.Addrs{"web": strings.TrimPrefix(base, "http://")}
	for _, sv := range inst.World.Servers {
		for _, p := range []world.Protocol{world.SMTP, world.POP3, world.IMAP} {
			addrs[sv.Name+"/"+string(p)] = inst.Addr(sv.Name, p)
		}
	}
	for _, id := range lessons.ClassLessons {
		t.Run(id, func(t *testing.T) {
			l := set.Get(id)
			// The player types what a student would, with s01's password
			// and, for the webmail's HTTP, the cookie of s01's browser.
			var cookie string
			for _, ck := range b.jar.Cookies(mustURL(t, base)) {
				cookie = "Cookie: " + ck.Name + "=" + ck.Value
			}
			for _, s := range l.Steps {
				for _, c := range s.Demo {
					c.Send = strings.ReplaceAll(c.Send, "<password>", "pw01")
					if first, rest, ok := strings.Cut(c.Send, "\n"); ok && strings.HasSuffix(first, " HTTP/1.1") {
						c.Send = first + "\n" + cookie + "\n" + rest
					}
				}
			}
			sub := inst.Bus.Subscribe(1 << 16)
			defer sub.Close()
			var mu sync.Mutex
			done := map[int]bool{}
			finished := make(chan struct{})
			changed := make(chan struct{}, 1)
			go func() {
				for e := range sub.C() {
					if e.Kind != tracer.KindLesson || e.Attrs[tracer.AttrUser] != "s01" || e.Attrs["lesson"] != id {
						continue
					}
					step, _ := strconv.Atoi(e.Attrs["step"])
					mu.Lock()
					switch e.Attrs["status"] {
					case "step-done":
						done[step] = true
					case "finished":
						close(finished)
					}
					mu.Unlock()
					select {
					case changed <- struct{}{}:
					default:
					}
				}
			}()
			wait := func(ctx context.Context, step int) error {
				for {
					mu.Lock()
					ok := done[step]
					mu.Unlock()
					if ok {
						return nil
					}
					select {
					case <-changed:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			}
			if code, body := b.do("POST", "/api/lessons/"+id+"/start", "application/json", `{"lang":"en","restart":true}`); code != 200 {
				t.Fatalf("start: %d %s", code, body)
			}
			var out bytes.Buffer
			p := &lessons.Player{Lesson: l, Lang: "en", Addrs: addrs, Out: &out, Speed: 1e6, Wait: wait,
				ReplyTimeout: 10 * time.Second, StepTimeout: 20 * time.Second}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := p.Play(ctx); err != nil {
				t.Fatalf("demo %s: %v\n%s", id, err, out.String())
			}
			select {
			case <-finished:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s did not finish on the server", id)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestClassLessonsResume: mailscope restarts (the page's server is made
// again on the same data directory) in the middle of s01's lesson; the
// lesson goes on from the first step not done, and s01 finishes it by
// typing the rest, with no new start.
func TestClassLessonsResume(t *testing.T) {
	inst, _, _ := newClassWorld(t)
	classStudents(inst)
	first := New(inst, Options{Token: "tok", Logger: quietLogger()})
	b := newBrowser(t, servePublic(t, first), "127.0.0.2")
	b.signin("s01", "pw01")
	if code, body := b.do("POST", "/api/lessons/smtp-by-hand/start", "application/json", `{"lang":"en"}`); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	w := dialWire(t, "127.0.0.2", inst.Addr("A", world.SMTP))
	w.reply("220")
	w.cmd("HELO s01", "250")
	waitFor(t, inst.Bus, "step 2 done", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == "s01" && e.Attrs["status"] == "step-done" && e.Attrs["step"] == "1"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	first.Shutdown(ctx)

	again := New(inst, Options{Token: "tok", Logger: quietLogger()})
	b.base = servePublic(t, again)
	var list lessonList
	if b.get("/api/lessons", &list); !list.Lessons[0].Active || list.Lessons[0].Step != 2 {
		t.Fatalf("after the restart: %+v", list.Lessons[0])
	}
	for _, subj := range []string{"one", "two"} {
		w.cmd("MAIL FROM:<s01@a.example>", "250")
		w.cmd("RCPT TO:<s01@a.example>", "250")
		w.cmd("DATA", "354")
		w.cmd("Subject: "+subj+"\r\n\r\nHello.\r\n.", "250")
	}
	w.cmd("QUIT", "221")
	waitFor(t, inst.Bus, "s01 finished after the restart", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == "s01" && e.Attrs["status"] == "finished"
	})
	if _, err := os.Stat(filepath.Join(inst.DataDir, "class-progress", "s01.active.json")); err == nil {
		t.Error("a finished lesson is still kept as running")
	}
}

// TestClassLessonClaimFromAnothersAddress: s02 types their lesson at
// s01's machine (s01 alone signed in from it) and claims the session by
// HELO s02: the greeting, which came while the session was s01's by
// address, still ticks s02's first step, and s02 finishes.
func TestClassLessonClaimFromAnothersAddress(t *testing.T) {
	inst, _, base := newClassWorld(t)
	classStudents(inst)
	b1 := newBrowser(t, base, "127.0.0.2")
	b1.signin("s01", "pw01")
	b2 := newBrowser(t, base, "127.0.0.3")
	b2.signin("s02", "pw02")
	for _, b := range []*browser{b1, b2} {
		if code, body := b.do("POST", "/api/lessons/smtp-by-hand/start", "application/json", `{"lang":"en"}`); code != 200 {
			t.Fatalf("start: %d %s", code, body)
		}
	}
	smtpByHand(t, inst, "127.0.0.2", "s02", "s02")
	waitFor(t, inst.Bus, "s02 finished", func(e *tracer.Event) bool {
		return e.Kind == tracer.KindLesson && e.Attrs[tracer.AttrUser] == "s02" && e.Attrs["status"] == "finished"
	})
}
