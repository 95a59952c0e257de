package wiretest

import "strings"

// Run plays a transcript, one instruction a line, leading tabs and spaces
// ignored:
//
//	C: line     send line and CRLF ("C:" alone sends an empty line)
//	R: raw      send raw bytes, with \r and \n written as escapes
//	S: pattern  the next line must match pattern ("S:" an empty line)
//	S*: pattern skip lines up to one that matches pattern
//	CLOSED      the server must close the connection
//	# ...       a comment, as is a blank line
//
// Transcripts are test data: the lessons quote them.
func (c *Conn) Run(script string) {
	c.t.Helper()
	unescape := strings.NewReplacer(`\r`, "\r", `\n`, "\n")
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimLeft(line, "\t ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case line == "C:" || strings.HasPrefix(line, "C: "):
			c.Send(strings.TrimPrefix(strings.TrimPrefix(line, "C:"), " "))
		case strings.HasPrefix(line, "R: "):
			c.SendRaw(unescape.Replace(line[3:]))
		case strings.HasPrefix(line, "S*: "):
			for !Match(line[4:], c.ReadLine()) {
			}
		case line == "S:" || strings.HasPrefix(line, "S: "):
			want := strings.TrimPrefix(strings.TrimPrefix(line, "S:"), " ")
			if got := c.ReadLine(); !Match(want, got) {
				c.fatalf("transcript line %d: got %q, want %q", n+1, got, want)
			}
		case line == "CLOSED":
			c.ExpectClosed()
		default:
			c.fatalf("transcript line %d: cannot read %q", n+1, line)
		}
	}
}
