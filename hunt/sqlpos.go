package hunt

import (
	"strconv"
	"strings"
)

// Positions in SQL errors. DuckDB reports an error's place as "LINE n: <excerpt>" and a caret,
// in the text it ran: the user's query rewritten (registered tables prepended as WITH clauses,
// Spark SQL translated, DESCRIBE in front). The functions here find that place in the rewritten
// text and map it back to the user's text, so errors name the line and column the user typed
// and quote the user's line.

// span maps a translated token to the Spark SQL it came from: output offset out came from source
// offset src.
type span struct{ out, src int }

// srcOffset maps offset pos of translated text back to the source through spans (sorted by
// out): within a token copied as it was, to the same character; otherwise to the token's start.
func srcOffset(spans []span, pos int, translated, source string) int {
	k := -1
	for i, s := range spans {
		if s.out > pos {
			break
		}
		k = i
	}
	if k < 0 {
		return 0
	}
	s := spans[k]
	end := len(translated)
	if k+1 < len(spans) {
		end = spans[k+1].out
	}
	tok := translated[s.out:end]
	if strings.HasPrefix(source[s.src:], tok) {
		return s.src + pos - s.out
	}
	return s.src
}

// insertion is text a rewrite inserted into the user's query: at offset at of the rewritten
// text, n bytes.
type insertion struct{ at, n int }

// duckErrorPos finds the byte offset in ran (the text DuckDB ran) of the place DuckDB's error
// message msg points at, and returns msg without its LINE excerpt.
func duckErrorPos(msg, ran string) (head string, pos int, ok bool) {
	i := strings.Index(msg, "\nLINE ")
	if i < 0 {
		return msg, 0, false
	}
	head = strings.TrimRight(msg[:i], "\n")
	rest := msg[i+1:]
	nl := strings.IndexByte(rest, '\n')
	if nl < 0 {
		return head, 0, false
	}
	excerptLine, caretLine := rest[:nl], rest[nl+1:]
	colon := strings.Index(excerptLine, ": ")
	if colon < 0 {
		return head, 0, false
	}
	lineNo, err := strconv.Atoi(excerptLine[len("LINE "):colon])
	if err != nil || lineNo < 1 {
		return head, 0, false
	}
	caret := strings.IndexByte(caretLine, '^')
	if caret < 0 {
		return head, 0, false
	}
	excerpt := excerptLine[colon+2:]
	at := caret - (colon + 2)
	if strings.HasPrefix(excerpt, "...") {
		excerpt, at = excerpt[3:], at-3
	}
	excerpt = strings.TrimSuffix(excerpt, "...")
	// The excerpt's place in line lineNo of ran.
	lineStart := 0
	for n := 1; n < lineNo; n++ {
		j := strings.IndexByte(ran[lineStart:], '\n')
		if j < 0 {
			return head, 0, false
		}
		lineStart += j + 1
	}
	line := ran[lineStart:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	k := strings.Index(line, excerpt)
	if k < 0 || at < 0 || at > len(excerpt) {
		return head, 0, false
	}
	return head, lineStart + k + at, true
}

// sqlPlace maps DuckDB's error for the text ran back to the user's query: ran = prefix + the
// rewritten query, where ins (if any) was inserted into the translated query, which spans map
// back to user (nil spans: the query was not translated). It returns the message head and the
// place in the user's text, or ok false when the place is not in the user's text (inside a
// registered table's definition) or cannot be found.
func sqlPlace(msg, ran, prefix string, ins *insertion, spans []span, translated, user string) (head string, pos int, ok bool) {
	head, p, found := duckErrorPos(msg, ran)
	if !found {
		return head, 0, false
	}
	p -= len(prefix)
	if p < 0 {
		return head, 0, false
	}
	if ins != nil {
		switch {
		case p >= ins.at+ins.n:
			p -= ins.n
		case p >= ins.at:
			return head, 0, false
		}
	}
	if spans != nil {
		if p > len(translated) {
			return head, 0, false
		}
		p = srcOffset(spans, p, translated, user)
	}
	if p > len(user) {
		return head, 0, false
	}
	return head, p, true
}

// placeMessage formats an SQL error at pos of the user's query: "line L, column C: head" and
// the user's line with a caret.
func placeMessage(head, user string, pos int) string {
	line, col := lineCol(user, pos)
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ": " + head + "\n\n" + sourceLine(user, pos)
}
