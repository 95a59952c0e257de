package lessons

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"testing/fstest"
)

// A lesson for a student of a class (mailscope up --class, issue 17).
//
// The lessons are written for the world's own users: alice on server A,
// bob on server B, each with their name as password. In a class every
// student has an account of their own on every server ("s07"), and their
// view shows only their own sessions and mail: a lesson that asked them
// to send as alice and read bob's mailbox would send them where their
// view cannot follow. LoadFor rewrites the lessons for one student: both
// alice and bob become the student, in the texts, the hints and the
// matchers alike (MAIL FROM:<s07@a.example>, RCPT TO:<s07@b.example>,
// USER s07), and a password the texts spell out becomes a placeholder in
// the reader's language ("PASS <password>"): the student's is on the
// class sheet, and a lesson text, which is a trace event, never carries
// a credential.

// ClassLessons are the lessons a student can do on their own in a class.
// The others need what a student does not have: queue-retry-delay holds
// server A's queue (a fault that would hold everyone's mail), weaknesses
// logs in with alice's password on purpose.
var ClassLessons = []string{"smtp-by-hand", "message-format", "relay", "pop3", "imap", "pop3-vs-imap", "smtp-vs-http"}

// IsClassLesson reports whether id is one of ClassLessons.
func IsClassLesson(id string) bool {
	for _, c := range ClassLessons {
		if c == id {
			return true
		}
	}
	return false
}

// studentName is what a class account's name may be (servers/class.go
// makes them so): lower-case letters and digits. Anything else would
// change the meaning of the rewritten matchers.
var studentName = regexp.MustCompile(`^[a-z0-9]{1,32}$`)

var (
	// demoSession protects a demo's session names: alice's and bob's
	// sessions must stay two sessions when both become the student.
	demoSession = regexp.MustCompile(`\bsession: (alice|bob)\b`)
	// loginBoth and passWord are a password the texts spell out, after
	// the command that sends it: IMAP LOGIN user password (RFC 9051
	// section 6.2.3), POP3 PASS (RFC 1939 section 7).
	loginBoth = regexp.MustCompile(`\bLOGIN (alice|bob) (alice|bob)\b`)
	passWord  = regexp.MustCompile(`\bPASS (alice|bob)\b`)
	userWord  = regexp.MustCompile(`\b(alice|bob|Alice|Bob)\b`)
	// heloAny is the lessons' HELO: in a class it names the student,
	// which is what makes the session theirs behind a NAT (webui/owner.go,
	// rule 3), as the class sheet says.
	heloAny = regexp.MustCompile(`\b(HELO|EHLO) laptop\b`)
	// ownName: the world's rule that a password is its user's name,
	// which a hint says with the pair; in a class it is the sheet's.
	ownName = strings.NewReplacer(
		"In this world the password is the user's name: ", "Use the password from your class sheet: ",
		" (alice/alice on server A)", "", " (alice alice on server A)", "",
		"在这个世界里密码就是用户名：", "请使用班级名单上的密码：",
		"（服务器 A 上是 alice/alice）", "", "（服务器 A 上是 alice alice）", "")
)

// passwordMark stands for the student's password until the texts are
// put in their language.
const passwordMark = "<password>"

// personalize rewrites one lesson file's text for user.
func personalize(src, user string) string {
	src = demoSession.ReplaceAllStringFunc(src, func(m string) string {
		return "session: \x00" + m[len("session: "):len("session: ")+1]
	})
	src = ownName.Replace(src)
	src = heloAny.ReplaceAllString(src, "${1} "+user)
	src = loginBoth.ReplaceAllString(src, "LOGIN "+user+" "+passwordMark)
	src = passWord.ReplaceAllString(src, "PASS "+passwordMark)
	src = userWord.ReplaceAllString(src, user)
	return strings.NewReplacer("\x00a", "demo-a", "\x00b", "demo-b").Replace(src)
}

// loadOnce is the embedded lessons as written, parsed once: LoadFor
// reads their texts (it changes none of them).
var loadOnce = sync.OnceValues(Load)

// LoadFor returns the class lessons rewritten for the student user (see
// above). The texts keep their columns aligned where a name grew or
// shrank, like Expand's addresses.
func LoadFor(user string) (*Set, error) {
	if !studentName.MatchString(user) {
		return nil, fmt.Errorf("lessons: %q is not a class account name", user)
	}
	sub, err := fs.Sub(contentFS, "content")
	if err != nil {
		return nil, err
	}
	orig, err := loadOnce()
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(sub, "*.yaml")
	if err != nil {
		return nil, err
	}
	mem := fstest.MapFS{}
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, err
		}
		mem[name] = &fstest.MapFile{Data: []byte(personalize(string(b), user))}
	}
	set, err := LoadFS(mem)
	if err != nil {
		return nil, fmt.Errorf("lessons for %s: %w", user, err)
	}
	out := &Set{HintSets: set.HintSets}
	for _, l := range set.Lessons {
		if !IsClassLesson(l.ID) {
			continue
		}
		o := orig.Get(l.ID)
		if o == nil || len(o.Steps) != len(l.Steps) || len(o.hints) != len(l.hints) {
			return nil, fmt.Errorf("lessons for %s: %s changed shape", user, l.ID)
		}
		retext := func(dst *Text, src Text) {
			for _, lang := range Langs {
				t := alignedPersonal(src.In(lang), user, lang)
				if lang == "zh" {
					if src.Zh != "" {
						dst.Zh = t
					}
				} else {
					dst.En = t
				}
			}
		}
		retext(&l.Title, o.Title)
		retext(&l.Summary, o.Summary)
		retext(&l.Conclusion, o.Conclusion)
		for i, s := range l.Steps {
			os := o.Steps[i]
			retext(&s.Title, os.Title)
			retext(&s.Instruction, os.Instruction)
			retext(&s.Explain, os.Explain)
			if len(os.Hints) != len(s.Hints) {
				return nil, fmt.Errorf("lessons for %s: %s step %d changed shape", user, l.ID, i+1)
			}
			for j, h := range s.Hints {
				h.Text = Text{}
				retext(&h.Text, os.Hints[j].Text)
			}
		}
		// The shared hints are the set's, rewritten once: copy them, so
		// that a lesson's retexting does not touch another's.
		hs := make([]*Hint, len(l.hints))
		for j, h := range l.hints {
			c := *h
			c.Text = Text{}
			retext(&c.Text, o.hints[j].Text)
			hs[j] = &c
		}
		l.hints = hs
		out.Lessons = append(out.Lessons, l)
	}
	return out, nil
}

// alignedPersonal is personalize for a text in lang, keeping a text's
// columns aligned (expandAligned), with the password mark in lang.
func alignedPersonal(s, user, lang string) string {
	if personalize(s, user) == s {
		return s
	}
	mark := passwordMark
	if lang == "zh" {
		mark = "<你的密码>"
	}
	p := func(s string) string { return strings.ReplaceAll(personalize(s, user), passwordMark, mark) }
	if strings.Contains(s, "\n") {
		return expandAligned(s, p)
	}
	return p(s)
}
