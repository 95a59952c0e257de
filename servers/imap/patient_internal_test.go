package imap

import (
	"net"
	"testing"
	"time"
)

// deadlineConn records read deadlines.
type deadlineConn struct {
	net.Conn
	read time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error  { c.read = t; return nil }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return nil }

// TestPatientConn: imapserver's 30-second command deadlines are stretched
// to the idle timeout, longer ones and "no deadline" are kept. This is what
// lets a student type slowly over telnet, before and after login.
func TestPatientConn(t *testing.T) {
	dc := &deadlineConn{}
	pc := &patientConn{Conn: dc, min: 10 * time.Minute}

	pc.SetReadDeadline(time.Now().Add(30 * time.Second)) // imapserver's cmdReadTimeout
	if d := time.Until(dc.read); d < 9*time.Minute {
		t.Errorf("a 30s deadline became %v, want at least 10 minutes", d)
	}
	long := time.Now().Add(35 * time.Minute) // imapserver's idleReadTimeout
	pc.SetReadDeadline(long)
	if !dc.read.Equal(long) {
		t.Errorf("a 35 minute deadline became %v", time.Until(dc.read))
	}
	pc.SetReadDeadline(time.Time{})
	if !dc.read.IsZero() {
		t.Error("no deadline became a deadline")
	}
	pc.SetDeadline(time.Now().Add(time.Second))
	if d := time.Until(dc.read); d < 9*time.Minute {
		t.Errorf("SetDeadline's read part became %v", d)
	}
}

// TestSlowTypist: a command typed in pieces, with pauses, is still one
// command (the deadline is stretched for every piece).
func TestSlowTypist(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	pc := &patientConn{Conn: server, min: time.Minute}
	pc.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	go func() {
		time.Sleep(50 * time.Millisecond) // longer than the deadline imapserver asked for
		client.Write([]byte("a1 NOOP\r\n"))
	}()
	buf := make([]byte, 64)
	n, err := pc.Read(buf)
	if err != nil || string(buf[:n]) != "a1 NOOP\r\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if pc.timedOut.Load() {
		t.Error("timed out")
	}
}
