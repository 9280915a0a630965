package hunt

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Quoting for DuckDB SQL text. Event data never goes into SQL text as a value: values are bound
// as prepared-statement parameters. What does go into SQL text is identifiers (column names,
// which come from the data's keys) and the library's own literals (file paths, type names, the
// literals of Col(...).Eq(...) expressions); the functions here quote them so that every byte
// is handled: quotes are doubled, backslashes stay as they are (DuckDB keeps them), and the bytes
// DuckDB's parser cannot read inside SQL text (NUL ends its input; bytes that are not UTF-8 are
// refused) never reach it.

// identEsc starts the escape of one byte in an identifier: identEsc followed by two lower-case
// hex digits is that byte (NUL, or a byte that is not UTF-8); identEsc followed by "--" is
// identEsc itself, and identEsc followed by ".." stands for nothing (the empty name, which
// DuckDB refuses as an identifier). identEsc is a Unicode private-use character, as identMark is.
const identEsc = "\uE001"

// emptyIdent is the encoded form of the empty name.
const emptyIdent = identEsc + ".."

// encodeIdent turns a display name into text DuckDB accepts inside a quoted identifier: NUL and
// bytes that are not UTF-8 become identEsc + two hex digits, identEsc itself identEsc + "--",
// and the empty name emptyIdent.
// decodeIdent reverses it. Names without those bytes are returned as they are.
func encodeIdent(name string) string {
	if name == "" {
		return emptyIdent
	}
	if !needsIdentEscape(name, true) {
		return name
	}
	return escapeIdent(name, true)
}

// needsIdentEscape reports whether s holds a byte escapeIdent changes.
func needsIdentEscape(s string, escapeEsc bool) bool {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return true
	}
	return escapeEsc && strings.Contains(s, identEsc)
}

func escapeIdent(s string, escapeEsc bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r == 0:
			b.WriteString(identEsc)
			b.WriteByte("0123456789abcdef"[s[i]>>4])
			b.WriteByte("0123456789abcdef"[s[i]&15])
		case escapeEsc && r == 0xE001:
			b.WriteString(identEsc + "--")
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// decodeIdent reverses encodeIdent.
func decodeIdent(s string) string {
	if !strings.Contains(s, identEsc) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, identEsc)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		rest := s[i+len(identEsc):]
		switch {
		case strings.HasPrefix(rest, "--"):
			b.WriteString(identEsc)
			s = rest[2:]
		case strings.HasPrefix(rest, ".."):
			s = rest[2:]
		case len(rest) >= 2 && isLowerHex(rest[0]) && isLowerHex(rest[1]):
			v, _ := strconv.ParseUint(rest[:2], 16, 8)
			b.WriteByte(byte(v))
			s = rest[2:]
		default:
			b.WriteString(identEsc)
			s = rest
		}
	}
}

func isLowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// quoteIdent quotes s as a DuckDB identifier. It handles every byte: double quotes are doubled,
// NUL or bytes that are not UTF-8 are escaped as encodeIdent does (displayName turns them back),
// and the empty name is written as emptyIdent. Identifiers already encoded (every column ident) are quoted unchanged.
func quoteIdent(s string) string {
	if s == "" {
		s = emptyIdent
	}
	if needsIdentEscape(s, false) {
		s = escapeIdent(s, false)
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString writes s as a DuckDB string expression. Quotes are doubled and backslashes kept (a
// DuckDB literal has no escapes); a NUL, which SQL text cannot hold, is written as chr(0)
// concatenated with the rest. DuckDB strings hold UTF-8 only, so bytes that are not UTF-8 are
// written as U+FFFD, as Go's strings.ToValidUTF8 does. Values from event data are bound as
// parameters instead (see views.go).
func quoteString(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) < 0 {
		return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
	}
	parts := strings.Split(s, "\x00")
	for i, p := range parts {
		parts[i] = `'` + strings.ReplaceAll(p, `'`, `''`) + `'`
	}
	return "(" + strings.Join(parts, " || chr(0) || ") + ")"
}

// appendJSONString appends s to b as a JSON string (for staged JSON lines that DuckDB reads):
// control characters as \u00XX, quotes and backslashes escaped; s must be UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
