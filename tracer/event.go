// Package tracer turns everything that crosses a mailscope socket into an
// ordered stream of explained events.
//
// It holds the event model, the bus (publish never blocks a server), the
// connection tap through which every server socket goes, the protocol framers
// that cut the byte stream into lines and message bodies (SMTP per RFC 5321,
// POP3 per RFC 1939, IMAP per RFC 9051 literals), the explainer that says what
// each command and reply means and the colored console sink. It holds the
// event's wire format too, encoder and decoder side by side: JSON byte for
// byte as encoding/json writes it, without reflection (eventjson.go,
// eventparse.go), and the JSONL record files (jsonl.go); and the queue
// steps and attribute keys that servers emit and lessons match (queue.go).
// It imports none of mailscope's other packages: servers emit into it and
// never know who watches.
package tracer

import (
	"time"
)

// Kind says what an event records.
type Kind string

// The kinds of event.
const (
	KindOpen    Kind = "open"    // a connection was accepted or dialled
	KindClose   Kind = "close"   // a connection ended
	KindLine    Kind = "line"    // one protocol line, client to server or back
	KindData    Kind = "data"    // a message body or literal, summarized
	KindState   Kind = "state"   // a protocol state machine changed state
	KindQueue   Kind = "queue"   // the outgoing queue did something
	KindLookup  Kind = "lookup"  // the simulated MX lookup
	KindFault   Kind = "fault"   // a fault switch changed
	KindLesson  Kind = "lesson"  // a lesson step happened
	KindTLS     Kind = "tls"     // a TLS handshake finished on a connection
	KindHTTP    Kind = "http"    // one HTTP request/response of the webmail
	KindSkipped Kind = "skipped" // a subscriber fell behind and lost events
	KindNote    Kind = "note"    // anything else worth saying (server start, errors)

	// KindDiagnostic is a teaching assistant's remark on a likely mistake
	// of the person at the keyboard (a body that became a header line,
	// a backspace sent inside a command, a command without a tag): Msg
	// says what happened, Explain (a catalog key) what to do about it, and
	// Attrs["diag"] names the mistake for lessons and tests.
	KindDiagnostic Kind = "diagnostic"
)

// Dir is the direction of a line or data event.
type Dir string

// Directions.
const (
	C2S Dir = "c2s" // client to server
	S2C Dir = "s2c" // server to client
)

// Flag marks something a lesson may want to point at.
type Flag string

// Flags set by the framers.
const (
	FlagBareLF     Flag = "bare-lf"     // line ended in LF without CR
	FlagBareCR     Flag = "bare-cr"     // a CR not followed by LF inside a line
	Flag8Bit       Flag = "8bit"        // bytes >= 0x80 in a session that did not declare 8BITMIME
	FlagDotStuffed Flag = "dot-stuffed" // a body line began with an extra dot
	FlagMasked     Flag = "masked"      // credentials replaced by asterisks
	FlagTooLong    Flag = "too-long"    // the line exceeded the protocol limit; text is cut
	FlagNUL        Flag = "nul"         // a NUL byte crossed the wire
	FlagEncrypted  Flag = "encrypted"   // bytes after a TLS upgrade that this tap could not read
)

// Explanation says what a line means, in the instance's language.
type Explanation struct {
	Key     string `json:"key"`                // stable catalog key, e.g. "smtp.cmd.MAIL"
	Text    string `json:"text"`               // one line: what the command does or the code means
	RFC     string `json:"rfc,omitempty"`      // "RFC 5321 section 4.1.1.2"
	Class   string `json:"class,omitempty"`    // for replies: "2xx", "3xx", "4xx", "5xx", "+OK", "-ERR"
	Enh     string `json:"enh,omitempty"`      // enhanced status code, e.g. "5.1.1"
	EnhText string `json:"enh_text,omitempty"` // what the enhanced code means

	// Args are the values filled into the catalog text of Key, so a reader in
	// another language can render it again (see Msg).
	Args map[string]string `json:"args,omitempty"`
}

// Event is one thing that happened on a wire or inside a server.
type Event struct {
	Seq     uint64       `json:"seq"`
	Time    time.Time    `json:"time"`
	Session string       `json:"session,omitempty"` // e.g. "A-smtp-3"
	Server  string       `json:"server,omitempty"`  // world server name: "A"
	Proto   string       `json:"proto,omitempty"`   // smtp, pop3, imap, http
	Kind    Kind         `json:"kind"`
	Dir     Dir          `json:"dir,omitempty"`
	Text    string       `json:"text,omitempty"`
	Msg     *Msg         `json:"msg,omitempty"` // Text as a catalog key: the bus fills Text from it
	Flags   []Flag       `json:"flags,omitempty"`
	Explain *Explanation `json:"explain,omitempty"`

	Peer  string `json:"peer,omitempty"`  // remote address, on open
	Actor string `json:"actor,omitempty"` // who the client is, when known: "A" for A's relay
	Hop   string `json:"hop,omitempty"`   // "A->B" on relay sessions
	MsgID string `json:"msgid,omitempty"` // the mailscope id that follows a message across hops

	From string `json:"from,omitempty"` // state events: previous state
	To   string `json:"to,omitempty"`   // state events: new state

	Size  int    `json:"size,omitempty"`  // data events: octets on the wire
	Lines int    `json:"lines,omitempty"` // data events: lines
	Data  string `json:"data,omitempty"`  // data events: the bytes, cut at MaxDataPreview

	Skipped uint64            `json:"skipped,omitempty"` // skipped events: how many were lost
	Attrs   map[string]string `json:"attrs,omitempty"`   // kind-specific details (queue times, lookup results)
}

// MaxDataPreview is how many octets of a body a data event carries: the
// header section and the first lines, enough for any message typed by hand
// or a lesson's example, and small enough that a stream of big messages costs
// every sink (console, recorder, each viewer) little: a 100 KiB message makes
// a 4 KiB event. The whole message is in the store (the page's messages view,
// GET /api/messages/ID).
const MaxDataPreview = 4 << 10

// HasFlag reports whether e carries f.
func (e *Event) HasFlag(f Flag) bool {
	for _, g := range e.Flags {
		if g == f {
			return true
		}
	}
	return false
}
