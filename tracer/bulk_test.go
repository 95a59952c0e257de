package tracer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// bulkBodies are message bodies (as on the wire, dot-stuffed, without the
// terminating "." line) that exercise both the bulk path and the line-by-line
// path of the body accounting: plain, dot-stuffed, long, 8-bit, NUL, bare LF,
// bare CR, an empty line, a line holding "..".
var bulkBodies = []string{
	"Subject: hi\r\n\r\nhello\r\n",
	"Subject: dots\r\n\r\n..a stuffed line\r\n..\r\nend\r\n",
	"..first line stuffed\r\n\r\nx\r\n",
	strings.Repeat("a plain line of text for the bulk path, seventy-odd octets long...\r\n", 1500),
	"Subject: long\r\n\r\n" + strings.Repeat("x", 1200) + "\r\nafter\r\n",
	"Subject: 8bit\r\n\r\ncaf\xc3\xa9\r\nplain\r\n",
	"Subject: nul\r\n\r\na\x00b\r\nplain\r\n",
	"Subject: bare\r\n\r\nbare lf\nnext\r\n",
	"Subject: cr\r\n\r\nbare\rcr\r\nnext\r\n",
	"\r\n\r\n",
	strings.Repeat("line\r\n", 300) + "caf\xc3\xa9\r\n" + strings.Repeat("line\r\n", 300),
}

// TestBulkBodyMatchesLineByLine checks that counting a body in bulk gives
// the same data event as counting it line by line, however the bytes are
// split into writes: byte by byte forces the line-by-line path.
func TestBulkBodyMatchesLineByLine(t *testing.T) {
	for i, body := range bulkBodies {
		for _, proto := range []string{"smtp", "pop3"} {
			t.Run(fmt.Sprintf("%s-%d", proto, i), func(t *testing.T) {
				want := bodyEvent(t, proto, body, 1)
				for _, chunk := range []int{0, 7, 100, 4096} {
					got := bodyEvent(t, proto, body, chunk)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("chunk %d:\n got %+v\nwant %+v", chunk, got, want)
					}
				}
			})
		}
	}
}

type bodySummary struct {
	Text        string
	Size, Lines int
	Flags       []Flag
	Attrs       map[string]string
	Data        string
}

// bodyEvent runs one message through a framer, the body fed in pieces of
// chunk octets (0: in one piece), and returns its data event.
func bodyEvent(t *testing.T, proto, body string, chunk int) bodySummary {
	t.Helper()
	bus := NewBus(WithHistory(1))
	sub := bus.Subscribe(1 << 16)
	defer sub.Close()
	sess := bus.NewSession("A", proto, "127.0.0.1:4242")
	var f Framer
	var steps []struct {
		dir  Dir
		text string
	}
	add := func(d Dir, s string) {
		steps = append(steps, struct {
			dir  Dir
			text string
		}{d, s})
	}
	switch proto {
	case "smtp":
		f = newSMTPFramer()
		add(S2C, "220 a.example ready\r\n")
		add(C2S, "EHLO x\r\n")
		add(S2C, "250 a.example\r\n")
		add(C2S, "MAIL FROM:<a@a.example>\r\n")
		add(S2C, "250 OK\r\n")
		add(C2S, "RCPT TO:<b@a.example>\r\n")
		add(S2C, "250 OK\r\n")
		add(C2S, "DATA\r\n")
		add(S2C, "354 go ahead\r\n")
		add(C2S, body+".\r\n")
		add(S2C, "250 OK\r\n")
	default:
		f = newPOP3Framer()
		add(S2C, "+OK ready\r\n")
		add(C2S, "USER bob\r\n")
		add(S2C, "+OK\r\n")
		add(C2S, "PASS bob\r\n")
		add(S2C, "+OK\r\n")
		add(C2S, "RETR 1\r\n")
		add(S2C, "+OK message follows\r\n"+body+".\r\n")
	}
	for _, st := range steps {
		p := []byte(st.text)
		if chunk <= 0 {
			f.Feed(sess, st.dir, p)
			continue
		}
		for len(p) > 0 {
			n := min(chunk, len(p))
			f.Feed(sess, st.dir, p[:n])
			p = p[n:]
		}
	}
	f.Flush(sess)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == KindData {
				return bodySummary{e.Text, e.Size, e.Lines, e.Flags, e.Attrs, e.Data}
			}
		default:
			t.Fatalf("no data event")
			return bodySummary{}
		}
	}
}
