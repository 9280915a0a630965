// Package docgen extracts the documentation index of the packages gohunt preloads: the
// signature and doc comment of every exported name, as kernel/symbols embeds it (docs.json).
package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strings"
)

// Doc is the documentation of one exported name, as stored in docs.json.
type Doc struct {
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
}

// JSON returns docs.json for the packages (import paths), keyed "pkg", "pkg.Name" and
// "pkg.Type.Method". It parses sources only, so it is fast.
func JSON(pkgs []string) ([]byte, error) {
	docs := map[string]Doc{}
	for _, p := range pkgs {
		if err := collectDocs(p, docs); err != nil {
			return nil, fmt.Errorf("documenting %s: %w", p, err)
		}
	}
	b, err := json.MarshalIndent(docs, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// collectDocs adds the docs of every exported name of package path to docs, keyed
// "pkg.Name" and "pkg.Type.Method".
func collectDocs(path string, docs map[string]Doc) error {
	bp, err := build.Import(path, ".", 0)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	dp, err := doc.NewFromFiles(fset, files, path)
	if err != nil {
		return err
	}
	for key, d := range Index(fset, dp, false) {
		if key == "" {
			docs[dp.Name] = d
		} else {
			docs[dp.Name+"."+key] = d
		}
	}
	return nil
}

// Index returns the documentation of the exported names of dp (of every name when all is set,
// as for package builtin), keyed "Name" and "Type.Method"; the key "" is the package itself.
func Index(fset *token.FileSet, dp *doc.Package, all bool) map[string]Doc {
	m := map[string]Doc{"": {Signature: "package " + dp.Name + ` // import "` + dp.ImportPath + `"`, Doc: dp.Doc}}
	add := func(key string, decl ast.Node, text string) {
		m[key] = Doc{Signature: signature(fset, decl), Doc: text}
	}
	for _, f := range dp.Funcs {
		add(f.Name, f.Decl, f.Doc)
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, s := range v.Decl.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.IsExported() || all {
						add(n.Name, v.Decl, v.Doc)
					}
				}
			}
		}
	}
	values(dp.Consts)
	values(dp.Vars)
	for _, t := range dp.Types {
		add(t.Name, t.Decl, t.Doc)
		values(t.Consts)
		values(t.Vars)
		for _, f := range t.Funcs {
			add(f.Name, f.Decl, f.Doc)
		}
		for _, f := range t.Methods {
			add(t.Name+"."+f.Name, f.Decl, f.Doc)
		}
	}
	return m
}

// signature prints decl without bodies or comments.
func signature(fset *token.FileSet, decl ast.Node) string {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		c := *d
		c.Body, c.Doc = nil, nil
		decl = &c
	case *ast.GenDecl:
		c := *d
		c.Doc = nil
		decl = &c
	}
	var buf bytes.Buffer
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&buf, fset, decl); err != nil {
		return ""
	}
	s := buf.String()
	// Keep a type's signature short: its first 40 lines.
	if lines := strings.Split(s, "\n"); len(lines) > 40 {
		s = strings.Join(lines[:40], "\n") + "\n\t..."
	}
	return s
}
