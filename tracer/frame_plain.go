package tracer

// plainFramer publishes every line in both directions without explanation;
// it is used for protocols the tracer has no framer for.
type plainFramer struct {
	in, out splitter
	key     string
}

func newPlainFramer(proto string) *plainFramer { return &plainFramer{key: proto + ".line"} }

func (f *plainFramer) Feed(s *Session, dir Dir, p []byte) {
	sp := &f.in
	if dir == S2C {
		sp = &f.out
	}
	for len(p) > 0 {
		l, rest, ok := sp.take(p)
		p = rest
		if !ok {
			return
		}
		f.emit(s, dir, l)
	}
}

func (f *plainFramer) emit(s *Session, dir Dir, l rawLine) {
	s.Emit(&Event{Kind: KindLine, Dir: dir, Text: string(l.text), Flags: l.flags(true), Explain: s.bus.Explainer.Key(f.key)})
}

func (f *plainFramer) Flush(s *Session) {
	if f.in.pending() {
		f.emit(s, C2S, f.in.finish(false))
	}
	if f.out.pending() {
		f.emit(s, S2C, f.out.finish(false))
	}
}
