package servers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/internal/wiretest"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// keyArg names the functions of servers/ that take a catalog key, and
// which of their arguments it is: the servers' helpers around
// tracer.Session.State and the note events.
var keyArg = map[string]int{"setState": 1, "noteStress": 0, "note": 0, "Recover": 4}

// eventKey is the form of the catalog keys of what servers say in the
// trace: a string literal of this form anywhere in servers/ (a map of keys,
// a switch choosing one) must be a key of the catalog.
var eventKey = regexp.MustCompile(`^((conn|tls|world|queue|lookup|fault|note)\.[a-z.]+|(auth|smtp|pop3|imap)\.(note|state|fail|gate|mode)\.?[A-Za-z.]*)$`)

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestEventKeysInCatalog: every sentence the servers put in the trace is a
// catalog key with English and Chinese text. The keys are read from the
// source of servers/ (tests, the world file's parser and the tests' wire
// helper left out): the first argument of tracer.M, the
// key argument of the helpers in keyArg, the Key of a tracer.Explanation
// or tracer.Msg literal, and every string literal that looks like an event
// key. Where a call names all its arguments as literals, each {name} of
// the English text must be among them, or the reader sees "{name}". And no
// tracer.Event literal sets its Text: what an event says is a Msg.
func TestEventKeysInCatalog(t *testing.T) {
	fset := token.NewFileSet()
	keys := map[string]string{} // key -> where it was found
	en := tracer.NewExplainer("en")
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			// The world file's parser and the tests' wire helper put
			// nothing in the trace.
			if d != nil && d.IsDir() && (path == "world" || path == filepath.Join("internal", "wiretest")) {
				return filepath.SkipDir
			}
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				i, ok := keyIndex(n)
				if !ok || i >= len(n.Args) {
					return true
				}
				k, ok := literal(n.Args[i])
				if !ok || k == "" {
					return true
				}
				keys[k] = fset.Position(n.Pos()).String()
				if n.Ellipsis.IsValid() {
					return true
				}
				var names []string
				for j := i + 1; j < len(n.Args); j += 2 {
					name, ok := literal(n.Args[j])
					if !ok {
						return true
					}
					names = append(names, name)
				}
				for _, m := range placeholder.FindAllStringSubmatch(en.Text(k), -1) {
					if !slices.Contains(names, m[1]) {
						t.Errorf("%s: %q is given %v, but its text names {%s}", fset.Position(n.Pos()), k, names, m[1])
					}
				}
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if ok && sel.Sel.Name == "Event" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Text" {
								t.Errorf("%s: an event's Text is written in the code; say it with Msg: tracer.M(key, ...)", fset.Position(kv.Pos()))
							}
						}
					}
				}
				if !ok || sel.Sel.Name != "Explanation" && sel.Sel.Name != "Msg" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Key" {
							if k, ok := literal(kv.Value); ok {
								keys[k] = fset.Position(n.Pos()).String()
							}
						}
					}
				}
			case *ast.BasicLit:
				if k, ok := literal(n); ok && eventKey.MatchString(k) {
					keys[k] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 60 {
		t.Fatalf("found only %d keys in servers/: the test no longer sees the emitters", len(keys))
	}
	for k, where := range keys {
		if !tracer.HasKey(k, "en") || !tracer.HasKey(k, "zh") {
			t.Errorf("%s: catalog key %q lacks English or Chinese text", where, k)
		}
	}
}

// keyIndex says which argument of call is a catalog key: the first of
// tracer.M, or the one keyArg names.
func keyIndex(call *ast.CallExpr) (int, bool) {
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == "tracer" && fn.Sel.Name == "M" {
			return 0, true
		}
		i, ok := keyArg[fn.Sel.Name]
		return i, ok
	case *ast.Ident:
		i, ok := keyArg[fn.Name]
		return i, ok
	}
	return 0, false
}

// literal is the value of a string literal.
func literal(e ast.Expr) (string, bool) {
	if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	return "", false
}

// unfilled lists the arguments that the catalog text of e's message names
// and e does not give: they would show as "{name}".
func unfilled(e *tracer.Event) []string {
	if e.Msg == nil {
		return nil
	}
	var missing []string
	for _, m := range placeholder.FindAllStringSubmatch(tracer.NewExplainer("en").Text(e.Msg.Key), -1) {
		if _, ok := e.Msg.Args[m[1]]; !ok {
			missing = append(missing, m[1])
		}
	}
	return missing
}

// hasHan reports whether s holds a Chinese character.
func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestRelayInChinese: in a world started with --lang zh, what the servers
// say about a relay from alice@a.example to bob@b.example (through a
// greylisting B, so that a fault, a deferral and a retry happen) and
// about bob fetching it over POP3 is Chinese: every queue, lookup, fault,
// note, state, open, close and TLS event's text has Chinese in it, and so
// has every explanation such an event carries. A state event's text names
// the states (protocol names, "connected -> greeted"): its explanation is
// what must be Chinese.
func TestRelayInChinese(t *testing.T) {
	w := world.Default()
	fastWorld(w)
	inst, err := servers.Start(servers.Config{World: w, DataDir: t.TempDir(), Bus: tracer.NewBus(tracer.WithLang("zh")),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	sub, hist := inst.Bus.SubscribeFrom(0, 1<<16)
	defer sub.Close()

	if err := inst.SetFault("B", servers.FaultGreylist); err != nil {
		t.Fatal(err)
	}
	mailTo(t, inst, "bob@b.example", "across two servers", "")
	waitFor(t, "bob's mail", func() bool { return len(inboxOf(t, inst.Store, "B", "bob")) == 1 })
	if err := inst.SetFault("B", servers.FaultNone); err != nil {
		t.Fatal(err)
	}
	c := wiretest.Dial(t, inst.Addr("B", world.POP3))
	c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	c.ExpectPrefix("+OK")
	for _, cmd := range []string{"USER bob", "PASS bob", "RETR 1", "DELE 1", "QUIT"} {
		c.Send(cmd)
		c.ExpectPrefix("+OK")
		if cmd == "RETR 1" {
			for c.ReadLine() != "." {
			}
		}
	}
	c.ExpectClosed()

	seen := map[string]bool{}
	check := func(e *tracer.Event) {
		switch e.Kind {
		case tracer.KindQueue, tracer.KindLookup, tracer.KindFault, tracer.KindNote, tracer.KindState,
			tracer.KindOpen, tracer.KindClose, tracer.KindTLS:
		default:
			return
		}
		what := string(e.Kind)
		if s := e.Attrs[tracer.AttrStep]; s != "" {
			what += " " + s
		}
		seen[what] = true
		if missing := unfilled(e); len(missing) > 0 {
			t.Errorf("%s event %q lacks %v", what, e.Text, missing)
		}
		text := e.Text
		if e.Kind == tracer.KindState && e.Msg == nil {
			if e.Explain == nil {
				t.Errorf("%s event %q: no explanation", e.Kind, e.Text)
				return
			}
			text = e.Explain.Text
		}
		if !hasHan(text) {
			t.Errorf("%s event in a zh world says %q", what, text)
		}
		if x := e.Explain; x != nil && x.Text != "" && !hasHan(x.Text) {
			t.Errorf("%s event %q: explanation %s in a zh world is %q", what, e.Text, x.Key, x.Text)
		}
	}
	for _, e := range hist {
		check(e)
	}
	// bob's POP3 session ends with its note (download-and-delete) and
	// the close of the connection, the last events this test waits for.
	deadline := time.After(10 * time.Second)
	for !seen["pop3 close"] {
		select {
		case e := <-sub.C():
			check(e)
			if e.Proto == "pop3" && e.Kind == tracer.KindClose {
				seen["pop3 close"] = true
			}
		case <-deadline:
			t.Fatalf("no end of bob's POP3 session; events seen: %v", seen)
		}
	}
	for _, want := range []string{"note", "fault", "lookup", "queue queued", "queue attempt", "queue deferred",
		"queue delivered", "state", "open", "close", "tls"} {
		if !seen[want] {
			t.Errorf("no %s event to check (seen: %v)", want, seen)
		}
	}
}
