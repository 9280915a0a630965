// Package playbook runs Jupyter notebooks headless through a kernel, as papermill and nbclient
// do, without Python: it reads and writes nbformat 4 notebooks, injects parameters after the cell
// tagged "parameters", executes every code cell over the Jupyter protocol, records the outputs
// as Jupyter frontends store them, and renders a static HTML report.
package playbook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Notebook is an nbformat 4 notebook. Fields this package does not know are kept as they were
// read and written back unchanged.
type Notebook struct {
	Metadata      map[string]any
	NBFormat      int
	NBFormatMinor int
	Cells         []*Cell
	extra         map[string]json.RawMessage
}

// Cell is one notebook cell. Source is the joined text (nbformat stores it as a string or a list
// of lines). Outputs and ExecutionCount are meaningful for code cells only.
type Cell struct {
	ID             string
	Type           string // "code", "markdown" or "raw"
	Metadata       map[string]any
	Source         string
	Outputs        []Output
	ExecutionCount *int
	extra          map[string]json.RawMessage
}

// Output is one code-cell output as nbformat stores it: "output_type" plus that type's fields
// (stream: name, text; display_data: data, metadata; execute_result: data, metadata,
// execution_count; error: ename, evalue, traceback).
type Output map[string]any

// Type returns the output_type.
func (o Output) Type() string { s, _ := o["output_type"].(string); return s }

// Tags returns the cell's metadata.tags.
func (c *Cell) Tags() []string {
	raw, _ := c.Metadata["tags"].([]any)
	tags := make([]string, 0, len(raw))
	for _, t := range raw {
		if s, ok := t.(string); ok {
			tags = append(tags, s)
		}
	}
	return tags
}

// HasTag reports whether the cell's metadata.tags holds tag.
func (c *Cell) HasTag(tag string) bool {
	for _, t := range c.Tags() {
		if t == tag {
			return true
		}
	}
	return false
}

// ReadFile reads and parses the notebook at path.
func ReadFile(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

// Parse parses an nbformat 4 notebook. Older formats are refused with an error saying so.
func Parse(b []byte) (*Notebook, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a notebook (invalid JSON): %w", err)
	}
	nb := &Notebook{extra: map[string]json.RawMessage{}}
	for k, v := range raw {
		var err error
		switch k {
		case "metadata":
			err = json.Unmarshal(v, &nb.Metadata)
		case "nbformat":
			err = json.Unmarshal(v, &nb.NBFormat)
		case "nbformat_minor":
			err = json.Unmarshal(v, &nb.NBFormatMinor)
		case "cells":
			var cells []json.RawMessage
			if err = json.Unmarshal(v, &cells); err == nil {
				for i, c := range cells {
					cell, cerr := parseCell(c)
					if cerr != nil {
						return nil, fmt.Errorf("cell %d: %w", i+1, cerr)
					}
					nb.Cells = append(nb.Cells, cell)
				}
			}
		default:
			nb.extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("nbformat %d is not supported (only 4; convert with jupyter nbconvert --to notebook)", nb.NBFormat)
	}
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	return nb, nil
}

func parseCell(b []byte) (*Cell, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	c := &Cell{extra: map[string]json.RawMessage{}}
	for k, v := range raw {
		var err error
		switch k {
		case "id":
			err = json.Unmarshal(v, &c.ID)
		case "cell_type":
			err = json.Unmarshal(v, &c.Type)
		case "metadata":
			err = json.Unmarshal(v, &c.Metadata)
		case "source":
			c.Source, err = multiline(v)
		case "outputs":
			var outs []map[string]any
			if err = json.Unmarshal(v, &outs); err == nil {
				for _, o := range outs {
					c.Outputs = append(c.Outputs, joinOutput(o))
				}
			}
		case "execution_count":
			err = json.Unmarshal(v, &c.ExecutionCount)
		default:
			c.extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	switch c.Type {
	case "code", "markdown", "raw":
	default:
		return nil, fmt.Errorf("unknown cell_type %q", c.Type)
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	return c, nil
}

// multiline decodes an nbformat multiline string: a string or a list of strings.
func multiline(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var lines []string
	if err := json.Unmarshal(v, &lines); err != nil {
		return "", fmt.Errorf("want a string or a list of strings: %w", err)
	}
	return strings.Join(lines, ""), nil
}

// joinOutput turns the list-of-lines forms of an output into plain strings.
func joinOutput(o map[string]any) Output {
	if t, ok := o["text"].([]any); ok {
		o["text"] = joinAny(t)
	}
	if data, ok := o["data"].(map[string]any); ok {
		for k, v := range data {
			if l, ok := v.([]any); ok && !isJSONMime(k) {
				data[k] = joinAny(l)
			}
		}
	}
	return Output(o)
}

func joinAny(l []any) string {
	var sb strings.Builder
	for _, x := range l {
		s, _ := x.(string)
		sb.WriteString(s)
	}
	return sb.String()
}

func isJSONMime(m string) bool {
	return m == "application/json" || (strings.HasPrefix(m, "application/") && strings.HasSuffix(m, "+json"))
}

// NewCellID returns a fresh cell id as nbformat makes them (8 hex digits).
func NewCellID() string { return strings.ReplaceAll(uuid.NewString(), "-", "")[:8] }

// Marshal encodes the notebook as nbformat writes it: nbformat 4.5 (cell ids), keys sorted,
// one-space indent, multi-line strings split into lists of lines, no HTML escaping of <, >, &,
// and a final newline.
func (nb *Notebook) Marshal() ([]byte, error) {
	top := map[string]any{}
	for k, v := range nb.extra {
		top[k] = v
	}
	top["metadata"] = nb.Metadata
	top["nbformat"] = 4
	minor := nb.NBFormatMinor
	if minor < 5 {
		minor = 5 // cells carry ids from 4.5 on; every cell gets one below
	}
	top["nbformat_minor"] = minor
	cells := make([]any, 0, len(nb.Cells))
	seen := map[string]bool{}
	for _, c := range nb.Cells {
		if c.ID == "" || seen[c.ID] {
			c.ID = NewCellID()
		}
		seen[c.ID] = true
		cells = append(cells, c.jsonValue())
	}
	top["cells"] = cells
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes the notebook to path (see Marshal).
func (nb *Notebook) WriteFile(path string) error {
	b, err := nb.Marshal()
	if err != nil {
		return fmt.Errorf("encoding notebook: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

func (c *Cell) jsonValue() map[string]any {
	m := map[string]any{}
	for k, v := range c.extra {
		m[k] = v
	}
	m["id"] = c.ID
	m["cell_type"] = c.Type
	m["metadata"] = c.Metadata
	m["source"] = splitLines(c.Source)
	if c.Type == "code" {
		outs := make([]any, 0, len(c.Outputs))
		for _, o := range c.Outputs {
			outs = append(outs, splitOutput(o))
		}
		m["outputs"] = outs
		if c.ExecutionCount != nil {
			m["execution_count"] = *c.ExecutionCount
		} else {
			m["execution_count"] = nil
		}
	}
	return m
}

// splitLines splits s after each "\n", as nbformat stores multi-line strings.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	if lines == nil {
		lines = []string{}
	}
	return lines
}

// splitOutput returns a copy of o with text fields split into lines, as nbformat writes them:
// stream text, and data entries that are text/* or SVG or JavaScript.
func splitOutput(o Output) map[string]any {
	m := make(map[string]any, len(o))
	for k, v := range o {
		m[k] = v
	}
	if s, ok := m["text"].(string); ok {
		m["text"] = splitLines(s)
	}
	if data, ok := m["data"].(map[string]any); ok {
		d := make(map[string]any, len(data))
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := data[k]
			if s, ok := v.(string); ok && (strings.HasPrefix(k, "text/") || k == "image/svg+xml" || k == "application/javascript") {
				v = splitLines(s)
			}
			d[k] = v
		}
		m["data"] = d
	}
	return m
}
