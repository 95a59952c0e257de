package world

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ClassPolicy bounds what one student of a class may do, so that one
// student cannot spoil the class for the others. Only accounts added by
// AddStudents are bound; the world file's own users (alice, bob) are the
// instructor's and are not.
type ClassPolicy struct {
	// MessagesPerMinute is how many messages a student may send (SMTP,
	// after AUTH) in any minute; over it, RCPT TO is answered 450 4.7.1.
	MessagesPerMinute int
	// MailboxSize is how many octets a student's mailboxes may hold on
	// one server; a message to a student whose mailboxes are full is
	// refused 452 4.2.2 (RFC 3463: mailbox full).
	MailboxSize int64
	// SessionsPerUser is how many sessions one student may be logged in
	// to at once, over SMTP, POP3 and IMAP of all servers together.
	SessionsPerUser int
}

// The ClassPolicy defaults: a student types by hand, so ten messages a
// minute is generous, 5 MiB holds hundreds of lesson messages, and six
// sessions are a terminal for each protocol and room for a mail client
// (Thunderbird keeps up to five IMAP connections by default).
const (
	DefaultClassMessagesPerMinute = 10
	DefaultClassMailboxSize       = 5 << 20
	DefaultClassSessionsPerUser   = 6
)

// Student is one account of a class: its login name, the name the roster
// gave it ("" for s01 ... accounts), and its password.
type Student struct {
	Name     string
	Roster   string
	Password string
}

// AddStudents gives every server of the world an account for each student
// (the same name and password everywhere), marked Student so that the
// ClassPolicy applies to it. A name that is already a user of a server is
// left as it is there (the world file's user wins).
func (w *World) AddStudents(students []Student) {
	for _, s := range w.Servers {
		for _, st := range students {
			if s.User(st.Name) != nil {
				continue
			}
			s.Users = append(s.Users, User{Name: st.Name, Password: st.Password, Student: true})
		}
	}
}

// IsStudent reports whether name (as world.Server.User reads it) is a
// class account on server s.
func (s *Server) IsStudent(name string) bool {
	u := s.User(name)
	return u != nil && u.Student
}

// maxLogin is the longest login name a roster name becomes: short enough
// to type, and to fit a column of the sheet.
const maxLogin = 16

// Login turns a roster name into a login name that is safe to type in
// USER, LOGIN and AUTH and to use as an address's local part: lower-case
// ASCII letters and digits, accents dropped ("José Núñez" is josenunez),
// at most 16 characters, starting with a letter ("007" is s007). A name
// with nothing left (all Chinese, say) gives "". The second result says
// whether the name had to change beyond case.
func Login(name string) (string, bool) {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(unicode.ToLower(r))
		}
	}
	login := b.String()
	if login != "" && (login[0] < 'a' || login[0] > 'z') {
		login = "s" + login
	}
	if len(login) > maxLogin {
		login = login[:maxLogin]
	}
	return login, login != strings.ToLower(strings.TrimSpace(name))
}

// reservedLogins are names a student may not get: the server's
// postmaster (RFC 5321 section 4.5.1) and the usual role accounts.
var reservedLogins = map[string]bool{"postmaster": true, "abuse": true, "root": true, "admin": true, "mailer-daemon": true}

// Logins gives each roster name a distinct login (Login), numbering
// duplicates (ann, ann2, ann3), avoiding taken (the world's own users,
// lower case) and reserved names, and naming a student left with no
// letters by position (s07 for the seventh). Empty and blank lines must
// already be gone.
func Logins(names []string, taken map[string]bool) []string {
	used := map[string]bool{}
	for k := range taken {
		used[strings.ToLower(k)] = true
	}
	for k := range reservedLogins {
		used[k] = true
	}
	out := make([]string, len(names))
	for i, n := range names {
		base, _ := Login(n)
		if base == "" {
			base = fmt.Sprintf("s%02d", i+1)
		}
		login := base
		for k := 2; used[login]; k++ {
			suffix := fmt.Sprint(k)
			login = base[:min(len(base), maxLogin-len(suffix))] + suffix
		}
		used[login] = true
		out[i] = login
	}
	return out
}

// NumberedLogins are the logins of a class of n without a roster: s01,
// s02 ... (three digits from a hundred students on).
func NumberedLogins(n int) []string {
	width := 2
	if n >= 100 {
		width = len(fmt.Sprint(n))
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%0*d", width, i+1)
	}
	return out
}

// passwordAlphabet has no characters a student mistakes for another on a
// printed sheet: no 0/O/o, 1/l/I, and lower case only, so that caps lock
// is the one thing left to get wrong.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// NewPassword returns a fresh random password of 10 characters from
// passwordAlphabet (50 bits): readable aloud and from paper, and far
// beyond guessing through the penalty's delays.
func NewPassword() string {
	b := make([]byte, 10)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("world: no randomness for a password: " + err.Error())
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	return string(b)
}
