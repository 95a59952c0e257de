package tracer

// newIMAPFramer returns the IMAP framer. Until the IMAP framer lands it is a
// plain line framer.
func newIMAPFramer() Framer { return newPlainFramer("imap") }
