// Package lines copies the head of a JSON-lines file, for the benchmarks whose slower peer
// reads only the first events of a large input.
package lines

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Head copies the first n lines of src to dst (each ended by a newline, the last one too) and
// returns how many it copied: fewer than n when src has fewer lines.
func Head(src, dst string, n int) (int, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	copied := 0
	for copied < n {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			w.Write(line)
			if line[len(line)-1] != '\n' {
				w.WriteByte('\n')
			}
			copied++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return copied, fmt.Errorf("%s line %d: %w", src, copied+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		return copied, err
	}
	return copied, out.Close()
}
