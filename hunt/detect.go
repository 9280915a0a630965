package hunt

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

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
// are bound as parameters (a table the engine owns), never pasted into SQL text. Rows come
// rule by rule in the set's order.
func (f *Frame) Detect(rules *SigmaRuleSet) *Frame {
	return f.runRules("Detect", rules, f.detectSQL, func(l *Frame) *Frame { return l.Detect(rules) })
}

// runRules is the body Detect and DetectCorrelations share: it checks the frame and the rules,
// keeps a frame on another engine lazy (again runs over the rows read, on DuckDB), and otherwise
// derives the frame of build's query.
func (f *Frame) runRules(op string, rules *SigmaRuleSet, build func(*SigmaRuleSet) (string, error), again func(*Frame) *Frame) *Frame {
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
		return f.afterRead(op, again)
	}
	q, err := build(rules)
	if err != nil {
		return errFrame(f.eng, err)
	}
	return f.derive(q).context(op)
}

// detectChunk bounds the rules evaluated by one scan branch: DuckDB's planning time grows
// faster than linearly with the size of one expression list.
var detectChunk = 64

// detectSQL writes the rules' parameters and metadata into tables of the engine (bound
// values) and returns the SQL of the hits. Rules are grouped by their log source condition:
// one scan branch per group filters the events by it once, then lists the rules of the group
// whose detection matches (a rule that matches gives its index, others NULL, unnested).
func (f *Frame) detectSQL(rules *SigmaRuleSet) (string, error) {
	ctx := cellCtx()
	var params []string
	paramTable := f.eng.tableName("sigma_params")
	bind := func(v string) string {
		params = append(params, v)
		return "__p.v[" + strconv.Itoa(len(params)) + "]"
	}
	target := f.sigmaTarget(rules.mapping, bind)
	type group struct {
		where string
		cases []string
	}
	groups := map[string]*group{}
	var order []string
	var ids, titles, levels, statuses, authors, tags []string
	var idx []int32
	for i, r := range rules.set.Rules {
		if r.Correlation != nil {
			continue // correlation rules: DetectCorrelations
		}
		ls := rules.mapping.LogsourceCondition(r.Logsource)
		key := fmt.Sprintf("%#v", ls)
		g := groups[key]
		if g == nil {
			g = &group{where: sigma.SQL(ls, target)}
			groups[key] = g
			order = append(order, key)
		}
		g.cases = append(g.cases, "CASE WHEN COALESCE("+sigma.SQL(r.Detection, target)+", FALSE) THEN "+strconv.Itoa(i)+" END")
		idx = append(idx, int32(i))
		ids, titles, levels, statuses, authors = append(ids, r.ID), append(titles, r.Title), append(levels, r.Level), append(statuses, r.Status), append(authors, r.Author)
		tags = append(tags, strings.Join(r.Tags, "\x1f"))
	}
	var branches []string
	for _, k := range order {
		g := groups[k]
		for len(g.cases) > 0 {
			n := min(len(g.cases), detectChunk)
			branches = append(branches, "SELECT __t.*, unnest(list_filter(["+strings.Join(g.cases[:n], ", ")+"], __x -> __x IS NOT NULL)) AS __sigma_rule FROM __sigma_ev AS __t, "+
				quoteIdent(paramTable)+" AS __p WHERE COALESCE("+g.where+", FALSE)")
			g.cases = g.cases[n:]
		}
	}
	if err := f.eng.exec(ctx, "CREATE TABLE "+quoteIdent(paramTable)+" AS SELECT CAST(? AS VARCHAR[]) AS v", params); err != nil {
		return "", fmt.Errorf("hunt: Detect: storing rule values: %w", err)
	}
	metaTable := f.eng.tableName("sigma_rules")
	if err := f.eng.exec(ctx, "CREATE TABLE "+quoteIdent(metaTable)+" AS SELECT unnest(CAST(? AS INTEGER[])) AS idx, unnest(CAST(? AS VARCHAR[])) AS rule_id, "+
		"unnest(CAST(? AS VARCHAR[])) AS rule_title, unnest(CAST(? AS VARCHAR[])) AS level, unnest(CAST(? AS VARCHAR[])) AS status, "+
		"unnest(CAST(? AS VARCHAR[])) AS author, unnest(CAST(? AS VARCHAR[])) AS tags_joined", idx, ids, titles, levels, statuses, authors, tags); err != nil {
		return "", fmt.Errorf("hunt: Detect: storing rule metadata: %w", err)
	}
	alloc := newIdentAllocator()
	meta := []string{"rule_id", "rule_title", "level", "status", "author"}
	var sel []string
	for _, m := range meta {
		alloc.reserve(m)
		sel = append(sel, "__m."+m)
	}
	alloc.reserve("tags")
	sel = append(sel, "CASE WHEN __m.tags_joined = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(__m.tags_joined, chr(31)) END AS tags")
	for _, c := range f.cols {
		sel = append(sel, "__h."+quoteIdent(c.ident)+" AS "+quoteIdent(alloc.ident(c.name)))
	}
	hits := "SELECT __t.*, NULL::INTEGER AS __sigma_rule FROM __sigma_ev AS __t WHERE FALSE"
	if len(branches) > 0 {
		hits = strings.Join(branches, "\nUNION ALL\n")
	}
	return "WITH __sigma_ev AS (" + f.sql + ")\nSELECT " + strings.Join(sel, ", ") +
		"\nFROM (" + hits + ") AS __h JOIN " + quoteIdent(metaTable) + " AS __m ON __m.idx = __h.__sigma_rule\nORDER BY __h.__sigma_rule", nil
}

// sigmaTarget resolves Sigma field names to f's columns through the mapping: each candidate
// column name the mapping gives, matched exactly, then regardless of case; several matching
// columns are read in that order (COALESCE).
func (f *Frame) sigmaTarget(m *sigma.Mapping, bind func(string) string) *sigma.SQLTarget {
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
			s = "__t." + quoteIdent(cols[0].ident)
		default:
			parts := make([]string, len(cols))
			for i, c := range cols {
				parts[i] = "CAST(__t." + quoteIdent(c.ident) + " AS VARCHAR)"
			}
			s = "COALESCE(" + strings.Join(parts, ", ") + ")"
		}
		cache[field] = s
		return s
	}
	var kw []string
	for _, c := range f.cols {
		if c.typ == "VARCHAR" {
			kw = append(kw, "__t."+quoteIdent(c.ident))
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
