package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// collect returns "member=content" for each stream Each yields.
func collect(t *testing.T, path string) ([]string, error) {
	t.Helper()
	var got []string
	err := Each(path, func(member string, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		got = append(got, member+"="+string(b))
		return nil
	})
	return got, err
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func tarOf(files map[string]string, names ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	return buf.Bytes()
}

func TestEachKinds(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, n := range []string{"a.json", "__MACOSX/._a.json", "b.json.gz"} {
		w, _ := zw.Create(n)
		if strings.HasSuffix(n, ".gz") {
			w.Write(gz([]byte("{\"b\":2}\n")))
		} else {
			w.Write([]byte("{\"a\":1}\n"))
		}
	}
	zw.Close()
	files := map[string]string{"x.json": "{\"x\":1}\n", ".hidden": "junk"}
	cases := []struct {
		path string
		want []string
	}{
		{write("plain.json", []byte("{\"p\":1}\n")), []string{"={\"p\":1}\n"}},
		{write("events.json.gz", gz([]byte("{\"g\":1}\n"))), []string{"={\"g\":1}\n"}},
		{write("rec.zip", zbuf.Bytes()), []string{"a.json={\"a\":1}\n", "b.json.gz={\"b\":2}\n"}},
		{write("rec.tar", tarOf(files, ".hidden", "x.json")), []string{"x.json={\"x\":1}\n"}},
		// A stray byte after the gzip stream, as one published Mordor archive has.
		{write("rec.TAR.GZ", append(gz(tarOf(files, "x.json")), '\n')), []string{"x.json={\"x\":1}\n"}},
	}
	for _, c := range cases {
		got, err := collect(t, c.path)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(c.path), err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: got %q, want %q", filepath.Base(c.path), got, c.want)
		}
	}
}

func TestEachErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.tar.gz")
	os.WriteFile(empty, gz(tarOf(nil)), 0o644)
	notZip := filepath.Join(dir, "bad.zip")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	notGz := filepath.Join(dir, "bad.json.gz")
	os.WriteFile(notGz, []byte("plain"), 0o644)
	for path, want := range map[string]string{
		empty:                         "the archive holds no files",
		notZip:                        "not a zip archive",
		notGz:                         "not gzip data",
		filepath.Join(dir, "missing"): "no such file",
	} {
		_, err := collect(t, path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to name the path and say %q", filepath.Base(path), err, want)
		}
	}
	// fn's error comes back unchanged.
	sentinel := io.ErrUnexpectedEOF
	plain := filepath.Join(dir, "p.json")
	os.WriteFile(plain, []byte("{}"), 0o644)
	if err := Each(plain, func(string, io.Reader) error { return sentinel }); err != sentinel {
		t.Errorf("fn's error: got %v, want it unchanged", err)
	}
}
