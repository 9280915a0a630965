package hunt

import (
	"strconv"
	"strings"
)

// SQL runs a Spark SQL query over the frames registered by name (Register, Frame.As) and returns
// the result as a lazy frame. The Spark SQL of HELK and Threat Hunter Playbook notebooks runs
// verbatim: `backtick` identifiers, "double-quoted" string literals with Spark's backslash
// escapes, case-sensitive column names and LIKE, RLIKE, and Spark's implicit casts between
// strings and numbers. The query is translated token by token and DuckDB executes it, so
// DuckDB's functions are available too. Errors (unknown table or column, syntax) come back as the
// frame's error; an unknown column lists near matches.
func SQL(query string) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	return e.sparkSQL(query)
}

// DuckSQL runs a query written in DuckDB's own SQL dialect as a lazy frame. Registered frames are
// available by name. Use it for DuckDB features Spark lacks; for Spark SQL use SQL.
func DuckSQL(query string) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	q, err := e.withRegistered(query, nil)
	if err != nil {
		return errFrame(e, err)
	}
	return newFrame(e, q)
}

func (e *engine) sparkSQL(query string) *Frame {
	toks, err := tokenize(query)
	if err != nil {
		return errFrame(e, err)
	}
	if significant(toks, 0) >= len(toks) {
		return errFrame(e, errorf("hunt.SQL: empty query"))
	}
	e.mu.Lock()
	used := map[string]*Frame{}
	tables := map[string]string{}
	for i, tk := range toks {
		if tk.kind != tkIdent && tk.kind != tkQuoted {
			continue
		}
		key := strings.ToLower(tk.text)
		f, ok := e.reg[key]
		if !ok {
			continue
		}
		n := significant(toks, i+1)
		if n < len(toks) && (toks[n].text == "(") {
			continue
		}
		used[key] = f
		tables[key] = e.regNames[key]
	}
	e.mu.Unlock()
	if err := localFrames(used); err != nil {
		return errFrame(e, err)
	}
	tr := &translator{cols: map[string]colInfo{}, tables: tables}
	for _, k := range sortedKeys(used) {
		tr.addFrame(used[k])
	}
	q, err := tr.translate(toks)
	if err != nil {
		return errFrame(e, err)
	}
	q, err = e.withFrames(q, used, tables)
	if err != nil {
		return errFrame(e, err)
	}
	f := newFrame(e, q)
	if f.err != nil {
		f.err = sqlError(f.err, tr, "hunt.SQL: ")
	}
	return f
}

// sqlError adds near matches to DuckDB's "Referenced column X not found" errors.
func sqlError(err error, tr *translator, prefix string) error {
	msg := err.Error()
	const marker = `Referenced column "`
	i := strings.Index(msg, marker)
	if i < 0 {
		return &Error{Msg: prefix + cleanMessage(msg), Err: err}
	}
	rest := msg[i+len(marker):]
	j := strings.Index(rest, `"`)
	if j < 0 {
		return &Error{Msg: prefix + cleanMessage(msg), Err: err}
	}
	name := rest[:j]
	var names []string
	for n := range tr.cols {
		names = append(names, n)
	}
	near := nearNames(name, names)
	hint := ""
	if len(near) > 0 {
		hint = "; did you mean " + strings.Join(quoteAll(near), ", ") + "?"
	}
	first := msg
	if k := strings.Index(msg, "\n"); k >= 0 {
		first = msg[:k]
	}
	return &Error{Msg: prefix + "unknown column \"" + cleanMessage(name) + "\"" + hint + " (" + cleanMessage(first) + ")", Err: err}
}

func sortedKeys(m map[string]*Frame) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// withRegistered prepends every registered frame named in query (a DuckDB query) as a CTE.
func (e *engine) withRegistered(query string, _ []string) (string, error) {
	toks, err := tokenize(query)
	if err != nil {
		// DuckDB syntax Spark's tokenizer does not know: let DuckDB report it.
		toks = nil
	}
	e.mu.Lock()
	used := map[string]*Frame{}
	tables := map[string]string{}
	for _, tk := range toks {
		if tk.kind != tkIdent {
			continue
		}
		key := strings.ToLower(tk.text)
		if f, ok := e.reg[key]; ok {
			used[key] = f
			tables[key] = e.regNames[key]
		}
	}
	e.mu.Unlock()
	return e.withFrames(query, used, tables)
}

// withFrames prepends "WITH name AS (frame sql), ..." to q, merging with a WITH clause q starts with.
func (e *engine) withFrames(q string, used map[string]*Frame, tables map[string]string) (string, error) {
	if len(used) == 0 {
		return q, nil
	}
	if err := localFrames(used); err != nil {
		return "", err
	}
	var ctes []string
	for _, k := range sortedKeys(used) {
		f := used[k]
		if f.eng != e {
			return "", errorf("hunt.SQL: table %s belongs to another session", tables[k])
		}
		ctes = append(ctes, quoteIdent(tables[k])+" AS ("+f.sql+")")
	}
	prefix := strings.Join(ctes, ", ")
	toks, err := tokenize(q)
	if err == nil {
		i := significant(toks, 0)
		if i < len(toks) && strings.EqualFold(toks[i].text, "WITH") {
			j := significant(toks, i+1)
			if j < len(toks) && strings.EqualFold(toks[j].text, "RECURSIVE") {
				return q[:toks[j].pos] + "RECURSIVE " + prefix + ", " + q[toks[j].pos+len(toks[j].text):], nil
			}
			return q[:toks[i].pos] + "WITH " + prefix + ", " + q[toks[i].pos+len(toks[i].text):], nil
		}
	}
	return "WITH " + prefix + " " + q, nil
}

// translateSparkExpr translates a Spark SQL expression over the columns of scope s.
func translateSparkExpr(expr string, s scope) (string, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return "", err
	}
	if significant(toks, 0) >= len(toks) {
		return "", errorf("hunt: empty SQL expression")
	}
	tr := &translator{cols: map[string]colInfo{}, tables: map[string]string{}}
	for _, f := range s.frames {
		tr.addFrame(f)
	}
	q, err := tr.translate(toks)
	if err != nil {
		return "", err
	}
	// Check it binds here, so the error names the expression rather than a wrapping query.
	if len(s.frames) == 1 {
		f := s.frames[0]
		if _, err := f.eng.describe("SELECT " + q + " FROM " + f.from()); err != nil {
			return "", sqlError(err, tr, "hunt: SQL expression "+strconv.Quote(expr)+": ")
		}
	}
	return q, nil
}
