package hunt

import (
	"github.com/gohunt/gohunt/hunt/eql"
)

// lazyEQL adds an EQL query to the plan of a frame on another engine. What can narrow the events
// runs on that engine (Elasticsearch needs no EQL module for it): for every step of the query,
// the event ids of its category, its comparisons of fields with string literals (== and in,
// joined by and/or), and the presence of its join fields become one filter (the steps or-ed
// together), pushed down like any Where. The query itself, sequence matching included, then runs
// on DuckDB over the events read, so the result is the local engine's on the whole source. A step
// with nothing to push (such as `any where x : "y*"`) leaves the read unfiltered. Nothing is read
// before the result is shown, counted or collected.
//
// On a Spark frame whose plan runs wholly on Spark, the whole query compiles to Spark SQL and
// runs there instead (sparkEQL): the result is again a Spark frame.
func (f *Frame) lazyEQL(q *eql.Query, query string, cfg *eqlConfig, opts []EQLOption) *Frame {
	if r, ok := f.plan.rel.(*sparkRel); ok && f.plan.op == "source" {
		g, ok, err := r.sparkEQL(q, query, cfg)
		if err != nil {
			return errFrame(f.eng, err)
		}
		if ok {
			return &Frame{eng: f.eng, plan: &node{op: "source", rel: g}, note: f.note}
		}
	}
	cats := cfg.cats
	if cats == nil {
		cats = eql.DefaultCategories()
	}
	g := f
	if pre, ok := eqlPrefilter(q, cats); ok {
		g = f.Where(pre)
	}
	return g.afterRead("EQL", func(l *Frame) *Frame { return l.EQL(query, opts...) })
}

// eqlPrefilter returns a condition every event a step of q can use satisfies (the or of the
// steps' conditions), or false when some step cannot be narrowed.
func eqlPrefilter(q *eql.Query, cats eql.Categories) (Expr, bool) {
	type step struct {
		ev *eql.EventQuery
		by []*eql.Field
	}
	var steps []step
	if q.Event != nil {
		steps = append(steps, step{ev: q.Event})
	} else {
		s := q.Sequence
		all := append([]eql.Step(nil), s.Steps...)
		if s.Until != nil {
			all = append(all, *s.Until)
		}
		for i := range all {
			by := append(append([]*eql.Field(nil), s.By...), all[i].By...)
			steps = append(steps, step{ev: &all[i].Query, by: by})
		}
	}
	var ors []Expr
	for _, st := range steps {
		var parts []Expr
		if st.ev.Category != "any" {
			rules, ok := cats[st.ev.Category]
			if !ok {
				return Expr{}, false
			}
			var ids []any
			seen := map[int64]bool{}
			for _, r := range rules {
				for _, id := range r.EventIDs {
					if !seen[id] {
						seen[id] = true
						ids = append(ids, id)
					}
				}
			}
			parts = append(parts, Col("EventID").In(ids...))
		}
		if c, ok := eqlPushable(st.ev.Cond); ok {
			parts = append(parts, c)
		}
		for _, f := range st.by {
			if !f.Optional {
				parts = append(parts, Col(f.Name).IsNotNull())
			}
		}
		switch len(parts) {
		case 0:
			return Expr{}, false
		case 1:
			ors = append(ors, parts[0])
		default:
			ors = append(ors, And(parts...))
		}
	}
	if len(ors) == 1 {
		return ors[0], true
	}
	return Or(ors...), true
}

// eqlPushable translates the part of an EQL condition that Elasticsearch evaluates exactly as the
// local engine does: `field == "string"`, `field in ("a", "b")`, and `and`/`or` of them. Under
// `and` an untranslatable side is dropped (the result is then weaker, never stronger).
func eqlPushable(e eql.Expr) (Expr, bool) {
	switch x := e.(type) {
	case *eql.Binary:
		switch x.Op {
		case "and", "or":
			l, lok := eqlPushable(x.L)
			r, rok := eqlPushable(x.R)
			switch {
			case lok && rok && x.Op == "and":
				return And(l, r), true
			case lok && rok:
				return Or(l, r), true
			case x.Op == "and" && lok:
				return l, true
			case x.Op == "and" && rok:
				return r, true
			}
			return Expr{}, false
		case "==":
			f, s, ok := fieldString(x.L, x.R)
			if !ok {
				f, s, ok = fieldString(x.R, x.L)
			}
			if ok {
				return Col(f).Eq(s), true
			}
		}
	case *eql.Lookup:
		fld, ok := x.X.(*eql.Field)
		if x.Op != "in" || x.Insensitive || x.Negate || !ok || fld.Optional {
			return Expr{}, false
		}
		var vals []any
		for _, it := range x.List {
			l, ok := it.(*eql.Lit)
			if !ok {
				return Expr{}, false
			}
			s, ok := l.Val.(string)
			if !ok {
				return Expr{}, false
			}
			vals = append(vals, s)
		}
		return Col(fld.Name).In(vals...), true
	}
	return Expr{}, false
}

func fieldString(a, b eql.Expr) (string, string, bool) {
	f, ok := a.(*eql.Field)
	if !ok || f.Optional {
		return "", "", false
	}
	l, ok := b.(*eql.Lit)
	if !ok {
		return "", "", false
	}
	s, ok := l.Val.(string)
	return f.Name, s, ok
}
