package hunt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
)

// esChunkBytes is how much JSON a streamed read stages before DuckDB loads it: big enough that
// a 1M-event read makes a score of tables, small enough that loading overlaps the fetch and
// little is left to load after the last page.
const esChunkBytes = 48 << 20

// streamLoader loads Elasticsearch documents into DuckDB while they arrive. It scans them with
// one jsonLoader (one schema tree, so the union schema, widening, key renames and error texts
// are those of hunt.Read) but cuts the staged JSON-lines file into chunks; a background
// goroutine has DuckDB load each finished chunk with the schema known when the chunk ended,
// while the next pages are fetched. At the end the chunks whose columns all still have their
// final names and types are used as loaded (columns they lack read as NULL); the others (a
// field widened, or became an object, after them) are loaded again from their file with the
// final schema. The result is a UNION ALL of the chunk tables.
//
// addLine is not safe for concurrent use (the caller serializes it, as with jsonLoader).
type streamLoader struct {
	e      *engine
	ld     *jsonLoader
	limit  int64 // bytes per chunk (esChunkBytes; tests make it small)
	staged int64 // bytes in the current chunk file
	cutAt  int64 // rows in earlier chunks
	chunks []*esChunk
	work   chan *esChunk
	wg     sync.WaitGroup
	sealed bool
	ctx    context.Context // cancelled by discard: queued chunks are dropped, a running load stops
	cancel context.CancelFunc
}

// esChunk is one staged file and the table DuckDB loaded it into. The loader goroutine owns
// table and err until the streamLoader is sealed.
type esChunk struct {
	path    string
	rows    int64
	maxLine int
	spec    []string // read_json column spec at the end of the chunk
	cols    []esCol  // the columns it is loaded with
	table   string   // loaded table ("" when not loaded)
	err     error
}

// esCol is a column of a loaded chunk: its name, DuckDB ident and type, and the projection
// (a path into read_json's columns) that makes it.
type esCol struct {
	name, ident, typ, expr string
}

func newStreamLoader(e *engine) *streamLoader {
	s := &streamLoader{e: e, ld: newJSONLoader(e, readConfig{}), limit: esChunkBytes, work: make(chan *esChunk, 4096)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for c := range s.work {
			if s.ctx.Err() != nil {
				continue
			}
			c.err = s.load(c)
		}
	}()
	return s
}

// addLine scans one document (origin names it in errors) into the current chunk, and hands
// the chunk to DuckDB when it is full.
func (s *streamLoader) addLine(doc []byte, origin string) error {
	if err := s.ld.addLine(doc, origin); err != nil {
		return err
	}
	s.staged += int64(len(doc)) + 1
	if s.staged >= s.limit {
		return s.cut()
	}
	return nil
}

// rows is the number of documents added.
func (s *streamLoader) rows() int64 { return s.ld.rows }

// cut closes the current chunk file and queues it for loading with the current schema.
func (s *streamLoader) cut() error {
	ld := s.ld
	if ld.file == nil {
		return nil
	}
	err := ld.w.Flush()
	if cerr := ld.file.Close(); err == nil {
		err = cerr
	}
	c := &esChunk{path: ld.path, rows: ld.rows - s.cutAt, maxLine: ld.maxLine}
	c.spec, c.cols = s.snapshot()
	ld.file, ld.w, ld.path, ld.maxLine = nil, nil, "", 0
	s.staged, s.cutAt = 0, ld.rows
	s.chunks = append(s.chunks, c)
	if err != nil {
		return fmt.Errorf("hunt: writing %s: %w", c.path, err)
	}
	s.work <- c
	return nil
}

// snapshot returns the read_json column spec and the flattened columns of the schema so far
// (as jsonLoader.frame makes them).
func (s *streamLoader) snapshot() ([]string, []esCol) {
	var spec []string
	var cols []esCol
	alloc := newIdentAllocator()
	var flatten func(c *jfield, expr, name string)
	flatten = func(c *jfield, expr, name string) {
		if c.kind == jObject && len(c.children) > 0 {
			for _, k := range c.children {
				flatten(k, expr+"."+quoteIdent(k.key), name+"."+k.name)
			}
			return
		}
		cols = append(cols, esCol{name: name, ident: alloc.ident(name), typ: s.ld.duckType(c, false), expr: expr})
	}
	for _, c := range s.ld.scan.root.children {
		spec = append(spec, quoteString(c.key)+": "+quoteString(s.ld.duckType(c, true)))
		flatten(c, quoteIdent(c.key), c.name)
	}
	return spec, cols
}

// load has DuckDB read chunk c's file into a new table with c's spec and columns.
func (s *streamLoader) load(c *esChunk) error {
	table := memCatalog + ".main." + quoteIdent(s.e.tableName("es"))
	proj := make([]string, len(c.cols))
	for i, col := range c.cols {
		proj[i] = col.expr + " AS " + quoteIdent(col.ident)
	}
	if len(proj) == 0 {
		proj = []string{"NULL AS empty"}
	}
	q := fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM read_json(%s, format='newline_delimited', records=true, columns={%s}, maximum_object_size=%d)",
		table, strings.Join(proj, ", "), quoteString(c.path), strings.Join(c.spec, ", "), max(c.maxLine+1, 4<<20))
	// One DuckDB thread per chunk: the fetch and the node need the other core, and on 2 cores
	// 1M-event reads were about 10% faster so than with DuckDB's two threads.
	if err := s.e.execOneThread(s.ctx, q); err != nil {
		return fmt.Errorf("hunt: loading events into DuckDB: %w", err)
	}
	c.table = table
	return nil
}

// seal cuts the last chunk and waits until every chunk is loaded (or failed).
func (s *streamLoader) seal() error {
	if s.sealed {
		return nil
	}
	err := s.cut()
	s.sealed = true
	close(s.work)
	s.wg.Wait()
	return err
}

// files are the staged chunk files, in order.
func (s *streamLoader) files() []string {
	out := make([]string, len(s.chunks))
	for i, c := range s.chunks {
		out[i] = c.path
	}
	return out
}

// frame seals the loader and returns the frame of every document: the chunk tables, each
// reloaded with the final schema when its own no longer fits, under one UNION ALL.
func (s *streamLoader) frame() (*Frame, error) {
	if err := s.seal(); err != nil {
		s.discard()
		return nil, err
	}
	if len(s.chunks) == 0 {
		s.discard()
		return nil, errorf("hunt: no events to read")
	}
	for _, c := range s.chunks {
		if c.err != nil {
			err := c.err
			s.discard()
			return nil, err
		}
	}
	spec, cols := s.snapshot()
	if len(cols) == 0 {
		s.discard()
		return nil, errorf("hunt: the events have no fields")
	}
	final := map[string]esCol{}
	for _, col := range cols {
		final[col.name] = col
	}
	var parts []string
	for _, c := range s.chunks {
		if !fits(c.cols, final) {
			// The schema changed after this chunk: load it again with the final one.
			if err := s.e.exec(context.Background(), "DROP TABLE IF EXISTS "+c.table); err != nil {
				s.discard()
				return nil, err
			}
			c.table, c.spec, c.cols = "", spec, cols
			if err := s.load(c); err != nil {
				s.discard()
				return nil, err
			}
		}
		have := map[string]bool{}
		for _, col := range c.cols {
			have[col.name] = true
		}
		sel := make([]string, len(cols))
		for i, col := range cols {
			if have[col.name] {
				sel[i] = quoteIdent(col.ident)
			} else {
				sel[i] = "CAST(NULL AS " + col.typ + ") AS " + quoteIdent(col.ident)
			}
		}
		parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM "+c.table)
	}
	s.removeFiles()
	s.cancel()
	f := newFrame(s.e, strings.Join(parts, " UNION ALL "))
	if f.err != nil {
		s.dropTables()
		return nil, f.err
	}
	return f, nil
}

// fits says whether every column of a chunk has the same ident and type in the final schema.
func fits(cols []esCol, final map[string]esCol) bool {
	for _, col := range cols {
		if f, ok := final[col.name]; !ok || f.ident != col.ident || f.typ != col.typ || f.expr != col.expr {
			return false
		}
	}
	return true
}

// discard stops loading and removes every chunk's file and table.
func (s *streamLoader) discard() {
	s.cancel()
	if !s.sealed {
		if s.ld.file != nil {
			s.ld.file.Close()
			os.Remove(s.ld.path)
			s.ld.file = nil
		}
		s.sealed = true
		close(s.work)
		s.wg.Wait()
	}
	s.removeFiles()
	s.dropTables()
}

func (s *streamLoader) removeFiles() {
	for _, c := range s.chunks {
		os.Remove(c.path)
	}
}

func (s *streamLoader) dropTables() {
	for _, c := range s.chunks {
		if c.table != "" {
			s.e.exec(context.Background(), "DROP TABLE IF EXISTS "+c.table)
			c.table = ""
		}
	}
}
