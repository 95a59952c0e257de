package world

import (
	"reflect"
	"testing"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/smtp"
)

// TestDefaultYAMLAgrees: the embedded default.yaml writes out every default
// for the reader to copy and change, and the defaults themselves are
// declared once, by the servers (smtp.Default*, limits.Default*) and in
// Parse. A world file that gives only the servers must come out as the
// embedded default: a value changed in one place and not the other fails
// here.
func TestDefaultYAMLAgrees(t *testing.T) {
	def := Default()
	bare, err := Parse("servers-only.yaml", []byte(`servers:
  - name: A
    domain: a.example
    users:
      - {name: alice, password: alice}
  - name: B
    domain: b.example
    users:
      - {name: bob, password: bob}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bare, def) {
		t.Errorf("default.yaml and the defaults in Parse disagree:\n default.yaml: %+v\n Parse:        %+v", def, bare)
	}
	p := def.SMTP
	if p.MaxMessageSize != smtp.DefaultMaxMessageSize || p.MaxRecipients != smtp.DefaultMaxRecipients ||
		p.MaxErrors != smtp.DefaultMaxErrors || p.IdleTimeout != limits.DefaultIdleTimeout {
		t.Errorf("default.yaml's smtp section %+v is not the SMTP server's defaults (%d, %d, %d, %s)", p,
			smtp.DefaultMaxMessageSize, smtp.DefaultMaxRecipients, smtp.DefaultMaxErrors, limits.DefaultIdleTimeout)
	}
}
