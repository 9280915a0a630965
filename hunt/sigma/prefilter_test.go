package sigma

import (
	"reflect"
	"testing"
)

// TestNecessary checks the necessary conditions the prefilter tests, on rules as Parse reads
// them: the atom of each match shape, ANDs taking their most selective argument, ORs the union,
// and what has no known necessary condition (negation, keywords, regular expressions, non-ASCII
// |cased text, patterns without text) or never matches.
func TestNecessary(t *testing.T) {
	for _, c := range []struct {
		name, det string
		want      []Atom
		ok        bool
	}{
		{"equality", "sel:\n    Image: 'C:\\Tools\\X.exe'\n  condition: sel", []Atom{{"Image", AtomEqual, `c:\tools\x.exe`}}, true},
		{"endswith list", "sel:\n    Image|endswith: ['\\A.exe', '\\B.EXE']\n  condition: sel", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}}, true},
		{"startswith", "sel:\n    CommandLine|startswith: 'Cmd /c'\n  condition: sel", []Atom{{"CommandLine", AtomPrefix, "cmd /c"}}, true},
		{"inner wildcard: longest run", "sel:\n    CommandLine: 'ab*LONGER*c?d'\n  condition: sel", []Atom{{"CommandLine", AtomContains, "longer"}}, true},
		{"and takes the fewest atoms", "a:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n  b:\n    CommandLine|contains: 'x'\n  condition: a and b", []Atom{{"CommandLine", AtomContains, "x"}}, true},
		{"and skips an unknown argument", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    CommandLine|re: 'x+'\n  condition: a and b", []Atom{{"Image", AtomSuffix, `\a.exe`}}, true},
		{"and with a negation", "a:\n    Image|endswith: '\\a.exe'\n  f:\n    User: 'x'\n  condition: a and not f", []Atom{{"Image", AtomSuffix, `\a.exe`}}, true},
		{"or of known arguments", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    OriginalFileName: 'A.EXE'\n  condition: a or b", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"OriginalFileName", AtomEqual, "a.exe"}}, true},
		{"cased ASCII", "sel:\n    CommandLine|cased|contains: 'AbC'\n  condition: sel", []Atom{{"CommandLine", AtomContains, "abc"}}, true},
		{"or with an unknown argument", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    CommandLine|re: 'x+'\n  condition: a or b", nil, false},
		{"negation", "f:\n    User: 'x'\n  condition: not f", nil, false},
		{"keywords", "kw:\n    - 'Mimikatz'\n    - '*sekurlsa::*'\n  condition: kw", nil, false},
		{"cased non-ASCII", "sel:\n    CommandLine|cased|contains: 'K\u212a'\n  condition: sel", nil, false},
		{"only wildcards", "sel:\n    CommandLine: '*?*'\n  condition: sel", nil, false},
		{"exists", "sel:\n    CommandLine|exists: true\n  condition: sel", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rules, errs := Parse([]byte("title: t\nlogsource:\n  product: windows\ndetection:\n  "+c.det+"\n"), "r.yml")
			if len(errs) > 0 || len(rules) != 1 {
				t.Fatalf("parse: %v", errs)
			}
			got, ok := Necessary(rules[0].Detection, nil)
			if ok != c.ok || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Necessary = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
	t.Run("usable", func(t *testing.T) {
		rules, _ := Parse([]byte("title: t\nlogsource:\n  product: windows\ndetection:\n  a:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n  b:\n    CommandLine|contains: 'x'\n  condition: a and b\n"), "r.yml")
		got, ok := Necessary(rules[0].Detection, func(a Atom) bool { return a.Field != "CommandLine" })
		if want := []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}}; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Necessary with CommandLine unusable = %v, %v; want %v", got, ok, want)
		}
	})
}
