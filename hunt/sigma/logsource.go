package sigma

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed logsources.yaml
var defaultMappingYAML []byte

// Mapping turns a rule's logsource into event conditions and a Sigma field name into the
// columns that may hold it. DefaultMapping is pySigma's Sysmon and Windows pipelines over
// Mordor's, winlogbeat-6's and HELK's field names (logsources.yaml, embedded).
type Mapping struct {
	// Categories maps a Windows log source category to the Sysmon or Windows event ids it
	// means and the service (channel) it belongs to.
	Categories map[string]CategoryMap `yaml:"categories"`
	// Services maps a Windows log source service to its channel names.
	Services map[string][]string `yaml:"services"`
	// Fields maps a Sigma field name to the columns that may hold it, in order.
	Fields map[string][]string `yaml:"fields"`
	// Prefixes are tried before a field name not in Fields (event_data. for winlogbeat 6).
	Prefixes []string `yaml:"prefixes"`
}

// CategoryMap is one log source category's conditions.
type CategoryMap struct {
	Service string `yaml:"service"`
	EventID []int  `yaml:"EventID"`
}

// DefaultMapping returns a fresh copy of the built-in mapping (logsources.yaml).
func DefaultMapping() *Mapping {
	m, err := ParseMapping(defaultMappingYAML)
	if err != nil {
		panic("sigma: built-in logsources.yaml: " + err.Error()) // a build defect, caught by the tests
	}
	return m
}

// ParseMapping reads a mapping in the format of logsources.yaml.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("log source mapping: %w", err)
	}
	for name, c := range m.Categories {
		if len(c.EventID) == 0 {
			return nil, fmt.Errorf("log source mapping: category %s has no EventID", name)
		}
	}
	return &m, nil
}

// Merge returns m with the entries of o added, o's winning where both name the same category,
// service or field.
func (m *Mapping) Merge(o *Mapping) *Mapping {
	out := &Mapping{Categories: map[string]CategoryMap{}, Services: map[string][]string{}, Fields: map[string][]string{}}
	for _, src := range []*Mapping{m, o} {
		if src == nil {
			continue
		}
		for k, v := range src.Categories {
			out.Categories[k] = v
		}
		for k, v := range src.Services {
			out.Services[k] = v
		}
		for k, v := range src.Fields {
			out.Fields[k] = v
		}
		if src.Prefixes != nil {
			out.Prefixes = src.Prefixes
		}
	}
	return out
}

// Columns returns the candidate column names for a Sigma field, in order.
func (m *Mapping) Columns(field string) []string {
	if c, ok := m.Fields[field]; ok {
		return c
	}
	out := []string{field}
	for _, p := range m.Prefixes {
		out = append(out, p+field)
	}
	return out
}

// LogsourceCondition returns the event conditions the rule's logsource adds, following
// pySigma's sysmon pipeline and then its windows-logsources pipeline: a Windows category
// adds its EventID condition and becomes its service; a Windows service adds its Channel
// condition. Const(true) when the mapping knows neither.
func (m *Mapping) LogsourceCondition(ls Logsource) Node {
	if !strings.EqualFold(ls.Product, "windows") {
		return Const(true)
	}
	var conds []Node
	service := ls.Service
	if c, ok := m.Categories[ls.Category]; ok && ls.Category != "" {
		var ids []Node
		for _, id := range c.EventID {
			ids = append(ids, Str{Field: "EventID", Pat: literal(strconv.Itoa(id))})
		}
		conds = append(conds, or(ids...))
		service = c.Service
	}
	if ch, ok := m.Services[service]; ok && service != "" {
		var alts []Node
		for _, c := range ch {
			alts = append(alts, Str{Field: "Channel", Pat: parsePattern(c)})
		}
		conds = append(conds, or(alts...))
	}
	return and(conds...)
}

// Condition is the rule's whole event condition: the log source conditions, then the
// detection (pySigma's order). Not for correlation rules.
func (m *Mapping) Condition(r *Rule) Node {
	if r.Detection == nil {
		return Const(false)
	}
	return and(m.LogsourceCondition(r.Logsource), r.Detection)
}

// Table lists the mapping as rows (kind, name, conditions) for documentation.
func (m *Mapping) Table() [][3]string {
	var rows [][3]string
	cats := make([]string, 0, len(m.Categories))
	for k := range m.Categories {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	for _, k := range cats {
		c := m.Categories[k]
		ids := make([]string, len(c.EventID))
		for i, id := range c.EventID {
			ids[i] = strconv.Itoa(id)
		}
		rows = append(rows, [3]string{"category", k, "EventID in (" + strings.Join(ids, ", ") + "), service " + c.Service})
	}
	svcs := make([]string, 0, len(m.Services))
	for k := range m.Services {
		svcs = append(svcs, k)
	}
	sort.Strings(svcs)
	for _, k := range svcs {
		rows = append(rows, [3]string{"service", k, "Channel in (" + strings.Join(m.Services[k], ", ") + ")"})
	}
	return rows
}
