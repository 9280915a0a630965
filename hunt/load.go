package hunt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readConfig holds the options of Read (and of other JSON sources).
type readConfig struct {
	skipBad     bool   // skip malformed lines and count them, instead of failing
	keepStructs bool   // keep nested objects as STRUCT columns instead of dotted columns
	format      string // force a format: json, csv, parquet ("" = by file name)
	maxLine     int    // longest line (JSON object) read, in bytes; 0 = DefaultMaxLineBytes
	eventTimes  bool   // type the known event-time fields as TIMESTAMP (read_times.go)
}

// DefaultMaxLineBytes is the longest line (one JSON object, or one element of a JSON array) Read
// accepts unless MaxLineBytes says otherwise: 64 MiB, far above any event, and a bound on what a
// hostile file (a zip member of gigabytes without a newline) can make Read hold in memory.
const DefaultMaxLineBytes = 64 << 20

// MaxLineBytes sets the longest line (one JSON object, or one element of a JSON array) Read
// accepts, in bytes; a longer one fails Read with an error naming the file, archive member and
// line (SkipBadLines does not skip it: the bound protects memory). n < 1 means the default,
// DefaultMaxLineBytes.
func MaxLineBytes(n int) ReadOption { return func(c *readConfig) { c.maxLine = n } }

// maxLineBytes returns the line bound in effect.
func (c readConfig) maxLineBytes() int {
	if c.maxLine < 1 {
		return DefaultMaxLineBytes
	}
	return c.maxLine
}

// ReadOption changes how Read reads.
type ReadOption func(*readConfig)

// SkipBadLines makes Read skip malformed lines (not one JSON object) instead of failing; the
// frame's Note, and its display, report how many were skipped and the first one's file and line.
func SkipBadLines() ReadOption { return func(c *readConfig) { c.skipBad = true } }

// KeepStructs keeps nested objects (winlogbeat's event_data, user, beat ...) as STRUCT columns
// instead of flattening them into dotted columns such as "event_data.Image".
func KeepStructs() ReadOption { return func(c *readConfig) { c.keepStructs = true } }

// Format forces the format of Read's input instead of guessing it from the file name:
// "json" (JSON lines or a JSON array, optionally .gz), "csv" or "parquet".
func Format(name string) ReadOption { return func(c *readConfig) { c.format = strings.ToLower(name) } }

// smallSource is the staged size under which a JSON source's table is kept in the in-memory
// catalog (faster to load); larger ones go to the session file, stored compressed.
const smallSource = 64 << 20

// jsonLoader turns JSON objects into one DuckDB table: it validates and scans each object into
// the union schema, writes it (keys renamed where needed) to a temporary JSON-lines file, and at
// the end has DuckDB read that file with the inferred column types.
type jsonLoader struct {
	e        *engine
	cfg      readConfig
	scan     *lineScanner
	path     string
	file     *os.File
	w        *bufio.Writer
	rows     int64
	skipped  int64
	firstBad string
	maxLine  int
}

func newJSONLoader(e *engine, cfg readConfig) *jsonLoader {
	return &jsonLoader{e: e, cfg: cfg, scan: newLineScanner()}
}

// addLine adds one JSON object. origin names it in errors ("file.zip:member.json line 12").
// A malformed object is an error, or with SkipBadLines is counted and skipped.
func (l *jsonLoader) addLine(line []byte, origin string) error {
	if l.file == nil {
		l.path = l.e.tempPath("source.jsonl")
		f, err := os.Create(l.path)
		if err != nil {
			return fmt.Errorf("hunt: %w", err)
		}
		l.file = f
		l.w = bufio.NewWriterSize(f, 1<<20)
	}
	out, err := l.scan.scan(line)
	if err != nil {
		if l.cfg.skipBad {
			if l.skipped == 0 {
				l.firstBad = origin + ": " + err.Error()
			}
			l.skipped++
			return nil
		}
		return &Error{Msg: fmt.Sprintf("hunt: %s: malformed JSON: %v (SkipBadLines() skips such lines)", origin, err), Err: err}
	}
	if len(out) > l.maxLine {
		l.maxLine = len(out)
	}
	l.w.Write(out)
	l.w.WriteByte('\n')
	l.rows++
	return nil
}

func (l *jsonLoader) discard() {
	if l.file != nil {
		l.file.Close()
		os.Remove(l.path)
	}
}

// duckType is the DuckDB type of a field in the read_json column spec.
func (l *jsonLoader) duckType(f *jfield, top bool) string {
	switch f.kind {
	case jBool:
		return "BOOLEAN"
	case jInt:
		return "BIGINT"
	case jHuge:
		return "HUGEINT"
	case jFloat:
		return "DOUBLE"
	case jList:
		if f.elem == nil || f.elem.kind == jNull {
			return "VARCHAR[]"
		}
		return l.duckType(f.elem, false) + "[]"
	case jObject:
		if len(f.children) == 0 {
			return "VARCHAR"
		}
		parts := make([]string, len(f.children))
		for i, c := range f.children {
			parts[i] = quoteIdent(c.key) + " " + l.duckType(c, false)
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return "VARCHAR"
}

// frame materializes the loaded objects as a table and returns its frame.
func (l *jsonLoader) frame() (*Frame, error) {
	defer l.discard()
	if l.rows == 0 && l.skipped > 0 {
		return nil, errorf("hunt: no events to read: all %d line(s) were malformed and skipped; first: %s", l.skipped, l.firstBad)
	}
	if l.file == nil || l.rows == 0 {
		return nil, errorf("hunt: no events to read")
	}
	if err := l.w.Flush(); err != nil {
		return nil, fmt.Errorf("hunt: writing %s: %w", l.path, err)
	}
	if err := l.file.Close(); err != nil {
		return nil, fmt.Errorf("hunt: %w", err)
	}
	root := l.scan.root
	table := quoteIdent(l.e.tableName("src"))
	exec := func(ctx context.Context, q string) error { return l.e.exec(ctx, q) }
	if st, err := os.Stat(l.path); err == nil && st.Size() < smallSource {
		table = memCatalog + ".main." + table
		exec = l.e.execOneThread
	}
	var spec, proj []string
	alloc := newIdentAllocator()
	for _, c := range root.children {
		spec = append(spec, quoteString(c.key)+": "+quoteString(l.duckType(c, true)))
		if l.cfg.keepStructs {
			proj = append(proj, quoteIdent(c.key)+" AS "+quoteIdent(alloc.ident(c.name)))
			continue
		}
		proj = l.flatten(proj, alloc, c, quoteIdent(c.key), c.name)
	}
	if len(spec) == 0 {
		return nil, errorf("hunt: the events have no fields")
	}
	if len(proj) == 0 {
		proj = []string{"NULL AS empty"}
	}
	q := fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM read_json(%s, format='newline_delimited', records=true, columns={%s}, maximum_object_size=%d)",
		table, strings.Join(proj, ", "), quoteString(l.path), strings.Join(spec, ", "), max(l.maxLine+1, 4<<20))
	if err := exec(cellCtx(), q); err != nil {
		return nil, fmt.Errorf("hunt: loading events into DuckDB: %w", err)
	}
	f := newFrame(l.e, "SELECT * FROM "+table)
	if f.err != nil {
		return nil, f.err
	}
	if l.skipped > 0 {
		f.note = "skipped " + strconv.FormatInt(l.skipped, 10) + " malformed line(s); first: " + l.firstBad
	}
	return f, nil
}

// flatten adds projections for field c at SQL path expr: objects become dotted columns.
func (l *jsonLoader) flatten(proj []string, alloc *identAllocator, c *jfield, expr, name string) []string {
	if c.kind == jObject && len(c.children) > 0 {
		for _, k := range c.children {
			proj = l.flatten(proj, alloc, k, expr+"."+quoteIdent(k.key), name+"."+k.name)
		}
		return proj
	}
	if l.cfg.eventTimes && c.kind == jString && c.time == timeOK {
		// every value is in the field's event-time form (read_times.go)
		expr = "strptime(" + expr + ", " + quoteString(eventTimeFormat(c.name)) + ")"
	}
	return append(proj, expr+" AS "+quoteIdent(alloc.ident(name)))
}
