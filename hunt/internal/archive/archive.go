// Package archive opens the files hunters are handed: Mordor recordings published as .zip,
// .tar.gz, .tgz or .tar archives holding JSON-lines members, gzip files, and plain files. It
// yields their data streams; what the bytes mean is the caller's business.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Each calls fn for every data stream of the file at path, in order: each regular member of a
// .zip, .tar.gz, .tgz or .tar archive (a member whose name ends in .gz is decompressed), the
// decompressed content of another .gz file, or the file itself. member is the member's name
// inside the archive, "" when the file is not an archive. The kind is told by the name's
// extension, case-insensitively.
//
// Errors of Each name the path (and member); an archive without any data member is an error.
// An error returned by fn stops the walk and is returned unchanged.
func Each(path string, fn func(member string, r io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	low := strings.ToLower(path)
	switch {
	case strings.HasSuffix(low, ".zip"):
		return eachZip(path, f, fn)
	case strings.HasSuffix(low, ".tar.gz"), strings.HasSuffix(low, ".tgz"):
		gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			return fmt.Errorf("%s: not gzip data: %w", path, err)
		}
		// Some published archives carry a stray byte after the gzip stream (a known Mordor
		// commit appended one): read the one stream the tar lives in.
		gz.Multistream(false)
		return eachTar(path, gz, fn)
	case strings.HasSuffix(low, ".tar"):
		return eachTar(path, f, fn)
	case strings.HasSuffix(low, ".gz"):
		gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			return fmt.Errorf("%s: not gzip data: %w", path, err)
		}
		return fn("", gz)
	}
	return fn("", f)
}

func eachZip(path string, f *os.File, fn func(string, io.Reader) error) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: not a zip archive: %w", path, err)
	}
	n := 0
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || skipped(zf.Name) {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: member %s: %w", path, zf.Name, err)
		}
		err = member(path, zf.Name, rc, fn)
		rc.Close()
		if err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: the archive holds no files", path)
	}
	return nil
}

func eachTar(path string, r io.Reader, fn func(string, io.Reader) error) error {
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: reading tar: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg || skipped(h.Name) {
			continue
		}
		if err := member(path, h.Name, tr, fn); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: the archive holds no files", path)
	}
	return nil
}

// member passes one archive member to fn, decompressed when its name ends in .gz.
func member(path, name string, r io.Reader, fn func(string, io.Reader) error) error {
	if strings.HasSuffix(strings.ToLower(name), ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: member %s: not gzip data: %w", path, name, err)
		}
		r = gz
	}
	return fn(name, r)
}

// skipped reports whether an archive member is packing debris rather than data: macOS resource
// forks and metadata folders, hidden files.
func skipped(name string) bool {
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(filepath.Base(name), ".")
}
