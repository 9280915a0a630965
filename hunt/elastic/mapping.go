package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Field is one leaf field of a merged mapping.
type Field struct {
	Name string // dotted path, e.g. "event_data.Image"
	Type string // Elasticsearch type: keyword, text, long, date, boolean, ...
	// Keyword is the field to use for exact matches, sorts and aggregations: Name itself for
	// keyword, numeric, date, boolean and ip fields; the keyword multi-field (usually
	// Name+".keyword") for text; "" when there is none.
	Keyword string
	// IgnoreAbove is the keyword field's ignore_above (0 = none): longer values are not in its
	// index, so exact operations on it are only complete when no value is that long.
	IgnoreAbove int
	Nested      bool     // inside a nested-type object
	NestedRoot  string   // the outermost nested object's path, when Nested (its column holds a list)
	Indices     []string // indices whose mapping has the field
}

// Conflict is a field mapped with different types in different indices.
type Conflict struct {
	Field string
	Types map[string][]string // type -> indices
}

// String names the field and each type with the indices that map it so.
func (c Conflict) String() string {
	keys := make([]string, 0, len(c.Types))
	for t := range c.Types {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, t := range keys {
		parts[i] = fmt.Sprintf("%s in %s", t, strings.Join(c.Types[t], ", "))
	}
	return fmt.Sprintf("field %q is mapped as %s", c.Field, strings.Join(parts, "; "))
}

// Schema is the mapping of every index matching a pattern, merged.
type Schema struct {
	Indices   []string
	Fields    []Field // sorted by name
	Conflicts []Conflict
	byName    map[string]int
}

// Field returns the merged field named name.
func (s *Schema) Field(name string) (Field, bool) {
	i, ok := s.byName[name]
	if !ok {
		return Field{}, false
	}
	return s.Fields[i], true
}

// Conflicted reports whether name is mapped with different types.
func (s *Schema) Conflicted(name string) bool {
	for _, c := range s.Conflicts {
		if c.Field == name {
			return true
		}
	}
	return false
}

// Mapping reads the mappings of the indices matching pattern and merges them. A field with
// different types in different indices is kept once, with the first type in index-name order,
// and reported in Conflicts. A pattern that matches no index is an error.
func (c *Client) Mapping(ctx context.Context, pattern string) (*Schema, error) {
	var raw map[string]struct {
		Mappings struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"mappings"`
	}
	if err := c.do(ctx, "mapping of "+pattern, "GET", "/"+url.PathEscape(pattern)+"/_mapping", nil, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("no index matches %q", pattern)
	}
	s := &Schema{byName: map[string]int{}}
	for idx := range raw {
		s.Indices = append(s.Indices, idx)
	}
	sort.Strings(s.Indices)
	types := map[string]map[string][]string{}
	for _, idx := range s.Indices {
		var fields []Field
		if err := walkProps(raw[idx].Mappings.Properties, "", "", &fields); err != nil {
			return nil, fmt.Errorf("mapping of %s: %w", idx, err)
		}
		for _, f := range fields {
			if types[f.Name] == nil {
				types[f.Name] = map[string][]string{}
			}
			types[f.Name][f.Type] = append(types[f.Name][f.Type], idx)
			if i, ok := s.byName[f.Name]; ok {
				s.Fields[i].Indices = append(s.Fields[i].Indices, idx)
				if s.Fields[i].Type == f.Type && s.Fields[i].Keyword != f.Keyword {
					s.Fields[i].Keyword = "" // no common exact field
				}
				if f.IgnoreAbove > 0 && (s.Fields[i].IgnoreAbove == 0 || f.IgnoreAbove < s.Fields[i].IgnoreAbove) {
					s.Fields[i].IgnoreAbove = f.IgnoreAbove
				}
				continue
			}
			f.Indices = []string{idx}
			s.byName[f.Name] = len(s.Fields)
			s.Fields = append(s.Fields, f)
		}
	}
	for name, ts := range types {
		if len(ts) > 1 {
			s.Conflicts = append(s.Conflicts, Conflict{Field: name, Types: ts})
		}
	}
	sort.Slice(s.Conflicts, func(i, j int) bool { return s.Conflicts[i].Field < s.Conflicts[j].Field })
	sort.SliceStable(s.Fields, func(i, j int) bool { return s.Fields[i].Name < s.Fields[j].Name })
	for i, f := range s.Fields {
		s.byName[f.Name] = i
	}
	return s, nil
}

type prop struct {
	Type        string                     `json:"type"`
	Properties  map[string]json.RawMessage `json:"properties"`
	Fields      map[string]json.RawMessage `json:"fields"`
	IgnoreAbove int                        `json:"ignore_above"`
	Enabled     *bool                      `json:"enabled"`
}

func walkProps(props map[string]json.RawMessage, prefix, nestedRoot string, out *[]Field) error {
	nested := nestedRoot != ""
	for name, raw := range props {
		var p prop
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("field %s%s: %w", prefix, name, err)
		}
		full := prefix + name
		if p.Properties != nil || p.Type == "object" || p.Type == "nested" {
			if len(p.Properties) == 0 {
				// An object with no mapped fields (enabled: false): its JSON as one column.
				*out = append(*out, Field{Name: full, Type: "object", Nested: nested, NestedRoot: nestedRoot})
				continue
			}
			root := nestedRoot
			if root == "" && p.Type == "nested" {
				root = full
			}
			if err := walkProps(p.Properties, full+".", root, out); err != nil {
				return err
			}
			continue
		}
		f := Field{Name: full, Type: p.Type, Nested: nested, NestedRoot: nestedRoot}
		switch p.Type {
		case "keyword", "constant_keyword", "long", "integer", "short", "byte", "double", "float",
			"half_float", "scaled_float", "unsigned_long", "date", "date_nanos", "boolean", "ip", "version":
			f.Keyword = full
			f.IgnoreAbove = p.IgnoreAbove
		case "text", "match_only_text":
			for sub, sraw := range p.Fields {
				var sp prop
				if json.Unmarshal(sraw, &sp) == nil && sp.Type == "keyword" {
					if f.Keyword == "" || sub == "keyword" {
						f.Keyword = full + "." + sub
						f.IgnoreAbove = sp.IgnoreAbove
					}
				}
			}
		}
		*out = append(*out, f)
	}
	return nil
}
