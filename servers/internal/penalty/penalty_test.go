package penalty

import (
	"fmt"
	"testing"
	"time"
)

func TestDelaysDouble(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Box{now: func() time.Time { return now }}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}
	for i, w := range want {
		if got := b.Fail("192.0.2.1", "bob"); got != w {
			t.Fatalf("failure %d: delay %v, want %v", i+1, got, w)
		}
	}
}

func TestOneMistypeIsFree(t *testing.T) {
	b := &Box{}
	if d := b.Fail("127.0.0.1", "alice"); d != 0 {
		t.Fatalf("first failure delayed %v", d)
	}
	b.Succeed("127.0.0.1", "alice")
	if d := b.Fail("127.0.0.1", "alice"); d != 0 {
		t.Fatalf("after a success the count should restart, got %v", d)
	}
}

func TestCountsAcrossAddressesAndUsers(t *testing.T) {
	b := &Box{}
	// Guessing bob's password from many addresses is slowed by bob's count.
	b.Fail("192.0.2.1", "bob")
	b.Fail("192.0.2.2", "BOB@b.example")
	if d := b.Fail("192.0.2.3", "bob"); d != 2*time.Second {
		t.Fatalf("third failure for bob from a new address: %v, want 2s", d)
	}
	// Spraying many users from one address is slowed by the address's count.
	c := &Box{}
	c.Fail("192.0.2.9", "u1")
	c.Fail("192.0.2.9", "u2")
	if d := c.Fail("192.0.2.9", "u3"); d != 2*time.Second {
		t.Fatalf("third failure from one address: %v, want 2s", d)
	}
	// Logging in as alice does not forgive the failures on bob.
	b.Succeed("192.0.2.3", "alice")
	if d := b.Pending("192.0.2.4", "bob"); d != 4*time.Second {
		t.Fatalf("bob's pending delay after alice's login: %v, want 4s", d)
	}
}

func TestForgets(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Box{now: func() time.Time { return now }}
	for range 5 {
		b.Fail("192.0.2.1", "bob")
	}
	now = now.Add(DefaultForget + time.Second)
	if d := b.Fail("192.0.2.1", "bob"); d != 0 {
		t.Fatalf("after the forget time: %v, want 0", d)
	}
}

func TestNilBoxNeverDelays(t *testing.T) {
	var b *Box
	if b.Fail("x", "y") != 0 || b.Pending("x", "y") != 0 {
		t.Fatal("nil box delayed")
	}
	b.Succeed("x", "y")
}

func TestBoundedMemory(t *testing.T) {
	b := &Box{}
	for i := range maxEntries + 10 {
		b.Fail("", string(rune('a'+i%26))+itoa(i))
	}
	if n := len(b.keys); n > maxEntries {
		t.Fatalf("%d entries kept, bound %d", n, maxEntries)
	}
}

func itoa(i int) string {
	var s []byte
	for {
		s = append([]byte{byte('0' + i%10)}, s...)
		if i /= 10; i == 0 {
			return string(s)
		}
	}
}

func TestWait(t *testing.T) {
	done := make(chan struct{})
	close(done)
	if Wait(time.Hour, done) {
		t.Fatal("Wait ignored done")
	}
	if !Wait(0, nil) {
		t.Fatal("Wait(0) should pass at once")
	}
}

func TestFailed(t *testing.T) {
	b := &Box{}
	f := b.Failed("127.0.0.1", "alice", 1, 0)
	if f.Wait != 0 || f.Next != time.Second || f.Max != DefaultMaxPerSession || f.Closes() || f.Why() != "" {
		t.Fatalf("first failure %+v %q", f, f.Why())
	}
	f = b.Failed("127.0.0.1", "alice", 3, 3)
	if f.Wait != time.Second || f.Next != 2*time.Second || !f.Closes() ||
		f.Why() != " (answered after 1s: repeated failed logins from your address or for this user; the next failure waits 2s)" {
		t.Fatalf("second failure %+v %q", f, f.Why())
	}
	var none *Box
	if f := none.Failed("127.0.0.1", "alice", 1, 3); f.Wait != 0 || f.Next != 0 {
		t.Fatalf("no box: %+v", f)
	}
}

func TestGateQueuesAnAddressLogins(t *testing.T) {
	now := time.Unix(1000, 0)
	b := &Box{now: func() time.Time { return now }}
	if w, ok := b.Gate("192.0.2.1"); w != 0 || !ok {
		t.Fatalf("no failures yet: gate %v %v", w, ok)
	}
	b.Fail("192.0.2.1", "bob")
	if w, ok := b.Gate("192.0.2.1"); w != 0 || !ok {
		t.Fatalf("one typo: gate %v %v, want none", w, ok)
	}
	b.Fail("192.0.2.1", "bob")
	b.Fail("192.0.2.1", "bob") // three failures: a failure now waits 2 s
	want := []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}
	for i, w := range want {
		if got, ok := b.Gate("192.0.2.1"); got != w || !ok {
			t.Fatalf("login %d at once: gate %v %v, want %v (one after another)", i+1, got, ok, w)
		}
	}
	if w, ok := b.Gate("192.0.2.2"); w != 0 || !ok {
		t.Fatalf("another address is not queued: %v %v", w, ok)
	}
	// The queue is bounded: beyond DefaultMaxQueue a login is refused.
	refused := false
	for range 100 {
		if _, ok := b.Gate("192.0.2.1"); !ok {
			refused = true
			break
		}
	}
	if !refused {
		t.Fatal("the gate queued logins without bound")
	}
	// Time passes: the reservations run out.
	now = now.Add(2 * DefaultMaxQueue)
	if w, ok := b.Gate("192.0.2.1"); w != 2*time.Second || !ok {
		t.Fatalf("after the queue drained: %v %v, want 2s", w, ok)
	}
}

func TestFailedAfterTheGate(t *testing.T) {
	b := &Box{}
	for range 3 {
		b.Fail("192.0.2.1", "bob")
	}
	w, _ := b.Gate("192.0.2.1") // 2 s
	f := b.FailedAfter("192.0.2.1", "bob", 1, 3, w)
	if f.Total() != 4*time.Second || f.Wait != 2*time.Second {
		t.Fatalf("fourth failure after a 2 s gate: total %v, after the check %v; want 4s and 2s", f.Total(), f.Wait)
	}
}

// TestAddressFree: behind a class's NAT, AddressFree typos from one
// address (each for another user) cost nothing, the next one waits; a
// user's own second failure waits at once, whatever the address allows;
// and the gate of the address opens only once its count is over.
func TestAddressFree(t *testing.T) {
	b := &Box{AddressFree: 10}
	for i := range 10 {
		if d := b.Fail("10.0.0.1", fmt.Sprintf("s%02d", i)); d != 0 {
			t.Fatalf("typo %d from the NAT waits %v", i+1, d)
		}
	}
	if w, ok := b.Gate("10.0.0.1"); w != 0 || !ok {
		t.Errorf("the gate after 10 typos: %v %v", w, ok)
	}
	if d := b.Fail("10.0.0.1", "s10"); d != DefaultBase {
		t.Errorf("the 11th failure from the address waits %v, want %v", d, DefaultBase)
	}
	if d := b.Fail("10.0.0.2", "s03"); d != DefaultBase {
		t.Errorf("s03's second failure waits %v, want %v", d, DefaultBase)
	}
	if p := b.Pending("10.0.0.3", "s05"); p != DefaultBase {
		t.Errorf("s05's next failure from elsewhere would wait %v, want %v", p, DefaultBase)
	}
}
