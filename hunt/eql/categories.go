package eql

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

//go:embed categories.txt
var defaultCategories string

// Rule says that events of Channel with one of EventIDs belong to a category.
type Rule struct {
	Channel  string
	EventIDs []int64
}

// Categories maps an EQL event category to the channel and event-id rules that define it.
type Categories map[string][]Rule

// DefaultCategories returns the built-in table (categories.txt in this package: Sysmon and
// Security event ids per category). The result is a fresh copy the caller may change.
func DefaultCategories() Categories {
	c, err := ParseCategories(defaultCategories)
	if err != nil {
		panic("eql: built-in categories.txt: " + err.Error()) // a build defect, caught by the tests
	}
	return c
}

// ParseCategories reads a category table: one rule a line, `category channel id id ...`,
// separated by spaces; # starts a comment. A channel holding spaces is not supported.
func ParseCategories(text string) (Categories, error) {
	c := Categories{}
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("eql categories line %d: want `category channel id...`, got %q", n+1, strings.TrimSpace(line))
		}
		r := Rule{Channel: f[1]}
		for _, s := range f[2:] {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("eql categories line %d: event id %q is not a number", n+1, s)
			}
			r.EventIDs = append(r.EventIDs, v)
		}
		c[f[0]] = append(c[f[0]], r)
	}
	return c, nil
}

func (c Categories) names() []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
