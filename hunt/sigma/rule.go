package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Rule is one Sigma rule: its metadata, its log source and its detection compiled to a
// condition tree, or a correlation over other rules.
type Rule struct {
	ID          string
	Name        string // the rule's name, by which correlation rules may refer to it
	Title       string
	Status      string
	Level       string
	Description string
	// Author is the rule's author field, as written. The Detection Rule License (DRL 1.1) that
	// SigmaHQ's rules are published under asks every message based on a match to carry it.
	Author     string
	Tags       []string
	References []string
	Logsource  Logsource
	// Detection is the rule's condition over the event, without the log source conditions
	// (Condition adds those). Nil for a correlation rule.
	Detection Node
	// Correlation is set for a correlation rule.
	Correlation *Correlation
	File        string // the file the rule came from
	Line        int    // the line its document starts on
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Product, Category, Service string
}

// Error is a rule that could not be loaded: the file, the line (0 when the error is about the
// whole file) and the reason.
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// Set is what loading rule files gives: the rules that loaded and an error for each rule that
// did not (none is dropped silently).
type Set struct {
	Rules  []*Rule
	Errors []*Error
}

// maxRuleFile bounds the size of one rule file.
const maxRuleFile = 4 << 20

// Load reads rule files, folders (every .yml and .yaml file below them, in name order) and
// glob patterns. Unreadable paths and rules that do not parse or use unsupported features are
// listed in the Set's Errors with file, line and reason; the other rules load.
func Load(paths ...string) *Set {
	s := &Set{}
	var files []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil {
				s.Errors = append(s.Errors, &Error{File: p, Reason: fmt.Sprintf("bad pattern: %v", err)})
				continue
			}
			if len(m) == 0 {
				s.Errors = append(s.Errors, &Error{File: p, Reason: "no file matches this pattern"})
				continue
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				s.Errors = append(s.Errors, &Error{File: m, Reason: err.Error()})
				continue
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			var found []string
			err = filepath.WalkDir(m, func(q string, d os.DirEntry, err error) error {
				if err != nil {
					s.Errors = append(s.Errors, &Error{File: q, Reason: err.Error()})
					return nil
				}
				ext := strings.ToLower(filepath.Ext(q))
				if !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
					found = append(found, q)
				}
				return nil
			})
			if err != nil {
				s.Errors = append(s.Errors, &Error{File: m, Reason: err.Error()})
			}
			sort.Strings(found)
			if len(found) == 0 {
				s.Errors = append(s.Errors, &Error{File: m, Reason: "no .yml or .yaml rule file in this folder"})
			}
			for _, f := range found {
				add(f)
			}
		}
	}
	// Files are read and parsed on every core, and their rules and errors kept in file order.
	type parsed struct {
		rules []*Rule
		errs  []*Error
	}
	out := make([]parsed, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := readLimited(files[i])
				if err != nil {
					out[i].errs = []*Error{{File: files[i], Reason: err.Error()}}
					continue
				}
				out[i].rules, out[i].errs = Parse(data, files[i])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, p := range out {
		s.Rules = append(s.Rules, p.rules...)
		s.Errors = append(s.Errors, p.errs...)
	}
	s.resolveCorrelations()
	return s
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRuleFile {
		return nil, fmt.Errorf("rule file larger than %d bytes", maxRuleFile)
	}
	return data, nil
}

// Parse reads the rules of one YAML text (one rule per document). file names the source in
// errors. It never panics: a document that does not parse or compile gives an Error.
func Parse(data []byte, file string) (rules []*Rule, errs []*Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &Error{File: file, Line: yamlErrLine(err), Reason: "YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseRule(doc.Content[0], file)
		if err != nil {
			line := doc.Content[0].Line
			var pe *posError
			if errors.As(err, &pe) {
				line = pe.line
			}
			errs = append(errs, &Error{File: file, Line: line, Reason: ruleLabel(doc.Content[0]) + err.Error()})
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

func ruleLabel(n *yaml.Node) string {
	if t := mapGet(n, "title"); t != nil && t.Kind == yaml.ScalarNode && t.Value != "" {
		return fmt.Sprintf("rule %q: ", t.Value)
	}
	return ""
}

func yamlErrLine(err error) int {
	var n int
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &n); e == nil {
		return n
	}
	return 0
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

func scalarField(n *yaml.Node, key string) (string, error) {
	v := mapGet(n, key)
	if v == nil || v.Tag == "!!null" {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", errAt(v, "%s: expected a value, found a %s", key, kindName(v))
	}
	return v.Value, nil
}

func listField(n *yaml.Node, key string) ([]string, error) {
	v := mapGet(n, key)
	if v == nil || v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind == yaml.ScalarNode {
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(v, "%s: expected a list, found a %s", key, kindName(v))
	}
	var out []string
	for _, it := range v.Content {
		it = resolveAlias(it)
		if it.Kind != yaml.ScalarNode {
			return nil, errAt(it, "%s: expected values, found a %s", key, kindName(it))
		}
		out = append(out, it.Value)
	}
	return out, nil
}

func parseRule(n *yaml.Node, file string) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "a rule is a map, not a %s", kindName(n))
	}
	r := &Rule{File: file, Line: n.Line}
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"id", &r.ID}, {"name", &r.Name}, {"title", &r.Title}, {"status", &r.Status}, {"level", &r.Level},
		{"description", &r.Description}, {"author", &r.Author}} {
		if *f.dst, err = scalarField(n, f.key); err != nil {
			return nil, err
		}
	}
	if r.Tags, err = listField(n, "tags"); err != nil {
		return nil, err
	}
	if r.References, err = listField(n, "references"); err != nil {
		return nil, err
	}
	if r.Title == "" {
		return nil, errAt(n, "the rule has no title")
	}
	if c := mapGet(n, "correlation"); c != nil {
		r.Correlation, err = parseCorrelation(c)
		return r, err
	}
	if ls := mapGet(n, "logsource"); ls != nil {
		for _, f := range []struct {
			key string
			dst *string
		}{{"product", &r.Logsource.Product}, {"category", &r.Logsource.Category}, {"service", &r.Logsource.Service}} {
			if *f.dst, err = scalarField(ls, f.key); err != nil {
				return nil, err
			}
		}
	} else {
		return nil, errAt(n, "the rule has no logsource")
	}
	det := mapGet(n, "detection")
	if det == nil || det.Kind != yaml.MappingNode {
		return nil, errAt(n, "the rule has no detection map")
	}
	ids := map[string]Node{}
	var condNode *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			condNode = resolveAlias(v)
			continue
		case "timeframe":
			return nil, errAt(k, "timeframe is Sigma v1 aggregation syntax and not supported; use a correlation rule")
		}
		d, err := detectionNode(v)
		if err != nil {
			return nil, err
		}
		ids[k.Value] = d
	}
	if condNode == nil {
		return nil, errAt(det, "the detection has no condition")
	}
	var conds []*yaml.Node
	switch condNode.Kind {
	case yaml.ScalarNode:
		conds = []*yaml.Node{condNode}
	case yaml.SequenceNode:
		conds = condNode.Content
	default:
		return nil, errAt(condNode, "condition: expected a string or a list of strings")
	}
	var alts []Node
	for _, c := range conds {
		c = resolveAlias(c)
		if c.Kind != yaml.ScalarNode {
			return nil, errAt(c, "condition: expected a string")
		}
		node, err := parseCondition(c.Value, ids)
		if err != nil {
			return nil, errAt(c, "condition %q: %v", c.Value, err)
		}
		alts = append(alts, node)
	}
	r.Detection = or(alts...)
	return r, nil
}
