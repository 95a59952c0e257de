package tracer

import (
	"strings"
	"testing"
)

// collect runs a framer over a script of directions and chunks.
func collect(t testing.TB, f Framer, steps ...any) []*Event {
	b := NewBus()
	sub := b.Subscribe(100000)
	s := b.NewSession("A", "smtp", "127.0.0.1:1")
	for i := 0; i+1 < len(steps); i += 2 {
		f.Feed(s, steps[i].(Dir), []byte(steps[i+1].(string)))
	}
	f.Flush(s)
	sub.Close()
	var out []*Event
	for e := range sub.C() {
		out = append(out, e)
	}
	return out
}

func texts(es []*Event) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(string(e.Kind) + " " + string(e.Dir) + " " + e.Text + "\n")
	}
	return b.String()
}

// A connection that ends inside the message (the laptop lid closes mid-DATA)
// gets a data event that says so and explains that nothing was stored.
func TestSMTPFramerCutOffBody(t *testing.T) {
	es := collect(t, newSMTPFramer(),
		C2S, "DATA\r\n",
		S2C, "354 go ahead\r\n",
		C2S, "Subject: half\r\n\r\nthe first half\r\nand then the l")
	last := es[len(es)-1]
	if last.Kind != KindData || !strings.Contains(last.Text, "cut off") {
		t.Fatalf("last event %+v", last)
	}
	if last.Explain == nil || last.Explain.Key != "data.smtp.cut" || !strings.Contains(last.Explain.Text, "stored nothing") {
		t.Fatalf("the cut-off body is explained as %+v", last.Explain)
	}
}

func TestSMTPFramerHoldsBodySentBeforeThe354(t *testing.T) {
	// A client that sends the body right after DATA without waiting: the
	// lines are held until the reply says what they are.
	es := collect(t, newSMTPFramer(),
		C2S, "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
		S2C, "354 go ahead\r\n",
		S2C, "250 2.0.0 OK\r\n")
	want := "line c2s DATA\nline s2c 354 go ahead\ndata c2s message body: 3 lines, 18 octets\nline c2s .\nline s2c 250 2.0.0 OK\n"
	if got := texts(es); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if es[4].Explain.Key != "smtp.reply.250.DATA" {
		t.Errorf("250 after the body explained as %q", es[4].Explain.Key)
	}
	// Refused DATA: the held lines were commands after all.
	es = collect(t, newSMTPFramer(),
		C2S, "DATA\r\nNOOP\r\n",
		S2C, "503 5.5.1 no\r\n250 OK\r\n")
	want = "line c2s DATA\nline s2c 503 5.5.1 no\nline c2s NOOP\nline s2c 250 OK\n"
	if got := texts(es); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSMTPFramerPipelinedRepliesMatchCommands(t *testing.T) {
	es := collect(t, newSMTPFramer(),
		S2C, "220 hi\r\n",
		C2S, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n",
		S2C, "250 2.1.0 ok\r\n550 5.1.1 no\r\n")
	if es[0].Explain.Key != "smtp.reply.220" || es[3].Explain.Key != "smtp.reply.250.MAIL" || es[4].Explain.Enh != "5.1.1" {
		t.Fatalf("explanations: %s %s %+v", es[0].Explain.Key, es[3].Explain.Key, es[4].Explain)
	}
}

func FuzzSMTPFramer(f *testing.F) {
	f.Add([]byte("EHLO x\r\n"), []byte("250-a\r\n250 PIPELINING\r\n"))
	f.Add([]byte("DATA\r\nx\r\n.\r\n"), []byte("354 go\r\n250 ok\r\n"))
	f.Add([]byte("AUTH LOGIN\r\nYQ==\r\n"), []byte("334 VXNlcm5hbWU6\r\n"))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte) {
		fr := newSMTPFramer()
		b := NewBus(WithHistory(10))
		s := b.NewSession("A", "smtp", "x")
		// Interleave the two directions in small chunks.
		for i := 0; i < len(c2s) || i < len(s2c); i += 7 {
			if i < len(c2s) {
				fr.Feed(s, C2S, c2s[i:min(i+7, len(c2s))])
			}
			if i < len(s2c) {
				fr.Feed(s, S2C, s2c[i:min(i+7, len(s2c))])
			}
		}
		fr.Flush(s)
		if len(fr.in.partial) > maxShownLine+2 || len(fr.data.preview) > MaxDataPreview {
			t.Fatal("framer buffers grew past their bounds")
		}
	})
}

// feedSplit feeds p to the framer in chunks of n octets (n <= 0: at once).
func feedSplit(steps []any, dir Dir, p string, n int) []any {
	if n <= 0 {
		return append(steps, dir, p)
	}
	for len(p) > n {
		steps = append(steps, dir, p[:n])
		p = p[n:]
	}
	return append(steps, dir, p)
}

// The SMTP smuggling look-alikes of an end of data, from a client that ends
// its commands with CRLF, are text of one body, as the server reads them:
// the trace shows no smuggled commands, however the bytes arrive.
func TestSMTPFramerSmugglingIsBody(t *testing.T) {
	for _, end := range []string{"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r.\r\n"} {
		for _, n := range []int{0, 1, 3, 7} {
			steps := []any{C2S, "EHLO x\r\nMAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\n", S2C, "250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n"}
			steps = feedSplit(steps, C2S, "Subject: s\r\n\r\nfirst"+end+"MAIL FROM:<ceo@a>\r\nRCPT TO:<b@b>\r\nDATA\r\nsmuggled\r\n.\r\n", n)
			steps = append(steps, S2C, "250 2.0.0 OK\r\n")
			es := collect(t, newSMTPFramer(), steps...)
			got := texts(es)
			if strings.Count(got, "data c2s ") != 1 || strings.Count(got, "line c2s .\n") != 1 || strings.Contains(got, "line c2s MAIL FROM:<ceo@a>") {
				t.Fatalf("%q in chunks of %d:\n%s", end, n, got)
			}
			for _, e := range es {
				if e.Kind != KindData {
					continue
				}
				if e.Explain == nil || e.Explain.Key != "data.smtp.bare" || !e.HasFlag(FlagBareLF) && !e.HasFlag(FlagBareCR) {
					t.Fatalf("%q: body event %+v explained %+v", end, e, e.Explain)
				}
				// A dot after a bare LF or CR is text inside a line, not
				// a stuffed one; after CRLF it begins a line, and is.
				if e.HasFlag(FlagDotStuffed) != strings.HasPrefix(end, "\r\n.") {
					t.Fatalf("%q: body flags %v", end, e.Flags)
				}
			}
		}
	}
}

// A client that ends its lines with bare LF (nc without -C) may end its body
// with LF.LF, and the trace says so; a lone CR still ends nothing. Any line
// ended with CRLF, the DATA line or a SASL response too, makes LF.LF text.
func TestSMTPFramerLFClient(t *testing.T) {
	es := collect(t, newSMTPFramer(),
		C2S, "EHLO x\nDATA\n", S2C, "250 hi\r\n354 go\r\n",
		C2S, "a\r.\rb\n.\nNOOP\n", S2C, "250 2.0.0 OK\r\n250 OK\r\n")
	want := "line c2s EHLO x\nline c2s DATA\nline s2c 250 hi\nline s2c 354 go\nnote  this client ends its lines with bare LF, so the data may end with LF.LF\n" +
		"data c2s message body: 1 lines, 6 octets\nline c2s .\nline c2s NOOP\nline s2c 250 2.0.0 OK\nline s2c 250 OK\n"
	if got := texts(es); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if es[4].Explain == nil || es[4].Explain.Key != "data.smtp.lf" || es[6].Explain.Key != "data.smtp.end.lf" || !es[5].HasFlag(FlagBareCR) {
		t.Fatalf("explained as %+v, %+v; body flags %v", es[4].Explain, es[6].Explain, es[5].Flags)
	}
	for _, crlfLine := range [][]any{
		{C2S, "EHLO x\nDATA\r\n", S2C, "250 hi\r\n354 go\r\n"},
		{C2S, "AUTH LOGIN\n", S2C, "334 VXNlcm5hbWU6\r\n", C2S, "YWxpY2U=\r\n", S2C, "334 UGFzc3dvcmQ6\r\n", C2S, "YWxpY2U=\n", S2C, "235 ok\r\n",
			C2S, "DATA\n", S2C, "354 go\r\n"},
	} {
		es := collect(t, newSMTPFramer(), append(crlfLine, C2S, "a\n.\nNOOP\r\n.\r\n", S2C, "250 2.0.0 OK\r\n")...)
		if got := texts(es); strings.Contains(got, "line c2s NOOP") || strings.Contains(got, "LF.LF") || strings.Count(got, "line c2s .\n") != 1 {
			t.Fatalf("a client that sent CRLF ended its data at LF.LF:\n%s", got)
		}
	}
}

// How a line longer than the shown text ended still counts: a CRLF client's
// long line ending in a bare LF leaves the "." after it as text, and one
// whose CRLF arrives split over two reads ends a line.
func TestSMTPFramerLongLineEnding(t *testing.T) {
	long := strings.Repeat("x", 5000)
	es := collect(t, newSMTPFramer(),
		C2S, "DATA\r\n", S2C, "354 go\r\n",
		C2S, long[:3000], C2S, long[3000:]+"\n.\r\nRSET\r\n.\r\n", S2C, "500 5.5.2 too long\r\n")
	if got := texts(es); strings.Contains(got, "RSET") || strings.Count(got, "line c2s .\n") != 1 {
		t.Fatalf("a long line with a bare LF ended a line:\n%s", got)
	}
	es = collect(t, newSMTPFramer(),
		C2S, "DATA\r\n", S2C, "354 go\r\n",
		C2S, long+"\r", C2S, "\n.\r\nNOOP\r\n", S2C, "500 5.5.2 too long\r\n250 OK\r\n")
	if got := texts(es); !strings.Contains(got, "line c2s NOOP") {
		t.Fatalf("a long line whose CRLF was split did not end a line:\n%s", got)
	}
}

// A client that pipelines the next transaction right after a message's end
// (RFC 2920): the 250 for the end of data does not answer the next DATA, so
// the lines after that DATA stay held until its own 354.
func TestSMTPFramerPipelinedNextTransaction(t *testing.T) {
	es := collect(t, newSMTPFramer(),
		C2S, "DATA\r\n", S2C, "354 go\r\n",
		C2S, "one\r\n.\r\nMAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n",
		S2C, "250 2.0.0 OK\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n250 2.0.0 OK\r\n221 bye\r\n")
	got := texts(es)
	if strings.Count(got, "data c2s ") != 2 || strings.Count(got, "line c2s .\n") != 2 || strings.Contains(got, "line c2s two") {
		t.Fatalf("got\n%s", got)
	}
}
