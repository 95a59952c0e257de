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
