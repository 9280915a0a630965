package hunt

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// wideFrame returns a frame of rows rows and cols columns c000..c(cols-1): even columns are
// strings (one of them long), odd ones numbers.
func wideFrame(t *testing.T, rows, cols int) *Frame {
	t.Helper()
	var data []map[string]any
	for r := 0; r < rows; r++ {
		m := map[string]any{}
		for c := 0; c < cols; c++ {
			if c%2 == 0 {
				m[fmt.Sprintf("c%03d", c)] = fmt.Sprintf("r%dc%d", r, c)
			} else {
				m[fmt.Sprintf("c%03d", c)] = r*1000 + c
			}
		}
		m["c000"] = strings.Repeat("x", 70) + fmt.Sprintf("-end%d", r)
		data = append(data, m)
	}
	return mustOK(t, FromRows(data))
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	fn()
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

var headerCell = regexp.MustCompile(`<th class="[a-z]+"[^>]*>([^<]*)<br>`)

func headers(h string) []string {
	var out []string
	for _, m := range headerCell.FindAllStringSubmatch(h, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestWideFrameShowsFirstAndLastColumns: beyond MaxColumns (20), the first 10 and the last 10
// columns are shown with a "…" column between them, and the summary says how many are hidden,
// in HTML and in text.
func TestWideFrameShowsFirstAndLastColumns(t *testing.T) {
	f := wideFrame(t, 3, 186)
	h := f.HTML()
	got := headers(h)
	var want []string
	for _, c := range append([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185) {
		want = append(want, fmt.Sprintf("c%03d", c))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("headers %v, want %v", got, want)
	}
	if strings.Count(h, `<th class="gap"`) != 1 || strings.Count(h, `<td class="gap">…</td>`) != 3 {
		t.Error("want one … header and one … cell per row")
	}
	// The … column stands between c009 and c176.
	if i, j, k := strings.Index(h, ">c009<"), strings.Index(h, `class="gap"`), strings.Index(h, ">c176<"); !(i < j && j < k) {
		t.Errorf("… column not between c009 and c176: %d %d %d", i, j, k)
	}
	if !strings.Contains(h, "3 rows, 186 columns (166 hidden;") {
		t.Errorf("summary: %s", h[strings.Index(h, "hunt-summary"):])
	}
	s := f.String()
	if !strings.Contains(s, "|c009") || !strings.Contains(s, "|…|") || !strings.Contains(s, "c176") || strings.Contains(s, "c010") || strings.Contains(s, "c175") {
		t.Errorf("text form does not hide the middle columns:\n%s", s)
	}
	if !strings.Contains(s, "3 rows, 186 columns (166 hidden;") {
		t.Errorf("text summary:\n%s", s)
	}

	// Session limits.
	SetDisplay(MaxColumns(4), MaxColWidth(10), MaxRows(2))
	defer SetDisplay(MaxColumns(defaultDisplayCols), MaxColWidth(defaultDisplayWidth), MaxRows(20))
	h = f.HTML()
	if got := headers(h); strings.Join(got, ",") != "c000,c001,c184,c185" {
		t.Errorf("MaxColumns(4): headers %v", got)
	}
	if strings.Count(h, "<tr>") != 3 || !strings.Contains(h, "showing the first 2 of 3 rows, 186 columns (182 hidden;") {
		t.Errorf("MaxRows(2): %s", h)
	}
	// Values cut at 10 characters, the whole value in the title.
	if !strings.Contains(h, `title="`+strings.Repeat("x", 70)+`-end0">xxxxxxxxx…</td>`) {
		t.Errorf("MaxColWidth(10): long value not cut with its title: %s", h)
	}
	if s := f.String(); !strings.Contains(s, "|xxxxxxxxx…|") || strings.Count(s, "\n") != 7 {
		t.Errorf("text with session limits:\n%s", s)
	}
	// Every column, whole values.
	SetDisplay(MaxColumns(0), MaxColWidth(0))
	h = f.HTML()
	if n := len(headers(h)); n != 186 || strings.Contains(h, `class="gap"`) || !strings.Contains(h, ">"+strings.Repeat("x", 70)+"-end0</td>") {
		t.Errorf("MaxColumns(0), MaxColWidth(0): %d headers", n)
	}
}

// TestShowOptions: Show takes Spark's (rows, width) and display options for one display,
// leaving the session's limits alone; a wrong argument is an error, not a silent default.
func TestShowOptions(t *testing.T) {
	f := wideFrame(t, 3, 30)
	out := captureStdout(t, func() { f.Show(2, 8, MaxColumns(2)) })
	want := "+--------+…+----+\n|    c000|…|c029|\n+--------+…+----+\n|xxxxxxx…|…|  29|\n|xxxxxxx…|…|1029|\n+--------+…+----+\nonly showing top 2 rows\n28 of 30 columns hidden (MaxColumns)\n"
	if strings.ReplaceAll(out, "+-+", "+…+") != want && out != strings.ReplaceAll(want, "+…+", "+-+") {
		t.Errorf("Show(2, 8, MaxColumns(2)):\n%s\nwant:\n%s", out, strings.ReplaceAll(want, "+…+", "+-+"))
	}
	if h := f.HTML(); len(headers(h)) != 20 {
		t.Errorf("Show changed the session's limits: %d headers", len(headers(h)))
	}
	out = captureStdout(t, func() { f.Show("ten") })
	if !strings.Contains(out, "hunt error: hunt: Show: argument 1 is a string") {
		t.Errorf("Show(\"ten\"): %q", out)
	}
	out = captureStdout(t, func() { f.Show(MaxColWidth(0), MaxColumns(0), MaxRows(1)) })
	if !strings.Contains(out, strings.Repeat("x", 70)+"-end0") || !strings.Contains(out, "c015") {
		t.Errorf("Show with whole values and all columns:\n%s", out)
	}
}

// TestTableAlignment: numbers right-aligned, strings left-aligned, times marked never to wrap,
// in HTML (classes and style) and in text.
func TestTableAlignment(t *testing.T) {
	f := mustOK(t, DuckSQL(`SELECT 'ab' AS s, 12345 AS n, 1.5::DOUBLE AS d, TIMESTAMP '2020-09-21 04:14:53.715' AS ts, ['x'] AS l FROM range(2)`))
	h := f.HTML()
	for _, want := range []string{`<td class="s">ab</td>`, `<td class="n">12345</td>`, `<td class="n">1.5</td>`, `<td class="t">2020-09-21 04:14:53.715</td>`, `<td class="s">[x]</td>`, `.hunt-frame .n{text-align:right!important}`, `white-space:pre!important`} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if s := f.Limit(1).Select("s", "n").String(); !strings.Contains(s, "|s |    n|\n") || !strings.Contains(s, "|ab|12345|\n") {
		t.Errorf("text alignment:\n%s", s)
	}
}

// TestBidiAndControlsVisible: U+202E and the other bidirectional controls, and control
// characters, are shown as escapes in tables (HTML, title, text) and in errors.
func TestBidiAndControlsVisible(t *testing.T) {
	evil := "invoice\u202Efdp.exe"
	f := mustOK(t, FromRows([]map[string]any{{"Image": evil, "cmd\u2066x": "a\nb\x01" + strings.Repeat("y", 80) + "\u200f"}}))
	h := f.HTML()
	s := f.String()
	for _, out := range []string{h, s} {
		for _, r := range []string{"\u202e", "\u2066", "\u200f", "\x01", "\n<"} {
			if strings.Contains(out, r) {
				t.Errorf("raw %q in output:\n%s", r, out)
			}
		}
		if !strings.Contains(out, `invoice\u202efdp.exe`) || !strings.Contains(out, `cmd\u2066x`) || !strings.Contains(out, `a\nb\x01yy`) {
			t.Errorf("escapes missing:\n%s", out)
		}
	}
	if !strings.Contains(h, `\u200f"`) {
		t.Error("title of a cut value lacks the escaped RLM")
	}
	bad := f.Select("Image\u202e")
	if strings.Contains(bad.HTML(), "\u202e") || !strings.Contains(bad.HTML(), `Image\u202e`) || strings.Contains(bad.String(), "\u202e") {
		t.Errorf("error with a bidi control: %s", bad.HTML())
	}
}

// TestHostileTextInErrors: error messages carry names and paths from the user and the data;
// in HTML they are escaped like data (a column named <img onerror>, a path with markup).
func TestHostileTextInErrors(t *testing.T) {
	col := `<img src=x onerror=alert(1)>`
	f := mustOK(t, FromRows([]map[string]any{{col: 1, "b": 2}}))
	cases := map[string]*Frame{
		"unknown column near a hostile one": f.Select(`<img src=x onerror=alert(2)>`),
		"hostile unknown column":            f.Where(Col(`</pre><script>alert(3)</script>`).Eq(1)),
		"file path with markup":             Read(`no/<script>alert(4)</script>/x.zip`),
		"hostile SQL":                       DuckSQL(`SELECT "</pre><img src=y onerror=alert(5)>" FROM range(1)`),
	}
	for name, g := range cases {
		if g.Err() == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, h := range []string{g.HTML(), errorHTML(g.Err())} {
			if !strings.HasPrefix(h, `<pre class="hunt-error">`) || strings.Count(h, "<") != 2 {
				t.Errorf("%s: markup in the error HTML: %s", name, h)
			}
			if strings.Contains(h, "<img") || strings.Contains(h, "<script") || strings.Contains(h, "</pre><") {
				t.Errorf("%s: unescaped: %s", name, h)
			}
		}
		if !strings.Contains(g.HTML(), "&lt;") {
			t.Errorf("%s: the hostile text is not in the error: %s", name, g.HTML())
		}
	}
	// A preview that fails at run time (not at binding) takes the same path.
	r := mustOK(t, DuckSQL(`SELECT CAST('<img src=x onerror=alert(6)>' AS INTEGER) AS n FROM range(1)`))
	if h := r.HTML(); !strings.HasPrefix(h, `<pre class="hunt-error">`) || strings.Contains(h, "<img") || !strings.Contains(h, "&lt;img") {
		t.Errorf("run-time error: %s", h)
	}
}
