package tracer

import (
	"bytes"
	"strings"
	"testing"
)

// imapWire is a piece of an IMAP conversation.
type imapWire struct {
	dir Dir
	s   string
}

func imapC(s string) imapWire { return imapWire{C2S, s} }
func imapS(s string) imapWire { return imapWire{S2C, s} }

// frameIMAP feeds a conversation through a fresh IMAP framer and returns
// the events, split into pieces of at most chunk octets (0: as given).
func frameIMAP(t testing.TB, mask bool, chunk int, ws ...imapWire) []*Event {
	t.Helper()
	b := NewBus(WithMask(mask))
	sub := b.Subscribe(1 << 16)
	s := b.NewSession("A", "imap", "127.0.0.1:1")
	f := newIMAPFramer()
	for _, w := range ws {
		p := []byte(w.s)
		for len(p) > 0 {
			n := len(p)
			if chunk > 0 && n > chunk {
				n = chunk
			}
			f.Feed(s, w.dir, p[:n])
			p = p[n:]
		}
	}
	f.Flush(s)
	sub.Close()
	var out []*Event
	for e := range sub.C() {
		out = append(out, e)
	}
	return out
}

// imapSummary renders events compactly: "c2s line a1 LOGIN ... [key]".
func imapSummary(evs []*Event) []string {
	var out []string
	for _, e := range evs {
		l := string(e.Dir) + " " + string(e.Kind) + " " + e.Text
		if e.Explain != nil {
			l += " [" + e.Explain.Key + "]"
			if e.Explain.Enh != "" {
				l += " {" + e.Explain.Enh + "}"
			}
		}
		for _, f := range e.Flags {
			l += " <" + string(f) + ">"
		}
		out = append(out, l)
	}
	return out
}

func expectIMAP(t *testing.T, evs []*Event, want ...string) {
	t.Helper()
	got := imapSummary(evs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestIMAPFramerSession(t *testing.T) {
	conv := []imapWire{
		imapS("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] IMAP server ready\r\n"),
		imapC("a1 login alice secret\r\n"),
		imapS("a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n"),
		imapC("a2 SELECT INBOX\r\n"),
		imapS("* 1 EXISTS\r\n* OK [UIDVALIDITY 42] UIDs valid\r\na2 OK [READ-WRITE] SELECT completed\r\n"),
		imapC("a3 uid fetch 1 (BODY[])\r\n"),
		imapS("* 1 FETCH (UID 1 BODY[] {13}\r\nHi\r\nthere\r\n\r\n)\r\na3 OK UID FETCH completed\r\n"),
		imapC("a4 IDLE\r\n"),
		imapS("+ idling\r\n* 2 EXISTS\r\n"),
		imapC("DONE\r\n"),
		imapS("a4 OK IDLE completed\r\n"),
		imapC("a5 FETCH 9 FLAGS\r\n"),
		imapS("a5 BAD there is no message 9\r\n"),
		imapC("a6 BOGUS\r\n"),
		imapS("a6 NO what?\r\n"),
		imapC("a7 LOGOUT\r\n"),
		imapS("* BYE Logging out\r\na7 OK LOGOUT completed\r\n"),
	}
	want := []string{
		"s2c line * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] IMAP server ready [imap.greeting.OK] {CAPABILITY}",
		"c2s line a1 login alice **** [imap.cmd.LOGIN] <masked>",
		"s2c line a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in [imap.tagged.OK.LOGIN] {CAPABILITY}",
		"c2s line a2 SELECT INBOX [imap.cmd.SELECT]",
		"s2c line * 1 EXISTS [imap.data.EXISTS]",
		"s2c line * OK [UIDVALIDITY 42] UIDs valid [imap.untagged.OK] {UIDVALIDITY}",
		"s2c line a2 OK [READ-WRITE] SELECT completed [imap.tagged.OK.SELECT] {READ-WRITE}",
		"c2s line a3 uid fetch 1 (BODY[]) [imap.cmd.UID.FETCH]",
		"s2c line * 1 FETCH (UID 1 BODY[] {13} [imap.data.FETCH]",
		"s2c data literal: 13 octets, 3 lines [data.imap.literal]",
		"s2c line ) [imap.resp.continued]",
		"s2c line a3 OK UID FETCH completed [imap.tagged.OK]",
		"c2s line a4 IDLE [imap.cmd.IDLE]",
		"s2c line + idling [imap.cont.idle]",
		"s2c line * 2 EXISTS [imap.data.EXISTS]",
		"c2s line DONE [imap.cmd.DONE]",
		"s2c line a4 OK IDLE completed [imap.tagged.OK.IDLE]",
		"c2s line a5 FETCH 9 FLAGS [imap.cmd.FETCH]",
		"s2c line a5 BAD there is no message 9 [imap.tagged.BAD]",
		"c2s line a6 BOGUS [imap.cmd.unknown]",
		"s2c line a6 NO what? [imap.tagged.NO]",
		"c2s line a7 LOGOUT [imap.cmd.LOGOUT]",
		"s2c line * BYE Logging out [imap.untagged.BYE]",
		"s2c line a7 OK LOGOUT completed [imap.tagged.OK.LOGOUT]",
	}
	evs := frameIMAP(t, true, 0, conv...)
	expectIMAP(t, evs, want...)
	if evs[9].Size != 13 || evs[9].Data != "Hi\r\nthere\r\n\r\n" {
		t.Errorf("literal event %+v", evs[9])
	}
	if x := evs[11].Explain; !strings.Contains(x.Text, "(UID FETCH)") || x.Class != "OK" {
		t.Errorf("tagged OK explained as %+v", x)
	}
	// The same conversation fed one octet at a time frames the same.
	expectIMAP(t, frameIMAP(t, true, 1, conv...), want...)
	expectIMAP(t, frameIMAP(t, true, 7, conv...), want...)
}

func TestIMAPFramerLoginMasking(t *testing.T) {
	for _, tc := range []struct {
		name string
		conv []imapWire
		want []string
	}{
		{"quoted", []imapWire{imapC(`a1 LOGIN "alice" "se cr\"et"` + "\r\n")},
			[]string{`c2s line a1 LOGIN "alice" **** [imap.cmd.LOGIN] <masked>`}},
		{"literal password", []imapWire{imapC("a1 LOGIN alice {6}\r\n"), imapS("+ Ready for literal data\r\n"), imapC("secret\r\n"), imapS("a1 OK done\r\n")},
			[]string{
				"c2s line a1 LOGIN alice {6} [imap.cmd.LOGIN]",
				"s2c line + Ready for literal data [imap.cont.literal]",
				"c2s data literal: 6 octets (a password, masked) [line.masked] <masked>",
				"c2s line  [imap.line.continued]",
				"s2c line a1 OK done [imap.tagged.OK.LOGIN]",
			}},
		{"both literals, non-synchronizing", []imapWire{imapC("a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n")},
			[]string{
				"c2s line a1 LOGIN {5+} [imap.cmd.LOGIN]",
				"c2s data literal: 5 octets, 0 lines [data.imap.literal]",
				"c2s line  {6+} [imap.line.continued]",
				"c2s data literal: 6 octets (a password, masked) [line.masked] <masked>",
				"c2s line  [imap.line.continued]",
			}},
		{"user literal, password atom", []imapWire{imapC("a1 LOGIN {5}\r\n"), imapS("+ go\r\n"), imapC("alice secret\r\n")},
			[]string{
				"c2s line a1 LOGIN {5} [imap.cmd.LOGIN]",
				"s2c line + go [imap.cont.literal]",
				"c2s data literal: 5 octets, 0 lines [data.imap.literal]",
				"c2s line  **** [imap.line.continued] <masked>",
			}},
		{"authenticate", []imapWire{imapC("a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"), imapS("a1 NO bad\r\n"),
			imapC("a2 AUTHENTICATE PLAIN\r\n"), imapS("+ \r\n"), imapC("AGFsaWNlAHNlY3JldA==\r\n"), imapS("a2 OK [CAPABILITY IMAP4rev1] ok\r\n"), imapC("a3 NOOP\r\n")},
			[]string{
				"c2s line a1 AUTHENTICATE PLAIN **** [imap.cmd.AUTHENTICATE] <masked>",
				"s2c line a1 NO bad [imap.tagged.NO.AUTHENTICATE]",
				"c2s line a2 AUTHENTICATE PLAIN [imap.cmd.AUTHENTICATE]",
				"s2c line +  [imap.cont.sasl]",
				"c2s line **** [line.masked] <masked>",
				"s2c line a2 OK [CAPABILITY IMAP4rev1] ok [imap.tagged.OK.AUTHENTICATE] {CAPABILITY}",
				"c2s line a3 NOOP [imap.cmd.NOOP]",
			}},
		{"cancelled sasl", []imapWire{imapC("a1 AUTHENTICATE PLAIN\r\n"), imapS("+ =\r\n"), imapC("*\r\n"), imapS("a1 BAD AUTHENTICATE cancelled\r\n")},
			[]string{
				"c2s line a1 AUTHENTICATE PLAIN [imap.cmd.AUTHENTICATE]",
				"s2c line + = [imap.cont.sasl]",
				"c2s line * [imap.line.sasl]",
				"s2c line a1 BAD AUTHENTICATE cancelled [imap.tagged.BAD]",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := frameIMAP(t, true, 0, tc.conv...)
			expectIMAP(t, evs, tc.want...)
			for _, e := range evs {
				if strings.Contains(e.Text, "secret") || strings.Contains(e.Data, "secret") || strings.Contains(e.Text, "se cr") {
					t.Errorf("credential in %+v", e)
				}
			}
			for _, chunk := range []int{1, 3} {
				expectIMAP(t, frameIMAP(t, true, chunk, tc.conv...), tc.want...)
			}
		})
	}
	// With masking off the teacher sees everything.
	evs := frameIMAP(t, false, 0, imapC("a1 LOGIN alice {6}\r\n"), imapS("+ ok\r\n"), imapC("secret\r\n"))
	if evs[2].Data != "secret" || evs[0].HasFlag(FlagMasked) {
		t.Errorf("unmasked: %v", imapSummary(evs))
	}
}

// TestIMAPFramerHugeLiteral: a literal announcing 4 GB is counted, not
// kept: the framer holds at most MaxDataPreview octets of it.
func TestIMAPFramerHugeLiteral(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(16)
	defer sub.Close()
	s := b.NewSession("A", "imap", "x")
	f := newIMAPFramer().(*imapFramer)
	f.Feed(s, C2S, []byte("a1 APPEND INBOX {4000000000}\r\n"))
	chunk := bytes.Repeat([]byte("0123456789abcde\n"), 1<<16) // 1 MiB
	for i := 0; i < 64; i++ {
		f.Feed(s, C2S, chunk)
	}
	if n := len(f.c2s.acc.preview); n > MaxDataPreview {
		t.Fatalf("kept %d octets of the literal", n)
	}
	if cp := cap(f.c2s.acc.preview); cp > 2*MaxDataPreview {
		t.Fatalf("preview buffer grew to %d", cp)
	}
	if f.c2s.left != 4000000000-64<<20 {
		t.Fatalf("%d octets left", f.c2s.left)
	}
	f.Flush(s)
	var last *Event
	for len(sub.C()) > 0 {
		last = <-sub.C()
	}
	if last == nil || last.Kind != KindData || last.Size != 64<<20 || len(last.Data) != MaxDataPreview ||
		!strings.Contains(last.Text, "cut off") || last.Attrs["announced"] != "4000000000" {
		t.Fatalf("last event %+v", last)
	}
}

// TestIMAPFramerRefusedLiteral: when the server refuses a command instead
// of inviting its synchronizing literal, the client's next line is a
// command again.
func TestIMAPFramerRefusedLiteral(t *testing.T) {
	evs := frameIMAP(t, true, 0,
		imapC("a1 APPEND INBOX {999999999}\r\n"), imapS("a1 NO [TOOBIG] too big\r\n"),
		imapC("a2 NOOP\r\n"), imapS("a2 OK NOOP completed\r\n"))
	expectIMAP(t, evs,
		"c2s line a1 APPEND INBOX {999999999} [imap.cmd.APPEND]",
		"s2c line a1 NO [TOOBIG] too big [imap.tagged.NO] {TOOBIG}",
		"c2s line a2 NOOP [imap.cmd.NOOP]",
		"s2c line a2 OK NOOP completed [imap.tagged.OK]")
}

// TestIMAPFramerStartTLS: after the OK to STARTTLS the bytes are TLS
// records, summarized.
func TestIMAPFramerStartTLS(t *testing.T) {
	evs := frameIMAP(t, true, 0,
		imapC("t1 STARTTLS\r\n"),
		imapS("t1 OK Begin TLS negotiation now\r\n\x16\x03\x03\x00\x10garbage"),
		imapC("\x16\x03\x01\x02\x00\x01\x00\x01\xfcA LOGIN secret\r\n"),
		imapS("\x17\x03\x03\x00\x20more"))
	expectIMAP(t, evs,
		"c2s line t1 STARTTLS [imap.cmd.STARTTLS]",
		"s2c line t1 OK Begin TLS negotiation now [imap.tagged.OK.STARTTLS]",
		"s2c data TLS ciphertext: 12 octets [line.encrypted] <encrypted>",
		"c2s data TLS ciphertext: 25 octets [line.encrypted] <encrypted>",
		"s2c data TLS ciphertext: 9 octets [line.encrypted] <encrypted>")
	// A refused STARTTLS changes nothing.
	evs = frameIMAP(t, true, 0, imapC("t1 STARTTLS\r\n"), imapS("t1 BAD STARTTLS not available\r\n"), imapC("t2 NOOP\r\n"))
	if evs[2].Kind != KindLine || evs[2].Text != "t2 NOOP" {
		t.Errorf("after a refused STARTTLS: %v", imapSummary(evs))
	}
}

// TestIMAPFramerFlags: line endings and odd bytes are flagged.
func TestIMAPFramerFlags(t *testing.T) {
	evs := frameIMAP(t, true, 0, imapC("a1 NOOP\n"), imapC("a2 CREATE Ä\r\n"), imapC("a3 NOOP"))
	expectIMAP(t, evs,
		"c2s line a1 NOOP [imap.cmd.NOOP] <bare-lf>",
		"c2s line a2 CREATE Ä [imap.cmd.CREATE] <8bit>",
		"c2s line a3 NOOP [imap.cmd.NOOP]")
}

// TestIMAPCatalog: every IMAP key has English and Chinese text and an RFC.
func TestIMAPCatalog(t *testing.T) {
	for k, e := range imapCatalog {
		if e.en == "" || e.zh == "" || e.rfc == "" {
			t.Errorf("%s lacks text or RFC: %+v", k, e)
		}
		if !strings.HasPrefix(k, "imap.") {
			t.Errorf("key %s outside imap.", k)
		}
	}
	zh := NewExplainer("zh")
	if x := zh.IMAPStatus("tagged", "NO", "SELECT", "NONEXISTENT"); !strings.Contains(x.Text, "文件夹") || !strings.Contains(x.EnhText, "文件夹") {
		t.Errorf("zh explanation %+v", x)
	}
	if x := zh.IMAPCommand("UID FETCH"); x.Key != "imap.cmd.UID.FETCH" {
		t.Errorf("UID FETCH explained by %s", x.Key)
	}
	for _, k := range []string{"data.imap.literal", "line.masked", "line.encrypted"} {
		if !HasKey(k, "zh") || !HasKey(k, "en") {
			t.Errorf("common key %s missing", k)
		}
	}
}

// FuzzIMAPFramer: no input, however cut, makes the framer panic, keep more
// than MaxDataPreview of a literal, or publish a line longer than the limit.
func FuzzIMAPFramer(f *testing.F) {
	f.Add([]byte("* OK ready\r\n"), []byte("a1 LOGIN {5}\r\nalice \"pw\"\r\n"), uint8(3))
	f.Add([]byte("* 1 FETCH (BODY[] {5}\r\nhello)\r\n"), []byte("a2 UID FETCH 1 BODY[]\r\n"), uint8(1))
	f.Add([]byte("+ idling\r\n"), []byte("a3 IDLE\r\nDONE\r\n"), uint8(0))
	f.Add([]byte("a4 OK go\r\n\x16\x03"), []byte("a4 STARTTLS\r\n"), uint8(2))
	f.Add([]byte("+ \r\n"), []byte("a5 AUTHENTICATE PLAIN\r\nAGFAYg==\r\n{18446744073709551615}\r\n"), uint8(5))
	f.Fuzz(func(t *testing.T, s2c, c2s []byte, chunk uint8) {
		b := NewBus(WithHistory(16))
		sub := b.Subscribe(1 << 14)
		s := b.NewSession("A", "imap", "x")
		fr := newIMAPFramer().(*imapFramer)
		n := int(chunk%16) + 1
		for len(s2c) > 0 || len(c2s) > 0 {
			k := min(n, len(c2s))
			fr.Feed(s, C2S, c2s[:k])
			c2s = c2s[k:]
			k = min(n, len(s2c))
			fr.Feed(s, S2C, s2c[:k])
			s2c = s2c[k:]
			if len(fr.c2s.acc.preview) > MaxDataPreview || len(fr.s2c.acc.preview) > MaxDataPreview {
				t.Fatal("literal preview over the limit")
			}
		}
		fr.Flush(s)
		sub.Close()
		for e := range sub.C() {
			if len(e.Text) > maxShownLine+200 || len(e.Data) > MaxDataPreview {
				t.Fatalf("oversized event %d/%d", len(e.Text), len(e.Data))
			}
			if e.Kind == KindLine && e.Explain == nil {
				t.Fatalf("unexplained line %q", e.Text)
			}
		}
	})
}

// TestIMAPFramerNoTag: a command sent without a tag is explained as such,
// its BAD too, and a credential in it stays masked (LOGIN's password,
// AUTHENTICATE's initial response); an unknown command's BAD says so.
func TestIMAPFramerNoTag(t *testing.T) {
	evs := frameIMAP(t, true, 0,
		imapS("* OK ready\r\n"),
		imapC("LOGIN alice secret\r\n"),
		imapS("LOGIN BAD Unknown command\r\n"),
		imapC("AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
		imapS("AUTHENTICATE BAD Unknown command\r\n"),
		imapC("a1 FROB\r\n"),
		imapS("a1 BAD Unknown command\r\n"))
	expectIMAP(t, evs,
		"s2c line * OK ready [imap.greeting.OK]",
		"c2s line LOGIN alice **** [imap.cmd.notag] <masked>",
		"s2c line LOGIN BAD Unknown command [imap.tagged.BAD.notag]",
		"c2s line AUTHENTICATE PLAIN **** [imap.cmd.notag] <masked>",
		"s2c line AUTHENTICATE BAD Unknown command [imap.tagged.BAD.notag]",
		"c2s line a1 FROB [imap.cmd.unknown]",
		"s2c line a1 BAD Unknown command [imap.tagged.BAD.unknown]")
	for _, e := range evs {
		if strings.Contains(e.Text, "secret") || strings.Contains(e.Text, "AGFsaWNl") {
			t.Errorf("credential in the trace: %q", e.Text)
		}
	}
	if e := evs[2].Explain; !strings.Contains(e.Text, "LOGIN, as the tag") || !strings.Contains(e.Text, "ALICE") {
		t.Errorf("untagged LOGIN's BAD: %q", e.Text)
	}
}

// TestIMAPFramerTaggedDone: "a10 DONE" during IDLE is not the DONE that
// ends IDLE, and the trace must not say it is.
func TestIMAPFramerTaggedDone(t *testing.T) {
	var got []string
	for _, e := range frameIMAP(t, true, 0,
		imapWire{C2S, "a9 IDLE\r\n"}, imapWire{S2C, "+ idling\r\n"}, imapWire{C2S, "a10 DONE\r\n"}) {
		if e.Kind == KindLine && e.Dir == C2S && e.Explain != nil {
			got = append(got, e.Text+" => "+e.Explain.Key)
		}
	}
	want := "a10 DONE => imap.cmd.DONE.tagged"
	if len(got) != 2 || got[1] != want {
		t.Errorf("client lines %q, want the second %q", got, want)
	}
}
