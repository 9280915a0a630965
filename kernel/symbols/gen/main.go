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
	"os"
	"path/filepath"
	"strings"

	"github.com/traefik/yaegi/extract"

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

func run(out string, pkgs []string, docsOnly bool) error {
	if !docsOnly {
		// SetSink belongs to the kernel, not to cells.
		ext := extract.Extractor{Dest: "symbols", Exclude: []string{"^SetSink$"}}
		r := strings.NewReplacer("/", "-", ".", "_", "~", "_")
		for _, p := range pkgs {
			var buf bytes.Buffer
			ip, err := ext.Extract(p, "", &buf)
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
