package eql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A sequence compiles to window functions, with no per-event loop. Each step is a window over
// the events of that step and the sequences that reached the step before it, partitioned by the
// join key and ordered by (time, input order): a step's event takes the latest arrival at the
// previous step when no event of the step came between them (one max() OVER per kind of row),
// and an until event of the key in between drops it. The windows carry only what the matching
// needs (input number, time, join keys); the matched events' columns are fetched at the end.

// sequence compiles c.q.Sequence over source.
func (c *compiler) sequence(source string) (string, error) {
	s := c.q.Sequence
	ts, err := c.timestamp()
	if err != nil {
		return "", err
	}
	steps := append([]Step(nil), s.Steps...)
	if s.Until != nil {
		steps = append(steps, *s.Until)
	}
	if c.spark() {
		return c.sequenceSpark(source, ts, steps)
	}
	return c.sequenceDuck(source, ts, steps)
}

// stepTag names step i (0-based) of n in CTE and column names: 1, 2, ... and u for until.
func stepTag(i, n int) string {
	if i == n {
		return "u"
	}
	return strconv.Itoa(i + 1)
}

// maxSpan is the condition that the current event c.t is within maxspan of the sequence's first
// event s.t1 ("" without maxspan).
func (c *compiler) maxSpan() string {
	s := c.q.Sequence
	if s.MaxSpan <= 0 {
		return ""
	}
	us := strconv.FormatInt(int64(s.MaxSpan/time.Microsecond), 10)
	if c.spark() {
		return " AND unix_micros(c.t) - unix_micros(s.t1) <= " + us
	}
	return " AND c.t - s.t1 <= INTERVAL " + us + " MICROSECONDS"
}

// keyParts returns the join-key fields of a step (the sequence's by fields, then the step's),
// each as text, and the condition that the non-optional ones are not null.
func (c *compiler) keyParts(st *Step) ([]string, string, error) {
	fields := append(append([]*Field(nil), c.q.Sequence.By...), st.By...)
	var ks []string
	nn := []string{"TRUE"}
	for _, f := range fields {
		v, err := c.field(f)
		if err != nil {
			return nil, "", err
		}
		ks = append(ks, c.castStr(v.sql))
		if !f.Optional {
			nn = append(nn, v.sql+" IS NOT NULL")
		}
	}
	return ks, strings.Join(nn, " AND "), nil
}

// sequenceDuck is the DuckDB plan. Each step's events are read from the input by the step's
// filter alone, as (join key fields, time, input number, pos): pos orders events by time then
// input order in one HUGEINT (microseconds since the epoch in the high 64 bits, the input number
// in the low ones), so no window sorts all the events. The state of step j (__eql_sj) holds, per
// sequence that reached it, its key, the pos, time and input number of each step's event, and
// endp, the pos of its last event. At the end the matched events are fetched by input number
// (one read of the input, kept small by the semi-join) and joined to the sequences. Without
// Options.InputOrder the input held for all that is only the events some step (or until) takes.
func (c *compiler) sequenceDuck(source, ts string, steps []Step) (string, error) {
	s := c.q.Sequence
	n := len(s.Steps)
	var nk int
	var ctes, anyStep []string
	for i := range steps {
		f, err := c.filter(&steps[i].Query)
		if err != nil {
			return "", err
		}
		ks, nn, err := c.keyParts(&steps[i])
		if err != nil {
			return "", err
		}
		nk = len(ks)
		anyStep = append(anyStep, "("+f+" AND "+nn+")")
		sel := ""
		for j, k := range ks {
			sel += k + " AS k" + strconv.Itoa(j+1) + ", "
		}
		ctes = append(ctes, "__eql_e"+stepTag(i, n)+" AS (SELECT *, CAST(epoch_us(t) AS HUGEINT) * CAST('18446744073709551616' AS HUGEINT) + seq AS pos"+
			" FROM (SELECT "+sel+ts+" AS t, "+seqCol+" AS seq FROM __eql_in WHERE "+f+" AND "+nn+") WHERE t IS NOT NULL)")
	}
	// keys lists the key columns with a prefix; eqKeys joins two relations on them (null joins null).
	keys := func(prefix string) string {
		var out []string
		for j := 1; j <= nk; j++ {
			out = append(out, prefix+"k"+strconv.Itoa(j))
		}
		return strings.Join(out, ", ")
	}
	kc := ""
	if nk > 0 {
		kc = keys("") + ", "
	}
	var eq []string
	for j := 1; j <= nk; j++ {
		J := strconv.Itoa(j)
		eq = append(eq, "s.k"+J+" IS NOT DISTINCT FROM c.k"+J)
	}
	partition := ""
	if nk > 0 {
		partition = "PARTITION BY " + keys("") + " "
	}
	ctes = append(ctes, "__eql_s1 AS (SELECT "+kc+"pos AS p1, t AS t1, seq AS o1, pos AS endp FROM __eql_e1)")
	span := c.maxSpan()
	for j := 2; j <= n; j++ {
		J, P := strconv.Itoa(j), strconv.Itoa(j-1)
		until := ""
		if s.Until != nil {
			until = " UNION ALL SELECT " + kc + "pos, NULL, NULL, 2 FROM __eql_eu"
		}
		win := func(typ int, frame string) string {
			return "max(CASE WHEN typ = " + strconv.Itoa(typ) + " THEN pos END) OVER (" + partition + "ORDER BY pos, typ ROWS BETWEEN UNBOUNDED PRECEDING AND " + frame + ")"
		}
		ctes = append(ctes, "__eql_c"+J+" AS (SELECT * FROM (SELECT "+kc+"pos, t, seq, typ, "+
			win(1, "CURRENT ROW")+" AS last_p, "+win(0, "1 PRECEDING")+" AS last_e, "+win(2, "CURRENT ROW")+" AS last_u"+
			" FROM (SELECT "+kc+"pos, t, seq, 0 AS typ FROM __eql_e"+J+
			" UNION ALL SELECT "+kc+"endp, NULL, NULL, 1 FROM __eql_s"+P+until+"))"+
			" WHERE typ = 0 AND last_p IS NOT NULL AND (last_e IS NULL OR last_e <= last_p))")
		prev := ""
		for i := 2; i < j; i++ {
			I := strconv.Itoa(i)
			prev += ", s.p" + I + ", s.o" + I
		}
		on := strings.Join(append(eq, "s.endp = c.last_p"), " AND ")
		ctes = append(ctes, "__eql_s"+J+" AS (SELECT "+keys("c.")+sep(nk)+"s.p1, s.t1, s.o1"+prev+", c.pos AS p"+J+", c.seq AS o"+J+", c.pos AS endp"+
			" FROM __eql_c"+J+" c JOIN __eql_s"+P+" s ON "+on+" WHERE (c.last_u IS NULL OR c.last_u <= s.p1)"+span+")")
	}
	N := strconv.Itoa(n)
	var hits []string
	for i := 1; i <= n; i++ {
		hits = append(hits, "SELECT o"+strconv.Itoa(i)+" FROM __eql_s"+N)
	}
	ctes = append(ctes, "__eql_hit AS MATERIALIZED (SELECT * FROM __eql_in WHERE "+seqCol+" IN ("+strings.Join(hits, " UNION ALL ")+"))")
	var joinKey string
	switch nk {
	case 0:
		joinKey = "CAST(NULL AS VARCHAR)"
	case 1:
		joinKey = "m.k1"
	default:
		joinKey = "list_value(" + keys("m.") + ")"
	}
	cols := []string{joinKey + " AS join_key"}
	var joins []string
	for i := 1; i <= n; i++ {
		I := strconv.Itoa(i)
		cols = append(cols, c.outCols("s"+I+"_", "e"+I+"."))
		joins = append(joins, "JOIN __eql_hit e"+I+" ON e"+I+"."+seqCol+" = m.o"+I)
	}
	base := "SELECT m.p1 AS __eql_o1, m.p" + N + " AS __eql_o2, " + strings.Join(cols, ", ") + " FROM __eql_s" + N + " m " + strings.Join(joins, " ")
	return "WITH " + c.inputCTE(source, 2, strings.Join(anyStep, " OR ")) + ", " + strings.Join(ctes, ", ") + " " + c.pipes(base, []string{"__eql_o1", "__eql_o2"}, c.seqOutNames()), nil
}

// sep is ", " after a non-empty key list.
func sep(nk int) string {
	if nk > 0 {
		return ", "
	}
	return ""
}

// seqOutNames lists a sequence's result columns: join_key, then each step's columns prefixed.
func (c *compiler) seqOutNames() string {
	out := []string{"join_key"}
	for i := 1; i <= len(c.q.Sequence.Steps); i++ {
		for _, col := range c.opt.Columns {
			out = append(out, c.qi("s"+strconv.Itoa(i)+"_"+col.Ident))
		}
	}
	return strings.Join(out, ", ")
}

// sparkKey is a step's join key as one Spark value (null without by fields, an array when
// there are several) and the condition that its non-optional fields are not null.
func (c *compiler) sparkKey(st *Step) (string, string, error) {
	ks, nn, err := c.keyParts(st)
	if err != nil {
		return "", "", err
	}
	switch len(ks) {
	case 0:
		return "CAST(NULL AS " + c.str() + ")", nn, nil
	case 1:
		return ks[0], nn, nil
	}
	return "array(" + strings.Join(ks, ", ") + ")", nn, nil
}

// sequenceSpark is the Spark plan: the same windows over one narrow relation of all the events
// (input number, time, step flags and keys), whose pos is a row_number over (time, input order),
// with the matched events' columns joined back from the input at the end.
func (c *compiler) sequenceSpark(source, ts string, steps []Step) (string, error) {
	s := c.q.Sequence
	n := len(s.Steps)
	var sel []string
	for i := range steps {
		f, err := c.filter(&steps[i].Query)
		if err != nil {
			return "", err
		}
		k, nn, err := c.sparkKey(&steps[i])
		if err != nil {
			return "", err
		}
		tag := stepTag(i, n)
		sel = append(sel, "("+f+" AND "+nn+") AS __eql_m"+tag, k+" AS __eql_k"+tag)
	}
	var b strings.Builder
	b.WriteString("WITH " + c.inputCTE(source, 0, "") + ", ")
	b.WriteString("__eql_ev AS (SELECT *, row_number() OVER (ORDER BY " + tsCol + ", " + seqCol + ") AS " + posCol +
		" FROM (SELECT " + seqCol + ", " + ts + " AS " + tsCol + ", " + strings.Join(sel, ", ") + " FROM __eql_in) WHERE " + tsCol + " IS NOT NULL), ")
	b.WriteString("__eql_s1 AS (SELECT __eql_k1 AS k, " + posCol + " AS p1, " + tsCol + " AS t1, " + posCol + " AS endp FROM __eql_ev WHERE __eql_m1)")
	span := c.maxSpan()
	for j := 2; j <= n; j++ {
		J, P := strconv.Itoa(j), strconv.Itoa(j-1)
		until := ""
		if s.Until != nil {
			until = " UNION ALL SELECT __eql_ku, " + posCol + ", NULL, 2 FROM __eql_ev WHERE __eql_mu"
		}
		fmt.Fprintf(&b, ", __eql_c%s AS (SELECT * FROM (SELECT k, pos, t, typ,"+
			" max(CASE WHEN typ = 1 THEN pos END) OVER (PARTITION BY k ORDER BY pos, typ ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_p,"+
			" max(CASE WHEN typ = 0 THEN pos END) OVER (PARTITION BY k ORDER BY pos, typ ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_e,"+
			" max(CASE WHEN typ = 2 THEN pos END) OVER (PARTITION BY k ORDER BY pos, typ ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_u"+
			" FROM (SELECT __eql_k%s AS k, %s AS pos, %s AS t, 0 AS typ FROM __eql_ev WHERE __eql_m%s"+
			" UNION ALL SELECT k, endp, NULL, 1 FROM __eql_s%s%s))"+
			" WHERE typ = 0 AND last_p IS NOT NULL AND (last_e IS NULL OR last_e <= last_p))",
			J, J, posCol, tsCol, J, P, until)
		prev := ""
		for i := 2; i < j; i++ {
			prev += ", s.p" + strconv.Itoa(i)
		}
		fmt.Fprintf(&b, ", __eql_s%s AS (SELECT c.k, s.p1, s.t1%s, c.pos AS p%s, c.pos AS endp FROM __eql_c%s c JOIN __eql_s%s s"+
			" ON s.k IS NOT DISTINCT FROM c.k AND s.endp = c.last_p WHERE (c.last_u IS NULL OR c.last_u <= s.p1)%s)",
			J, prev, J, J, P, span)
	}
	cols := []string{"m.k AS join_key"}
	var joins []string
	for i := 1; i <= n; i++ {
		I := strconv.Itoa(i)
		cols = append(cols, c.outCols("s"+I+"_", "e"+I+"."))
		joins = append(joins, "JOIN __eql_ev v"+I+" ON v"+I+"."+posCol+" = m.p"+I+" JOIN __eql_in e"+I+" ON e"+I+"."+seqCol+" = v"+I+"."+seqCol)
	}
	N := strconv.Itoa(n)
	base := "SELECT m.p1 AS __eql_o1, m.p" + N + " AS __eql_o2, " + strings.Join(cols, ", ") + " FROM __eql_s" + N + " m " + strings.Join(joins, " ")
	b.WriteString(" " + c.pipes(base, []string{"__eql_o1", "__eql_o2"}, c.seqOutNames()))
	return b.String(), nil
}
