package hunt

import (
	"strings"
	"testing"
)

func TestTranslateArrayFuncs(t *testing.T) {
	tr := &translator{cols: map[string]colInfo{
		"Image":  {ident: "Image", typ: "VARCHAR"},
		"Tags":   {ident: "Tags", typ: "VARCHAR[]"},
		"Ports":  {ident: "Ports", typ: "BIGINT[]"},
		"Attrs":  {ident: "Attrs", typ: "MAP(VARCHAR, VARCHAR)"},
		"Pid":    {ident: "Pid", typ: "BIGINT"},
		"Nested": {ident: "Nested", typ: "STRUCT(a BIGINT)[]"},
	}, tables: map[string]string{}}
	cases := []struct{ in, want string }{
		{`SELECT reverse(Image), reverse(Tags), reverse(o.Tags)`, `SELECT reverse("Image"), list_reverse("Tags"), list_reverse(o."Tags")`},
		{`SELECT reverse(split(Image, "\\\\"))[0]`, `SELECT list_reverse(regexp_split_to_array("Image", '\\'))[1]`},
		{`SELECT reverse(concat(Tags, array("x")))`, `SELECT list_reverse(("Tags" || list_value('x')))`},
		{`SELECT size(Tags), size(Attrs), cardinality(Ports), size(collect_set(Image))`, `SELECT coalesce(len("Tags"), -1), coalesce(cardinality("Attrs"), -1), coalesce(len("Ports"), -1), coalesce(len(coalesce(list_filter(list(DISTINCT "Image"), lambda __v: __v IS NOT NULL), [])), -1)`},
		{`SELECT concat(Image, "-", Pid)`, `SELECT ("Image" || '-' || CAST("Pid" AS VARCHAR))`},
		{`SELECT concat(Tags, Ports), concat(Nested, Nested)`, `SELECT ("Tags" || "Ports"), ("Nested" || "Nested")`},
		{`SELECT concat(lower(Image), upper(Image)) AS x`, `SELECT (lower("Image") || upper("Image")) AS x`},
		{`SELECT array(1, 2), reverse(array(Image))`, `SELECT list_value(1, 2), list_reverse(list_value("Image"))`},
		{`SELECT sort_array(Tags), sort_array(Tags, false), sort_array(Tags, true)`, `SELECT list_sort("Tags", 'ASC', 'NULLS FIRST'), list_sort("Tags", 'DESC', 'NULLS LAST'), list_sort("Tags", 'ASC', 'NULLS FIRST')`},
		{`SELECT concat_ws(",", Image, Tags)`, `SELECT concat_ws(',', "Image", array_to_string("Tags", ','))`},
		{`SELECT t.reverse FROM t`, `SELECT t.reverse FROM t`},
		{`WHERE Image LIKE "%\\_x\\%\\\\"`, `WHERE "Image" LIKE '%\_x\%\\' ESCAPE '\'`},
		{`WHERE Image LIKE "a\\b" ESCAPE "#"`, `WHERE "Image" LIKE 'a\b' ESCAPE '#'`},
	}
	for _, c := range cases {
		toks, err := tokenize(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		got, err := tr.translate(toks)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("translate(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for in, want := range map[string]string{
		`WHERE Image LIKE "%\\q%"`:       `[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '%\\q%'. The escape character is not allowed to precede 'q'.`,
		`WHERE Image LIKE "C:\\Windows"`: `[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: 'C:\\Windows'. The escape character is not allowed to precede 'W'.`,
		`WHERE Image NOT LIKE "x\\"`:     `[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: 'x\\'. The escape character is not allowed to end with.`,
	} {
		toks, err := tokenize(in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.translate(toks)
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: error %v, want %s", in, err, want)
		}
	}
}

// TestArrayFuncsRun runs the translated forms on DuckDB with Spark's results (checked against
// Spark by TestSparkTranslatorQueries under make test-spark).
func TestArrayFuncsRun(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{
		{"id": 1, "Image": `C:\Windows\cmd.exe`, "Tags": []any{"a", "b"}, "User": "alice"},
		{"id": 2, "Image": `C:\x\powershell.exe`, "Tags": []any{"c"}, "User": nil},
	}))
	mustOK(t, f.As("arr_ev"))
	for q, want := range map[string]string{
		`SELECT reverse(Tags) AS r FROM arr_ev WHERE id = 1`:                            "[b, a]",
		`SELECT reverse(Image) AS r FROM arr_ev WHERE id = 1`:                           `exe.dmc\swodniW\:C`,
		`SELECT reverse(split(Image, "\\\\"))[0] AS exe FROM arr_ev WHERE id = 2`:       "powershell.exe",
		`SELECT size(Tags) AS n FROM arr_ev WHERE id = 1`:                               "2",
		`SELECT concat(Image, User) AS c FROM arr_ev WHERE id = 2`:                      "NULL",
		`SELECT concat(User, "-", id) AS c FROM arr_ev WHERE id = 1`:                    "alice-1",
		`SELECT size(concat(Tags, split(Image, "\\\\"))) AS n FROM arr_ev WHERE id = 1`: "5",
		`SELECT size(collect_list(User)) AS n FROM arr_ev WHERE id = 2`:                 "0",
		`SELECT size(collect_set(User)) AS n FROM arr_ev`:                               "1",
		`SELECT size(collect_list(User)) AS n FROM arr_ev WHERE id = 3`:                 "0",
		`SELECT size(split(User, "l")) AS n FROM arr_ev WHERE id = 2`:                   "-1",
		`SELECT concat_ws("|", User, Tags) AS c FROM arr_ev WHERE id = 2`:               "c",
		`SELECT count(*) AS n FROM arr_ev WHERE Image LIKE "C:\\\\Windows\\\\%"`:        "1",
	} {
		rows, err := SQL(q).Collect()
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		var got string
		for _, v := range rows[0] {
			s, ok := formatValue(v)
			if !ok {
				s = "NULL"
			}
			got = s
		}
		if got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	if err := SQL(`SELECT count(*) FROM arr_ev WHERE Image LIKE "C:\\Windows%"`).Err(); err == nil || !strings.Contains(err.Error(), "INVALID_FORMAT.ESC_IN_THE_MIDDLE") {
		t.Errorf("LIKE with \\W: %v, want INVALID_FORMAT.ESC_IN_THE_MIDDLE", err)
	}
}

// TestTranslateDeepNesting: deeply nested calls translate, each judged once (the kinds of nested
// arguments are remembered, not recomputed per level).
func TestTranslateDeepNesting(t *testing.T) {
	tr := &translator{cols: map[string]colInfo{"Tags": {ident: "Tags", typ: "VARCHAR[]"}}, tables: map[string]string{}}
	const n = 2000
	toks, err := tokenize("SELECT " + strings.Repeat("reverse(", n) + "Tags" + strings.Repeat(")", n))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.translate(toks)
	if err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(got, "list_reverse("); c != n {
		t.Errorf("%d list_reverse calls, want %d", c, n)
	}
}
