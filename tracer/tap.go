package tracer

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Framer cuts one protocol's byte stream into events. Feed is called with the
// bytes of one direction as they cross the socket (client bytes when the
// server reads them, server bytes just before they are written); calls are
// serialized by the Conn. Flush is called once when the connection closes.
type Framer interface {
	Feed(s *Session, dir Dir, p []byte)
	Flush(s *Session)
}

// FramerFor returns a new framer for a protocol name, or a plain line framer
// for a protocol it does not know.
func FramerFor(proto string) Framer {
	switch proto {
	case "smtp":
		return newSMTPFramer()
	case "pop3":
		return newPOP3Framer()
	case "imap":
		return newIMAPFramer()
	}
	return newPlainFramer(proto)
}

// Session is one traced connection. Its methods are safe on a nil *Session,
// so servers may call them whether or not anyone traces.
type Session struct {
	ID     string
	Server string
	Proto  string
	Peer   string

	bus *Bus

	mu    sync.Mutex
	actor string
	hop   string
	msgID string
	state string
	// onCommand names the message a command belongs to (OnCommand).
	onCommand func(verb, args string) string
}

// NewSession starts a session on bus with a fresh id and publishes nothing;
// Open publishes the open event.
func (b *Bus) NewSession(server, proto, peer string) *Session {
	if b == nil {
		return nil
	}
	return &Session{ID: b.nextSessionID(server, proto), Server: server, Proto: proto, Peer: peer, bus: b}
}

// Bus returns the bus the session publishes to.
func (s *Session) Bus() *Bus {
	if s == nil {
		return nil
	}
	return s.bus
}

// Label sets who the client is (actor), the relay hop ("A->B") and the
// message id that following events of this session carry. Empty values leave
// the current label alone.
func (s *Session) Label(actor, hop, msgID string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	if actor != "" {
		s.actor = actor
	}
	if hop != "" {
		s.hop = hop
	}
	if msgID != "" {
		s.msgID = msgID
	}
	s.mu.Unlock()
}

// Hop returns the relay hop the session was labelled with ("A->B"), ""
// for a client that is no server of the world.
func (s *Session) Hop() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hop
}

// SetMsgID sets (or with "" clears) the message id carried by following events.
func (s *Session) SetMsgID(id string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.msgID = id
	s.mu.Unlock()
}

// OnCommand tells the session how to name the message a client's command
// belongs to before the server runs it: the SMTP framer asks f (with the
// command's verb, upper case, and argument) as a MAIL or ETRN line crosses
// the wire, so that the MAIL line (and the lines pipelined with it)
// already belongs to the message it starts, and the ETRN line to the
// message it will deliver. f runs in the goroutine that reads the
// connection; it returns "" to leave the line to no message, and the
// server then gives the message the id f returned.
func (s *Session) OnCommand(f func(verb, args string) string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.onCommand = f
	s.mu.Unlock()
}

// beginCommand labels the following events with the id of the message a
// command belongs to, unless a message is already under way.
func (s *Session) beginCommand(verb, args string) {
	s.mu.Lock()
	f, cur := s.onCommand, s.msgID
	s.mu.Unlock()
	if f == nil || cur != "" {
		return
	}
	if id := f(verb, args); id != "" {
		s.SetMsgID(id)
	}
}

// Emit fills in the session's identity and publishes e.
func (s *Session) Emit(e *Event) {
	if s == nil {
		return
	}
	e.Session = s.ID
	e.Server = s.Server
	e.Proto = s.Proto
	s.mu.Lock()
	if e.Actor == "" {
		e.Actor = s.actor
	}
	if e.Hop == "" {
		e.Hop = s.hop
	}
	if e.MsgID == "" {
		e.MsgID = s.msgID
	}
	s.mu.Unlock()
	s.bus.Publish(e)
}

// State publishes a state change from the session's current state to `to`,
// with an optional explanation of why, a catalog message the bus renders in
// its language. A change to the same state is ignored.
func (s *Session) State(to string, why *Msg) {
	if s == nil {
		return
	}
	s.mu.Lock()
	from := s.state
	s.state = to
	s.mu.Unlock()
	if from == to {
		return
	}
	e := &Event{Kind: KindState, From: from, To: to, Text: from + " -> " + to}
	if from == "" {
		e.Text = to
	}
	if why != nil {
		e.Explain = &Explanation{Key: why.Key, Args: why.Args}
	}
	s.Emit(e)
}

// Note publishes an event of the given kind that says msg, a catalog
// message the bus renders in its language, with attributes.
func (s *Session) Note(kind Kind, msg *Msg, attrs map[string]string) {
	if s == nil {
		return
	}
	s.Emit(&Event{Kind: kind, Msg: msg, Attrs: attrs})
}

// Conn is a net.Conn whose traffic is traced. Servers use it like any conn;
// the tap publishes open, line, data and close events through its framer.
type Conn struct {
	inner atomic.Pointer[net.Conn] // swapped by StartTLS; read by every method
	sess  *Session

	fmu    sync.Mutex // serializes framer calls from the read and write sides
	framer Framer

	closeOnce sync.Once
}

// Wrap traces c as a new session of server and proto and publishes its open
// event. A nil bus returns c unchanged.
func (b *Bus) Wrap(c net.Conn, server, proto string) net.Conn {
	if b == nil {
		return c
	}
	s := b.NewSession(server, proto, c.RemoteAddr().String())
	tc := &Conn{sess: s, framer: FramerFor(proto)}
	tc.inner.Store(&c)
	local := c.LocalAddr().String()
	msg := M("conn.open", "peer", s.Peer, "local", local)
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok && ta.IP.IsLoopback() {
		if l, ok := b.takePeer(ta.Port); ok {
			s.Label(l.Actor, l.Hop, "")
			msg = M("conn.open.relay", "actor", l.Actor, "peer", s.Peer, "server", server)
		}
	}
	s.Emit(&Event{Kind: KindOpen, Peer: s.Peer, Msg: msg, Attrs: map[string]string{"local": local}})
	return tc
}

// Session returns the session of a traced conn.
func (c *Conn) Session() *Session { return c.sess }

// SessionOf returns the trace session of c, or nil when c is not traced.
func SessionOf(c net.Conn) *Session {
	if tc, ok := c.(*Conn); ok {
		return tc.sess
	}
	return nil
}

// conn is the current underlying connection (TCP, or TLS after StartTLS).
func (c *Conn) conn() net.Conn { return *c.inner.Load() }

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.conn().LocalAddr() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.conn().RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn().SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn().SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn().SetWriteDeadline(t) }

// Read reads from the connection and traces what was read.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.conn().Read(p)
	if n > 0 {
		c.fmu.Lock()
		c.framer.Feed(c.sess, C2S, p[:n])
		c.fmu.Unlock()
	}
	return n, err
}

// Write traces p and writes it. Tracing comes first so that a reply is
// always ordered before the client's answer to it.
func (c *Conn) Write(p []byte) (int, error) {
	c.fmu.Lock()
	c.framer.Feed(c.sess, S2C, p)
	c.fmu.Unlock()
	return c.conn().Write(p)
}

// Close closes the connection and publishes the close event once.
func (c *Conn) Close() error {
	err := c.conn().Close()
	c.closeOnce.Do(func() {
		c.fmu.Lock()
		c.framer.Flush(c.sess)
		c.fmu.Unlock()
		c.sess.Emit(&Event{Kind: KindClose, Msg: M("conn.close")})
	})
	return err
}

// StartTLS runs a server-side TLS handshake on the underlying connection and
// from then on traces the decrypted traffic. The caller must discard anything
// it had buffered from before the upgrade (RFC 3207 section 4.2).
func (c *Conn) StartTLS(ctx context.Context, cfg *tls.Config) error {
	tc := tls.Server(c.conn(), cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.sess.Emit(&Event{Kind: KindTLS, Msg: M("tls.failed", "error", err.Error())})
		return err
	}
	var nc net.Conn = tc
	c.inner.Store(&nc)
	if u, ok := c.framer.(interface{ tlsStarted() }); ok {
		c.fmu.Lock()
		u.tlsStarted()
		c.fmu.Unlock()
	}
	st := tc.ConnectionState()
	c.sess.Emit(&Event{Kind: KindTLS, Msg: M("tls.up", "version", tls.VersionName(st.Version), "cipher", tls.CipherSuiteName(st.CipherSuite)),
		Explain: &Explanation{Key: "tls.established"}})
	return nil
}

// TLS reports whether the connection has been upgraded to TLS.
func (c *Conn) TLS() bool {
	_, ok := c.conn().(*tls.Conn)
	return ok
}

// Listener traces every connection it accepts.
type Listener struct {
	net.Listener
	bus    *Bus
	server string
	proto  string
}

// Listen wraps l so that every accepted conn is traced as server and proto.
func (b *Bus) Listen(l net.Listener, server, proto string) net.Listener {
	if b == nil {
		return l
	}
	return &Listener{Listener: l, bus: b, server: server, proto: proto}
}

// Accept waits for the next connection and returns it traced.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.bus.Wrap(c, l.server, l.proto), nil
}

// ErrNotTraced is returned by helpers that need a traced conn.
var ErrNotTraced = errors.New("tracer: connection is not traced")
