package sigma

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestESQuery(t *testing.T) {
	rules, errs := Parse([]byte(`title: t
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\cmd.exe'
    CommandLine|contains|all: [whoami, '/all']
  filter:
    User|cased: SYSTEM
    Size|gt: 10
    Gone: null
  condition: sel and not filter
`), "t.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	target := &ESTarget{Fields: func(f string) []string {
		if f == "Image" {
			return []string{"Image", "process_path"}
		}
		return []string{f}
	}}
	q, err := ES(DefaultMapping().Condition(rules[0]), target)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(q)
	want := `{"bool":{"filter":[{"term":{"EventID":{"case_insensitive":true,"value":"1"}}},` +
		`{"term":{"Channel":{"case_insensitive":true,"value":"Microsoft-Windows-Sysmon/Operational"}}},` +
		`{"bool":{"minimum_should_match":1,"should":[{"wildcard":{"Image":{"case_insensitive":true,"value":"*\\\\cmd.exe"}}},{"wildcard":{"process_path":{"case_insensitive":true,"value":"*\\\\cmd.exe"}}}]}},` +
		`{"wildcard":{"CommandLine":{"case_insensitive":true,"value":"*whoami*"}}},` +
		`{"wildcard":{"CommandLine":{"case_insensitive":true,"value":"*/all*"}}},` +
		`{"bool":{"must_not":[{"bool":{"filter":[{"term":{"User":{"case_insensitive":false,"value":"SYSTEM"}}},` +
		`{"range":{"Size":{"gt":10}}},{"bool":{"must_not":[{"exists":{"field":"Gone"}}]}}]}}]}}]}}`
	if string(b) != want {
		t.Errorf("query\n%s\nwant\n%s", b, want)
	}
	for _, bad := range []Node{Str{Pat: literal("x")}, FieldRef{Field: "a", Other: "b"}, Regex{Field: "a", Expr: `\d+`}} {
		if _, err := ES(bad, target); err == nil {
			t.Errorf("%#v: no error", bad)
		}
	}
	re, err := luceneRegexp(`^cmd\.exe /c .*whoami`)
	if err != nil || !strings.HasPrefix(re, "(") || !strings.HasSuffix(re, ").*") {
		t.Errorf("lucene %q %v", re, err)
	}
}
