package tracer

// imapCatalog explains IMAP commands and responses (RFC 9051, RFC 3501).
var imapCatalog = map[string]entry{}
