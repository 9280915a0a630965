package hunt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gohunt/gohunt/hunt/sigma"
)

// DetectCorrelations evaluates the correlation rules of the set (event_count, value_count,
// temporal, temporal_ordered) over the frame's events and returns a lazy frame with one row per
// rule and group that met the rule's condition within its timespan: rule_id, rule_title, level,
// status, author, tags, the group-by fields (named as the rule names them), first_time and
// last_time (the span of the first window that met it), windows (how many windows, each starting
// at a matching event, met it) and count (events, distinct values or rules in that window).
// Event time is @timestamp. Windows start at each matching event and reach timespan after it:
// event_count counts the events of the correlated rules in it, value_count the distinct values
// of the condition's field, temporal needs every correlated rule in it, temporal_ordered needs
// them in the listed order (each at or after the previous one).
func (f *Frame) DetectCorrelations(rules *SigmaRuleSet) *Frame {
	build := func(r *SigmaRuleSet) (string, []column, error) {
		q, err := f.correlationSQL(r)
		return q, nil, err
	}
	return f.runRules("DetectCorrelations", rules, build, func(l *Frame) *Frame { return l.DetectCorrelations(rules) })
}

func (f *Frame) correlationSQL(rules *SigmaRuleSet) (string, error) {
	ctx := cellCtx()
	var params []string
	paramTable := f.eng.tableName("sigma_params")
	bind := func(v string) string {
		params = append(params, v)
		return "__p.v[" + strconv.Itoa(len(params)) + "]"
	}
	target := f.sigmaTarget(rules.mapping, bind)
	ts := target.Column("@timestamp")
	var parts []string
	var metaIdx []int32
	var ids, titles, levels, statuses, authors, tags []string
	maxGroup := 0
	for i, r := range rules.set.Rules {
		c := r.Correlation
		if c == nil {
			continue
		}
		if ts == "" {
			return "", errorf("hunt: DetectCorrelations: rule %q: the events have no @timestamp column", r.Title)
		}
		if len(c.GroupBy) > maxGroup {
			maxGroup = len(c.GroupBy)
		}
		var steps []string
		for j, b := range c.Rules {
			sel := []string{strconv.Itoa(j) + " AS __step", "TRY_CAST(" + ts + " AS TIMESTAMP) AS __ts"}
			for k, g := range c.GroupBy {
				col := target.Column(c.FieldFor(g, b))
				if col == "" {
					col = "NULL"
				}
				sel = append(sel, "CAST("+col+" AS VARCHAR) AS __g"+strconv.Itoa(k))
			}
			val := "NULL"
			if c.Type == "value_count" {
				if col := target.Column(c.FieldFor(c.Field, b)); col != "" {
					val = "CAST(" + col + " AS VARCHAR)"
				}
			}
			sel = append(sel, val+" AS __val")
			steps = append(steps, "SELECT "+strings.Join(sel, ", ")+" FROM __sigma_ev AS __t, "+quoteIdent(paramTable)+" AS __p WHERE COALESCE("+
				sigma.SQL(rules.mapping.Condition(b), target)+", FALSE)")
		}
		var gcols []string
		for k := range c.GroupBy {
			gcols = append(gcols, "__g"+strconv.Itoa(k))
		}
		part, err := correlationWindows(c, strings.Join(steps, " UNION ALL "), gcols)
		if err != nil {
			return "", fmt.Errorf("hunt: DetectCorrelations: rule %q: %w", r.Title, err)
		}
		// Rules with fewer group-by fields leave the others NULL (UNION ALL BY NAME below).
		parts = append(parts, "SELECT "+strconv.Itoa(i)+" AS __rule, * FROM ("+part+")")
		metaIdx = append(metaIdx, int32(i))
		ids, titles, levels, statuses, authors = append(ids, r.ID), append(titles, r.Title), append(levels, r.Level), append(statuses, r.Status), append(authors, r.Author)
		tags = append(tags, strings.Join(r.Tags, "\x1f"))
	}
	if err := f.eng.exec(ctx, "CREATE TABLE "+quoteIdent(paramTable)+" AS SELECT CAST(? AS VARCHAR[]) AS v", params); err != nil {
		return "", fmt.Errorf("hunt: DetectCorrelations: storing rule values: %w", err)
	}
	metaTable := f.eng.tableName("sigma_rules")
	if err := f.eng.exec(ctx, "CREATE TABLE "+quoteIdent(metaTable)+" AS SELECT unnest(CAST(? AS INTEGER[])) AS idx, unnest(CAST(? AS VARCHAR[])) AS rule_id, "+
		"unnest(CAST(? AS VARCHAR[])) AS rule_title, unnest(CAST(? AS VARCHAR[])) AS level, unnest(CAST(? AS VARCHAR[])) AS status, "+
		"unnest(CAST(? AS VARCHAR[])) AS author, unnest(CAST(? AS VARCHAR[])) AS tags_joined", metaIdx, ids, titles, levels, statuses, authors, tags); err != nil {
		return "", fmt.Errorf("hunt: DetectCorrelations: storing rule metadata: %w", err)
	}
	// Group-by names: the rules' own, when every correlation rule names them alike; otherwise
	// group1, group2, ...
	names := make([]string, maxGroup)
	for k := range names {
		names[k] = "group" + strconv.Itoa(k+1)
	}
	first := true
	same := true
	for _, r := range rules.set.Rules {
		if r.Correlation == nil {
			continue
		}
		for k, g := range r.Correlation.GroupBy {
			if first {
				names[k] = g
			} else if names[k] != g {
				same = false
			}
		}
		first = false
	}
	if !same {
		for k := range names {
			names[k] = "group" + strconv.Itoa(k+1)
		}
	}
	alloc := newIdentAllocator()
	sel := []string{}
	for _, m := range []string{"rule_id", "rule_title", "level", "status", "author"} {
		alloc.reserve(m)
		sel = append(sel, "__m."+m)
	}
	alloc.reserve("tags")
	sel = append(sel, "CASE WHEN __m.tags_joined = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(__m.tags_joined, chr(31)) END AS tags")
	for k, n := range names {
		sel = append(sel, "__h.__g"+strconv.Itoa(k)+" AS "+quoteIdent(alloc.ident(n)))
	}
	for _, n := range []string{"first_time", "last_time", "windows", "count"} {
		sel = append(sel, "__h.__"+n+" AS "+quoteIdent(alloc.ident(n)))
	}
	hits := "SELECT NULL::INTEGER AS __rule, NULL::TIMESTAMP AS __first_time, NULL::TIMESTAMP AS __last_time, NULL::BIGINT AS __windows, NULL::BIGINT AS __count WHERE FALSE"
	if len(parts) > 0 {
		for i, p := range parts {
			parts[i] = "SELECT * FROM (" + p + ")"
		}
		hits = strings.Join(parts, " UNION ALL BY NAME ")
	}
	return "WITH __sigma_ev AS (" + f.sql + ")\nSELECT " + strings.Join(sel, ", ") + "\nFROM (" + hits + ") AS __h JOIN " +
		quoteIdent(metaTable) + " AS __m ON __m.idx = __h.__rule\nORDER BY __h.__rule, __h.__first_time", nil
}

// correlationWindows returns, for one correlation rule, the SQL of its satisfied groups over
// the steps (rows: __step, __ts, __g0.., __val): columns __g0.., __first_time, __last_time,
// __windows, __count.
func correlationWindows(c *sigma.Correlation, steps string, gcols []string) (string, error) {
	span := strconv.FormatInt(c.Timespan.Microseconds(), 10)
	part := ""
	if len(gcols) > 0 {
		part = "PARTITION BY " + strings.Join(gcols, ", ") + " "
	}
	frame := "OVER (" + part + "ORDER BY __ts RANGE BETWEEN CURRENT ROW AND INTERVAL (" + span + ") MICROSECONDS FOLLOWING)"
	gsel := ""
	if len(gcols) > 0 {
		gsel = strings.Join(gcols, ", ") + ", "
	}
	var win, cond string
	switch c.Type {
	case "event_count":
		win = "count(*) " + frame
		cond = "__n " + c.Op + " " + strconv.FormatInt(c.N, 10)
	case "value_count":
		win = "count(DISTINCT __val) " + frame
		cond = "__n " + c.Op + " " + strconv.FormatInt(c.N, 10)
	case "temporal":
		win = "count(DISTINCT __step) " + frame
		cond = "__n = " + strconv.Itoa(len(c.Rules))
	case "temporal_ordered":
		return orderedWindows(c, steps, gcols, span), nil
	default:
		return "", fmt.Errorf("correlation type %q", c.Type)
	}
	w := "SELECT " + gsel + "__ts AS __start, " + win + " AS __n, max(__ts) " + frame + " AS __end FROM (" + steps + ") WHERE __ts IS NOT NULL"
	return "SELECT " + gsel + "min(__start) AS __first_time, arg_min(__end, __start) AS __last_time, count(*) AS __windows, arg_min(__n, __start) AS __count FROM (" +
		w + ") WHERE " + cond + " GROUP BY ALL HAVING count(*) > 0", nil
}

// orderedWindows joins the steps in order: step k at or after step k-1, all within the span
// of step 0.
func orderedWindows(c *sigma.Correlation, steps string, gcols []string, span string) string {
	n := len(c.Rules)
	from := "(SELECT * FROM __s WHERE __step = 0 AND __ts IS NOT NULL) AS s0"
	for k := 1; k < n; k++ {
		on := []string{"s" + strconv.Itoa(k) + ".__step = " + strconv.Itoa(k),
			"s" + strconv.Itoa(k) + ".__ts >= s" + strconv.Itoa(k-1) + ".__ts",
			"s" + strconv.Itoa(k) + ".__ts <= s0.__ts + INTERVAL (" + span + ") MICROSECONDS"}
		for _, g := range gcols {
			on = append(on, "s"+strconv.Itoa(k)+"."+g+" IS NOT DISTINCT FROM s0."+g)
		}
		from += " JOIN __s AS s" + strconv.Itoa(k) + " ON " + strings.Join(on, " AND ")
	}
	gsel := ""
	for _, g := range gcols {
		gsel += "s0." + g + " AS " + g + ", "
	}
	last := "s" + strconv.Itoa(n-1)
	// One row per start event: the earliest completion.
	w := "SELECT " + gsel + "s0.__ts AS __start, min(" + last + ".__ts) AS __end FROM " + from + " GROUP BY ALL"
	gsel2 := ""
	if len(gcols) > 0 {
		gsel2 = strings.Join(gcols, ", ") + ", "
	}
	return "WITH __s AS (" + steps + ") SELECT " + gsel2 + "min(__start) AS __first_time, arg_min(__end, __start) AS __last_time, count(*) AS __windows, " +
		strconv.Itoa(n) + "::BIGINT AS __count FROM (" + w + ") GROUP BY ALL HAVING count(*) > 0"
}
