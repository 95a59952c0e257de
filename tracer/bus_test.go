package tracer

import (
	"strings"
	"sync"
	"testing"
)

func TestBusOrderAndReplay(t *testing.T) {
	b := NewBus(WithHistory(100))
	live := b.Subscribe(1000)
	for i := 0; i < 50; i++ {
		b.Publish(&Event{Kind: KindNote, Text: itoa(i)})
	}
	for i := 0; i < 50; i++ {
		e := <-live.C()
		if e.Seq != uint64(i+1) || e.Text != itoa(i) {
			t.Fatalf("event %d: seq %d text %q", i, e.Seq, e.Text)
		}
	}
	// Resume after seq 40: history 41..50, then live from 51 with no gap.
	sub, hist := b.SubscribeFrom(40, 10)
	if len(hist) != 10 || hist[0].Seq != 41 || hist[9].Seq != 50 {
		t.Fatalf("history after 40: %d events from %d", len(hist), hist[0].Seq)
	}
	b.Publish(&Event{Kind: KindNote})
	if e := <-sub.C(); e.Seq != 51 {
		t.Fatalf("live after replay starts at %d, want 51", e.Seq)
	}
	// A resume point older than the kept history gets a skipped marker.
	for i := 0; i < 200; i++ {
		b.Publish(&Event{Kind: KindNote})
	}
	_, hist = b.SubscribeFrom(5, 10)
	if hist[0].Kind != KindSkipped || hist[1].Seq != hist[0].Seq+1 || len(hist) != 101 {
		t.Fatalf("old resume: first %+v, %d events", hist[0], len(hist))
	}
	if hist[0].Skipped != hist[1].Seq-6 {
		t.Fatalf("skipped %d, want %d", hist[0].Skipped, hist[1].Seq-6)
	}
	if h := b.History(b.Seq()); len(h) != 0 {
		t.Fatalf("history after the newest: %d events", len(h))
	}
}

func TestBusConcurrentPublishKeepsOrderPerSubscriber(t *testing.T) {
	b := NewBus()
	subs := []*Subscription{b.Subscribe(100000), b.Subscribe(100000)}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b.Publish(&Event{Kind: KindNote})
			}
		}()
	}
	wg.Wait()
	for _, s := range subs {
		for i := 1; i <= 8000; i++ {
			if e := <-s.C(); e.Seq != uint64(i) {
				t.Fatalf("got seq %d, want %d", e.Seq, i)
			}
		}
		s.Close()
		s.Close() // closing twice is harmless
	}
}

func TestSkippedMarker(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(2)
	for i := 0; i < 10; i++ {
		b.Publish(&Event{Kind: KindNote, Text: itoa(i)})
	}
	if e := <-s.C(); e.Text != "0" {
		t.Fatal(e.Text)
	}
	if e := <-s.C(); e.Text != "1" {
		t.Fatal(e.Text)
	}
	b.Publish(&Event{Kind: KindNote, Text: "10"})
	e := <-s.C()
	if e.Kind != KindSkipped || e.Skipped != 8 || !strings.Contains(e.Text, "skipped 8") {
		t.Fatalf("marker: %+v", e)
	}
	if e := <-s.C(); e.Text != "10" {
		t.Fatalf("after marker: %q", e.Text)
	}
}

func TestPrintableEscapesControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		"\x1b[2Jboom":    `\x1b[2Jboom`,
		"tab\there":      `tab\there`,
		"nul\x00":        `nul\x00`,
		"\x01f":          `\x01f`,
		"bad\xffbyte":    `bad\xffbyte`,
		"中文 ok":          "中文 ok",
		"cr\rlf":         `cr\rlf`,
		"c1 \u0085 ctrl": `c1 \u0085 ctrl`,
		"\u202emoc.live": `\u202emoc.live`,
		"a\u2066b\u2069c\u200e\u200f\u061c\u2028": `a\u2066b\u2069c\u200e\u200f\u061c\u2028`,
		"\u202a\u202b\u202c\u202d":                `\u202a\u202b\u202c\u202d`,
		"“quotes” — ✓ …":                          "“quotes” — ✓ …",
		"\ufffd stays":                            "\ufffd stays",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitterBoundsLongLines(t *testing.T) {
	var s splitter
	big := strings.Repeat("x", 100000)
	if _, _, ok := s.take([]byte(big)); ok {
		t.Fatal("no LF yet")
	}
	if len(s.partial) > maxShownLine+2 {
		t.Fatalf("splitter kept %d octets", len(s.partial))
	}
	l, rest, ok := s.take([]byte("yy\r\nnext"))
	if !ok || !l.cut || l.wire != 100004 || len(l.text) != maxShownLine || string(rest) != "next" {
		t.Fatalf("line: ok=%v cut=%v wire=%d len=%d rest=%q", ok, l.cut, l.wire, len(l.text), rest)
	}
}

func TestExplainerCatalogs(t *testing.T) {
	x := NewExplainer("en")
	e := x.SMTPReply(550, "5.1.1", "RCPT")
	if e.Class != "5xx" || !strings.Contains(e.Text, "permanent") || !strings.Contains(e.EnhText, "no such user") || e.RFC == "" {
		t.Fatalf("550 5.1.1: %+v", e)
	}
	if x.SMTPReply(550, "5.1.1", "RCPT") != e {
		t.Fatal("explanations are not cached")
	}
	if e := x.SMTPCommand("FROB"); e == nil || e.Key != "smtp.cmd.unknown" {
		t.Fatalf("unknown command: %+v", e)
	}
	zh := NewExplainer("zh")
	if e := zh.SMTPCommand("HELO"); !strings.Contains(e.Text, "客户端") {
		t.Fatalf("zh HELO: %q", e.Text)
	}
	// Every key has English and Chinese text, and is in one catalog only:
	// of two, the first would hide the second's text (imap.data.ID was in
	// two, after two branches each wrote it).
	seen := map[string]bool{}
	for _, k := range Keys() {
		if !HasKey(k, "en") || !HasKey(k, "zh") {
			t.Errorf("catalog key %q lacks a language", k)
		}
		if seen[k] {
			t.Errorf("catalog key %q is in two catalogs", k)
		}
		seen[k] = true
	}
}

// TestHistoryAcrossTheRing: whatever the ring's head, History(after)
// gives every kept event after `after`, in order, and nothing else.
func TestHistoryAcrossTheRing(t *testing.T) {
	b := NewBus(WithHistory(64))
	for n := 1; n <= 300; n++ {
		b.Publish(&Event{Kind: KindNote})
		newest := b.Seq()
		oldest := uint64(1)
		if newest > 64 {
			oldest = newest - 63
		}
		for _, after := range []uint64{oldest - 1, oldest, (oldest + newest) / 2, newest - 1} {
			if after < oldest-1 || after >= newest {
				continue
			}
			h := b.History(after)
			if uint64(len(h)) != newest-after || h[0].Seq != after+1 || h[len(h)-1].Seq != newest {
				t.Fatalf("after %d events, History(%d): %d events from %d", n, after, len(h), h[0].Seq)
			}
			for i := 1; i < len(h); i++ {
				if h[i].Seq != h[i-1].Seq+1 {
					t.Fatalf("History(%d) out of order at %d", after, i)
				}
			}
		}
	}
}
