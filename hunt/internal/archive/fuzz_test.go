package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fuzzExts are the kinds Each tells apart by name.
var fuzzExts = []string{".zip", ".tar.gz", ".tgz", ".tar", ".json.gz", ".json"}

func zipOf(t testing.TB, members map[string][]byte, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzEach: Each, given any bytes under any of the names it knows, never panics and never hangs:
// it yields streams that read to an end or to an error, or fails with an error naming the path.
// Streams are read up to 1 MiB each, so a small input that decompresses to gigabytes (a bomb)
// costs no more than that.
func FuzzEach(f *testing.F) {
	files := map[string]string{"x.json": "{\"x\":1}\n", ".hidden": "junk"}
	valid := zipOf(f, map[string][]byte{"a.json": []byte("{\"a\":1}\n"), "b.json.gz": gz([]byte("{\"b\":2}\n"))}, "a.json", "b.json.gz")
	seeds := [][]byte{
		valid,
		valid[:len(valid)/2],
		tarOf(files, ".hidden", "x.json"),
		gz(tarOf(files, "x.json")),
		append(gz(tarOf(files, "x.json")), '\n'),
		gz([]byte("{\"g\":1}\n")),
		gz(make([]byte, 1<<20)), // 1 MiB of NUL in 1 KiB
		zipOf(f, map[string][]byte{"../../etc/passwd": []byte("x"), "dir/": nil}, "../../etc/passwd", "dir/"),
		[]byte("PK\x03\x04"),
		[]byte("\x1f\x8b\x08\x00"),
		nil,
	}
	for _, s := range seeds {
		for i := range fuzzExts {
			f.Add(s, uint8(i))
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		path := filepath.Join(dir, "in"+fuzzExts[int(kind)%len(fuzzExts)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		streams := 0
		err := Each(path, func(member string, r io.Reader) error {
			streams++
			_, err := io.CopyN(io.Discard, r, 1<<20)
			if err != nil && err != io.EOF {
				return &streamErr{err}
			}
			return nil
		})
		var se *streamErr
		if err != nil && !errors.As(err, &se) && !strings.Contains(err.Error(), path) {
			t.Fatalf("error does not name the path %s: %v", path, err)
		}
		if err == nil && streams == 0 {
			t.Fatalf("no error and no stream for %q", data)
		}
	})
}

type streamErr struct{ err error }

func (e *streamErr) Error() string { return e.err.Error() }

// TestEachStreamsMembers: a member is handed over as a stream, not read into memory first: a
// zip whose member inflates to 64 MiB of NUL bytes (64 KiB on disk) is read through while
// the process allocates a small fraction of that.
func TestEachStreamsMembers(t *testing.T) {
	const size = 64 << 20
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bomb.json")
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for i := 0; i < size/len(zero); i++ {
		w.Write(zero)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "bomb.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	buf = bytes.Buffer{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var n int64
	err = Each(p, func(member string, r io.Reader) error {
		n, err = io.CopyBuffer(io.Discard, r, make([]byte, 64<<10))
		return err
	})
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v; want %d", n, err, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("reading a %d MiB member allocated %d MiB: it is not streamed", size>>20, alloc>>20)
	}
}
