package hunt

import (
	"strings"
)

// duckStatements returns the byte offsets at which the statements of q (DuckDB's dialect) start,
// ignoring empty statements: the ';' separators outside string literals ('...', E'...',
// $tag$...$tag$), quoted identifiers and comments (-- and nested /* */) split it.
func duckStatements(q string) []int {
	var starts []int
	begin, nonEmpty := 0, false
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
			continue
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				i = len(q)
			} else {
				i += j + 1
			}
			continue
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			depth := 0
			for i < len(q) {
				if strings.HasPrefix(q[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(q[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			continue
		case c == ';':
			if nonEmpty {
				starts = append(starts, begin)
			}
			nonEmpty = false
			i++
			continue
		}
		if !nonEmpty {
			begin, nonEmpty = i, true
		}
		switch {
		case c == '\'' || c == '"':
			// E'...' takes backslash escapes.
			esc := c == '\'' && i > 0 && (q[i-1] == 'e' || q[i-1] == 'E') && (i < 2 || !isIdentByte(q[i-2]))
			i++
			for i < len(q) {
				if esc && q[i] == '\\' {
					i += 2
					continue
				}
				if q[i] == c {
					if i+1 < len(q) && q[i+1] == c {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '$':
			j := i + 1
			for j < len(q) && q[j] != '$' && isIdentByte(q[j]) && q[j] != '$' {
				j++
			}
			if j < len(q) && q[j] == '$' && (j == i+1 || !isDigit(q[i+1])) {
				tag := q[i : j+1]
				if k := strings.Index(q[j+1:], tag); k >= 0 {
					i = j + 1 + k + len(tag)
				} else {
					i = len(q)
				}
			} else {
				i = j
			}
		default:
			i++
		}
	}
	if nonEmpty {
		starts = append(starts, begin)
	}
	return starts
}

// trimStatementEnd removes a final ';' (and what follows it: blanks and comments) from q, the
// statement a frame holds: a frame's SQL is nested as a subquery, where ';' cannot stand.
func trimStatementEnd(q string) string {
	starts := duckStatements(q)
	if len(starts) != 1 {
		return q
	}
	// The one statement runs from starts[0] up to the first top-level ';', if any.
	end := len(q)
	for i := len(q) - 1; i >= starts[0]; i-- {
		if q[i] == ';' && len(duckStatements(q[:i])) == 1 && len(duckStatements(q[i+1:])) == 0 {
			end = i
		}
	}
	return strings.TrimRight(q[:end], " \t\r\n\f")
}

// lineCol returns the 1-based line and column (in characters) of byte offset pos in s.
func lineCol(s string, pos int) (line, col int) {
	pos = min(max(pos, 0), len(s))
	line = 1 + strings.Count(s[:pos], "\n")
	start := strings.LastIndexByte(s[:pos], '\n') + 1
	return line, 1 + len([]rune(s[start:pos]))
}

// sourceLine returns the line of s holding byte offset pos and a caret under pos.
func sourceLine(s string, pos int) string {
	pos = min(max(pos, 0), len(s))
	start := strings.LastIndexByte(s[:pos], '\n') + 1
	end := strings.IndexByte(s[pos:], '\n')
	if end < 0 {
		end = len(s)
	} else {
		end += pos
	}
	_, col := lineCol(s, pos)
	return strings.TrimRight(s[start:end], "\r") + "\n" + strings.Repeat(" ", col-1) + "^"
}
