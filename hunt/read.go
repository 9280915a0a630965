package hunt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gohunt/gohunt/hunt/internal/archive"
)

// Read reads events from a local file, directory or glob pattern into a frame:
//
//   - Mordor archives: .zip, .tar.gz / .tgz, .tar holding JSON-lines members (all are read);
//   - JSON lines: .json, .jsonl, .ndjson, and the same gzip-compressed (.json.gz ...); a .json
//     file holding one JSON array of objects is read too;
//   - .csv (DuckDB's CSV sniffer picks types) and .parquet;
//   - a directory or a glob ("data/*.zip"): its files of those kinds (others, such as README or
//     LICENSE, are left out), read as one frame whose columns are the union of the files'.
//
// JSON events: the schema is the union of every event's keys, in order of first appearance; a
// key whose values change type gets the wider type (integers widen to HUGEINT or DOUBLE, mixed
// kinds to text), so no row is dropped; integers beyond 2^53 (Keywords) keep every digit; arrays
// become list columns; nested objects (winlogbeat 6's event_data, user, beat) become dotted
// columns such as "event_data.Image" unless KeepStructs is given; keys differing only by case
// (SourceProcessGUID, SourceProcessGuid) stay distinct columns. Text values are not
// reinterpreted, except the known event-time fields: "@timestamp" (2020-09-21T04:14:53.715Z),
// Sysmon's "UtcTime", "CreationUtcTime" and "PreviousCreationUtcTime" (2020-09-21 04:14:53.715),
// NXLog's "EventTime" and "EventReceivedTime" (2020-09-21 00:14:53, the host's local wall clock,
// kept as written) and "TimeCreated" (2020-09-21T04:14:53.715123Z), also as the last part of a
// dotted name (event_data.UtcTime), become TIMESTAMP columns when every value of the field is
// written in that form; a field with any other value stays text. Frame operations, Between,
// Timeline and DuckSQL use the TIMESTAMP; Spark SQL (SQL, %%sql) sees the original text, as
// Spark's JSON reader gives it, so the playbooks' string comparisons return what Spark returns.
//
// A malformed line fails Read with an error naming the file, archive member and line; with
// SkipBadLines such lines are skipped and counted in Note. JSON sources are parsed once, at Read,
// into the session database (like Spark's schema inference pass); CSV and Parquet are read lazily.
func Read(path string, opts ...ReadOption) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	cfg := readConfig{eventTimes: true}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	f, err := e.read(path, cfg)
	if err != nil {
		return errFrame(e, err)
	}
	return f
}

type srcKind int

const (
	srcUnknown srcKind = iota
	srcJSON
	srcJSONGz
	srcZip
	srcTarGz
	srcTar
	srcCSV
	srcParquet
)

func kindOf(path string, cfg readConfig) srcKind {
	low := strings.ToLower(path)
	switch cfg.format {
	case "csv":
		return srcCSV
	case "parquet":
		return srcParquet
	case "json", "jsonl", "ndjson":
		if strings.HasSuffix(low, ".gz") {
			return srcJSONGz
		}
		return srcJSON
	}
	switch {
	case strings.HasSuffix(low, ".zip"):
		return srcZip
	case strings.HasSuffix(low, ".tar.gz"), strings.HasSuffix(low, ".tgz"):
		return srcTarGz
	case strings.HasSuffix(low, ".tar"):
		return srcTar
	case strings.HasSuffix(low, ".json.gz"), strings.HasSuffix(low, ".jsonl.gz"), strings.HasSuffix(low, ".ndjson.gz"):
		return srcJSONGz
	case strings.HasSuffix(low, ".json"), strings.HasSuffix(low, ".jsonl"), strings.HasSuffix(low, ".ndjson"):
		return srcJSON
	case strings.HasSuffix(low, ".csv"), strings.HasSuffix(low, ".csv.gz"), strings.HasSuffix(low, ".tsv"):
		return srcCSV
	case strings.HasSuffix(low, ".parquet"):
		return srcParquet
	}
	return srcUnknown
}

func (e *engine) read(path string, cfg readConfig) (*Frame, error) {
	files, err := expand(path, cfg)
	if err != nil {
		return nil, err
	}
	var jsonFiles, csvFiles, parquetFiles []string
	for _, f := range files {
		switch kindOf(f, cfg) {
		case srcCSV:
			csvFiles = append(csvFiles, f)
		case srcParquet:
			parquetFiles = append(parquetFiles, f)
		case srcUnknown:
			return nil, errorf("hunt.Read: %s: unknown format (want .zip, .tar.gz, .json, .jsonl, .json.gz, .csv or .parquet; or pass hunt.Format)", f)
		default:
			jsonFiles = append(jsonFiles, f)
		}
	}
	var frames []*Frame
	if len(jsonFiles) > 0 {
		ld := newJSONLoader(e, cfg)
		for _, f := range jsonFiles {
			if err := ld.addFile(f); err != nil {
				ld.discard()
				return nil, err
			}
		}
		f, err := ld.frame()
		if err != nil {
			return nil, fmt.Errorf("hunt.Read(%s): %w", path, err)
		}
		frames = append(frames, f)
	}
	if len(csvFiles) > 0 {
		f := newFrame(e, "SELECT * FROM read_csv("+sqlList(csvFiles)+", union_by_name=true)")
		if f.err != nil {
			return nil, fmt.Errorf("hunt.Read(%s): %w", path, f.err)
		}
		frames = append(frames, f)
	}
	if len(parquetFiles) > 0 {
		f := newFrame(e, "SELECT * FROM read_parquet("+sqlList(parquetFiles)+", union_by_name=true)")
		if f.err != nil {
			return nil, fmt.Errorf("hunt.Read(%s): %w", path, f.err)
		}
		frames = append(frames, f)
	}
	f := frames[0]
	if len(frames) > 1 {
		f = f.Union(frames[1:]...)
	}
	return f, f.err
}

func sqlList(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = quoteString(f)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// expand turns a path, directory or glob into the files to read.
func expand(path string, cfg readConfig) ([]string, error) {
	if path == "" {
		return nil, errorf("hunt.Read: empty path")
	}
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("hunt.Read: %w", err)
		}
		var out []string
		for _, en := range ents {
			p := filepath.Join(path, en.Name())
			if !en.IsDir() && kindOf(p, cfg) != srcUnknown {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			return nil, errorf("hunt.Read: directory %s holds no files to read (.zip, .tar.gz, .json, .jsonl, .json.gz, .csv, .parquet)", path)
		}
		return out, nil
	}
	if err == nil {
		return []string{path}, nil
	}
	if strings.ContainsAny(path, "*?[") {
		m, gerr := filepath.Glob(path)
		if gerr != nil {
			return nil, fmt.Errorf("hunt.Read: pattern %q: %w", path, gerr)
		}
		var out []string
		for _, p := range m {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && kindOf(p, cfg) != srcUnknown {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		if len(out) == 0 {
			return nil, errorf("hunt.Read: no file matches %q (files of other kinds than .zip, .tar.gz, .json, .jsonl, .json.gz, .csv, .parquet are left out)", path)
		}
		return out, nil
	}
	return nil, &Error{Msg: fmt.Sprintf("hunt.Read: %v", err), Err: err}
}

// addFile feeds every event of a JSON-family file (plain, gzipped, or the members of a Mordor
// archive) to the loader.
func (l *jsonLoader) addFile(path string) error {
	err := archive.Each(path, func(member string, r io.Reader) error {
		origin := path
		if member != "" {
			origin = path + ":" + member
		}
		return l.addStream(r, origin)
	})
	var he *Error
	if err != nil && !errors.As(err, &he) {
		return &Error{Msg: "hunt.Read: " + err.Error(), Err: err}
	}
	return err
}

// addStream reads JSON lines (or one JSON array of objects) from r.
func (l *jsonLoader) addStream(r io.Reader, origin string) error {
	r, stop := readAhead(r)
	defer stop()
	br := bufio.NewReaderSize(r, 1<<20)
	// Skip a UTF-8 byte order mark; look at the first byte for a JSON array.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			break
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			br.Discard(1)
			continue
		}
		if b[0] == '[' {
			return l.addArray(br, origin)
		}
		break
	}
	var line []byte
	lineNo := 0
	limit := l.cfg.maxLineBytes()
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 { // +2: the line's own \r\n
			return tooLong(origin, "line", lineNo+1, limit)
		}
		if err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			continue
		}
		if len(line) > 0 {
			line = append(line, chunk...)
			chunk = line
		}
		if len(chunk) > 0 {
			lineNo++
			c := bytes.TrimRight(chunk, "\r\n")
			if len(bytes.TrimSpace(c)) > 0 {
				if aerr := l.addLine(c, origin+" line "+strconv.Itoa(lineNo)); aerr != nil {
					return aerr
				}
			}
		}
		line = line[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errorf("hunt.Read: %s: after line %d: %v", origin, lineNo, err)
		}
	}
}

// addArray reads one JSON array of objects.
func (l *jsonLoader) addArray(r io.Reader, origin string) error {
	br := &boundedReader{r: r, limit: int64(l.cfg.maxLineBytes())}
	dec := json.NewDecoder(br)
	br.dec = dec
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return errorf("hunt.Read: %s: %v", origin, err)
	}
	var buf bytes.Buffer
	n := 0
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, errTooLong) {
				return tooLong(origin, "element", i, l.cfg.maxLineBytes())
			}
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return errorf("hunt.Read: %s: element %d: malformed JSON at byte %d: %v", origin, i, se.Offset, err)
			}
			return errorf("hunt.Read: %s: element %d: %v", origin, i, err)
		}
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			return errorf("hunt.Read: %s: element %d: %v", origin, i, err)
		}
		if err := l.addLine(buf.Bytes(), origin+" element "+strconv.Itoa(i)); err != nil {
			return err
		}
		n = i
	}
	// More stops at ']' and at any read error: the closing bracket tells them apart.
	if _, err := dec.Token(); err != nil {
		if errors.Is(err, errTooLong) {
			return tooLong(origin, "element", n+1, l.cfg.maxLineBytes())
		}
		return errorf("hunt.Read: %s: after element %d: %v", origin, n, err)
	}
	return nil
}

// errTooLong is boundedReader's error for an element longer than the limit.
var errTooLong = errors.New("element too long")

// tooLong is the error for a line (or array element) longer than the MaxLineBytes limit.
func tooLong(origin, what string, n, limit int) error {
	return errorf("hunt.Read: %s %s %d: longer than %d bytes, the limit (hunt.MaxLineBytes(n) raises it)", origin, what, n, limit)
}

// boundedReader feeds a json.Decoder and fails once the decoder holds more than limit bytes it
// has not yet consumed, so that one huge array element cannot grow the decoder's buffer without
// bound.
type boundedReader struct {
	r     io.Reader
	dec   *json.Decoder
	read  int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.read-b.dec.InputOffset() > b.limit {
		return 0, errTooLong
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
