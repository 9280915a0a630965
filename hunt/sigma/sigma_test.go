package sigma

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	cases := []struct {
		in, like string
	}{
		{`abc`, `abc`},
		{`a*b?c`, `a%b_c`},
		{`a\*b`, `a*b`},
		{`a\?b`, `a?b`},
		{`a\\*`, `a\\%`},
		{`C:\Windows\x`, `C:\\Windows\\x`},
		{`end\`, `end\\`},
		{`100%_x`, `100\%\_x`},
	}
	for _, c := range cases {
		if got := parsePattern(c.in).Like(); got != c.like {
			t.Errorf("%q: LIKE %q, want %q", c.in, got, c.like)
		}
		if back := parsePattern(c.in).String(); parsePattern(back).Like() != c.like {
			t.Errorf("%q: String() %q does not read back the same", c.in, back)
		}
	}
}

// TestBase64Offsets compares with pySigma 1.5.1's base64offset output for the same values.
func TestBase64Offsets(t *testing.T) {
	want := map[string][]string{
		"ab":         {"YW", "Fi", "hY"},
		"abc":        {"YWJj", "FiY", "hYm"},
		"abcd":       {"YWJjZ", "FiY2", "hYmNk"},
		"New-Object": {"TmV3LU9iamVjd", "5ldy1PYmplY3", "OZXctT2JqZWN0"},
	}
	for in, w := range want {
		if got := base64Offsets([]byte(in)); !reflect.DeepEqual(got, w) {
			t.Errorf("%q: %v, want %v", in, got, w)
		}
	}
}

// TestCIDRPatterns compares with pySigma 1.5.1's SigmaCIDRExpression.expand.
func TestCIDRPatterns(t *testing.T) {
	want := map[string]string{
		"10.0.0.0/8":     "10.*",
		"192.168.0.0/21": "192.168.0.* 192.168.1.* 192.168.2.* 192.168.3.* 192.168.4.* 192.168.5.* 192.168.6.* 192.168.7.*",
		"172.16.0.0/12":  "172.16.* 172.17.* 172.18.* 172.19.* 172.20.* 172.21.* 172.22.* 172.23.* 172.24.* 172.25.* 172.26.* 172.27.* 172.28.* 172.29.* 172.30.* 172.31.*",
		"1.2.3.4/32":     "1.2.3.4",
		"fe80::/10":      "fe8* fe9* fea* feb*",
		"2001:db8::/32":  "2001:db8:*",
		"::1/128":        "::1",
		"0.0.0.0/0":      "*",
	}
	for in, w := range want {
		ps, err := cidrPatterns(in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s: %v, want %s", in, got, w)
		}
	}
	for _, bad := range []string{"10.0.0.1/8", "nonsense", "10.0.0.0/33"} {
		if _, err := cidrPatterns(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestWindash(t *testing.T) {
	got := windashVariants(parsePattern("* -a /b x-y"))
	if len(got) != 25 {
		t.Fatalf("%d variants, want 25 (two word-initial dashes, x-y left alone)", len(got))
	}
	seen := map[string]bool{}
	for _, p := range got {
		seen[p.String()] = true
	}
	for _, w := range []string{"* -a /b x-y", "* /a -b x-y", "* \u2013a \u2015b x-y"} {
		if !seen[w] {
			t.Errorf("missing variant %q", w)
		}
	}
}

func TestUTF16(t *testing.T) {
	if s, err := utf16Lit("ab", false); err != nil || s != "a\x00b\x00" {
		t.Errorf("LE %q %v", s, err)
	}
	if s, err := utf16Lit("ab", true); err != nil || s != "\x00a\x00b" {
		t.Errorf("BE %q %v", s, err)
	}
	if _, err := utf16Lit("é", false); err == nil {
		t.Error("non-ASCII: no error")
	}
}

func TestDefaultMapping(t *testing.T) {
	m := DefaultMapping()
	if len(m.Categories) != 33 || len(m.Services) != 39 {
		t.Errorf("%d categories, %d services; want 33 and 39 (pySigma sysmon 2.0.0 + windows 2.0.1)", len(m.Categories), len(m.Services))
	}
	got := m.LogsourceCondition(Logsource{Product: "windows", Category: "ps_script"})
	want := and(Str{Field: "EventID", Pat: literal("4104")},
		or(Str{Field: "Channel", Pat: literal("Microsoft-Windows-PowerShell/Operational")}, Str{Field: "Channel", Pat: literal("PowerShellCore/Operational")}))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ps_script: %#v", got)
	}
	if c := m.LogsourceCondition(Logsource{Product: "windows", Category: "file_access"}); c != Const(true) {
		t.Errorf("unmapped category: %#v, want no condition (as pySigma)", c)
	}
	o, err := ParseMapping([]byte("services:\n  security: [Security, security-local]\nfields:\n  Image: [exe]\n"))
	if err != nil {
		t.Fatal(err)
	}
	mm := m.Merge(o)
	if !reflect.DeepEqual(mm.Columns("Image"), []string{"exe"}) || len(mm.Services["security"]) != 2 || len(mm.Categories) != 33 {
		t.Errorf("merge: %v %v", mm.Columns("Image"), mm.Services["security"])
	}
	if _, err := ParseMapping([]byte("categorys: {}\n")); err == nil {
		t.Error("unknown key: no error")
	}
}

func TestConditionParse(t *testing.T) {
	ids := map[string]Node{"a": Str{Field: "x", Pat: literal("1")}, "b": Str{Field: "x", Pat: literal("2")}, "c": Str{Field: "x", Pat: literal("3")}}
	n, err := parseCondition("not a and (b or c)", ids)
	if err != nil {
		t.Fatal(err)
	}
	want := And{[]Node{Not{ids["a"]}, Or{[]Node{ids["b"], ids["c"]}}}}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("%#v", n)
	}
	for _, bad := range []string{"a and", "(a", "a b", "1 of zz*", "a | count() > 2", "a ! b", "", "2 of them"} {
		if _, err := parseCondition(bad, ids); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the rule parser: it must return rules or errors, never
// panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    CommandLine|contains|all: [a, b]\n  condition: sel\n"))
	f.Add([]byte("title: t\ncorrelation: {type: temporal, rules: [a, b], timespan: 1m, group-by: [User]}\n"))
	f.Add([]byte("title: t\nlogsource: {product: x}\ndetection:\n  k: [a, '*b']\n  s: {X|re|i: '[', Y|cidr: '1.2.3.0/24', Z|windash|base64offset|contains: -x}\n  condition: 1 of them and not (k or all of s*)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, errs := Parse(data, "fuzz.yml")
		for _, r := range rules {
			if r.Detection != nil {
				SQL(DefaultMapping().Condition(r), &SQLTarget{Column: func(string) string { return "c" }, Keywords: []string{"k"}, Bind: (&Args{}).Bind})
			}
		}
		for _, e := range errs {
			if e.Error() == "" {
				t.Fatal("empty error")
			}
		}
	})
}
