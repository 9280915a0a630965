package hunt

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON-lines scanner: validates one line (one JSON object), merges the types of its values
// into the schema tree, and when a key must be renamed (it differs only by case from a key seen
// earlier at the same level) writes the line with the key renamed. It allocates only for new keys.

// jkind is the inferred type of a JSON value or of a column, ordered from narrow to wide.
type jkind uint8

const (
	jNull   jkind = iota
	jBool         // BOOLEAN
	jInt          // BIGINT (fits int64)
	jHuge         // HUGEINT (an integer beyond int64, within 38 digits)
	jFloat        // DOUBLE
	jString       // VARCHAR
	jList         // LIST of elem
	jObject       // STRUCT (or flattened columns) of children
	jText         // VARCHAR holding the JSON text: values of mixed kinds
)

// jfield is the schema of a value position: a top-level key, a nested key, or a list element.
type jfield struct {
	name     string // key as in the data
	key      string // key as written to DuckDB's input (renamed when it collides by case)
	kind     jkind
	big      bool // saw an integer with |v| > 2^53 (a DOUBLE would lose digits)
	elem     *jfield
	children []*jfield
	byName   map[string]*jfield
	byLower  map[string]int // lower-cased key -> count of keys with that lower case
	renamed  bool           // some child has key != name
	seenAt   uint64         // number of the object this key was last seen in (duplicate check)
	time     timeState      // for a known event-time key: whether every text value is in its form
}

func newJField(name string) *jfield { return &jfield{name: name, key: name} }

func (f *jfield) child(name string) *jfield {
	if c, ok := f.byName[name]; ok {
		return c
	}
	if f.byName == nil {
		f.byName = map[string]*jfield{}
		f.byLower = map[string]int{}
	}
	c := newJField(name)
	low := strings.ToLower(name)
	// The key DuckDB reads is also the identifier its column gets (quoted into SQL text): a key
	// holding NUL is renamed to its encodeIdent form, which displayName turns back into name.
	if enc := encodeIdent(name); enc != name {
		c.key = enc
		f.renamed = true
	}
	if n := f.byLower[low]; n > 0 || strings.Contains(name, identMark) {
		c.key = encodeIdent(strings.ReplaceAll(name, identMark, "")) + identMark + strconv.Itoa(n)
		f.renamed = true
	}
	f.byLower[low]++
	f.byName[name] = c
	f.children = append(f.children, c)
	return c
}

// widen merges kind k into f.
func (f *jfield) widen(k jkind) {
	if k == jNull || f.kind == k || f.kind == jText {
		return
	}
	if f.kind == jNull {
		f.kind = k
		return
	}
	a, b := f.kind, k
	if a > b {
		a, b = b, a
	}
	switch {
	case a == jInt && b == jHuge:
		f.kind = jHuge
	case (a == jInt || a == jHuge) && b == jFloat:
		if a == jHuge || f.big {
			f.kind = jText
		} else {
			f.kind = jFloat
		}
	default:
		f.kind = jText
	}
	if f.kind == jText {
		f.children, f.byName, f.byLower, f.elem = nil, nil, nil, nil
	}
}

type scanErr struct {
	off int
	msg string
}

func (e *scanErr) Error() string { return e.msg + " at column " + strconv.Itoa(e.off+1) }

// lineScanner scans lines into a schema tree.
type lineScanner struct {
	root  *jfield
	buf   []byte // line being scanned
	out   []byte // rewritten line (when a key is renamed)
	copyd int    // bytes of buf already copied to out
	dirty bool
	seen  []map[string]bool // duplicate-key check per open object without a schema field (reused)
	objs  uint64            // objects scanned so far (numbers them for the duplicate check)
	depth int
	// journal records the schema changes of the line being scanned, undone when the line turns
	// out malformed: a skipped line adds no column and widens no type.
	journal []undo
}

// undo is one schema change: a child key added to f, f's elem created, f.big set, or f's kind
// widened (the state before in kind..byLower).
type undo struct {
	f        *jfield
	added    string
	renamed  bool
	elem     bool
	big      bool
	widened  bool
	kind     jkind
	children []*jfield
	old      *jfield
	byName   map[string]*jfield
	byLower  map[string]int
	oldBig   bool
	time     bool // f.time changed, from oldTime
	oldTime  timeState
}

// widen widens f by k, recording the change in the journal.
func (s *lineScanner) widen(f *jfield, k jkind) {
	if k == jNull || f.kind == k || f.kind == jText {
		return
	}
	s.journal = append(s.journal, undo{f: f, widened: true, kind: f.kind, children: f.children, old: f.elem, byName: f.byName, byLower: f.byLower, oldBig: f.big})
	f.widen(k)
}

// rollback undoes the journal, newest change first.
func (s *lineScanner) rollback() {
	for i := len(s.journal) - 1; i >= 0; i-- {
		u := s.journal[i]
		f := u.f
		switch {
		case u.widened:
			f.kind, f.children, f.elem, f.byName, f.byLower, f.big = u.kind, u.children, u.old, u.byName, u.byLower, u.oldBig
		case u.elem:
			f.elem = nil
		case u.big:
			f.big = false
		case u.time:
			f.time = u.oldTime
		default:
			if c, ok := f.byName[u.added]; ok {
				delete(f.byName, u.added)
				low := strings.ToLower(u.added)
				if f.byLower[low]--; f.byLower[low] <= 0 {
					delete(f.byLower, low)
				}
				if n := len(f.children); n > 0 && f.children[n-1] == c {
					f.children = f.children[:n-1]
				}
			}
			f.renamed = u.renamed
		}
	}
	s.journal = s.journal[:0]
}

func newLineScanner() *lineScanner { return &lineScanner{root: newJField("")} }

// scan validates line (one JSON object) and merges it into the schema. It returns the bytes to
// give DuckDB: line itself, or a rewritten copy with renamed keys.
func (s *lineScanner) scan(line []byte) ([]byte, error) {
	if !utf8.Valid(line) {
		return nil, errors.New("invalid UTF-8")
	}
	s.buf, s.out, s.copyd, s.dirty, s.depth = line, s.out[:0], 0, false, 0
	s.journal = s.journal[:0]
	out, err := s.scanLine(line)
	if err != nil {
		s.rollback()
	}
	return out, err
}

// scanLine is scan without the rollback.
func (s *lineScanner) scanLine(line []byte) ([]byte, error) {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		if i >= len(line) {
			return nil, &scanErr{i, "empty line"}
		}
		return nil, &scanErr{i, "a line must hold one JSON object"}
	}
	end, err := s.value(i, s.root, true)
	if err != nil {
		return nil, err
	}
	end = skipWS(line, end)
	if end != len(line) {
		return nil, &scanErr{end, "unexpected data after the JSON object"}
	}
	if !s.dirty {
		return line, nil
	}
	s.out = append(s.out, line[s.copyd:]...)
	return s.out, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

const maxDepth = 200

// value scans the value at b[i] into field f (f may be nil: validate only).
func (s *lineScanner) value(i int, f *jfield, top bool) (int, error) {
	b := s.buf
	if i >= len(b) {
		return i, &scanErr{i, "unexpected end of line"}
	}
	switch c := b[i]; {
	case c == '{':
		return s.object(i, f, top)
	case c == '[':
		if f != nil {
			s.widen(f, jList)
		}
		var elem *jfield
		if f != nil && f.kind == jList {
			if f.elem == nil {
				s.journal = append(s.journal, undo{f: f, elem: true})
				f.elem = newJField("")
			}
			elem = f.elem
		}
		s.depth++
		if s.depth > maxDepth {
			return i, &scanErr{i, "nesting too deep"}
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			s.depth--
			return i + 1, nil
		}
		for {
			var err error
			i, err = s.elemValue(skipWS(b, i), elem)
			if err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, &scanErr{i, "unterminated array"}
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] == ']' {
				s.depth--
				return i + 1, nil
			}
			return i, &scanErr{i, "expected , or ] in array"}
		}
	case c == '"':
		end, raw, esc, err := scanStringRaw(b, i)
		if err != nil {
			return end, err
		}
		if f != nil {
			s.widen(f, jString)
			if f.time != timeNo && f.time != timeBad {
				s.checkTime(f, raw, esc)
			}
		}
		return end, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(b[i:min(len(b), i+5)]), lit) {
				if f != nil && lit != "null" {
					s.widen(f, jBool)
				}
				return i + len(lit), nil
			}
		}
		return i, &scanErr{i, "invalid literal"}
	case c == '-' || (c >= '0' && c <= '9'):
		end, k, big, err := scanNumber(b, i)
		if err != nil {
			return end, err
		}
		if f != nil {
			if big && !f.big {
				s.journal = append(s.journal, undo{f: f, big: true})
				f.big = true
			}
			s.widen(f, k)
		}
		return end, nil
	}
	return i, &scanErr{i, "invalid character " + strconv.QuoteRune(rune(b[i]))}
}

// elemValue scans a list element: objects and lists inside lists are kept as JSON text.
func (s *lineScanner) elemValue(i int, elem *jfield) (int, error) {
	if i < len(s.buf) && (s.buf[i] == '{' || s.buf[i] == '[') {
		if elem != nil {
			s.widen(elem, jText)
		}
		return s.value(i, nil, false)
	}
	return s.value(i, elem, false)
}

func (s *lineScanner) object(i int, f *jfield, top bool) (int, error) {
	b := s.buf
	if f != nil && !top {
		s.widen(f, jObject)
		if f.kind != jObject {
			f = nil // mixed kinds: the whole value is kept as text
		}
	}
	s.depth++
	if s.depth > maxDepth {
		return i, &scanErr{i, "nesting too deep"}
	}
	s.objs++
	obj := s.objs
	var seen map[string]bool
	if f == nil {
		for len(s.seen) < s.depth {
			s.seen = append(s.seen, map[string]bool{})
		}
		seen = s.seen[s.depth-1]
		clear(seen)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		s.depth--
		return i + 1, nil
	}
	for pos := 0; ; pos++ {
		if i >= len(b) || b[i] != '"' {
			return i, &scanErr{i, "expected a \"key\" in object"}
		}
		kstart := i
		end, raw, esc, err := scanStringRaw(b, i)
		if err != nil {
			return end, err
		}
		var c *jfield
		if f != nil {
			if !esc {
				// Objects of one source mostly list their keys in the same order: try the
				// key that came at this position last time before the map.
				if pos < len(f.children) && f.children[pos].name == string(raw) {
					c = f.children[pos]
				} else {
					c = f.byName[string(raw)] // no allocation for a known key
				}
			}
			if c == nil {
				key, err := decodeKey(b, kstart, end, raw, esc)
				if err != nil {
					return kstart, err
				}
				s.journal = append(s.journal, undo{f: f, added: key, renamed: f.renamed})
				c = f.child(key)
			}
			if c.seenAt == obj {
				return kstart, &scanErr{kstart, "duplicate key " + strconv.Quote(c.name)}
			}
			c.seenAt = obj
			if c.key != c.name {
				s.out = append(s.out, b[s.copyd:kstart]...)
				s.out = appendJSONString(s.out, c.key)
				s.copyd = end
				s.dirty = true
			}
		} else {
			key, err := decodeKey(b, kstart, end, raw, esc)
			if err != nil {
				return kstart, err
			}
			if seen[key] {
				return kstart, &scanErr{kstart, "duplicate key " + strconv.Quote(key)}
			}
			seen[key] = true
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, &scanErr{i, "expected : after key"}
		}
		i, err = s.value(skipWS(b, i+1), c, false)
		if err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, &scanErr{i, "unterminated object"}
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if b[i] == '}' {
			s.depth--
			return i + 1, nil
		}
		return i, &scanErr{i, "expected , or } in object"}
	}
}

// decodeKey returns the value of the string b[kstart:end] whose content is raw.
func decodeKey(b []byte, kstart, end int, raw []byte, esc bool) (string, error) {
	if !esc {
		return string(raw), nil
	}
	v, err := unescapeJSON(raw)
	if err != nil {
		return "", &scanErr{kstart, err.Error()}
	}
	return v, nil
}

// strStop marks the bytes that end a run of plain string bytes: the quote, the backslash and
// control characters.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// mayStop reports whether one of the eight bytes of w may end a run of plain string bytes: a
// quote, a backslash or a control character. It never misses one (a true result may be a false
// alarm for bytes above the first such byte; strStop then decides byte by byte). Bytes of 0x80
// and above (UTF-8 sequences) never count.
func mayStop(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	bs := w ^ (ones * '\\')
	return ((q-ones)&^q|(bs-ones)&^bs|(w-ones*0x20)&^w)&highs != 0
}

// scanStringRaw scans the string at b[i] ('"'); it returns the end offset, the bytes between the
// quotes and whether they hold escapes. It allocates nothing.
func scanStringRaw(b []byte, i int) (int, []byte, bool, error) {
	start := i + 1
	j := start
	esc := false
	for j < len(b) {
		// Plain bytes, the bulk of a string, are skipped eight at a time while no byte of the
		// word can stop the string, then one table look-up each.
		for j+8 <= len(b) && !mayStop(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		for j < len(b) && !strStop[b[j]] {
			j++
		}
		if j >= len(b) {
			break
		}
		c := b[j]
		switch {
		case c == '"':
			return j + 1, b[start:j], esc, nil
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return j, nil, false, &scanErr{j, "unterminated string"}
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+5 >= len(b) || !isHex(string(b[j+2:j+6])) {
					return j, nil, false, &scanErr{j, "invalid \\u escape"}
				}
				j += 6
			default:
				return j, nil, false, &scanErr{j, "invalid escape \\" + string(b[j+1])}
			}
		case c < 0x20:
			return j, nil, false, &scanErr{j, "control character in string"}
		default:
			j++
		}
	}
	return j, nil, false, &scanErr{i, "unterminated string"}
}

func unescapeJSON(b []byte) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			sb.WriteByte(c)
			continue
		}
		i++
		switch b[i] {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			v, _ := strconv.ParseUint(string(b[i+1:i+5]), 16, 32)
			r := rune(v)
			i += 4
			if utf16Surrogate(r) && i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				v2, _ := strconv.ParseUint(string(b[i+3:i+7]), 16, 32)
				if r2 := rune(v2); r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			sb.WriteRune(r)
		default:
			sb.WriteByte(b[i])
		}
	}
	return sb.String(), nil
}

func utf16Surrogate(r rune) bool { return r >= 0xD800 && r < 0xDC00 }

// scanNumber validates the JSON number at b[i] and classifies it.
func scanNumber(b []byte, i int) (end int, k jkind, big bool, err error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, 0, false, &scanErr{i, "invalid number"}
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	} else {
		return i, 0, false, &scanErr{i, "invalid number"}
	}
	k = jInt
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, 0, false, &scanErr{i, "invalid number"}
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		k = jFloat
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, 0, false, &scanErr{i, "invalid number"}
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		k = jFloat
	}
	if k == jInt {
		digits := string(b[start:i])
		v, perr := strconv.ParseInt(digits, 10, 64)
		switch {
		case perr != nil:
			big = true
			if len(strings.TrimPrefix(digits, "-")) > 38 {
				k = jText
			} else {
				k = jHuge
			}
		case v > 1<<53 || v < -(1<<53):
			big = true
		}
	}
	return i, k, big, nil
}
