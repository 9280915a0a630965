package symbols

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGeneratedUpToDate regenerates the symbol tables and docs into a temporary directory and
// fails when they differ from the committed ones: run `go generate ./kernel/symbols`.
func TestGeneratedUpToDate(t *testing.T) {
	src, err := os.ReadFile("symbols.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^//go:generate go run ./gen -o \. (.*)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no go:generate line in symbols.go")
	}
	dir := t.TempDir()
	args := append([]string{"run", "./gen", "-o", dir}, regexp.MustCompile(`\s+`).Split(string(bytes.TrimSpace(m[1])), -1)...)
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 2 {
		t.Fatalf("generator wrote %v (%v)", files, err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil {
			t.Errorf("%s is missing: run go generate ./kernel/symbols", filepath.Base(f))
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./kernel/symbols", filepath.Base(f))
		}
	}
}

func TestDocs(t *testing.T) {
	d := Docs()
	h, ok := d["display.HTML"]
	if !ok || h.Signature != "func HTML(s string)" || h.Doc == "" {
		t.Fatalf("display.HTML doc = %+v, %v", h, ok)
	}
	if _, ok := Symbols["github.com/gohunt/gohunt/kernel/display/display"]["HTML"]; !ok {
		t.Fatal("display.HTML symbol missing")
	}
	if _, ok := Symbols["github.com/gohunt/gohunt/kernel/display/display"]["SetSink"]; ok {
		t.Fatal("SetSink must not be callable from cells")
	}
}
