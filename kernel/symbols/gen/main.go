// Command gen writes the yaegi symbol tables and the documentation index of the packages that
// gohunt preloads into every cell. It runs from kernel/symbols via `go generate`:
//
//	go run ./gen [-o DIR] PKG...
//
// For each package it writes DIR/<mangled import path>.go (yaegi extract output) and, for all of
// them together, DIR/docs.json: the signature and doc comment of every exported name, which the
// kernel shows on Shift-Tab and with ?name.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gohunt/gohunt/kernel/symbols/docgen"
)

func main() {
	out := flag.String("o", ".", "output directory")
	docsOnly := flag.Bool("docs", false, "write docs.json only")
	flag.Parse()
	if err := run(*out, flag.Args(), *docsOnly); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// exportImporter type-checks packages from the export data the go command leaves in its build
// cache (`go list -export`), for pkgs and all their dependencies.
func exportImporter(pkgs []string) (types.Importer, error) {
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("go list -export: %v\n%s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("go list -export: %w", err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			exports[path] = file
		}
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	}), nil
}

func run(out string, pkgs []string, docsOnly bool) error {
	if !docsOnly {
		imp, err := exportImporter(pkgs)
		if err != nil {
			return err
		}
		// SetSink belongs to the kernel, not to cells.
		ext := Extractor{Dest: "symbols", Exclude: []string{"^SetSink$"}}
		r := strings.NewReplacer("/", "-", ".", "_", "~", "_")
		for _, p := range pkgs {
			var buf bytes.Buffer
			ip, err := ext.Extract(imp, p, &buf)
			if err != nil {
				return fmt.Errorf("extracting %s: %w", p, err)
			}
			if err := os.WriteFile(filepath.Join(out, r.Replace(ip)+".go"), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	b, err := docgen.JSON(pkgs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "docs.json"), b, 0o644)
}
