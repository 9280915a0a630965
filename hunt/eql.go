package hunt

import (
	"regexp"
	"strings"

	"github.com/gohunt/gohunt/hunt/eql"
)

// EQLOption changes how an EQL query runs (see EQLCategories).
type EQLOption func(*eqlConfig) error

type eqlConfig struct {
	cats eql.Categories
}

// EQLCategories replaces the table of event categories (docs/detect.md shows the default) with
// table: one rule a line, `category channel eventid eventid ...`; # starts a comment.
func EQLCategories(table string) EQLOption {
	return func(c *eqlConfig) error {
		cats, err := eql.ParseCategories(table)
		if err != nil {
			return err
		}
		c.cats = cats
		return nil
	}
}

// EQL runs an Elasticsearch Event Query Language query over the frame's events and returns the
// result as a lazy frame. An event query (`process where Image : "*\\powershell.exe"`) keeps
// the frame's columns, in @timestamp order (ties in the frame's order). A sequence
// (`sequence by Hostname with maxspan=2m [process where ...] [network where ...]`) gives one row
// per matched sequence: join_key, then each step's columns prefixed s1_, s2_, ... Semantics are
// Elasticsearch's: `==` is case-sensitive, `:` case-insensitive with * and ? wildcards, and a
// sequence state keeps one pending sequence per step and join key (a newer start replaces an
// older one). Event categories come from Channel and EventID (docs/detect.md). Query errors
// carry the line and column; unknown fields name near matches.
func (f *Frame) EQL(query string, opts ...EQLOption) *Frame {
	if f == nil {
		return &Frame{err: errorf("hunt: EQL on a nil frame")}
	}
	if f.err != nil {
		return f
	}
	cfg := &eqlConfig{}
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return errFrame(f.eng, errorf("hunt.EQL: %v", err))
		}
	}
	q, err := eql.Parse(query)
	if err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt.EQL: " + err.Error(), Err: err})
	}
	if f.lazy() {
		return f.lazyEQL(q, query, cfg, opts)
	}
	cols := make([]eql.Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = eql.Column{Name: c.name, Ident: c.ident, Type: c.typ}
	}
	source, order := "("+f.sql+")", ""
	if t, ok := f.tableSource(); ok {
		source, order = t, eqlRowID
	}
	comp, err := eql.Compile(q, source, eql.Options{
		Columns:    cols,
		Categories: cfg.cats,
		QuoteIdent: quoteIdent,
		InputOrder: order,
		// A frame is SQL text without bound parameters: the query's own literals are written as
		// quoted SQL literals (as Col(...).Eq(...) literals are); no event data goes into the text.
		Literal: func(v any) string {
			r, err := renderLit(v)
			if err != nil {
				return "NULL"
			}
			return r.sql
		},
	})
	if err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt.EQL: " + err.Error(), Err: err})
	}
	return f.derive(comp.SQL).context("EQL")
}

// eqlRowID is the column tableSource adds: the table's rowid.
const eqlRowID = "__eql_rowid"

// tableFrame matches the query of a frame that is a session table as it stands (Read, Cache).
var tableFrame = regexp.MustCompile(`^SELECT \* FROM ((?:` + memCatalog + `\.main\.)?"__hunt_[a-z]+_[0-9]+")$`)

// tableSource returns, for a frame that is a session table as it stands, the table's rows with
// its rowid as eqlRowID: the rowid numbers them in the frame's order on every read, so EQL reads
// the table where it needs it instead of holding a numbered copy of the frame (see
// eql.Options.InputOrder). Other frames (a Where, a join, ...) get false.
func (f *Frame) tableSource() (string, bool) {
	m := tableFrame.FindStringSubmatch(f.sql)
	if m == nil {
		return "", false
	}
	return "(SELECT *, rowid AS " + eqlRowID + " FROM " + m[1] + ")", true
}

// EQL runs an EQL query (see Frame.EQL) over the frame registered under table (Register, As);
// table "" means the only registered frame.
func EQL(table, query string, opts ...EQLOption) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	e.mu.Lock()
	f, ok := e.reg[strings.ToLower(table)]
	var names []string
	for _, n := range e.regNames {
		names = append(names, n)
	}
	if table == "" && len(e.reg) == 1 {
		for _, g := range e.reg {
			f, ok = g, true
		}
	}
	e.mu.Unlock()
	if table == "" && !ok {
		sortStrings(names)
		return errFrame(e, errorf("hunt.EQL: name the registered frame to query (registered: %s)", strings.Join(names, ", ")))
	}
	if !ok {
		return errFrame(e, unknownTable(table, names))
	}
	return f.EQL(query, opts...)
}

func unknownTable(name string, names []string) error {
	near := nearNames(name, names)
	hint := ""
	if len(near) > 0 {
		hint = "; did you mean " + strings.Join(quoteAll(near), ", ") + "?"
	}
	return errorf("hunt.EQL: no frame registered as %q%s", name, hint)
}
