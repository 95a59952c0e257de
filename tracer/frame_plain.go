package tracer

// plainFramer publishes every line in both directions without explanation;
// it is used for protocols the tracer has no framer for.
type plainFramer struct {
	lines
	key string
}

func newPlainFramer(proto string) *plainFramer { return &plainFramer{key: proto + ".line"} }

func (f *plainFramer) Feed(s *Session, dir Dir, p []byte) { f.feed(f, s, dir, p) }

func (f *plainFramer) Flush(s *Session) { f.flush(f, s) }

func (f *plainFramer) client(s *Session, l rawLine) { f.emit(s, C2S, l) }

func (f *plainFramer) server(s *Session, l rawLine) { f.emit(s, S2C, l) }

func (f *plainFramer) emit(s *Session, dir Dir, l rawLine) {
	s.Emit(&Event{Kind: KindLine, Dir: dir, Text: string(l.text), Flags: l.flags(true), Explain: s.bus.Explainer.Key(f.key)})
}
