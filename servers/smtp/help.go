package smtp

import (
	"fmt"
	"strings"

	"github.com/mailscope/mailscope/servers/internal/ascii"
	"github.com/mailscope/mailscope/tracer"
)

// helpOrder is the order HELP lists commands in: the order of a session.
var helpOrder = []string{"HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "ETRN", "HELP", "QUIT"}

// helpTopics answers HELP <command>: the first line is the summary HELP
// lists; the rest are the details.
var helpTopics = map[string][]string{
	"HELO": {"say hello: HELO yourname (RFC 5321 section 4.1.1.1)",
		"HELO laptop",
		"Starts the session; the server answers 250 and greets you. EHLO is the modern form."},
	"EHLO": {"extended hello: EHLO yourname, answered with the extensions (RFC 5321 section 4.1.1.1)",
		"EHLO laptop",
		"The server answers 250 with one line per extension: PIPELINING, SIZE, 8BITMIME, STARTTLS, AUTH, ..."},
	"STARTTLS": {"switch this connection to TLS encryption (RFC 3207)",
		"STARTTLS",
		"After 220 the client starts a TLS handshake; then it must say EHLO again.",
		"telnet cannot do TLS; try: openssl s_client -starttls smtp -connect HOST:PORT"},
	"AUTH": {"log in: AUTH PLAIN base64(\\0user\\0password) or AUTH LOGIN (RFC 4954)",
		"AUTH PLAIN AGFsaWNlAGFsaWNl      (that is base64 of \\0alice\\0alice)",
		"AUTH LOGIN, then answer the 334 prompts with base64 of the user name and of the password.",
		"Base64 is an encoding, not encryption: anyone on the wire can decode it. Use STARTTLS first on real networks."},
	"MAIL": {"start a message: MAIL FROM:<sender@domain> (RFC 5321 section 4.1.1.2)",
		"MAIL FROM:<alice@a.example>",
		"The envelope sender: where bounces go. It need not match the From: header (that is how forgery works).",
		"Parameters after EHLO: SIZE=octets, BODY=7BIT or BODY=8BITMIME, HOLDFOR=seconds (delayed sending)."},
	"RCPT": {"add a recipient: RCPT TO:<user@domain>, once per recipient (RFC 5321 section 4.1.1.3)",
		"RCPT TO:<bob@b.example>",
		"Local users are checked now (550 5.1.1 if unknown); other domains need a trusted network or AUTH (554 5.7.1)."},
	"DATA": {"send the message: headers, a blank line, the body, then a line with only a dot (RFC 5321 section 4.1.1.4)",
		"DATA",
		"After 354, type for example:",
		"  Subject: hi",
		"  (empty line)",
		"  hello",
		"  .",
		"A line that starts with a dot is sent with an extra dot (dot-stuffing); the server removes it."},
	"RSET": {"forget the current message and start over (RFC 5321 section 4.1.1.5)",
		"RSET"},
	"NOOP": {"do nothing; the server answers 250 (RFC 5321 section 4.1.1.9)",
		"NOOP"},
	"VRFY": {"ask whether a user exists: VRFY alice (RFC 5321 section 4.1.1.6)",
		"VRFY alice",
		"It helps spammers guess addresses, so real servers usually refuse it; mailscope answers, to teach."},
	"ETRN": {"ask the server to deliver queued mail for a domain now: ETRN b.example (RFC 1985)",
		"ETRN b.example",
		"Replies (RFC 1985 section 5): 250 queuing started, 251 no messages waiting, 458 unable (here: the mail is held until its time), 459 not allowed."},
	"HELP": {"this help; HELP <command> explains one command (RFC 5321 section 4.1.1.8)",
		"HELP MAIL"},
	"QUIT": {"say goodbye; the server answers 221 and closes the connection (RFC 5321 section 4.1.1.10)",
		"QUIT"},
}

func (s *session) handleHelp(cmd command) error {
	if cmd.arg != "" {
		topic := ascii.Upper(strings.Fields(cmd.arg)[0])
		h, ok := helpTopics[topic]
		if !ok {
			return errorf(504, "5.5.1", "HELP: no help on \"%s\"; HELP alone lists the commands", tracer.Printable(truncate(topic, 20)))
		}
		s.reply(214, "2.0.0", h...)
		return nil
	}
	lines := []string{"mailscope SMTP server " + s.srv.Name + " for " + s.srv.Domain + ". Commands, in the usual order:"}
	for _, v := range helpOrder {
		lines = append(lines, fmt.Sprintf("  %-9s %s", v, helpTopics[v][0]))
	}
	lines = append(lines, "HELP <command> explains one, e.g. HELP MAIL. Lines end with CRLF; the message ends with a line holding only a dot.")
	s.reply(214, "2.0.0", lines...)
	return nil
}
