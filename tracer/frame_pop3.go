package tracer

// newPOP3Framer returns the POP3 framer. Until the POP3 framer lands it is a
// plain line framer.
func newPOP3Framer() Framer { return newPlainFramer("pop3") }
