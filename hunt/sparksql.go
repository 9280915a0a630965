package hunt

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Spark SQL -> DuckDB SQL, at the token level, with the semantics of Spark with ANSI mode off
// (Spark 3's default, which the hunting playbooks were written for: a string that is not a
// number compares as NULL, size(NULL) is -1); Spark 4 turns ANSI mode on by default. DuckDB executes; the translator only rewrites
// what differs between the dialects:
//   - `backtick` identifiers -> "double-quoted" identifiers; "double-quoted" strings -> 'single';
//     Spark's backslash escapes inside string literals are processed;
//   - column names are matched case-sensitively against the frames the query names and written
//     as their internal identifiers (see names.go), so SourceProcessGUID and SourceProcessGuid
//     stay distinct;
//   - LIKE gets ESCAPE '\' (Spark's default escape character; DuckDB has none by default);
//   - x RLIKE 'p' (and REGEXP) -> x SIMILAR TO '(?s:.*)(?:p)(?s:.*)' (a match anywhere, RE2);
//   - a string column compared with a number literal is cast as Spark casts it (spark_long /
//     spark_double: NULL, not an error, when the string is not a number), and a string literal
//     compared with a numeric column likewise;
//   - reverse, size, cardinality, concat and concat_ws take their list or string form from their
//     arguments (sparksql_arrays.go); concat is NULL when an argument is (Spark's, not DuckDB's);
//   - a LIKE pattern literal whose backslash escape Spark rejects gives Spark's error;
//   - == -> =, <=> -> IS NOT DISTINCT FROM, number suffixes 10L / 1.5D dropped, STRING/LONG types;
//   - registered frames are prepended as WITH common table expressions.

// sparkMacros defines the helpers translated SQL uses; run once per database.
const sparkMacros = `
CREATE OR REPLACE MACRO spark_long(s) AS CASE WHEN regexp_full_match(trim(CAST(s AS VARCHAR)), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)')
  THEN TRY_CAST(CASE WHEN split_part(trim(CAST(s AS VARCHAR)), '.', 1) IN ('', '+', '-') THEN '0' ELSE split_part(trim(CAST(s AS VARCHAR)), '.', 1) END AS BIGINT) END;
CREATE OR REPLACE MACRO spark_double(s) AS CASE WHEN regexp_full_match(trim(CAST(s AS VARCHAR)), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(Infinity|NaN)')
  THEN TRY_CAST(trim(CAST(s AS VARCHAR)) AS DOUBLE) END;
CREATE OR REPLACE MACRO spark_unix_timestamp(s) AS CAST(floor(epoch(TRY_CAST(s AS TIMESTAMP))) AS BIGINT);
CREATE OR REPLACE MACRO hunt_utc_timestamp(s) AS CASE WHEN regexp_matches(trim(s), '([+-][0-9][0-9]:?[0-9][0-9]|[zZ])$')
  THEN CAST(timezone('UTC', CAST(trim(s) AS TIMESTAMPTZ)) AS TIMESTAMP) ELSE CAST(trim(s) AS TIMESTAMP) END;
`

type tokKind int

const (
	tkSpace tokKind = iota
	tkComment
	tkString  // text holds the decoded value
	tkIdent   // bare identifier or keyword
	tkQuoted  // `quoted` identifier; text holds the name
	tkNumber  // numeric literal
	tkOp      // operator or punctuation
	tkDQIdent // DuckDB "identifier" (only produced by the translator)
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the source
}

// SQLError is a Spark SQL text the translator cannot read; Pos is the byte offset in the query,
// Line and Column (1-based, in characters) the same position as the user sees it, and Source the
// query's line there with a caret under the position (empty when unknown).
type SQLError struct {
	Pos    int
	Msg    string
	Line   int
	Column int
	Source string
}

// Error returns the message with the line and column, and the line of the query it is on.
func (e *SQLError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("hunt: SQL at offset %d: %s", e.Pos, e.Msg)
	}
	msg := fmt.Sprintf("hunt: SQL line %d, column %d: %s", e.Line, e.Column, e.Msg)
	if e.Source != "" {
		msg += "\n\n" + e.Source
	}
	return msg
}

// tokenize splits Spark SQL into tokens, decoding string literals with Spark's escape rules.
func tokenize(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(src) && strings.IndexByte(" \t\n\r\f", src[i]) >= 0 {
				i++
			}
			out = append(out, token{tkSpace, src[start:i], start})
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			out = append(out, token{tkComment, src[start:i], start})
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, &SQLError{Pos: start, Msg: "unterminated /* comment"}
			}
			i += end + 4
			out = append(out, token{tkComment, src[start:i], start})
		case c == '\'' || c == '"':
			s, n, err := readSparkString(src[i:])
			if err != nil {
				return nil, &SQLError{Pos: start, Msg: err.Error()}
			}
			i += n
			out = append(out, token{tkString, s, start})
		case c == '`':
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, &SQLError{Pos: start, Msg: "unterminated `identifier`"}
				}
				if src[i] == '`' {
					if i+1 < len(src) && src[i+1] == '`' {
						b.WriteByte('`')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			out = append(out, token{tkQuoted, b.String(), start})
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			for i < len(src) && (isDigit(src[i]) || src[i] == '.') {
				i++
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				j := i + 1
				if j < len(src) && (src[j] == '+' || src[j] == '-') {
					j++
				}
				if j < len(src) && isDigit(src[j]) {
					i = j
					for i < len(src) && isDigit(src[i]) {
						i++
					}
				}
			}
			num := src[start:i]
			// Spark literal suffixes: 10L, 10S, 10Y, 1.5D, 1.5F, 1.5BD
			if i < len(src) {
				switch {
				case i+1 < len(src) && strings.EqualFold(src[i:i+2], "BD") && !isIdentByte(at(src, i+2)):
					i += 2
				case strings.IndexByte("LlSsYyDdFf", src[i]) >= 0 && !isIdentByte(at(src, i+1)):
					i++
				}
			}
			if i < len(src) && isIdentByte(src[i]) {
				// identifier starting with digits (Spark allows them)
				for i < len(src) && isIdentByte(src[i]) {
					i++
				}
				out = append(out, token{tkIdent, src[start:i], start})
				continue
			}
			out = append(out, token{tkNumber, num, start})
		case isIdentStart(c):
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			out = append(out, token{tkIdent, src[start:i], start})
		case c >= utf8.RuneSelf:
			_, n := utf8.DecodeRuneInString(src[i:])
			for i < len(src) && src[i] >= utf8.RuneSelf {
				_, n = utf8.DecodeRuneInString(src[i:])
				i += n
			}
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			out = append(out, token{tkIdent, src[start:i], start})
		default:
			for _, op := range []string{"<=>", "==", "!=", "<>", "<=", ">=", "||", "::", "->", "&&"} {
				if strings.HasPrefix(src[i:], op) {
					i += len(op)
					break
				}
			}
			if i == start {
				i++
			}
			out = append(out, token{tkOp, src[start:i], start})
		}
	}
	return out, nil
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentByte(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '$' || c >= utf8.RuneSelf }

// readSparkString reads a quoted string literal at the start of s (quote ' or ") and decodes
// Spark's escapes (org.apache.spark.sql.catalyst.parser.ParserUtils.unescapeSQLString): \0 \b
// \n \r \t \Z, \uXXXX, octal \NNN, \% and \_ kept with their backslash (for LIKE), any other
// \x is x.
func readSparkString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	i := 1
	for {
		if i >= len(s) {
			return "", 0, fmt.Errorf("unterminated string literal")
		}
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, fmt.Errorf("unterminated string literal")
		}
		n := s[i+1]
		switch {
		case n == 'u' && i+5 < len(s) && isHex(s[i+2:i+6]):
			v, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
			b.WriteRune(rune(v))
			i += 6
			continue
		case n >= '0' && n <= '3' && i+3 < len(s) && isOct(s[i+2]) && isOct(s[i+3]):
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 4
			continue
		}
		switch n {
		case '0':
			b.WriteByte(0)
		case 'b':
			b.WriteByte('\b')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'Z':
			b.WriteByte(0x1a)
		case '%':
			b.WriteString(`\%`)
		case '_':
			b.WriteString(`\_`)
		default:
			b.WriteByte(n)
		}
		i += 2
	}
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return false
		}
	}
	return true
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

// colInfo is what the translator knows of a column name.
type colInfo struct {
	ident string
	typ   string // "" when frames disagree
	text  string // an event time Read typed: the strftime format of its text, what Spark sees
}

// translator holds the column and table names a query may use.
type translator struct {
	cols   map[string]colInfo // display name -> info
	tables map[string]string  // lower-cased registered name -> name
	spans  []span             // where the output tokens of the last translate came from
}

func (t *translator) addFrame(f *Frame) {
	for _, c := range f.cols {
		ci := colInfo{ident: c.ident, typ: c.typ}
		if isEventTime(c) {
			ci.typ, ci.text = "VARCHAR", eventTimeFormat(c.name)
		}
		if old, ok := t.cols[c.name]; ok {
			if old.typ != ci.typ || old.text != ci.text {
				old.typ, old.text = "", ""
				t.cols[c.name] = old
			}
			continue
		}
		t.cols[c.name] = ci
	}
}

// out is one translated token with what is known of its value.
type outTok struct {
	text string
	kind tokKind
	typ  string // column type for a column reference
	col  bool   // a column reference (possibly the last part of a qualified one)
	qual bool   // a qualifier (followed by '.')
	src  int    // byte offset in the Spark SQL of the token it came from
	agg  string // collect_list or collect_set, translated to list
	// timeText is the strftime format of an event-time column reference: Spark sees its text
	timeText string
}

func significant(toks []token, i int) int {
	for i < len(toks) && (toks[i].kind == tkSpace || toks[i].kind == tkComment) {
		i++
	}
	return i
}

var sparkTypes = map[string]string{"STRING": "VARCHAR", "LONG": "BIGINT", "INT": "INTEGER", "SHORT": "SMALLINT", "BYTE": "TINYINT", "BINARY": "BLOB"}

// translate turns Spark SQL tokens into DuckDB SQL text.
func (t *translator) translate(toks []token) (string, error) {
	var out []outTok
	srcPos := 0
	emit := func(o outTok) { o.src = srcPos; out = append(out, o) }
	lastSig := func() int {
		for j := len(out) - 1; j >= 0; j-- {
			if out[j].kind != tkSpace && out[j].kind != tkComment {
				return j
			}
		}
		return -1
	}
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		srcPos = tk.pos
		switch tk.kind {
		case tkSpace, tkComment:
			emit(outTok{text: tk.text, kind: tk.kind})
		case tkString:
			emit(outTok{text: quoteString(tk.text), kind: tkString, typ: "VARCHAR"})
			// LIKE 'p' -> LIKE 'p' ESCAPE '\', and Spark's error for an escape it rejects
			if p := lastSigBefore(out); p >= 0 && isLikeKw(out[p].text) {
				n := significant(toks, i+1)
				if n >= len(toks) || !strings.EqualFold(toks[n].text, "ESCAPE") {
					if msg := likeEscapeError(tk.text); msg != "" {
						return "", &SQLError{Pos: tk.pos, Msg: msg}
					}
					emit(outTok{text: ` ESCAPE '\'`, kind: tkOp})
				}
			}
		case tkNumber:
			emit(outTok{text: tk.text, kind: tkNumber, typ: numberType(tk.text)})
		case tkQuoted, tkIdent:
			next := significant(toks, i+1)
			nextText := ""
			if next < len(toks) {
				nextText = toks[next].text
			}
			prev := lastSig()
			afterDot := prev >= 0 && out[prev].text == "."
			if tk.kind == tkIdent {
				up := strings.ToUpper(tk.text)
				if nextText == "(" && !afterDot {
					if strings.EqualFold(tk.text, "collect_set") {
						// collect_set(x) -> list(DISTINCT x), without NULLs (rewriteArrayFuncs)
						emit(outTok{text: "list", kind: tkIdent, agg: "collect_set"})
						i = next
						emit(outTok{text: "(DISTINCT ", kind: tkOp})
						continue
					}
					if strings.EqualFold(tk.text, "collect_list") {
						emit(outTok{text: "list", kind: tkIdent, agg: "collect_list"})
						continue
					}
					emit(outTok{text: sparkFunc(tk.text), kind: tkIdent})
					continue
				}
				if (up == "RLIKE" || up == "REGEXP") && !afterDot {
					emit(outTok{text: "SIMILAR TO", kind: tkIdent})
					n := significant(toks, i+1)
					if n >= len(toks) || toks[n].kind != tkString {
						return "", &SQLError{Pos: tk.pos, Msg: tk.text + " needs a string literal pattern here (use regexp_matches(x, pattern) otherwise)"}
					}
					continue
				}
				if d, ok := sparkTypes[up]; ok && prev >= 0 && strings.EqualFold(out[prev].text, "AS") && t.cols[tk.text].ident == "" {
					emit(outTok{text: d, kind: tkIdent})
					continue
				}
			}
			if nextText == "." {
				// a.b.c may name a flattened column ("event_data.Image", "user.name"), as
				// struct access does in Spark: take the longest chain that is a column name.
				parts, ends := []string{tk.text}, []int{i}
				for j := i; ; {
					d := significant(toks, j+1)
					if d >= len(toks) || toks[d].text != "." {
						break
					}
					n := significant(toks, d+1)
					if n >= len(toks) || (toks[n].kind != tkIdent && toks[n].kind != tkQuoted) {
						break
					}
					parts = append(parts, toks[n].text)
					ends = append(ends, n)
					j = n
				}
				matched := false
				for k := len(parts); k >= 2; k-- {
					if ci, ok := t.cols[strings.Join(parts[:k], ".")]; ok {
						emit(outTok{text: quoteIdent(ci.ident), kind: tkDQIdent, typ: ci.typ, col: true, timeText: ci.text})
						i = ends[k-1]
						matched = true
						break
					}
				}
				if matched {
					continue
				}
			}
			if nextText == "." && tk.kind == tkIdent {
				emit(outTok{text: tk.text, kind: tkIdent, qual: true})
				continue
			}
			if nextText == "." && tk.kind == tkQuoted {
				emit(outTok{text: quoteIdent(tk.text), kind: tkDQIdent, qual: true})
				continue
			}
			if ci, ok := t.cols[tk.text]; ok {
				emit(outTok{text: quoteIdent(ci.ident), kind: tkDQIdent, typ: ci.typ, col: true, timeText: ci.text})
				continue
			}
			if name, ok := t.tables[strings.ToLower(tk.text)]; ok {
				emit(outTok{text: quoteIdent(name), kind: tkDQIdent})
				continue
			}
			if tk.kind == tkQuoted {
				emit(outTok{text: quoteIdent(tk.text), kind: tkDQIdent})
			} else {
				emit(outTok{text: tk.text, kind: tkIdent})
			}
		case tkOp:
			switch tk.text {
			case "==":
				emit(outTok{text: "=", kind: tkOp})
			case "<=>":
				emit(outTok{text: "IS NOT DISTINCT FROM", kind: tkOp})
			case "&&":
				emit(outTok{text: "AND", kind: tkOp})
			case ";":
				n := significant(toks, i+1)
				if n < len(toks) {
					return "", &SQLError{Pos: tk.pos, Msg: "one statement at a time, please (found ';' before more SQL)"}
				}
			default:
				emit(outTok{text: tk.text, kind: tkOp})
			}
		}
	}
	rewriteArrayFuncs(out)
	timesAsText(out)
	coerceComparisons(out)
	coerceInLists(out)
	shiftSubscripts(out)
	wrapRLike(out)
	var b strings.Builder
	t.spans = t.spans[:0]
	for _, o := range out {
		t.spans = append(t.spans, span{out: b.Len(), src: o.src})
		b.WriteString(o.text)
	}
	return b.String(), nil
}

func lastSigBefore(out []outTok) int {
	for j := len(out) - 2; j >= 0; j-- {
		if out[j].kind != tkSpace && out[j].kind != tkComment {
			return j
		}
	}
	return -1
}

func isLikeKw(s string) bool { return strings.EqualFold(s, "LIKE") || strings.EqualFold(s, "ILIKE") }

func numberType(s string) string {
	if strings.ContainsAny(s, ".eE") {
		return "DOUBLE"
	}
	return "BIGINT"
}

// sparkFunc maps Spark function names whose DuckDB name differs.
func sparkFunc(name string) string {
	switch strings.ToLower(name) {
	case "nvl":
		return "coalesce"
	case "array":
		return "list_value"
	case "rlike":
		return "regexp_matches"
	case "unix_timestamp":
		return "spark_unix_timestamp"
	case "split":
		return "regexp_split_to_array" // Spark's split takes a regular expression
	}
	return name
}

var comparisonOps = map[string]bool{"=": true, "==": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// coerceComparisons rewrites col <op> number (and number <op> col) for string columns, and
// numericCol <op> 'string', with Spark's casts.
func coerceComparisons(out []outTok) {
	sig := func(j, dir int) int {
		for j >= 0 && j < len(out) && (out[j].kind == tkSpace || out[j].kind == tkComment) {
			j += dir
		}
		return j
	}
	for i := range out {
		if out[i].kind != tkOp || !comparisonOps[out[i].text] {
			continue
		}
		l := sig(i-1, -1)
		r := sig(i+1, 1)
		if l < 0 || r >= len(out) {
			continue
		}
		// a minus sign before a number literal on the right
		rn := r
		if out[r].text == "-" || out[r].text == "+" {
			rn = sig(r+1, 1)
			if rn >= len(out) || out[rn].kind != tkNumber {
				continue
			}
		}
		if out[rn].qual && rn+2 < len(out) && out[rn+1].text == "." {
			rn += 2 // qualified column on the right: o.LogonType
			r = rn
		}
		lc, rc := out[l], out[rn]
		switch {
		case lc.col && lc.typ == "VARCHAR" && rc.kind == tkNumber:
			wrapColRef(out, l, castFor(rc.typ))
		case rc.col && rc.typ == "VARCHAR" && lc.kind == tkNumber && rn == r:
			wrapColRef(out, r, castFor(lc.typ))
		case lc.col && (isIntegerType(lc.typ) || isFloatType(lc.typ)) && rc.kind == tkString && rn == r:
			out[r].text = castFor(numOr(lc.typ)) + "(" + out[r].text + ")"
		case rc.col && rn == r && (isIntegerType(rc.typ) || isFloatType(rc.typ)) && lc.kind == tkString:
			out[l].text = castFor(numOr(rc.typ)) + "(" + out[l].text + ")"
		}
	}
}

func numOr(t string) string {
	if isFloatType(t) {
		return "DOUBLE"
	}
	return "BIGINT"
}

func castFor(typ string) string {
	if typ == "DOUBLE" {
		return "spark_double"
	}
	return "spark_long"
}

// wrapColRef wraps the column reference ending at out[j] (with its qualifier, if any) in fn(...).
func wrapColRef(out []outTok, j int, fn string) {
	start := j
	if j >= 2 && out[j-1].text == "." && out[j-2].qual {
		start = j - 2
	}
	out[start].text = fn + "(" + out[start].text
	out[j].text += ")"
}

// wrapRLike turns the pattern after SIMILAR TO (from RLIKE) into a match-anywhere pattern.
func wrapRLike(out []outTok) {
	for i := range out {
		if out[i].text != "SIMILAR TO" || out[i].kind != tkIdent {
			continue
		}
		for j := i + 1; j < len(out); j++ {
			if out[j].kind == tkString {
				s, _ := unquoteDuck(out[j].text)
				out[j].text = quoteString("(?s:.*)(?:" + s + ")(?s:.*)")
				break
			}
			if out[j].kind != tkSpace && out[j].kind != tkComment {
				break
			}
		}
	}
}

func unquoteDuck(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' {
		return s, false
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
}

// coerceInLists: Spark compares a string column with an IN list of numbers as strings
// (LogonType IN (2, 10) matches "2"), so the numbers become string literals.
func coerceInLists(out []outTok) {
	sig := func(j int) int {
		for j < len(out) && (out[j].kind == tkSpace || out[j].kind == tkComment) {
			j++
		}
		return j
	}
	for i := range out {
		if !out[i].col || out[i].typ != "VARCHAR" {
			continue
		}
		j := sig(i + 1)
		if j < len(out) && strings.EqualFold(out[j].text, "NOT") {
			j = sig(j + 1)
		}
		if j >= len(out) || !strings.EqualFold(out[j].text, "IN") {
			continue
		}
		j = sig(j + 1)
		if j >= len(out) || out[j].text != "(" {
			continue
		}
		for k := j + 1; k < len(out) && out[k].text != ")"; k++ {
			if out[k].text == "(" {
				break // a subquery or expression: leave it to DuckDB
			}
			if out[k].kind == tkNumber {
				neg := ""
				if p := k - 1; p > j && out[p].text == "-" {
					neg, out[p].text = "-", ""
				}
				out[k].text = quoteString(neg + out[k].text)
				out[k].kind = tkString
			}
		}
	}
}

// shiftSubscripts turns Spark's 0-based array subscripts x[0] into DuckDB's 1-based x[1] (integer
// literal subscripts only; element_at is 1-based in both).
func shiftSubscripts(out []outTok) {
	for i := 1; i+2 < len(out); i++ {
		if out[i].text != "[" || out[i+1].kind != tkNumber || out[i+2].text != "]" {
			continue
		}
		p := out[i-1]
		if !(p.kind == tkIdent || p.kind == tkDQIdent || p.text == ")" || p.text == "]") {
			continue
		}
		if n, err := strconv.Atoi(out[i+1].text); err == nil {
			out[i+1].text = strconv.Itoa(n + 1)
		}
	}
}
