// Package world describes a mailscope world: the mail servers of a small
// simulated internet, their domains, users and listeners, the queue's retry
// schedule and the SMTP policy. A world is data: a YAML file, or the embedded
// default (default.yaml), validated with errors that name the line and field.
package world

import (
	_ "embed"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default world file.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the embedded default world.
func Default() *World {
	w, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic("world: embedded default is invalid: " + err.Error())
	}
	return w
}

// FallbackPortBase is used when the standard ports cannot be bound.
const FallbackPortBase = 10000

// World is a validated world.
type World struct {
	Host string // address every listener binds, 127.0.0.1 by default
	// PortBase lays out the listeners (see Addr). PortBaseSet says whether the
	// file or a flag chose it; if not, standard ports are tried first.
	PortBase    int
	PortBaseSet bool
	Web         string // web UI address
	Servers     []*Server
	Queue       Queue
	SMTP        SMTPPolicy
	// Class bounds each student's account (see AddStudents).
	Class ClassPolicy
	// MaskCredentials hides passwords and AUTH payloads in the trace.
	MaskCredentials bool
	// WebHosts are names the web UI's Host header may carry besides the
	// machine's addresses and hostname (--web-host adds to them).
	WebHosts []string
}

// Server is one mail server of the world.
type Server struct {
	Name   string // "A"
	Domain string // "a.example"
	Users  []User
	// Index is the server's position in the world; it picks its ports.
	Index int
	// SMTPAddr, POP3Addr and IMAPAddr are explicit listener addresses; empty
	// means "from the port layout".
	SMTPAddr, POP3Addr, IMAPAddr string
}

// User is a mailbox owner who may log in.
type User struct {
	Name     string
	Password string
	// Student marks a class account (AddStudents): the world's
	// ClassPolicy bounds what it may do.
	Student bool
}

// Queue is the outgoing queue's timing.
type Queue struct {
	Retry  []time.Duration // waits between delivery attempts
	GiveUp time.Duration   // after this long in the queue, bounce
	// DelayNotice is how long a message waits in the queue before a
	// recipient that asked for NOTIFY=DELAY (RFC 3461 section 4.1) gets
	// one "delayed" notification (RFC 3464 section 2.3.3); 0 sends none.
	DelayNotice time.Duration
}

// SMTPPolicy bounds what SMTP clients may do.
type SMTPPolicy struct {
	MaxMessageSize    int64
	MaxRecipients     int
	MaxErrors         int           // errors in a row before 421 and close
	IdleTimeout       time.Duration // silence before 421 and close
	StrictLineEndings bool          // refuse bare LF in DATA
	TrustedNetworks   []netip.Prefix
}

// Protocol names a listener kind.
type Protocol string

// The listener kinds.
const (
	SMTP Protocol = "smtp"
	POP3 Protocol = "pop3"
	IMAP Protocol = "imap"
)

// standard ports per protocol; a server's listener is base + 1000*index + port.
var standardPort = map[Protocol]int{SMTP: 25, POP3: 110, IMAP: 143}

// Addr returns the listen address of server s's listener for proto with the
// given port base: A on base+25, base+110, base+143; B 1000 higher; and so on.
func (w *World) Addr(s *Server, proto Protocol, base int) string {
	switch proto {
	case SMTP:
		if s.SMTPAddr != "" {
			return s.SMTPAddr
		}
	case POP3:
		if s.POP3Addr != "" {
			return s.POP3Addr
		}
	case IMAP:
		if s.IMAPAddr != "" {
			return s.IMAPAddr
		}
	}
	return net.JoinHostPort(w.Host, strconv.Itoa(base+1000*s.Index+standardPort[proto]))
}

// Server returns the server named name (case-insensitive), or nil.
func (w *World) Server(name string) *Server {
	for _, s := range w.Servers {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// ServerFor is the world's directory, the simulated MX lookup: the server
// that receives mail for domain, or nil.
func (w *World) ServerFor(domain string) *Server {
	for _, s := range w.Servers {
		if strings.EqualFold(s.Domain, domain) {
			return s
		}
	}
	return nil
}

// User finds a user by "name" or "name@domain" (the domain must be the
// server's own).
func (s *Server) User(login string) *User {
	name := login
	if i := strings.LastIndexByte(login, '@'); i >= 0 {
		if !strings.EqualFold(login[i+1:], s.Domain) {
			return nil
		}
		name = login[:i]
	}
	for i := range s.Users {
		if strings.EqualFold(s.Users[i].Name, name) {
			return &s.Users[i]
		}
	}
	return nil
}

// Trusted reports whether a client at addr may relay without logging in.
func (p *SMTPPolicy) Trusted(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, n := range p.TrustedNetworks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// Size is a byte count written like "10MiB", "512KiB", "1000000".
type Size int64

// ParseSize reads a byte count with an optional B, KB, KiB, MB, MiB, GB or
// GiB suffix.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (write it like 10MiB, 512KiB or 1000000)", s)
	}
	return Size(n * mult), nil
}
