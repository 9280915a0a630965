// Package eql parses Elasticsearch's Event Query Language (EQL) and compiles it to DuckDB SQL.
//
// The grammar and the semantics follow Elasticsearch's EQL reference: event queries
// (`process where ...`, `any where ...`), sequences (`sequence by f [q1] by g [q2] with
// maxspan=2m until [q]`), the pipes `head` and `tail`, the comparison, lookup and pattern
// operators (`== != < <= > >= : like like~ regex regex~ in in~ not in`), `?field` optional
// fields and the standard functions. Parse reports errors with the query line and column;
// Compile resolves field names against the columns of the input and names near matches when a
// field is unknown.
package eql

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a query error at a position of the query text.
type Error struct {
	Line, Col int // 1-based; Col counts characters
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("eql: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// errAt builds an Error at byte offset off of src.
func errAt(src string, off int, format string, args ...any) *Error {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tField // backtick-quoted name
	tString
	tNumber
	tOp // operators and punctuation
)

type token struct {
	kind tokKind
	text string // identifier, operator, or the decoded string value
	raw  string // number text as written
	pos  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, errAt(src, i, "unterminated comment")
			}
			i += j + 4
		case c == '"' || c == '\'':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, text: s, pos: i})
			i += n
		case c == '?' && i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\''):
			// ?"raw string": no escapes
			q := src[i+1]
			j := strings.IndexByte(src[i+2:], q)
			if j < 0 {
				return nil, errAt(src, i, "unterminated string")
			}
			toks = append(toks, token{kind: tString, text: src[i+2 : i+2+j], pos: i})
			i += j + 3
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, errAt(src, i, "unterminated `field name`")
			}
			toks = append(toks, token{kind: tField, text: src[i+1 : i+1+j], pos: i})
			i += j + 2
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, token{kind: tNumber, raw: src[i:j], text: src[i:j], pos: i})
			i = j
		case c == '_' || c == '@' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf:
			j := i
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if r == '_' || r == '@' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
					j += n
					continue
				}
				break
			}
			if j == i {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errAt(src, i, "unexpected character %q", r)
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], pos: i})
			i = j
		default:
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", ":", "(", ")", "[", "]", ",", "|", "=", "~", "?", "+", "-", "*", "/", "%"} {
				if strings.HasPrefix(src[i:], op) {
					toks = append(toks, token{kind: tOp, text: op, pos: i})
					i += len(op)
					goto next
				}
			}
			{
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errAt(src, i, "unexpected character %q", r)
			}
		next:
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(src)})
	return toks, nil
}

// lexString reads a quoted string at src[i:] and returns its value and length. Triple double
// quotes delimit a raw string; otherwise the escapes \n \r \t \" \' \\ and \u{hex} apply.
func lexString(src string, i int) (string, int, error) {
	if strings.HasPrefix(src[i:], `"""`) {
		j := strings.Index(src[i+3:], `"""`)
		if j < 0 {
			return "", 0, errAt(src, i, "unterminated string")
		}
		return src[i+3 : i+3+j], j + 6, nil
	}
	q := src[i]
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == q:
			return b.String(), j + 1 - i, nil
		case c == '\n':
			return "", 0, errAt(src, i, "unterminated string")
		case c == '\\':
			if j+1 >= len(src) {
				return "", 0, errAt(src, j, "unterminated string")
			}
			e := src[j+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'u':
				if j+2 < len(src) && src[j+2] == '{' {
					k := strings.IndexByte(src[j+3:], '}')
					if k < 0 || k == 0 || k > 8 {
						return "", 0, errAt(src, j, "bad \\u{...} escape")
					}
					var v rune
					for _, h := range src[j+3 : j+3+k] {
						d := strings.IndexRune("0123456789abcdef", unicode.ToLower(h))
						if d < 0 {
							return "", 0, errAt(src, j, "bad \\u{...} escape")
						}
						v = v*16 + rune(d)
					}
					if !utf8.ValidRune(v) {
						return "", 0, errAt(src, j, "bad \\u{...} escape: not a character")
					}
					b.WriteRune(v)
					j += 3 + k + 1
					continue
				}
				return "", 0, errAt(src, j, "bad \\u escape (write \\u{hex})")
			default:
				return "", 0, errAt(src, j, "unknown escape \\%c", e)
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, errAt(src, i, "unterminated string")
}
