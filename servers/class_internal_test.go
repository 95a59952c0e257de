package servers

import (
	"net"
	"testing"

	"github.com/mailscope/mailscope/servers/imap"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// TestClassLoginsInTheClear: with a class, SMTP AUTH and IMAP LOGIN take
// passwords in the clear from other machines (students telnet from the
// lab, without TLS); without one, only from this machine.
func TestClassLoginsInTheClear(t *testing.T) {
	for _, class := range []*Class{nil, {Logins: []string{"s01"}}} {
		inst, err := Start(Config{World: world.Default(), DataDir: t.TempDir(), Bus: tracer.NewBus(), Class: class,
			Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
		if err != nil {
			t.Fatal(err)
		}
		s := inst.World.Server("A")
		svc, _ := inst.newIMAP(s)
		if got, want := inst.newSMTP(s).AllowInsecureAuth, class != nil; got != want {
			t.Errorf("class %v: SMTP AllowInsecureAuth %v, want %v", class != nil, got, want)
		}
		if got, want := svc.(*imap.Server).AllowInsecureAuth, class != nil; got != want {
			t.Errorf("class %v: IMAP AllowInsecureAuth %v, want %v", class != nil, got, want)
		}
		inst.Close()
	}
}

// TestClassConnLimits: a class behind one NAT address gets room for every
// student's sessions from that address; small classes and explicit
// settings above it keep theirs.
func TestClassConnLimits(t *testing.T) {
	for _, c := range []struct {
		in           Limits
		n, per       int
		perIP, total int
	}{
		{Limits{}, 10, 4, 0, 0},                                           // 40 < the default 100: unchanged
		{Limits{}, 100, 4, 400, 0},                                        // 400 per address; the default 1000 in total stays
		{Limits{}, 500, 4, 2000, 4000},                                    // the total grows to twice the per-address limit
		{Limits{MaxConnsPerIP: -1}, 100, 4, -1, 0},                        // no per-address limit stays none
		{Limits{MaxConnsPerIP: 1000, MaxConns: 5000}, 100, 4, 1000, 5000}, // set higher: kept
	} {
		got := classConnLimits(c.in, c.n, c.per)
		if got.MaxConnsPerIP != c.perIP || got.MaxConns != c.total {
			t.Errorf("classConnLimits(%+v, %d, %d): per address %d, total %d; want %d, %d", c.in, c.n, c.per, got.MaxConnsPerIP, got.MaxConns, c.perIP, c.total)
		}
	}
}

// TestClassSender: whom a message counts against, by every rule, with
// the client's address from another machine.
func TestClassSender(t *testing.T) {
	inst, err := Start(Config{World: world.Default(), DataDir: t.TempDir(), Bus: tracer.NewBus(), Class: &Class{Logins: []string{"s01", "s02"}},
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	b := &smtpBackend{worldUsers: worldUsers{inst.World.Server("A"), inst}, inst: inst}
	lab := &net.TCPAddr{IP: net.ParseIP("192.168.1.23"), Port: 40000}
	here := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 40000}
	for _, c := range []struct {
		auth, from, helo string
		relay            bool
		addr             net.Addr
		key              string
	}{
		{"S02", "alice@a.example", "laptop", false, lab, "s02"},
		{"alice", "s01@a.example", "s01", false, lab, ""},
		{"", "s01@b.example", "laptop", false, lab, "s01"},
		{"", "alice@a.example", "S02", false, lab, "s02"},
		{"", "alice@a.example", "laptop", false, lab, "ip 192.168.1.23"},
		{"", "", "laptop", false, here, ""},
		{"", "s01@a.example", "laptop", false, here, "s01"},
		{"", "s01@a.example", "a.example", true, here, ""},
	} {
		if key, _ := b.classSender(c.auth, c.from, c.helo, c.relay, c.addr); key != c.key {
			t.Errorf("classSender(%q, %q, %q, relay %v, %v) = %q, want %q", c.auth, c.from, c.helo, c.relay, c.addr, key, c.key)
		}
	}
}
