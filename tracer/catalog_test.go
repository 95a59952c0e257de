package tracer

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestEveryCatalogIsComplete reads every catalog file of the package
// (each top-level map[string]entry in a .go file) and fails when a table
// is not in catalogs (its keys would never be found, and no other test
// would see them), when an entry lacks a language, when its Chinese text
// has no Chinese in it although the English is a sentence (an English
// text copied over) or its English text has Chinese. TestExplainerCatalogs checks the keys that catalogs lists;
// this one also finds a table that was written and never listed.
func TestEveryCatalogIsComplete(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	var tables []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						continue
					}
					switch typ := exprString(lit.Type); {
					case typ == "map[string]entry":
						tables = append(tables, name+": "+id.Name)
					case id.Name == "catalogs":
						for _, el := range lit.Elts {
							listed[exprString(el)] = true
						}
					}
				}
			}
		}
	}
	if len(tables) < 6 {
		t.Fatalf("found only the catalogs %v", tables)
	}
	for _, tb := range tables {
		if name := tb[strings.Index(tb, ": ")+2:]; !listed[name] {
			t.Errorf("%s is not in catalogs: its keys are never looked up", tb)
		}
	}
	han := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return true
			}
		}
		return false
	}
	for _, c := range catalogs {
		for k, e := range c {
			switch {
			case e.en == "" || e.zh == "":
				t.Errorf("%s lacks a language: en %q, zh %q", k, e.en, e.zh)
			case !han(e.zh) && prose.MatchString(e.en):
				t.Errorf("%s: the zh text has no Chinese: %q", k, e.zh)
			case han(e.en):
				t.Errorf("%s: the en text has Chinese: %q", k, e.en)
			}
		}
	}
}

// prose is two English words in a row: a text that is a sentence, which
// the Chinese must say in Chinese (a text of tokens, "HTTP: ", may stay).
var prose = regexp.MustCompile(`[A-Za-z][a-z]+ [a-z]{2,}`)

// exprString is the source of a type or identifier expression.
func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.MapType:
		return "map[" + exprString(x.Key) + "]" + exprString(x.Value)
	case *ast.ArrayType:
		return "[]" + exprString(x.Elt)
	}
	return ""
}
