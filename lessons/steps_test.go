package lessons_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
)

// TestQueueStepsEmitted: every queue step a lesson may name (the
// tracer.Step constants, which Load checks each lesson's `queue:` against)
// is one the servers emit, and the servers emit no other. The emitters are
// read from the source of servers/: in the functions that publish a
// tracer.KindQueue event, the steps set in its attributes (a composite
// literal or an assignment under the key "step" or tracer.AttrStep), and
// the steps passed to such a function's parameter named step. (Other
// events use a "step" attribute too, such as the stress notes: they are
// not queue steps.)
func TestQueueStepsEmitted(t *testing.T) {
	emitted := emittedSteps(t, filepath.Join("..", "servers"))
	known := tracer.QueueSteps()
	for _, s := range known {
		if !emitted[s] {
			t.Errorf("step %q: lessons may name it, but no server emits it", s)
		}
	}
	for s := range emitted {
		if !slices.Contains(known, s) {
			t.Errorf("step %q: a server emits it, but it is not among tracer's queue steps", s)
		}
	}
	set, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Lessons) == 0 {
		t.Fatal("no lessons")
	}
}

// emittedSteps reads the Go files below dir (tests left out) and returns
// the queue steps they set.
func emittedSteps(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err == nil {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	add := func(e ast.Expr) {
		if s, ok := stepValue(e); ok {
			steps[s] = true
		}
	}
	// The functions that publish queue events, and of those that take a
	// step, where it stands among their parameters.
	var queueFuncs []*ast.FuncDecl
	takesStep := map[string]int{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || !mentionsKindQueue(fd) {
				continue
			}
			queueFuncs = append(queueFuncs, fd)
			i := 0
			for _, p := range fd.Type.Params.List {
				for _, n := range p.Names {
					if n.Name == "step" {
						takesStep[fd.Name.Name] = i
					}
					i++
				}
			}
		}
	}
	for _, fd := range queueFuncs {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if isStepKey(n.Key) {
					add(n.Value)
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if ix, ok := l.(*ast.IndexExpr); ok && isStepKey(ix.Index) && i < len(n.Rhs) {
						add(n.Rhs[i])
					}
				}
			}
			return true
		})
	}
	// The calls of a function taking a step stand anywhere.
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := c.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if i, ok := takesStep[name]; ok && i < len(c.Args) {
				add(c.Args[i])
			}
			return true
		})
	}
	return steps
}

// mentionsKindQueue reports whether fd uses tracer.KindQueue.
func mentionsKindQueue(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "KindQueue" {
			found = true
		}
		return !found
	})
	return found
}

// isStepKey reports whether e is the attribute key "step".
func isStepKey(e ast.Expr) bool {
	if s, ok := stepValue(e); ok && s == tracer.AttrStep {
		return true
	}
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "AttrStep"
}

// stepValue is the string e stands for: a literal, or a tracer.Step
// constant.
func stepValue(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "tracer" {
			return tracerSteps[e.Sel.Name], tracerSteps[e.Sel.Name] != ""
		}
	}
	return "", false
}

// tracerSteps names tracer's step constants, for emitters that use them.
var tracerSteps = map[string]string{
	"StepQueued": tracer.StepQueued, "StepHeld": tracer.StepHeld, "StepReleased": tracer.StepReleased,
	"StepAttempt": tracer.StepAttempt, "StepDeferred": tracer.StepDeferred, "StepDelivered": tracer.StepDelivered,
	"StepDeliveredLocal": tracer.StepDeliveredLocal, "StepBounced": tracer.StepBounced, "StepFlush": tracer.StepFlush,
	"StepRecovered": tracer.StepRecovered, "StepDSN": tracer.StepDSN, "StepRetryNow": tracer.StepRetryNow, "StepBounceNow": tracer.StepBounceNow,
}
