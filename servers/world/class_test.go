package world

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestLogins: roster names become short, safe, distinct logins.
func TestLogins(t *testing.T) {
	names := []string{"Alice", "José Núñez", "ann", "Ann", "ANN", "王小明", "007", "postmaster", "O'Brien-Smith, Mary Jane Elizabeth", "bob", "a b;c\r\nRCPT"}
	got := Logins(names, map[string]bool{"alice": true, "bob": true})
	want := []string{"alice2", "josenunez", "ann", "ann2", "ann3", "s06", "s007", "postmaster2", "obriensmithmaryj", "bob2", "abcrcpt"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Logins(%q)\n got %q\nwant %q", names, got, want)
	}
	safe := regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
	for _, l := range got {
		if !safe.MatchString(l) || !userName.MatchString(l) {
			t.Errorf("login %q is not a safe user name", l)
		}
	}
	if l, changed := Login("Ann"); l != "ann" || changed {
		t.Errorf(`Login("Ann") = %q, %v: case alone is no change`, l, changed)
	}
	if l, changed := Login("José"); l != "jose" || !changed {
		t.Errorf(`Login("José") = %q, %v`, l, changed)
	}
}

func TestNumberedLogins(t *testing.T) {
	if got := NumberedLogins(3); !reflect.DeepEqual(got, []string{"s01", "s02", "s03"}) {
		t.Errorf("NumberedLogins(3) = %q", got)
	}
	if got := NumberedLogins(120); got[0] != "s001" || got[119] != "s120" {
		t.Errorf("NumberedLogins(120) = %q ... %q", got[0], got[119])
	}
}

// TestNewPassword: ten characters none of which a student confuses on
// paper, different each time.
func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := NewPassword()
		if len(p) != 10 || strings.ContainsAny(p, "0O1lIo") || strings.ToLower(p) != p {
			t.Fatalf("password %q", p)
		}
		if seen[p] {
			t.Fatalf("password %q twice", p)
		}
		seen[p] = true
	}
}

// TestClassPolicy: the class section sets the per-student limits, checked.
func TestClassPolicy(t *testing.T) {
	w, err := Parse("w.yaml", []byte(`servers:
  - {name: A, domain: a.example, users: [{name: alice, password: alice}]}
class:
  messages_per_minute: 3
  mailbox_size: 1MiB
  sessions_per_user: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Class != (ClassPolicy{MessagesPerMinute: 3, MailboxSize: 1 << 20, SessionsPerUser: 2}) {
		t.Errorf("class policy %+v", w.Class)
	}
	if d := Default().Class; d != (ClassPolicy{DefaultClassMessagesPerMinute, DefaultClassMailboxSize, DefaultClassSessionsPerUser}) {
		t.Errorf("default class policy %+v", d)
	}
	_, err = Parse("w.yaml", []byte("servers:\n  - {name: A, domain: a.example}\nclass:\n  sessions_per_user: 0\n"))
	if err == nil || !strings.Contains(err.Error(), "w.yaml:4: class.sessions_per_user: must be at least 1") {
		t.Errorf("sessions_per_user 0: %v", err)
	}
	_, err = Parse("w.yaml", []byte("servers:\n  - {name: A, domain: a.example}\nclass:\n  mailbox_size: 10\n"))
	if err == nil || !strings.Contains(err.Error(), "class.mailbox_size") {
		t.Errorf("mailbox_size 10: %v", err)
	}
	_, err = Parse("w.yaml", []byte("servers:\n  - {name: A, domain: a.example}\nclass:\n  students: 3\n"))
	if err == nil || !strings.Contains(err.Error(), "messages_per_minute, mailbox_size, sessions_per_user") {
		t.Errorf("unknown class field: %v", err)
	}
}

// TestAddStudents: every server gets every student, marked, and a world
// user of the same name is left alone.
func TestAddStudents(t *testing.T) {
	w := Default()
	w.AddStudents([]Student{{Name: "s01", Password: "pw"}, {Name: "alice", Password: "x"}})
	for _, s := range w.Servers {
		if u := s.User("s01@" + s.Domain); u == nil || !u.Student || u.Password != "pw" {
			t.Errorf("server %s: s01 is %+v", s.Name, u)
		}
	}
	if u := w.Server("A").User("alice"); u.Student || u.Password != "alice" {
		t.Errorf("alice became %+v", u)
	}
}
