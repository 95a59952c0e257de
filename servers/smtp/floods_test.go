package smtp_test

import (
	"testing"
)

// TestHoldForBounds: FUTURERELEASE values beyond what the server holds are
// refused, however big: HOLDFOR=9223372037 seconds once overflowed
// time.Duration and was accepted as a hold "until 1734".
func TestHoldForBounds(t *testing.T) {
	w := newWorld(t, nil)
	runTranscript(t, w.smtpAddr("A"), `
		S: 220 *
		C: EHLO test
		S*: 250 HELP
		C: MAIL FROM:<alice@a.example> HOLDFOR=9223372037
		S: 501 5.5.4 HOLDFOR=9223372037 is not a number of seconds of at most 9 digits (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDFOR=999999999
		S: 554 5.3.4 HOLDFOR=999999999 is longer than the 86400 seconds this server holds mail (RFC 4865 section 3)
		C: MAIL FROM:<alice@a.example> HOLDUNTIL=9999-12-31T23:59:59Z
		S: 554 5.3.4 HOLDUNTIL is later than this server holds mail*
		C: MAIL FROM:<alice@a.example> HOLDFOR=60
		S: 250 2.1.0 Sender <alice@a.example> OK; will be held until *
	`)
}
