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
//
// The query is one statement (a frame is one query), optionally ended by ';'. Several
// statements ("SELECT 1; SELECT 2") are an error naming the line and column where the second
// one starts, and none of them runs; SQL does the same for Spark SQL.
func DuckSQL(query string) *Frame {
	e, err := defaultEngine()
	if err != nil {
		return &Frame{err: err}
	}
	switch starts := duckStatements(query); {
	case len(starts) == 0:
		return errFrame(e, errorf("hunt.DuckSQL: empty query"))
	case len(starts) > 1:
		line, col := lineCol(query, starts[1])
		return errFrame(e, errorf("hunt.DuckSQL: line %d, column %d: a second statement; a frame is one query, so run one statement per DuckSQL call (%d statements given)\n\n%s",
			line, col, len(starts), sourceLine(query, starts[1])))
	}
	query = trimStatementEnd(query)
	q, ins, err := e.withRegistered(query, nil)
	if err != nil {
		return errFrame(e, err)
	}
	f := newFrame(e, q)
	if f.err != nil {
		f.err = placeError(f.err, "hunt.DuckSQL: ", "DESCRIBE "+q, "DESCRIBE ", ins, nil, "", query)
	}
	return f
}

// placeError rewrites a DuckDB error about the text ran (prefix + a rewrite of user) to name
// the line and column in user and quote user's line; see sqlPlace.
func placeError(err error, label, ran, prefix string, ins *insertion, spans []span, translated, user string) error {
	msg := err.Error()
	head, pos, ok := sqlPlace(msg, ran, prefix, ins, spans, translated, user)
	head = cleanMessage(head)
	if !ok {
		if strings.Contains(msg, "\nLINE ") {
			// The place is in SQL the user did not write (a registered table's definition).
			return &Error{Msg: label + head + " (in the SQL of a registered table, not in the query's text)", Err: err}
		}
		return &Error{Msg: label + cleanMessage(msg), Err: err}
	}
	return &Error{Msg: label + placeMessage(head, user, pos), Err: err}
}

func (e *engine) sparkSQL(query string) *Frame {
	toks, err := tokenize(query)
	if err != nil {
		return errFrame(e, placeSQLError(err, query))
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
	for k, f := range used {
		if used[k] = sparkView(f); used[k].err != nil {
			return errFrame(e, used[k].err)
		}
	}
	tr := &translator{cols: map[string]colInfo{}, tables: tables}
	for _, k := range sortedKeys(used) {
		tr.addFrame(used[k])
	}
	translated, err := tr.translate(toks)
	if err != nil {
		return errFrame(e, placeSQLError(err, query))
	}
	q, ins, err := e.withFrames(translated, used, tables)
	if err != nil {
		return errFrame(e, err)
	}
	f := newFrame(e, q)
	if f.err != nil {
		f.err = sqlError(f.err, tr, "hunt.SQL: ", "DESCRIBE "+q, "DESCRIBE ", ins, translated, query)
	}
	return f
}

// placeSQLError fills in the line, column and source line of a translator error.
func placeSQLError(err error, query string) error {
	if se, ok := err.(*SQLError); ok && se.Line == 0 {
		c := *se
		c.Line, c.Column = lineCol(query, c.Pos)
		c.Source = sourceLine(query, c.Pos)
		return &c
	}
	return err
}

// sqlError places DuckDB's error about ran (prefix + the translation of user, with registered
// tables inserted at ins) in the user's text, and adds near matches to its "Referenced column X
// not found" errors.
func sqlError(err error, tr *translator, label, ran, prefix string, ins *insertion, translated, user string) error {
	msg := err.Error()
	const marker = `Referenced column "`
	i := strings.Index(msg, marker)
	if i < 0 {
		return placeError(err, label, ran, prefix, ins, tr.spans, translated, user)
	}
	rest := msg[i+len(marker):]
	j := strings.Index(rest, `"`)
	if j < 0 {
		return placeError(err, label, ran, prefix, ins, tr.spans, translated, user)
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
	head := "unknown column \"" + cleanMessage(name) + "\"" + hint + " (" + cleanMessage(first) + ")"
	if _, pos, ok := sqlPlace(msg, ran, prefix, ins, tr.spans, translated, user); ok {
		return &Error{Msg: label + placeMessage(head, user, pos), Err: err}
	}
	return &Error{Msg: label + head, Err: err}
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
func (e *engine) withRegistered(query string, _ []string) (string, *insertion, error) {
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

// withFrames prepends "WITH name AS (frame sql), ..." to q, merging with a WITH clause q starts
// with. The insertion says where the text went (nil: none), to map error positions back.
func (e *engine) withFrames(q string, used map[string]*Frame, tables map[string]string) (string, *insertion, error) {
	if len(used) == 0 {
		return q, nil, nil
	}
	if err := localFrames(used); err != nil {
		return "", nil, err
	}
	var ctes []string
	for _, k := range sortedKeys(used) {
		f := used[k]
		if f.eng != e {
			return "", nil, errorf("hunt.SQL: table %s belongs to another session", tables[k])
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
				at := toks[j].pos + len(toks[j].text)
				return q[:toks[j].pos] + "RECURSIVE " + prefix + ", " + q[at:], &insertion{at: at, n: len(prefix) + 3}, nil
			}
			at := toks[i].pos + len(toks[i].text)
			return q[:toks[i].pos] + "WITH " + prefix + ", " + q[at:], &insertion{at: at, n: len(prefix) + 3}, nil
		}
	}
	return "WITH " + prefix + " " + q, &insertion{at: 0, n: len(prefix) + 6}, nil
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
		ran := "DESCRIBE SELECT " + q + " FROM " + f.from()
		if _, err := f.eng.describe(ran[len("DESCRIBE "):]); err != nil {
			return "", sqlError(err, tr, "hunt: SQL expression "+strconv.Quote(expr)+": ", ran, "DESCRIBE SELECT ", nil, q, expr)
		}
	}
	return q, nil
}
