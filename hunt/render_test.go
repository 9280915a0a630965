package hunt

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestHTMLEscapesEveryString(t *testing.T) {
	hostile := []string{`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `</table><b>x</b>`, `"quoted" & 'single'`}
	var rows []map[string]any
	for _, h := range hostile {
		rows = append(rows, map[string]any{"CommandLine": h, h: "column named " + h})
	}
	rows = append(rows, map[string]any{"CommandLine": strings.Repeat("A", 300) + "<script>"})
	f := mustOK(t, FromRows(rows))
	h := f.HTML()
	for _, bad := range []string{"<script>", "<img", "</table><b>", `onerror=alert(1)>`} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML holds unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;/table&gt;&lt;b&gt;x&lt;/b&gt;", "&#34;quoted&#34; &amp; &#39;single&#39;"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks escaped %q", want)
		}
	}
	// The hostile column names are escaped too (header row).
	if strings.Count(h, "<th ") != 5 {
		t.Errorf("want 5 header cells, HTML:\n%s", h)
	}
	// A long value is cut, with the full (escaped) value in the title.
	if !strings.Contains(h, `title="`+strings.Repeat("A", 300)+`&lt;script&gt;"`) || !strings.Contains(h, "…") {
		t.Error("long value: no full value in title or no cut mark")
	}
	// NULL is distinct from the string "NULL".
	if !strings.Contains(h, `<td class="s null">NULL</td>`) {
		t.Error("NULL cell not marked")
	}
	// The synthetic legacy sample carries hostile script text too.
	l := mustOK(t, Read(sampleLegacy).Where(Col("event_id").Eq(4104)).Select("event_data.ScriptBlockText"))
	lh := l.HTML()
	if strings.Contains(lh, "<script>") || strings.Contains(lh, "<img") || !strings.Contains(lh, "&lt;/table&gt;") {
		t.Error("legacy sample ScriptBlockText not escaped")
	}
}

func TestDisplayShowsTypesCountAndFirstRows(t *testing.T) {
	f := mustOK(t, Read(sampleFlat))
	h := f.HTML()
	if !strings.Contains(h, "showing the first 20 of 869 rows") {
		t.Errorf("summary missing: %s", h[len(h)-200:])
	}
	if strings.Count(h, "<tr>") != 21 {
		t.Errorf("%d <tr>, want 21 (header + 20 rows)", strings.Count(h, "<tr>"))
	}
	if !strings.Contains(h, ">ThreadID<br><small>bigint</small>") {
		t.Error("column type not shown")
	}
	s := f.String()
	if !strings.Contains(s, "showing the first 20 of 869 rows") || !strings.HasPrefix(s, "+") {
		t.Errorf("String:\n%s", s)
	}
	SetDisplayRows(5)
	defer SetDisplayRows(20)
	if h := f.HTML(); strings.Count(h, "<tr>") != 6 {
		t.Errorf("SetDisplayRows(5): %d rows", strings.Count(h, "<tr>")-1)
	}
	small := mustOK(t, f.Limit(2).Select("EventID"))
	if !strings.Contains(small.String(), "2 rows, 1 column") {
		t.Errorf("small frame summary:\n%s", small.String())
	}
}

func TestShowPrintsLikeSpark(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{{"a": 1, "b": "a long value that is more than twenty characters"}, {"a": 2, "b": nil}}))
	r, w, _ := os.Pipe()
	old := os.Stdout
	os.Stdout = w
	f.Show(1)
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	want := "+-+--------------------+\n|a|                   b|\n+-+--------------------+\n|1|a long value that i…|\n+-+--------------------+\nonly showing top 1 rows\n"
	if string(out) != want {
		t.Errorf("Show(1):\n%s\nwant:\n%s", out, want)
	}
}

// TestShowingLargeFrameReadsFirstRows: a 10M-row frame displays from a LIMIT query plus a count.
// (Not a timing test: it checks the preview asks DuckDB for n+1 rows and counts separately.)
func TestShowingLargeFrameReadsFirstRows(t *testing.T) {
	f := mustOK(t, DuckSQL("SELECT range AS i, 'host' || (range % 7) AS h FROM range(10000000)"))
	p, err := f.preview(20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.rows) != 20 || !p.more || p.total != 10000000 {
		t.Errorf("preview: %d rows, more %v, total %d", len(p.rows), p.more, p.total)
	}
	if h := f.Where(Col("h").Eq("host3")).HTML(); !strings.Contains(h, "of 1428571 rows") {
		t.Errorf("filtered 10M frame summary: %s", h[len(h)-120:])
	}
}
