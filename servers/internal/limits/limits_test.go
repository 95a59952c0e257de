package limits

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func tcp(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }

func TestCounter(t *testing.T) {
	c := &Counter{Max: 3, PerIP: 2, Loopback: 3}
	r1, why, _, _ := c.Admit(tcp("192.0.2.1", 1))
	if why != Admitted {
		t.Fatal(why)
	}
	if _, why, _, _ = c.Admit(tcp("192.0.2.1", 2)); why != Admitted {
		t.Fatal(why)
	}
	if _, why, ip, limit := c.Admit(tcp("192.0.2.1", 3)); why != TooManyFromIP || ip != "192.0.2.1" || limit != 2 {
		t.Fatalf("third from one address: %v %s %d", why, ip, limit)
	}
	if _, why, _, _ = c.Admit(tcp("127.0.0.1", 4)); why != Admitted {
		t.Fatal(why)
	}
	if _, why, _, limit := c.Admit(tcp("127.0.0.1", 5)); why != TooMany || limit != 3 {
		t.Fatalf("over the total: %v %d", why, limit)
	}
	r1()
	r1() // once only
	if _, why, _, _ = c.Admit(tcp("::ffff:127.0.0.1", 6)); why != Admitted {
		t.Fatalf("after a release: %v", why)
	}
	if _, why, _, _ = c.Admit(tcp("198.51.100.7", 7)); why != TooMany {
		t.Fatalf("a double release counted twice: %v", why)
	}
}

// deadlines records what ArmRead set.
type deadlines struct{ set []time.Time }

func (d *deadlines) SetReadDeadline(t time.Time) error { d.set = append(d.set, t); return nil }

func TestClockArmRead(t *testing.T) {
	var c Clock
	d := &deadlines{}
	// A whole line buffered: no deadline at all.
	r := bufio.NewReader(strings.NewReader("NOOP\r\nQUIT\r\n"))
	r.Peek(1)
	if err := c.ArmRead(d, r, time.Minute, time.Second); err != nil || len(d.set) != 0 {
		t.Fatalf("buffered line: %v, %d deadlines", err, len(d.set))
	}
	// Nothing buffered, a partial line arrives: idle, then line.
	r = bufio.NewReader(strings.NewReader("NO"))
	start := time.Now()
	if err := c.ArmRead(d, r, time.Minute, time.Second); err != nil {
		t.Fatal(err)
	}
	if len(d.set) != 2 || d.set[0].Sub(start) < 59*time.Second || d.set[1].Sub(start) > 2*time.Second || c.Why != Line {
		t.Fatalf("deadlines %v, why %v", d.set, c.Why)
	}
	// The session's end comes first.
	c.End = time.Now().Add(10 * time.Millisecond)
	if dl := c.Deadline(time.Hour, Idle); !dl.Equal(c.End) || c.Why != Session {
		t.Fatalf("deadline %v, why %v", dl, c.Why)
	}
}

func TestReadLine(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("NOOP\r\n"+strings.Repeat("x", 100)+"\r\nbare\nQUIT"), 16)
	for _, want := range []struct {
		line string
		long bool
	}{{"NOOP", false}, {"", true}, {"bare", false}} {
		line, long, err := ReadLine(r, 20)
		if err != nil || string(line) != want.line || long != want.long {
			t.Fatalf("got %q long=%v err=%v, want %q long=%v", line, long, err, want.line, want.long)
		}
	}
	if _, _, err := ReadLine(r, 20); err == nil {
		t.Fatal("a last line without LF must end in an error (EOF)")
	}
}

func TestSettingsDefaultsAndOverride(t *testing.T) {
	d := Settings{}.WithDefaults()
	want := Settings{IdleTimeout: 10 * time.Minute, LineTimeout: 5 * time.Minute, SessionTimeout: time.Hour,
		WriteTimeout: time.Minute, BusyIdleTimeout: 10 * time.Second, MaxConns: 1000, MaxConnsPerIP: 100, MaxConnsLoopback: 1000}
	if d != want {
		t.Fatalf("defaults %+v, want %+v", d, want)
	}
	// A negative per-address limit means none and is kept; the loopback
	// limit follows the total.
	if s := (Settings{MaxConns: 5, MaxConnsPerIP: -1}).WithDefaults(); s.MaxConnsPerIP != -1 || s.MaxConnsLoopback != 5 {
		t.Fatalf("got %+v", s)
	}
	// Override sets what it is given and keeps the rest.
	s := Settings{IdleTimeout: time.Second, MaxConns: 7}
	s.Override(Settings{LineTimeout: 2 * time.Second, MaxConns: 3})
	if s != (Settings{IdleTimeout: time.Second, LineTimeout: 2 * time.Second, MaxConns: 3}) {
		t.Fatalf("after Override %+v", s)
	}
}

func TestCounterBusyAndReplacing(t *testing.T) {
	c := &Counter{Max: 5, Loopback: 5}
	for i := range 3 {
		c.Admit(tcp("127.0.0.1", i))
	}
	if c.Busy() {
		t.Fatal("busy at 3 of 5")
	}
	c.Admit(tcp("127.0.0.1", 3))
	if !c.Busy() {
		t.Fatal("not busy at 4 of 5")
	}
	c.Admit(tcp("127.0.0.1", 4))
	if _, why, _, _ := c.Admit(tcp("127.0.0.1", 5)); why != TooMany {
		t.Fatalf("over the total: %v", why)
	}
	if c.RoomFrom(tcp("127.0.0.1", 5)) {
		t.Fatal("loopback at its limit has room")
	}
	// A loopback session leaving makes room for a loopback newcomer, past
	// both limits until it has gone.
	if _, why, _, _ := c.AdmitReplacing(tcp("127.0.0.1", 5), tcp("127.0.0.1", 0)); why != Admitted {
		t.Fatalf("replacing a session of the same address: %v", why)
	}
	// Another address leaving does not lift this one's limit.
	if _, why, _, _ := c.AdmitReplacing(tcp("127.0.0.1", 6), tcp("192.0.2.1", 1)); why != TooManyFromIP {
		t.Fatalf("replacing a session of another address: %v", why)
	}
}
