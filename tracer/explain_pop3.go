package tracer

// pop3Catalog explains POP3 commands and replies (RFC 1939, RFC 2449).
var pop3Catalog = map[string]entry{}
