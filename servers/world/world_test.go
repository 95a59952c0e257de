package world

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultWorld(t *testing.T) {
	w := Default()
	if len(w.Servers) != 2 || w.Servers[0].Name != "A" || w.Servers[1].Domain != "b.example" {
		t.Fatalf("default world: %+v", w.Servers)
	}
	if w.PortBaseSet {
		t.Error("the default world must not fix the port base (standard ports are tried first)")
	}
	if got := w.Addr(w.Servers[1], SMTP, 10000); got != "127.0.0.1:11025" {
		t.Errorf("B SMTP at base 10000 = %s", got)
	}
	if got := w.Addr(w.Servers[0], IMAP, 0); got != "127.0.0.1:143" {
		t.Errorf("A IMAP at base 0 = %s", got)
	}
	if s := w.ServerFor("B.EXAMPLE"); s == nil || s.Name != "B" {
		t.Errorf("directory lookup of B.EXAMPLE = %v", s)
	}
	if u := w.Servers[0].User("alice@a.example"); u == nil || u.Password != "alice" {
		t.Errorf("alice@a.example = %v", u)
	}
	if u := w.Servers[0].User("alice@b.example"); u != nil {
		t.Errorf("alice@b.example found on A")
	}
	if w.Queue.Retry[0] != 15*time.Second || w.Queue.GiveUp != 10*time.Minute || w.SMTP.MaxMessageSize != 10<<20 {
		t.Errorf("defaults: %+v %+v", w.Queue, w.SMTP)
	}
}

func TestWorldErrorsNameLineAndField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "servers:\n  - name: A\n    domian: a.example\n", `w.yaml:3: servers[0].domian: unknown field "domian" (known here: name, domain, users, smtp, pop3, imap)`},
		{"missing domain", "servers:\n  - name: A\n    users: [{name: alice, password: x}]\n", "w.yaml:2: servers[0].domain: missing"},
		{"bad domain", "servers:\n  - name: A\n    domain: nodots\n", `w.yaml:3: servers[0].domain: "nodots" is not a domain name`},
		{"duplicate domain", "servers:\n  - {name: A, domain: a.example}\n  - {name: B, domain: a.example}\n", `w.yaml:3: servers[1].domain: domain "a.example" belongs to two servers`},
		{"duplicate user", "servers:\n  - name: A\n    domain: a.example\n    users:\n      - {name: al, password: x}\n      - {name: al, password: y}\n", `w.yaml:6: servers[0].users[1].name: user "al" appears twice`},
		{"no password", "servers:\n  - name: A\n    domain: a.example\n    users:\n      - {name: al}\n", `w.yaml:5: servers[0].users[0].password: missing`},
		{"bad retry", "servers:\n  - {name: A, domain: a.example}\nqueue:\n  retry: [15s, soon]\n", `w.yaml:4: queue.retry[1]: "soon" is not a positive duration`},
		{"bad size", "servers:\n  - {name: A, domain: a.example}\nsmtp:\n  max_message_size: huge\n", `w.yaml:4: smtp.max_message_size: "huge" is not a size`},
		{"bad network", "servers:\n  - {name: A, domain: a.example}\nsmtp:\n  trusted_networks: [\"10.0.0.0/99\"]\n", `w.yaml:4: smtp.trusted_networks[0]`},
		{"bad port base", "port_base: 70000\nservers:\n  - {name: A, domain: a.example}\n", `w.yaml:1: port_base: 70000 is out of range`},
		{"no servers", "host: 127.0.0.1\n", "servers: a world needs at least one server"},
		{"not yaml", "servers: [\n", "w.yaml"},
		{"empty", "", "the file is empty"},
		{"wrong type", "servers:\n  - name: A\n    domain: a.example\n    users: alice\n", "w.yaml:4: servers[0].users: cannot unmarshal the text `alice` into a list of users"},
	}
	for _, c := range cases {
		_, err := Parse("w.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestWorldFileOverrides(t *testing.T) {
	w, err := Parse("w.yaml", []byte(`
port_base: 20000
web_hosts: [lab.school.example]
servers:
  - name: X
    domain: x.example
    smtp: 127.0.0.1:2525
    users: [{name: xavier, password: pw}]
queue: {retry: [1s, 2s], give_up: 1m}
smtp: {max_message_size: 1MiB, max_recipients: 5, strict_line_endings: true, trusted_networks: [127.0.0.1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !w.PortBaseSet || w.PortBase != 20000 || w.Addr(w.Servers[0], SMTP, 20000) != "127.0.0.1:2525" || w.Addr(w.Servers[0], POP3, 20000) != "127.0.0.1:20110" {
		t.Errorf("ports: %+v", w)
	}
	if len(w.Queue.Retry) != 2 || w.Queue.GiveUp != time.Minute || w.SMTP.MaxMessageSize != 1<<20 || w.SMTP.MaxRecipients != 5 || !w.SMTP.StrictLineEndings {
		t.Errorf("overrides: %+v %+v", w.Queue, w.SMTP)
	}
	if len(w.WebHosts) != 1 || w.WebHosts[0] != "lab.school.example" {
		t.Errorf("web_hosts: %v", w.WebHosts)
	}
	if len(w.SMTP.TrustedNetworks) != 1 || w.SMTP.TrustedNetworks[0].String() != "127.0.0.1/32" {
		t.Errorf("trusted: %v", w.SMTP.TrustedNetworks)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"10MiB": 10 << 20, "512KiB": 512 << 10, "1000": 1000, "2 MB": 2000000, "1GiB": 1 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "ten", "1TB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
