package hunt

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gohunt/gohunt/hunt/sigma"
)

// SigmaError is a rule that SigmaRules could not load: file, line and reason.
type SigmaError = sigma.Error

// SigmaRuleSet is a set of Sigma rules read by SigmaRules, with the log source mapping Detect
// applies to them.
type SigmaRuleSet struct {
	set     *sigma.Set
	mapping *sigma.Mapping
	err     error
}

// SigmaRules reads Sigma rules from files, folders (every .yml/.yaml below them) and glob
// patterns. Rules that do not parse or use what gohunt does not support are not loaded and are
// listed by Errors with file, line and reason; the others are. It never panics on bad input.
func SigmaRules(paths ...string) *SigmaRuleSet {
	return &SigmaRuleSet{set: sigma.Load(paths...), mapping: sigma.DefaultMapping()}
}

// Rules returns the loaded rules, in file order.
func (s *SigmaRuleSet) Rules() []*sigma.Rule { return s.set.Rules }

// Len returns the number of loaded rules.
func (s *SigmaRuleSet) Len() int { return len(s.set.Rules) }

// Errors lists the rules that did not load: file, line and reason, in file order.
func (s *SigmaRuleSet) Errors() []*SigmaError { return s.set.Errors }

// String summarizes the set: how many rules loaded and how many did not.
func (s *SigmaRuleSet) String() string {
	return fmt.Sprintf("%d Sigma rules loaded, %d not loaded (see Errors())", len(s.set.Rules), len(s.set.Errors))
}

// WithMapping returns the set with a log source and field mapping read from a YAML file (the
// format of hunt/sigma/logsources.yaml) laid over the built-in one: its categories, services and
// fields replace the built-in entries of the same name.
func (s *SigmaRuleSet) WithMapping(path string) *SigmaRuleSet {
	out := *s
	data, err := readSmallFile(path)
	if err == nil {
		var m *sigma.Mapping
		if m, err = sigma.ParseMapping(data); err == nil {
			out.mapping = s.mapping.Merge(m)
			return &out
		}
	}
	out.err = fmt.Errorf("hunt: WithMapping %s: %w", path, err)
	return &out
}

// Mapping returns the log source and field mapping Detect applies.
func (s *SigmaRuleSet) Mapping() *sigma.Mapping { return s.mapping }

// Detect runs the rules over the frame's events and returns a lazy frame of hits: one row per
// rule and matching event, with rule_id, rule_title, level, status, author and tags (the rule's
// ATT&CK and other tags), then the event's columns. Every hit names the rule's author, as the
// Detection Rule License of SigmaHQ's rules asks of any message based on a match. Rule values
// are constants of the query, quoted so that every byte stays inside its literal; rule
// metadata is bound. All rules run in one scan of the events. Rows come rule by rule in the
// set's order. On DuckDB, Detect itself reads the distinct values of the fields the rules test
// (one query, interrupted with the cell) to leave out the rules no event can match; the hits
// are computed when the frame is used.
func (f *Frame) Detect(rules *SigmaRuleSet) *Frame {
	return f.runRules("Detect", rules, f.detectSQL, func(l *Frame) *Frame { return l.Detect(rules) })
}

// runRules is the body Detect and DetectCorrelations share: it checks the frame and the rules,
// keeps a frame on another engine lazy (again runs over the rows read, on DuckDB), and otherwise
// derives the frame of build's query (with the columns build returns, when it knows them).
func (f *Frame) runRules(op string, rules *SigmaRuleSet, build func(*SigmaRuleSet) (string, []column, error), again func(*Frame) *Frame) *Frame {
	defer runtime.KeepAlive(f) // see tableRef
	if f.err != nil {
		return f
	}
	if rules == nil {
		return errFrame(f.eng, errorf("hunt: %s: no rules (nil)", op))
	}
	if rules.err != nil {
		return errFrame(f.eng, rules.err)
	}
	if f.lazy() {
		if op == "Detect" {
			return f.lazyDetect(rules) // detect_es.go: rules run in Elasticsearch
		}
		return f.afterRead(op, again)
	}
	q, cols, err := build(rules)
	if err != nil {
		return errFrame(f.eng, err)
	}
	if cols != nil {
		// build knows the result's columns: the query is not bound twice (DESCRIBE, then run).
		g := frameOf(f.eng, q, cols)
		g.note = f.note
		return g
	}
	return f.derive(q).context(op)
}

// detectChunk bounds the rules of one list_filter: DuckDB's planning time grows faster than
// linearly with the size of one list.
var detectChunk = 64

// detectSQL writes the rules' metadata into a table of the engine (bound values) and returns
// the SQL of the hits and its columns (known without binding it): one scan of the events. The fields the rules read are projected once
// per event (as text, and lower-cased for case-insensitive matches); rules are grouped by their
// log source condition, and a group's detections are evaluated only for the events that meet
// its condition (CASE WHEN); each event gives the list of the rules it matches, unnested into
// hits. Rule values are constants of the SQL text, written by quoteString (every byte
// handled), so DuckDB compiles each pattern and regular expression once, and the cheapest
// exact form of each match is used (sigma.SQLTarget.Plain).
func (f *Frame) detectSQL(rules *SigmaRuleSet) (string, []column, error) {
	ctx := cellCtx()
	target, projection, keywordUses := f.sigmaConstTarget(rules.mapping)
	type group struct {
		ls       sigma.Node
		where    string
		cases    []string
		keywords bool // a rule of the group reads the keyword text
	}
	groups := map[string]*group{}
	var order []string
	var ids, titles, levels, statuses, authors, tags []string
	var idx []int32
	candidate, err := f.sigmaCandidates(rules)
	if err != nil {
		return "", nil, err
	}
	for i, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue // correlation rules: DetectCorrelations
		}
		ls := rules.mapping.LogsourceCondition(r.Logsource)
		key := fmt.Sprintf("%#v", ls)
		g := groups[key]
		if g == nil {
			g = &group{ls: ls, where: sigma.SQL(ls, target)}
			groups[key] = g
			order = append(order, key)
		}
		before := keywordUses()
		if !candidate(i) {
			// The prefilter found that no event can meet the rule (sigmaCandidates).
		} else if cond := sigma.SQL(r.Detection, target); cond != "FALSE" && g.where != "FALSE" {
			// A rule whose detection reads only fields the events lack is FALSE: left out.
			g.cases = append(g.cases, "CASE WHEN "+cond+" THEN "+strconv.Itoa(i)+" END")
			g.keywords = g.keywords || keywordUses() > before
		}
		idx = append(idx, int32(i))
		ids, titles, levels, statuses, authors = append(ids, r.ID), append(titles, r.Title), append(levels, r.Level), append(statuses, r.Status), append(authors, r.Author)
		tags = append(tags, strings.Join(r.Tags, "\x1f"))
	}
	var lists []string
	var keywordWhere []sigma.Node
	for _, k := range order {
		g := groups[k]
		if len(g.cases) == 0 {
			continue
		}
		if g.keywords {
			keywordWhere = append(keywordWhere, g.ls)
		}
		var chunks []string
		for len(g.cases) > 0 {
			n := min(len(g.cases), detectChunk)
			chunks = append(chunks, "list_filter(["+strings.Join(g.cases[:n], ", ")+"], __x -> __x IS NOT NULL)")
			g.cases = g.cases[n:]
		}
		l := chunks[0]
		if len(chunks) > 1 {
			l = "flatten([" + strings.Join(chunks, ", ") + "])"
		}
		if g.where != "TRUE" {
			l = "CASE WHEN " + g.where + " THEN " + l + " ELSE CAST([] AS INTEGER[]) END"
		}
		lists = append(lists, l)
	}
	metaTable := f.eng.tableName("sigma_rules")
	if err := f.eng.exec(ctx, "CREATE TABLE "+quoteIdent(metaTable)+" AS SELECT unnest(CAST(? AS INTEGER[])) AS idx, unnest(CAST(? AS VARCHAR[])) AS rule_id, "+
		"unnest(CAST(? AS VARCHAR[])) AS rule_title, unnest(CAST(? AS VARCHAR[])) AS level, unnest(CAST(? AS VARCHAR[])) AS status, "+
		"unnest(CAST(? AS VARCHAR[])) AS author, unnest(CAST(? AS VARCHAR[])) AS tags_joined", idx, ids, titles, levels, statuses, authors, tags); err != nil {
		return "", nil, fmt.Errorf("hunt: Detect: storing rule metadata: %w", err)
	}
	alloc := newIdentAllocator()
	meta := []string{"rule_id", "rule_title", "level", "status", "author"}
	var sel []string
	var cols []column
	for _, m := range meta {
		alloc.reserve(m)
		sel = append(sel, "__m."+m)
		cols = append(cols, column{ident: m, name: m, typ: "VARCHAR"})
	}
	alloc.reserve("tags")
	sel = append(sel, "CASE WHEN __m.tags_joined = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(__m.tags_joined, chr(31)) END AS tags")
	cols = append(cols, column{ident: "tags", name: "tags", typ: "VARCHAR[]"})
	for _, c := range f.cols {
		id := alloc.ident(c.name)
		sel = append(sel, "__h."+quoteIdent(c.ident)+" AS "+quoteIdent(id))
		cols = append(cols, column{ident: id, name: displayName(id), typ: c.typ})
	}
	all := "CAST([] AS INTEGER[])"
	switch len(lists) {
	case 0:
	case 1:
		all = lists[0]
	default:
		all = "flatten([" + strings.Join(lists, ", ") + "])"
	}
	// A session table is read in rowid ranges, one per thread (tableParts); the hits of a rule
	// then come in the events' order.
	source, byPos := "("+f.sql+")", ""
	pos := "__sigma_pos"
	for f.hasIdent(pos) {
		pos += "_"
	}
	if parts, ok, err := f.tableParts(ctx, pos); err != nil {
		return "", nil, fmt.Errorf("hunt: Detect: %w", err)
	} else if ok {
		source, byPos = parts, ", __h."+quoteIdent(pos)
	}
	events := source
	if p, q := projection(keywordWhere); q != "" {
		events = "(SELECT __r.*, " + q + " FROM (SELECT __s.*, " + p + " FROM " + source + " AS __s) AS __r)"
	} else if p != "" {
		events = "(SELECT __s.*, " + p + " FROM " + source + " AS __s)"
	}
	hits := "SELECT __t.*, unnest(" + all + ") AS __sigma_rule FROM " + events + " AS __t"
	return "SELECT " + strings.Join(sel, ", ") +
		"\nFROM (" + hits + ") AS __h JOIN " + quoteIdent(metaTable) + " AS __m ON __m.idx = __h.__sigma_rule\nORDER BY __h.__sigma_rule" + byPos, cols, nil
}

// sigmaConstTarget is the target Detect renders rules with: values as quoted constants, the
// fields' text and lower-cased text as columns projected once per event (named apart from the
// frame's columns), matches in their plain forms, keyword searches over one joined text of
// the event's VARCHAR columns. projection returns the projected expressions (for the events'
// SELECT list) once every rule has been rendered; the joined text is computed only for events
// meeting one of keywordWhere (the log source conditions of the groups whose rules search
// keywords) and passing the keyword gate (keywordGate: they may hold a searched text).
// keywordUses counts the keyword text's uses so far.
func (f *Frame) sigmaConstTarget(m *sigma.Mapping) (t *sigma.SQLTarget, projection func(keywordWhere []sigma.Node) (inner, outer string), keywordUses func() int) {
	t = f.sigmaTarget(m, quoteString)
	src := f.sigmaTargetAs(m, quoteString, "__s")
	alloc := newIdentAllocator()
	for _, c := range f.cols {
		alloc.reserve(c.ident)
	}
	var proj []string
	// projected returns a function giving the column of field's text passed through wrap,
	// projected the first time a rule asks for it ("" when the events have no such field).
	projected := func(name, wrap string) func(field string) string {
		cols := map[string]string{}
		return func(field string) string {
			if s, ok := cols[field]; ok {
				return s
			}
			s := ""
			if c := src.Column(field); c != "" {
				id := quoteIdent(alloc.ident(name))
				proj = append(proj, strings.Replace(wrap, "%s", c, 1)+" AS "+id)
				s = "__t." + id
			}
			cols[field] = s
			return s
		}
	}
	t.Text = projected("__sigma_text", "CAST(%s AS VARCHAR)")
	t.Lower = projected("__sigma_lower", "lower(CAST(%s AS VARCHAR))")
	t.Plain = true
	ints := map[string]bool{}
	for _, c := range f.cols {
		switch c.typ {
		case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
			ints["__t."+quoteIdent(c.ident)] = true
		}
	}
	t.Number = func(field string) string {
		if c := t.Column(field); ints[c] {
			return c
		}
		return ""
	}
	uses := 0
	kwIdent := [2]string{quoteIdent(alloc.ident("__sigma_keywords")), quoteIdent(alloc.ident("__sigma_keywords_lower"))}
	kwUsed := [2]bool{}
	var searches [2][]string
	t.KeywordText = func(lower bool, search string) string {
		uses++
		i := 0
		if lower {
			i = 1
		}
		kwUsed[i] = true
		searches[i] = append(searches[i], search)
		return "__t." + kwIdent[i]
	}
	rawIdent := [2]string{quoteIdent(alloc.ident("__sigma_keywords_raw")), quoteIdent(alloc.ident("__sigma_keywords_n"))}
	projection = func(keywordWhere []sigma.Node) (inner, outer string) {
		out := proj
		var where []string
		for _, n := range keywordWhere {
			where = append(where, "COALESCE("+sigma.SQL(n, src)+", FALSE)")
		}
		if !kwUsed[0] && !kwUsed[1] || len(src.Keywords) == 0 || len(where) == 0 {
			for i, used := range kwUsed {
				if used {
					out = append(out, "CAST(NULL AS VARCHAR) AS "+kwIdent[i])
				}
			}
			return strings.Join(out, ", "), ""
		}
		// The keyword text: the event's text values joined by KeywordSep, each value with any
		// KeywordSep of its own replaced, so that a match never spans two values. Most events
		// hold none of the searched texts: regular expressions of the searches (keywordGate)
		// over the values joined as they are find the events that may, and the others get
		// NULL, which no search matches. A whole-value search is looked for only among the
		// values short enough to equal it. When no such gate can be built, every event's
		// text is computed: replacing in every value would be most of its cost, and a value
		// holding KeywordSep is rare, so the values are joined once unchanged (raw) with the
		// count of values joined (n); when raw holds exactly n-1 separators no value held one
		// and raw is the text, otherwise the text is joined again, value by value replaced.
		sep := quoteString(sigma.KeywordSep)
		cond := strings.Join(where, " OR ")
		var gates [2]*sigmaGate
		needRaw, needN, shortLen := false, false, 0
		for i, used := range kwUsed {
			if !used {
				continue
			}
			var g *sigmaGate
			if sigmaKeywordGates {
				g = keywordGate(searches[i], i == 1)
			}
			gates[i] = g
			switch {
			case g == nil:
				needRaw, needN = true, true
			default:
				needRaw = needRaw || len(g.other) > 0
				shortLen = max(shortLen, g.wholeLen)
			}
		}
		shortIdent := quoteIdent(alloc.ident("__sigma_keywords_short"))
		if needRaw {
			out = append(out, "CASE WHEN "+cond+" THEN concat_ws("+sep+", "+strings.Join(src.Keywords, ", ")+") END AS "+rawIdent[0])
		}
		if needN {
			var nn []string
			for _, k := range src.Keywords {
				nn = append(nn, "CAST("+k+" IS NOT NULL AS INTEGER)")
			}
			out = append(out, "CASE WHEN "+cond+" THEN "+strings.Join(nn, " + ")+" END AS "+rawIdent[1])
		}
		if shortLen > 0 {
			var short []string
			for _, k := range src.Keywords {
				short = append(short, "CASE WHEN strlen("+k+") <= "+strconv.Itoa(shortLen)+" THEN "+k+" END")
			}
			out = append(out, "CASE WHEN "+cond+" THEN concat_ws("+sep+", "+strings.Join(short, ", ")+") END AS "+shortIdent)
		}
		raw, n, short := "__r."+rawIdent[0], "__r."+rawIdent[1], "__r."+shortIdent
		var fin []string
		for i, used := range kwUsed {
			if !used {
				continue
			}
			var vals []string
			for _, c := range f.cols {
				if c.typ != "VARCHAR" {
					continue
				}
				v := "__r." + quoteIdent(c.ident)
				if i == 1 {
					v = "lower(" + v + ")"
				}
				vals = append(vals, "replace("+v+", "+sep+", chr(30))")
			}
			text := sep + " || concat_ws(" + sep + ", " + strings.Join(vals, ", ") + ") || " + sep
			if g := gates[i]; g != nil {
				var m []string
				for _, p := range g.whole {
					m = append(m, "regexp_matches("+short+", "+quoteString(p)+")")
				}
				for _, p := range g.other {
					m = append(m, "regexp_matches("+raw+", "+quoteString(p)+")")
				}
				fin = append(fin, "CASE WHEN "+strings.Join(m, " OR ")+" THEN "+text+" END AS "+kwIdent[i])
				continue
			}
			fast := raw
			if i == 1 {
				fast = "lower(" + raw + ")"
			}
			fin = append(fin, "CASE WHEN "+raw+" IS NULL THEN NULL "+
				"WHEN strlen("+raw+") - strlen(replace("+raw+", "+sep+", '')) + 1 = "+n+" THEN "+sep+" || "+fast+" || "+sep+" "+
				"ELSE "+text+" END AS "+kwIdent[i])
		}
		return strings.Join(out, ", "), strings.Join(fin, ", ")
	}
	return t, projection, func() int { return uses }
}

// sigmaKeywordGates turns the keyword gates on (a variable for tests, which compare the hits
// with and without them).
var sigmaKeywordGates = true

// sigmaGate holds the regular expressions keywordGate builds for a set of keyword searches:
// whole for the searches of a whole value, to run over the event's values of at most wholeLen
// bytes joined by KeywordSep (as they are); other for the rest, to run over all its values
// joined by KeywordSep.
type sigmaGate struct {
	whole, other []string
	wholeLen     int
}

// keywordGate returns regular expressions (alternations of at most 256 texts each) such that
// whenever an event's keyword text (sigmaConstTarget) holds one of searches, one of them
// matches (see sigmaGate): a search anchored by KeywordSep to a value's start or end matches
// after KeywordSep or at the joined text's start, before KeywordSep or at its end. A value
// holding KeywordSep itself may make an expression match where the keyword text holds no
// search, never the reverse. With fold (searches lower-cased, the keyword text built from
// lower-cased values) the expressions ignore case, and a value's character that lower() maps
// to an ASCII letter of the search also matches: İ (U+0130) for i, the Kelvin sign (U+212A)
// for k, which take two and three bytes (so a whole value of a search of n bytes holds at
// most 3n). It returns nil when searches hold non-ASCII characters under fold, a KeywordSep
// inside, chr(30) (which stands for a value's own KeywordSep in the keyword text) or nothing
// between their anchors: no gate is then possible.
func keywordGate(searches []string, fold bool) *sigmaGate {
	g := &sigmaGate{}
	seen := map[string]bool{}
	var whole, other []string
	for _, s := range searches {
		body := s
		lead := strings.HasPrefix(body, sigma.KeywordSep)
		if lead {
			body = body[len(sigma.KeywordSep):]
		}
		trail := strings.HasSuffix(body, sigma.KeywordSep)
		if trail {
			body = body[:len(body)-len(sigma.KeywordSep)]
		}
		if body == "" || strings.Contains(body, sigma.KeywordSep) || strings.Contains(body, "\x1e") {
			return nil
		}
		var b strings.Builder
		for _, r := range body {
			switch {
			case fold && r >= utf8.RuneSelf:
				return nil
			case fold && r == 'i':
				b.WriteString(`[i\x{130}]`)
			case fold && r == 'k':
				b.WriteString(`[k\x{212A}]`)
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		key := fmt.Sprint(lead, trail, b.String())
		if seen[key] {
			continue
		}
		seen[key] = true
		if lead && trail {
			whole = append(whole, b.String())
			n := len(body)
			if fold {
				n *= 3
			}
			g.wholeLen = max(g.wholeLen, n)
			continue
		}
		a := b.String()
		if lead {
			a = `(?:\A|\x1f)` + a
		}
		if trail {
			a += `(?:\x1f|\z)`
		}
		other = append(other, a)
	}
	flags := ""
	if fold {
		flags = "(?i)"
	}
	for len(whole) > 0 { // RE2 bounds a program's memory: at most 256 alternatives an expression
		n := min(len(whole), 256)
		g.whole = append(g.whole, flags+`(?:\A|\x1f)(?:`+strings.Join(whole[:n], "|")+`)(?:\x1f|\z)`)
		whole = whole[n:]
	}
	for len(other) > 0 {
		n := min(len(other), 256)
		g.other = append(g.other, flags+"(?:"+strings.Join(other[:n], "|")+")")
		other = other[n:]
	}
	if g.whole == nil && g.other == nil {
		return nil
	}
	return g
}

// sigmaTarget resolves Sigma field names to f's columns through the mapping: each candidate
// column name the mapping gives, matched exactly, then regardless of case; several matching
// columns are read in that order (COALESCE).
func (f *Frame) sigmaTarget(m *sigma.Mapping, bind func(string) string) *sigma.SQLTarget {
	return f.sigmaTargetAs(m, bind, "__t")
}

// sigmaTargetAs is sigmaTarget with the events' columns read as alias.column.
func (f *Frame) sigmaTargetAs(m *sigma.Mapping, bind func(string) string, alias string) *sigma.SQLTarget {
	exact := map[string][]column{}
	folded := map[string][]column{}
	for _, c := range f.cols {
		exact[c.name] = append(exact[c.name], c)
		folded[strings.ToLower(c.name)] = append(folded[strings.ToLower(c.name)], c)
	}
	cache := map[string]string{}
	column := func(field string) string {
		if s, ok := cache[field]; ok {
			return s
		}
		var cols []column
		seen := map[string]bool{}
		for _, name := range m.Columns(field) {
			for _, c := range append(append([]column(nil), exact[name]...), folded[strings.ToLower(name)]...) {
				if !seen[c.ident] {
					seen[c.ident] = true
					cols = append(cols, c)
				}
			}
		}
		s := ""
		switch len(cols) {
		case 0:
		case 1:
			s = alias + "." + quoteIdent(cols[0].ident)
		default:
			parts := make([]string, len(cols))
			for i, c := range cols {
				parts[i] = "CAST(" + alias + "." + quoteIdent(c.ident) + " AS VARCHAR)"
			}
			s = "COALESCE(" + strings.Join(parts, ", ") + ")"
		}
		cache[field] = s
		return s
	}
	var kw []string
	for _, c := range f.cols {
		if c.typ == "VARCHAR" {
			kw = append(kw, alias+"."+quoteIdent(c.ident))
		}
	}
	return &sigma.SQLTarget{Column: column, Keywords: kw, Bind: bind}
}

// readSmallFile reads a mapping file of at most 4 MiB.
func readSmallFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > 4<<20 {
		return nil, fmt.Errorf("file larger than 4 MiB")
	}
	return os.ReadFile(path)
}

// DetectSummary turns a frame of Detect hits into one row per rule: rule_id, rule_title,
// level, author, hits, hosts (distinct hosts among the hits) and the first and last event time,
// most hits first. Hosts come from Hostname, computer_name or host_name and times from
// @timestamp, whichever the events have.
func (f *Frame) DetectSummary() *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		return f.afterRead("DetectSummary", (*Frame).DetectSummary)
	}
	for _, need := range []string{"rule_id", "rule_title", "level", "author"} {
		if _, err := f.resolve(need); err != nil {
			return errFrame(f.eng, errorf("hunt: DetectSummary: not a frame of Detect hits (no %s column)", need))
		}
	}
	pick := func(names ...string) string {
		var parts []string
		for _, n := range names {
			for _, c := range f.cols {
				if c.name == n {
					parts = append(parts, "CAST(__t."+quoteIdent(c.ident)+" AS VARCHAR)")
				}
			}
		}
		switch len(parts) {
		case 0:
			return "NULL"
		case 1:
			return parts[0]
		}
		return "COALESCE(" + strings.Join(parts, ", ") + ")"
	}
	host := pick("Hostname", "computer_name", "host_name")
	ts := pick("@timestamp")
	q := "SELECT __t.rule_id, __t.rule_title, __t.level, __t.author, count(*) AS hits, count(DISTINCT lower(" + host + ")) AS hosts, " +
		"min(" + ts + ") AS first_time, max(" + ts + ") AS last_time FROM " + f.from() +
		" GROUP BY ALL ORDER BY hits DESC, __t.rule_title"
	return f.derive(q).context("DetectSummary")
}
