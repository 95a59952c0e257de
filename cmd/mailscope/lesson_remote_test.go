package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLessonRemote: in a class (mailscope up --class 2), a student runs
// `mailscope lesson smtp-by-hand --server URL --user s01` with no servers
// of their own: it signs in, the class's server checks the lesson from
// the student's own session (claimed by HELO s01) and the command prints
// each step, in the student's account's words, until the lesson is done.
// The instructor's console says each step in one line; a wrong password
// is refused with the page's words.
func TestLessonRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	p := start(t, dir, "--class", "2")
	_, pw, _ := sheetAccounts(t, dir)
	web := p.webURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Setenv("MAILSCOPE_PASSWORD", "wrong")
	var bad strings.Builder
	err := runCmd(ctx, &bad, "lesson", "smtp-by-hand", "--server", web, "--user", "s01", "--color", "never")
	if err == nil || !strings.Contains(err.Error(), "signing in to "+web+" as s01") || !strings.Contains(err.Error(), "Wrong user name or password") {
		t.Errorf("a wrong password: %v", err)
	}

	t.Setenv("MAILSCOPE_PASSWORD", pw["s01"])
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runCmd(ctx, out, "lesson", "smtp-by-hand", "--server", web, "--user", "s01", "--color", "never")
	}()
	for !strings.Contains(out.String(), "Step 1/8") {
		select {
		case err := <-done:
			t.Fatalf("lesson ended: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("lesson did not start:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	talk(t, p.smtp(), [2]string{"", "220 "}, [2]string{"HELO s01", "250 "},
		[2]string{"MAIL FROM:<s01@a.example>", "250 "}, [2]string{"RCPT TO:<s01@a.example>", "250 "}, [2]string{"DATA", "354 "},
		[2]string{"Subject: hi\r\n\r\nhello\r\n.", "250 "},
		[2]string{"MAIL FROM:<s01@a.example>", "250 "}, [2]string{"RCPT TO:<s01@a.example>", "250 "}, [2]string{"DATA", "354 "},
		[2]string{"Subject: again\r\n\r\nhello\r\n.", "250 "}, [2]string{"QUIT", "221 "})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lesson: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		t.Fatalf("lesson did not finish:\n%s", out.String())
	}
	got := out.String()
	for _, want := range []string{"Signed in to " + web + " as s01", "✓ Step 8 done", "★", "MAIL FROM:<s01@a.example>", "S: 250 2.1.0"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the lesson's output:\n%s", want, got)
		}
	}
	if strings.Contains(got, "alice@a.example") || strings.Contains(got, pw["s01"]) {
		t.Errorf("the lesson names alice or spells the password:\n%s", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), "s01 finished the lesson smtp-by-hand") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c := p.out.String(); !strings.Contains(c, "s01: smtp-by-hand, step 3/8 done") || !strings.Contains(c, "s01 finished the lesson smtp-by-hand") {
		t.Errorf("the instructor's console does not follow s01's lesson:\n%s", c)
	}
}
