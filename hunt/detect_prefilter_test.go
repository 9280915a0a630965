package hunt

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// prefilterEvents hold values with characters that are special to regular expressions, LIKE
// and SQL, in mixed case.
var prefilterEvents = []map[string]any{
	{"n": 1, "Image": `C:\Tools\A.B(x)\Run*Me.exe`, "CommandLine": `Run|Me --path \\srv\share 'q' [x] 100%_`, "User": `CORP\Ann`},
	{"n": 2, "Image": `D:\Other.EXE`, "CommandLine": "NOTHING", "ParentImage": `C:\Parent.exe`, "Hashes": "SHA1=AB12,MD5=CD34"},
	{"n": 3, "Image": `D:\Third.exe`, "Note": strings.Repeat("long text ", 200)},
}

// prefilterRules are rules with the candidate status the prefilter must give them over
// prefilterEvents: true when some event may match (an atom of each necessary part holds),
// false when none can.
var prefilterRules = []struct {
	name, det string
	candidate bool
}{
	{"eq", "Image: 'd:\\OTHER.exe'", true},
	{"eq-shorter", "Image: 'D:\\Other.ex'", false},
	{"prefix-dot-paren", "Image|startswith: 'c:\\tools\\a.b('", true},
	{"prefix-dot-literal", "Image|startswith: 'c:\\tools\\aXb('", false},
	{"suffix-star-literal", "Image|endswith: 'Run\\*Me.exe'", true},
	{"suffix-star-literal-no", "Image|endswith: 'Run\\*Mx.exe'", false},
	{"inner-wildcard", "Image: 'c:\\tools\\a*run?me.EXE'", true},     // longest run c:\tools\a
	{"inner-wildcard-no", "Image: 'c:\\tools\\b*run?me.exe'", false}, // c:\tools\b
	{"escaped-star", "Image: 'c:\\tools\\*\\run?me.exe'", false},     // \* is a literal *: c:\tools*\run
	{"contains-bar", "CommandLine|contains: 'RUN|me'", true},
	{"contains-bar-no", "CommandLine|contains: 'run.me'", false},
	{"contains-backslashes", "CommandLine|contains: '\\\\srv\\share'", true},
	{"contains-quote-bracket", "CommandLine|contains: \"'q' [x]\"", true},
	{"contains-like-chars", "CommandLine|contains: '0%_'", true},
	{"contains-like-chars-no", "CommandLine|contains: '0%x'", false},
	{"contains-short", "CommandLine|contains: 'q'''", true},
	{"contains-short-no", "CommandLine|contains: 'zq'", false},
	{"cased-kept", "CommandLine|cased|contains: 'RUN|ME'", true}, // its lower-cased atom holds
	{"contains-hash", "Hashes|contains: 'MD5=cd34'", true},
	{"contains-hash-no", "Hashes|contains: 'MD5=cd35'", false},
	{"and-one-impossible", "sel:\n    Image|endswith: 'other.exe'\n  f:\n    CommandLine|contains: 'absent'\n  condition: sel and f", false},
	{"and-both", "sel:\n    Image|endswith: 'other.exe'\n  f:\n    ParentImage|contains: 'parent'\n  condition: sel and f", true},
	{"or-one", "sel:\n    Image|endswith: 'nope.exe'\n  f:\n    ParentImage|endswith: '\\parent.exe'\n  condition: sel or f", true},
	{"or-none", "sel:\n    Image|endswith: 'nope.exe'\n  f:\n    ParentImage|endswith: '\\nope.exe'\n  condition: sel or f", false},
	{"negation", "sel:\n    User: 'x'\n  condition: not sel", true},
	{"keyword", "kw:\n    - 'absent text'\n  condition: kw", true},
	{"regex", "CommandLine|re: 'absent.*'", true},
	{"absent-field", "Missing: 'x'", false},
	{"long-field", "Note|contains: 'absent'", false},
}

// writePrefilterRules writes prefilterRules as one rule file and returns its path.
func writePrefilterRules(t *testing.T) string {
	t.Helper()
	var docs []string
	for _, r := range prefilterRules {
		det := r.det
		if !strings.Contains(det, "condition:") {
			det = "sel:\n    " + det + "\n  condition: sel"
		}
		docs = append(docs, "title: "+r.name+"\nid: "+r.name+"\nlogsource:\n  product: test\ndetection:\n  "+det)
	}
	p := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(p, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSigmaPrefilterCandidates checks that the prefilter keeps exactly the rules that may match
// crafted events (equality, startswith, endswith, contains, inner wildcards; literal '.', '*',
// '(', '\', '|', '%', quotes; case; AND, OR, negation, keywords, regular expressions, absent
// fields), over a session table (its column statistics), a derived frame and a Parquet file
// read lazily, and that Detect's hits are the same with every field tested and with none (a zero
// budget: every atom counts as holding).
func TestSigmaPrefilterCandidates(t *testing.T) {
	rs := SigmaRules(writePrefilterRules(t))
	if errs := rs.Errors(); len(errs) > 0 || rs.Len() != len(prefilterRules) {
		t.Fatalf("rules did not load: %v", errs)
	}
	ev := FromRows(prefilterEvents)
	pq := filepath.Join(t.TempDir(), "events.parquet")
	if err := ev.WriteParquet(pq); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    *Frame
	}{{"table", ev}, {"derived frame", ev.Where(Col("n").Gt(0))}, {"parquet file", Read(pq)}} {
		t.Run(c.name, func(t *testing.T) {
			cand, err := c.f.sigmaCandidates(rs)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range prefilterRules {
				if got := cand(i); got != r.candidate {
					t.Errorf("rule %s: candidate %v, want %v", r.name, got, r.candidate)
				}
			}
		})
	}
	tested := hitNumbersByRule(t, ev, rs)
	old := sigmaPrefilterBudget
	sigmaPrefilterBudget = 0
	untested := hitNumbersByRule(t, ev, rs)
	sigmaPrefilterBudget = old
	if !reflect.DeepEqual(tested, untested) {
		t.Errorf("hits with the prefilter's fields tested %v, untested %v", tested, untested)
	}
	for _, r := range prefilterRules {
		if !r.candidate && tested[r.name] != nil {
			t.Errorf("rule %s left out by the prefilter has hits %v", r.name, tested[r.name])
		}
	}
	if want := []int64{2}; !reflect.DeepEqual(tested["eq"], want) {
		t.Errorf("rule eq hits %v, want %v", tested["eq"], want)
	}
}

// TestSigmaPrefilterBudget checks that a field whose distinct values hold more text than the
// budget is not read: its atoms count as holding, so the rule resting on it is kept.
func TestSigmaPrefilterBudget(t *testing.T) {
	rs := SigmaRules(writePrefilterRules(t))
	if errs := rs.Errors(); len(errs) > 0 || rs.Len() != len(prefilterRules) {
		t.Fatalf("rules did not load: %v", errs)
	}
	old := sigmaPrefilterBudget
	sigmaPrefilterBudget = 1000 // less than the Note field's 2,000 bytes
	defer func() { sigmaPrefilterBudget = old }()
	for _, f := range []*Frame{FromRows(prefilterEvents), FromRows(prefilterEvents).Where(Col("n").Gt(0))} {
		cand, err := f.sigmaCandidates(rs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range prefilterRules {
			want := r.candidate || r.name == "long-field"
			if got := cand(i); got != want {
				t.Errorf("rule %s: candidate %v, want %v", r.name, got, want)
			}
		}
	}
}
