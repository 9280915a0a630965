package worker

import (
	"regexp"
	"sort"
	"strings"

	huntsession "github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/kernel/ipc"
)

// sqlCatalog is what SQL completion needs to know of the data: the registered tables (the
// views %%sql reads) and their columns. The hunt library provides it (huntsession.Catalog).
type sqlCatalog interface {
	Tables() []string
	Columns(name string) []string
}

// catalog returns the library's catalog, or nil when the build has none.
func catalog() sqlCatalog {
	if c := huntsession.CurrentCatalog(); c != nil {
		return c
	}
	return nil
}

var (
	sqlTokenRE = regexp.MustCompile("`[^`]*`|[A-Za-z_][A-Za-z0-9_]*|,|[^\\sA-Za-z_,`]+")
	plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// completeSQL completes in the body of a %%sql cell (rs, the whole cell, has its first line
// starting with %%sql; cursor is past that line): after FROM or JOIN (or a comma in such a
// list) the registered tables, elsewhere the columns of the tables the cell names (of every
// registered table while it names none). Matching ignores case, as SQL names do; a column
// that is not a plain identifier (@timestamp) is offered quoted in backticks. Inside a
// string literal or a comment nothing is offered.
func completeSQL(cat sqlCatalog, rs []rune, cursor int) ipc.CompleteReply {
	end := cursor
	for end < len(rs) && isSQLWordRune(rs[end]) {
		end++
	}
	start := cursor
	for start > 0 && isSQLWordRune(rs[start-1]) {
		start--
	}
	quoted := start > 0 && rs[start-1] == '`'
	if quoted {
		start--
		if end < len(rs) && rs[end] == '`' {
			end++
		}
	}
	reply := func(matches []string) ipc.CompleteReply {
		if matches == nil {
			matches = []string{}
		}
		return ipc.CompleteReply{Status: "ok", Matches: matches, CursorStart: start, CursorEnd: end, Metadata: map[string]any{}}
	}
	bodyStart := 0
	for bodyStart < len(rs) && rs[bodyStart] != '\n' {
		bodyStart++
	}
	if cat == nil || cursor <= bodyStart || inSQLLiteral(rs[bodyStart:cursor]) {
		return reply(nil)
	}
	partial := strings.ToLower(strings.Trim(string(rs[start:cursor]), "`"))
	var names []string
	if afterTableKeyword(rs[bodyStart:start]) {
		names = cat.Tables()
	} else {
		tables := namedTables(string(rs[bodyStart+1:]))
		if len(tables) == 0 {
			tables = cat.Tables()
		}
		for _, t := range tables {
			names = append(names, cat.Columns(t)...)
		}
	}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(strings.ToLower(n), partial) {
			continue
		}
		if quoted || !plainIdent.MatchString(n) {
			n = "`" + n + "`"
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return reply(dedup(out))
}

// isSQLWordRune reports whether r may be part of a table or column name as typed.
func isSQLWordRune(r rune) bool { return isIdentRune(r) || r == '@' }

// inSQLLiteral reports whether the end of body is inside a '...' string, a "..." quoted name
// or a -- comment.
func inSQLLiteral(body []rune) bool {
	var quote rune
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && i+1 < len(body) && body[i+1] == '-':
			for i < len(body) && body[i] != '\n' {
				i++
			}
			if i == len(body) {
				return true
			}
		}
	}
	return quote != 0
}

// afterTableKeyword reports whether the text before the word being typed ends with FROM or
// JOIN, or with a comma continuing a FROM list.
func afterTableKeyword(before []rune) bool {
	s := strings.TrimRight(string(before), " \t\r\n")
	if s != string(before) || strings.HasSuffix(s, ",") {
		fields := strings.Fields(strings.ToLower(s))
		if len(fields) == 0 {
			return false
		}
		last := fields[len(fields)-1]
		if last == "from" || last == "join" {
			return true
		}
		if strings.HasSuffix(s, ",") {
			// FROM a, b, |: the nearest clause keyword before the comma is FROM.
			for i := len(fields) - 1; i >= 0; i-- {
				switch strings.TrimRight(fields[i], ",") {
				case "from":
					return true
				case "select", "where", "by", "on", "having", "join", "(", "values":
					return false
				}
			}
		}
	}
	return false
}

// sqlClauseWords end a FROM list: after them a name is no table nor alias.
var sqlClauseWords = map[string]bool{"where": true, "group": true, "order": true, "having": true, "limit": true,
	"join": true, "inner": true, "left": true, "right": true, "full": true, "cross": true, "outer": true,
	"semi": true, "anti": true, "on": true, "using": true, "union": true, "except": true, "intersect": true,
	"select": true, "from": true, "lateral": true, "natural": true, "window": true, "qualify": true}

// namedTables returns the table names a query's FROM and JOIN clauses name (FROM a x, b AS y
// JOIN c), in order.
func namedTables(body string) []string {
	toks := sqlTokenRE.FindAllString(body, -1)
	name := func(t string) (string, bool) {
		n := strings.Trim(t, "`")
		return n, plainIdent.MatchString(n) && (strings.HasPrefix(t, "`") || !sqlClauseWords[strings.ToLower(n)])
	}
	var out []string
	for i := 0; i < len(toks); i++ {
		if k := strings.ToLower(toks[i]); k != "from" && k != "join" {
			continue
		}
		for i+1 < len(toks) {
			n, ok := name(toks[i+1])
			if !ok {
				break
			}
			out = append(out, n)
			i++
			if i+1 < len(toks) && strings.EqualFold(toks[i+1], "as") {
				i++
			}
			if i+1 < len(toks) {
				if _, ok := name(toks[i+1]); ok {
					i++ // the alias
				}
			}
			if i+1 >= len(toks) || toks[i+1] != "," {
				break
			}
			i++
		}
	}
	return out
}
