package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Correlation is a correlation rule (Sigma specification v2): it counts or sequences the
// matches of other rules per group within a timespan.
type Correlation struct {
	// Type is event_count, value_count, temporal or temporal_ordered.
	Type string
	// RuleRefs names the correlated rules (by id or name), in the order the rule lists them.
	RuleRefs []string
	// Rules are the correlated rules, resolved from RuleRefs among the rules loaded together.
	Rules    []*Rule
	GroupBy  []string
	Timespan time.Duration
	// Field is value_count's field whose distinct values are counted.
	Field string
	// Op and N are the condition on the count (event_count, value_count): one of
	// > >= < <= = !=. Temporal rules have none: every rule must match.
	Op string
	N  int64
	// Aliases maps an alias field name to the field it stands for in each rule (by id or name).
	Aliases map[string]map[string]string
	line    int
}

var corrOps = map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "!="}

func parseCorrelation(n *yaml.Node) (*Correlation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "correlation: expected a map")
	}
	c := &Correlation{line: n.Line}
	var err error
	if c.Type, err = scalarField(n, "type"); err != nil {
		return nil, err
	}
	switch c.Type {
	case "event_count", "value_count", "temporal", "temporal_ordered":
	case "":
		return nil, errAt(n, "correlation: no type (event_count, value_count, temporal, temporal_ordered)")
	default:
		return nil, errAt(n, "correlation: unknown type %q (event_count, value_count, temporal, temporal_ordered)", c.Type)
	}
	if c.RuleRefs, err = listField(n, "rules"); err != nil {
		return nil, err
	}
	if len(c.RuleRefs) == 0 {
		return nil, errAt(n, "correlation: no rules")
	}
	if c.GroupBy, err = listField(n, "group-by"); err != nil {
		return nil, err
	}
	ts, err := scalarField(n, "timespan")
	if err != nil {
		return nil, err
	}
	if ts == "" {
		return nil, errAt(n, "correlation: no timespan")
	}
	if c.Timespan, err = parseTimespan(ts); err != nil {
		return nil, errAt(mapGet(n, "timespan"), "correlation: %v", err)
	}
	cond := mapGet(n, "condition")
	switch c.Type {
	case "event_count", "value_count":
		if cond == nil || cond.Kind != yaml.MappingNode {
			return nil, errAt(n, "correlation: %s needs a condition map (gte: N, ...)", c.Type)
		}
		for i := 0; i+1 < len(cond.Content); i += 2 {
			k, v := cond.Content[i].Value, resolveAlias(cond.Content[i+1])
			if k == "field" {
				c.Field = v.Value
				continue
			}
			op, ok := corrOps[k]
			if !ok {
				return nil, errAt(cond.Content[i], "correlation: unknown condition %q (gt gte lt lte eq neq field)", k)
			}
			if c.Op != "" {
				return nil, errAt(cond.Content[i], "correlation: more than one comparison in the condition")
			}
			if c.N, err = strconv.ParseInt(v.Value, 10, 64); err != nil {
				return nil, errAt(v, "correlation: %s needs a whole number, not %q", k, v.Value)
			}
			c.Op = op
		}
		if c.Op == "" {
			return nil, errAt(cond, "correlation: the condition has no comparison")
		}
		if c.Type == "value_count" && c.Field == "" {
			return nil, errAt(cond, "correlation: value_count needs condition.field")
		}
	default:
		if cond != nil {
			return nil, errAt(cond, "correlation: %s takes no condition", c.Type)
		}
	}
	if al := mapGet(n, "aliases"); al != nil {
		if al.Kind != yaml.MappingNode {
			return nil, errAt(al, "correlation: aliases must be a map")
		}
		c.Aliases = map[string]map[string]string{}
		for i := 0; i+1 < len(al.Content); i += 2 {
			name, m := al.Content[i].Value, resolveAlias(al.Content[i+1])
			if m.Kind != yaml.MappingNode {
				return nil, errAt(m, "correlation: alias %q must map rule names to fields", name)
			}
			c.Aliases[name] = map[string]string{}
			for j := 0; j+1 < len(m.Content); j += 2 {
				c.Aliases[name][m.Content[j].Value] = m.Content[j+1].Value
			}
		}
	}
	return c, nil
}

// parseTimespan reads a Sigma timespan: a number and a unit s, m, h, d, w, M (30 days) or y
// (365 days).
func parseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("bad timespan %q (a number and s, m, h, d, w, M or y)", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad timespan %q (a positive number and s, m, h, d, w, M or y)", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour,
		'w': 7 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("bad timespan unit in %q (s, m, h, d, w, M or y)", s)
	}
	return time.Duration(n) * unit, nil
}

// FieldFor returns the field name to read for a correlation field (a group-by field or an
// alias) in the events of rule r.
func (c *Correlation) FieldFor(field string, r *Rule) string {
	if m, ok := c.Aliases[field]; ok {
		if f, ok := m[r.Name]; ok && r.Name != "" {
			return f
		}
		if f, ok := m[r.ID]; ok && r.ID != "" {
			return f
		}
	}
	return field
}

// resolveCorrelations links each correlation rule to the rules it names; a name that matches
// no loaded rule turns the correlation into an Error.
func (s *Set) resolveCorrelations() {
	byRef := map[string]*Rule{}
	for _, r := range s.Rules {
		if r.ID != "" {
			byRef[r.ID] = r
		}
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	kept := s.Rules[:0]
	for _, r := range s.Rules {
		c := r.Correlation
		if c == nil {
			kept = append(kept, r)
			continue
		}
		ok := true
		c.Rules = nil
		for _, ref := range c.RuleRefs {
			base, found := byRef[ref]
			switch {
			case !found:
				s.Errors = append(s.Errors, &Error{File: r.File, Line: c.line, Reason: fmt.Sprintf("rule %q: correlation: rule %q is not among the loaded rules", r.Title, ref)})
				ok = false
			case base.Correlation != nil:
				s.Errors = append(s.Errors, &Error{File: r.File, Line: c.line, Reason: fmt.Sprintf("rule %q: correlation: rule %q is itself a correlation (chained correlations are not supported)", r.Title, ref)})
				ok = false
			default:
				c.Rules = append(c.Rules, base)
			}
			if !ok {
				break
			}
		}
		if ok && (c.Type == "temporal" || c.Type == "temporal_ordered") && len(c.Rules) < 2 {
			s.Errors = append(s.Errors, &Error{File: r.File, Line: c.line, Reason: fmt.Sprintf("rule %q: correlation: %s needs at least two rules", r.Title, c.Type)})
			ok = false
		}
		if ok {
			kept = append(kept, r)
		}
	}
	s.Rules = kept
}
