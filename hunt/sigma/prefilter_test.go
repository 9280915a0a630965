package sigma

import (
	"reflect"
	"testing"
)

// TestPossible checks the atoms the prefilter reads and which detections it may leave out,
// on rules as Parse reads them: the atom of each match shape, an AND impossible when one
// argument is, an OR when all are, and what implies no atom (negation, keywords, regular
// expressions, non-ASCII |cased text, patterns without text, exists), which may always hold.
func TestPossible(t *testing.T) {
	for _, c := range []struct {
		name, det string
		atoms     []Atom // what Atoms passes
		absent    []Atom // atoms held by no event
		possible  bool
	}{
		{"equality", "sel:\n    Image: 'C:\\Tools\\X.exe'\n  condition: sel", []Atom{{"Image", AtomEqual, `c:\tools\x.exe`}}, []Atom{{"Image", AtomEqual, `c:\tools\x.exe`}}, false},
		{"equality held", "sel:\n    Image: 'C:\\Tools\\X.exe'\n  condition: sel", []Atom{{"Image", AtomEqual, `c:\tools\x.exe`}}, nil, true},
		{"endswith list: one held", "sel:\n    Image|endswith: ['\\A.exe', '\\B.EXE']\n  condition: sel", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}}, []Atom{{"Image", AtomSuffix, `\a.exe`}}, true},
		{"endswith list: none held", "sel:\n    Image|endswith: ['\\A.exe', '\\B.EXE']\n  condition: sel", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}}, []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}}, false},
		{"startswith", "sel:\n    CommandLine|startswith: 'Cmd /c'\n  condition: sel", []Atom{{"CommandLine", AtomPrefix, "cmd /c"}}, []Atom{{"CommandLine", AtomPrefix, "cmd /c"}}, false},
		{"inner wildcard: longest run", "sel:\n    CommandLine: 'ab*LONGER*c?d'\n  condition: sel", []Atom{{"CommandLine", AtomContains, "longer"}}, []Atom{{"CommandLine", AtomContains, "longer"}}, false},
		{"and: one argument impossible", "a:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n  b:\n    CommandLine|contains: 'x'\n  condition: a and b", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"Image", AtomSuffix, `\b.exe`}, {"CommandLine", AtomContains, "x"}}, []Atom{{"CommandLine", AtomContains, "x"}}, false},
		{"and: both possible", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    CommandLine|contains: 'x'\n  condition: a and b", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"CommandLine", AtomContains, "x"}}, nil, true},
		{"and with an unknown argument", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    CommandLine|re: 'x+'\n  condition: a and b", []Atom{{"Image", AtomSuffix, `\a.exe`}}, []Atom{{"Image", AtomSuffix, `\a.exe`}}, false},
		{"and with a negation", "a:\n    Image|endswith: '\\a.exe'\n  f:\n    User: 'x'\n  condition: a and not f", []Atom{{"Image", AtomSuffix, `\a.exe`}}, []Atom{{"User", AtomEqual, "x"}}, true},
		{"or: one argument possible", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    OriginalFileName: 'A.EXE'\n  condition: a or b", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"OriginalFileName", AtomEqual, "a.exe"}}, []Atom{{"Image", AtomSuffix, `\a.exe`}}, true},
		{"or: no argument possible", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    OriginalFileName: 'A.EXE'\n  condition: a or b", []Atom{{"Image", AtomSuffix, `\a.exe`}, {"OriginalFileName", AtomEqual, "a.exe"}}, []Atom{{"Image", AtomSuffix, `\a.exe`}, {"OriginalFileName", AtomEqual, "a.exe"}}, false},
		{"or with an unknown argument", "a:\n    Image|endswith: '\\a.exe'\n  b:\n    CommandLine|re: 'x+'\n  condition: a or b", []Atom{{"Image", AtomSuffix, `\a.exe`}}, []Atom{{"Image", AtomSuffix, `\a.exe`}}, true},
		{"cased ASCII", "sel:\n    CommandLine|cased|contains: 'AbC'\n  condition: sel", []Atom{{"CommandLine", AtomContains, "abc"}}, []Atom{{"CommandLine", AtomContains, "abc"}}, false},
		{"negation", "f:\n    User: 'x'\n  condition: not f", nil, []Atom{{"User", AtomEqual, "x"}}, true},
		{"keywords", "kw:\n    - 'Mimikatz'\n    - '*sekurlsa::*'\n  condition: kw", nil, nil, true},
		{"cased non-ASCII", "sel:\n    CommandLine|cased|contains: 'K\u212a'\n  condition: sel", nil, nil, true},
		{"only wildcards", "sel:\n    CommandLine: '*?*'\n  condition: sel", nil, nil, true},
		{"exists", "sel:\n    CommandLine|exists: true\n  condition: sel", nil, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rules, errs := Parse([]byte("title: t\nlogsource:\n  product: windows\ndetection:\n  "+c.det+"\n"), "r.yml")
			if len(errs) > 0 || len(rules) != 1 {
				t.Fatalf("parse: %v", errs)
			}
			var got []Atom
			Atoms(rules[0].Detection, func(a Atom) { got = append(got, a) })
			if !reflect.DeepEqual(got, c.atoms) {
				t.Errorf("Atoms = %v; want %v", got, c.atoms)
			}
			absent := map[Atom]bool{}
			for _, a := range c.absent {
				absent[a] = true
			}
			if p := Possible(rules[0].Detection, func(a Atom) bool { return !absent[a] }); p != c.possible {
				t.Errorf("Possible = %v, want %v", p, c.possible)
			}
		})
	}
}
