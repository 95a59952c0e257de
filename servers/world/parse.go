package world

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/smtp"
)

// file mirrors the YAML schema; pointers tell "absent" from "zero".
type file struct {
	Host            string       `yaml:"host"`
	PortBase        *int         `yaml:"port_base"`
	Web             string       `yaml:"web"`
	WebHosts        []string     `yaml:"web_hosts"`
	MaskCredentials *bool        `yaml:"mask_credentials"`
	Servers         []fileServer `yaml:"servers"`
	Queue           *fileQueue   `yaml:"queue"`
	SMTP            *fileSMTP    `yaml:"smtp"`
	Class           *fileClass   `yaml:"class"`
}

// fileClass is the class section: the per-student limits.
type fileClass struct {
	MessagesPerMinute *int   `yaml:"messages_per_minute"`
	MailboxSize       string `yaml:"mailbox_size"`
	SessionsPerUser   *int   `yaml:"sessions_per_user"`
}

type fileServer struct {
	Name   string     `yaml:"name"`
	Domain string     `yaml:"domain"`
	Users  []fileUser `yaml:"users"`
	SMTP   string     `yaml:"smtp"`
	POP3   string     `yaml:"pop3"`
	IMAP   string     `yaml:"imap"`
}

type fileUser struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
}

type fileQueue struct {
	Retry  []string `yaml:"retry"`
	GiveUp string   `yaml:"give_up"`
	// DelayNotice is the wait before a NOTIFY=DELAY notice (RFC 3461).
	DelayNotice string `yaml:"delay_notice"`
}

type fileSMTP struct {
	MaxMessageSize    string   `yaml:"max_message_size"`
	MaxRecipients     *int     `yaml:"max_recipients"`
	MaxErrors         *int     `yaml:"max_errors"`
	IdleTimeout       string   `yaml:"idle_timeout"`
	StrictLineEndings *bool    `yaml:"strict_line_endings"`
	TrustedNetworks   []string `yaml:"trusted_networks"`
}

// Error is a problem in a world file, with the line it is on.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return loc + ": " + e.Field + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// Load reads and validates a world file.
func Load(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	return Parse(path, b)
}

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)`)

// Parse validates a world file's contents; name is used in errors.
func Parse(name string, b []byte) (*World, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, yamlError(name, err, nil)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, errEOF) || err.Error() == "EOF" {
			return nil, &Error{File: name, Msg: "the file is empty; see the world file schema in README.md"}
		}
		return nil, yamlError(name, err, &root)
	}
	v := &validator{name: name, root: &root}
	w := v.world(&f)
	if v.err != nil {
		return nil, v.err
	}
	return w, nil
}

var errEOF = errors.New("EOF")

// friendlyTypes names the schema's types in words a world-file author knows.
var friendlyTypes = strings.NewReplacer(
	"[]world.fileServer", "a list of servers (- name: A ...)",
	"[]world.fileUser", "a list of users like [{name: alice, password: alice}]",
	"world.fileServer", "a server (name, domain, users)",
	"world.fileUser", "a user {name: ..., password: ...}",
	"world.fileQueue", "the queue section (retry, give_up, delay_notice)",
	"world.fileSMTP", "the smtp section",
	"world.fileClass", "the class section (messages_per_minute, mailbox_size, sessions_per_user)",
	"world.file", "a world file",
	"[]string", "a list",
	"!!str", "the text",
	"!!seq", "a list",
	"!!map", "a mapping",
	"!!int", "the number",
	"!!bool", "true/false",
)

var unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

var knownFields = map[string]string{
	"world.file":       "host, port_base, web, web_hosts, mask_credentials, servers, queue, smtp, class",
	"world.fileServer": "name, domain, users, smtp, pop3, imap",
	"world.fileUser":   "name, password",
	"world.fileQueue":  "retry, give_up, delay_notice",
	"world.fileSMTP":   "max_message_size, max_recipients, max_errors, idle_timeout, strict_line_endings, trusted_networks",
	"world.fileClass":  "messages_per_minute, mailbox_size, sessions_per_user",
}

func yamlError(name string, err error, root *yaml.Node) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		text := m[2]
		if i := strings.Index(text, "\n"); i >= 0 {
			text = text[:i]
		}
		if u := unknownField.FindStringSubmatch(text); u != nil {
			text = fmt.Sprintf("unknown field %q (known here: %s)", u[1], knownFields[u[2]])
		} else {
			text = friendlyTypes.Replace(text)
		}
		return &Error{File: name, Line: n, Field: pathAtLine(root, n), Msg: text}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// pathAtLine names the field on a line, like "servers[1].users", or "".
func pathAtLine(root *yaml.Node, line int) string {
	if root == nil {
		return ""
	}
	var walk func(n *yaml.Node, path string) (string, bool)
	walk = func(n *yaml.Node, path string) (string, bool) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p, ok := walk(c, path); ok {
					return p, true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Line == line {
					return p, true
				}
				if r, ok := walk(v, p); ok {
					return r, true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				if r, ok := walk(c, p); ok {
					return r, true
				}
			}
		}
		return "", false
	}
	p, _ := walk(root, "")
	return p
}

type validator struct {
	name string
	root *yaml.Node
	err  error
}

// fail records the first error at the node found by path ("servers", 1, "users", 0, "name").
func (v *validator) fail(msg string, path ...any) {
	if v.err != nil {
		return
	}
	n := v.find(path...)
	line := 0
	if n != nil {
		line = n.Line
	}
	var field []string
	for _, p := range path {
		switch p := p.(type) {
		case string:
			field = append(field, p)
		case int:
			if len(field) > 0 {
				field[len(field)-1] += "[" + strconv.Itoa(p) + "]"
			}
		}
	}
	v.err = &Error{File: v.name, Line: line, Field: strings.Join(field, "."), Msg: msg}
}

// find walks the YAML tree; it returns the deepest node it reached.
func (v *validator) find(path ...any) *yaml.Node {
	n := v.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return n
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return n
			}
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return n
			}
			n = n.Content[p]
		}
	}
	return n
}

var (
	serverName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	domainName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
	userName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)
)

func (v *validator) world(f *file) *World {
	w := &World{
		Host:            "127.0.0.1",
		PortBase:        FallbackPortBase,
		Web:             "127.0.0.1:8025",
		MaskCredentials: true,
		Queue: Queue{
			Retry:  []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute},
			GiveUp: 10 * time.Minute,
			// Postfix's delay_warning_time is hours; the classroom
			// queue gives up after ten minutes, so the notice comes
			// at half of that.
			DelayNotice: 5 * time.Minute,
		},
		// The SMTP server's own defaults: default.yaml writes them out
		// for the reader (TestDefaultYAMLAgrees checks it does).
		SMTP: SMTPPolicy{
			MaxMessageSize:  smtp.DefaultMaxMessageSize,
			MaxRecipients:   smtp.DefaultMaxRecipients,
			MaxErrors:       smtp.DefaultMaxErrors,
			IdleTimeout:     limits.DefaultIdleTimeout,
			TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		},
		Class: ClassPolicy{
			MessagesPerMinute: DefaultClassMessagesPerMinute,
			MailboxSize:       DefaultClassMailboxSize,
			SessionsPerUser:   DefaultClassSessionsPerUser,
		},
	}
	if f.Host != "" {
		if _, err := netip.ParseAddr(f.Host); err != nil && f.Host != "localhost" {
			v.fail(fmt.Sprintf("%q is not an IP address (say 127.0.0.1)", f.Host), "host")
		}
		w.Host = f.Host
	}
	if f.PortBase != nil {
		if *f.PortBase < 0 || *f.PortBase > 60000 {
			v.fail(fmt.Sprintf("%d is out of range: use 0 for the standard ports or a base up to 60000", *f.PortBase), "port_base")
		}
		w.PortBase, w.PortBaseSet = *f.PortBase, true
	}
	if f.Web != "" {
		if _, _, err := net.SplitHostPort(f.Web); err != nil {
			v.fail(fmt.Sprintf("%q is not host:port", f.Web), "web")
		}
		w.Web = f.Web
	}
	w.WebHosts = f.WebHosts
	if f.MaskCredentials != nil {
		w.MaskCredentials = *f.MaskCredentials
	}
	if len(f.Servers) == 0 {
		v.fail("a world needs at least one server (name, domain, users)", "servers")
	}
	names, domains := map[string]bool{}, map[string]bool{}
	for i, fs := range f.Servers {
		s := &Server{Name: fs.Name, Domain: strings.ToLower(fs.Domain), Index: i, SMTPAddr: fs.SMTP, POP3Addr: fs.POP3, IMAPAddr: fs.IMAP}
		switch {
		case fs.Name == "":
			v.fail("missing: every server needs a name, like A", "servers", i, "name")
		case !serverName.MatchString(fs.Name):
			v.fail(fmt.Sprintf("%q is not a server name: a letter, then letters, digits or _ (at most 16)", fs.Name), "servers", i, "name")
		case names[strings.ToLower(fs.Name)]:
			v.fail(fmt.Sprintf("server name %q is used twice", fs.Name), "servers", i, "name")
		}
		names[strings.ToLower(fs.Name)] = true
		switch {
		case fs.Domain == "":
			v.fail("missing: every server needs a mail domain, like a.example", "servers", i, "domain")
		case !domainName.MatchString(fs.Domain):
			v.fail(fmt.Sprintf("%q is not a domain name like a.example", fs.Domain), "servers", i, "domain")
		case domains[s.Domain]:
			v.fail(fmt.Sprintf("domain %q belongs to two servers: the directory (MX lookup) needs one", fs.Domain), "servers", i, "domain")
		}
		domains[s.Domain] = true
		for _, a := range []struct{ key, val string }{{"smtp", fs.SMTP}, {"pop3", fs.POP3}, {"imap", fs.IMAP}} {
			if a.val == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(a.val); err != nil {
				v.fail(fmt.Sprintf("%q is not host:port", a.val), "servers", i, a.key)
			}
		}
		users := map[string]bool{}
		for j, u := range fs.Users {
			switch {
			case u.Name == "":
				v.fail("missing: every user needs a name", "servers", i, "users", j, "name")
			case !userName.MatchString(u.Name):
				v.fail(fmt.Sprintf("%q is not a user name: letters, digits, . _ + - (at most 64)", u.Name), "servers", i, "users", j, "name")
			case users[strings.ToLower(u.Name)]:
				v.fail(fmt.Sprintf("user %q appears twice", u.Name), "servers", i, "users", j, "name")
			case strings.EqualFold(u.Name, "postmaster"):
				v.fail(`"postmaster" is reserved: it is an alias of the server's first user (RFC 5321 section 4.5.1)`, "servers", i, "users", j, "name")
			}
			users[strings.ToLower(u.Name)] = true
			if u.Password == "" {
				v.fail("missing: every user needs a password", "servers", i, "users", j, "password")
			}
			s.Users = append(s.Users, User{Name: u.Name, Password: u.Password})
		}
		w.Servers = append(w.Servers, s)
	}
	if q := f.Queue; q != nil {
		if q.Retry != nil {
			w.Queue.Retry = nil
			for i, r := range q.Retry {
				d, err := time.ParseDuration(r)
				if err != nil || d <= 0 {
					v.fail(fmt.Sprintf("%q is not a positive duration like 15s or 2m", r), "queue", "retry", i)
				}
				w.Queue.Retry = append(w.Queue.Retry, d)
			}
			if len(q.Retry) == 0 {
				v.fail("give at least one wait, like [15s, 30s, 1m]", "queue", "retry")
			}
		}
		if q.GiveUp != "" {
			d, err := time.ParseDuration(q.GiveUp)
			if err != nil || d <= 0 {
				v.fail(fmt.Sprintf("%q is not a positive duration like 10m", q.GiveUp), "queue", "give_up")
			}
			w.Queue.GiveUp = d
		}
		if q.DelayNotice != "" {
			d, err := time.ParseDuration(q.DelayNotice)
			if err != nil || d < 0 {
				v.fail(fmt.Sprintf("%q is not a duration like 5m (0 sends no delay notice)", q.DelayNotice), "queue", "delay_notice")
			}
			w.Queue.DelayNotice = d
		}
	}
	if p := f.SMTP; p != nil {
		if p.MaxMessageSize != "" {
			n, err := ParseSize(p.MaxMessageSize)
			if err != nil || n < 1024 {
				v.fail(fmt.Sprintf("%q is not a size of at least 1KiB (write it like 10MiB)", p.MaxMessageSize), "smtp", "max_message_size")
			}
			w.SMTP.MaxMessageSize = int64(n)
		}
		if p.MaxRecipients != nil {
			if *p.MaxRecipients < 1 {
				v.fail("must be at least 1 (RFC 5321 section 4.5.3.1.8 asks for 100)", "smtp", "max_recipients")
			}
			w.SMTP.MaxRecipients = *p.MaxRecipients
		}
		if p.MaxErrors != nil {
			if *p.MaxErrors < 1 {
				v.fail("must be at least 1", "smtp", "max_errors")
			}
			w.SMTP.MaxErrors = *p.MaxErrors
		}
		if p.IdleTimeout != "" {
			d, err := time.ParseDuration(p.IdleTimeout)
			if err != nil || d < time.Second {
				v.fail(fmt.Sprintf("%q is not a duration of at least 1s (RFC 5321 section 4.5.3.2.7 suggests 5m)", p.IdleTimeout), "smtp", "idle_timeout")
			}
			w.SMTP.IdleTimeout = d
		}
		if p.StrictLineEndings != nil {
			w.SMTP.StrictLineEndings = *p.StrictLineEndings
		}
		if p.TrustedNetworks != nil {
			w.SMTP.TrustedNetworks = nil
			for i, t := range p.TrustedNetworks {
				pf, err := netip.ParsePrefix(t)
				if err != nil {
					a, err2 := netip.ParseAddr(t)
					if err2 != nil {
						v.fail(fmt.Sprintf("%q is not a network like 127.0.0.0/8 or an address", t), "smtp", "trusted_networks", i)
						continue
					}
					pf = netip.PrefixFrom(a, a.BitLen())
				}
				w.SMTP.TrustedNetworks = append(w.SMTP.TrustedNetworks, pf.Masked())
			}
		}
	}
	v.class(w, f.Class)
	return w
}

// class reads the class section: the limits of each student's account.
func (v *validator) class(w *World, c *fileClass) {
	if c == nil {
		return
	}
	if c.MessagesPerMinute != nil {
		if *c.MessagesPerMinute < 1 {
			v.fail("must be at least 1 (a student must be able to send)", "class", "messages_per_minute")
		}
		w.Class.MessagesPerMinute = *c.MessagesPerMinute
	}
	if c.MailboxSize != "" {
		n, err := ParseSize(c.MailboxSize)
		if err != nil || n < 64<<10 {
			v.fail(fmt.Sprintf("%q is not a size of at least 64KiB (write it like 5MiB)", c.MailboxSize), "class", "mailbox_size")
		}
		w.Class.MailboxSize = int64(n)
	}
	if c.SessionsPerUser != nil {
		if *c.SessionsPerUser < 1 {
			v.fail("must be at least 1", "class", "sessions_per_user")
		}
		w.Class.SessionsPerUser = *c.SessionsPerUser
	}
}
