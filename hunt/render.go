package hunt

import (
	"context"
	"fmt"
	"html"
	"math/big"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gohunt/gohunt/hunt/view"
	"github.com/gohunt/gohunt/kernel/display"
)

// displayLimits are the limits of a table display (HTML and text): rows shown, columns shown
// (0: all), characters of a value shown (0: all).
type displayLimits struct {
	rows, cols, width int
}

// Display defaults, as pandas' display.max_columns and display.max_colwidth.
const (
	defaultDisplayCols  = 20
	defaultDisplayWidth = 50
)

// DisplayOption changes one limit of how frames are displayed. Pass options to SetDisplay to
// change the session's defaults, or to Show to change one display.
type DisplayOption struct {
	apply func(*displayLimits)
}

// MaxRows shows at most n rows (at least 1; 20 at start). A frame with more rows says how many
// it has.
func MaxRows(n int) DisplayOption {
	return DisplayOption{func(l *displayLimits) { l.rows = max(n, 1) }}
}

// MaxColumns shows at most n columns (20 at start; 0 or less shows every column). A wider frame
// shows its first n/2 and last n/2 columns with a "…" column between them, and says how many
// columns are hidden.
func MaxColumns(n int) DisplayOption {
	return DisplayOption{func(l *displayLimits) { l.cols = max(n, 0) }}
}

// MaxColWidth shows at most n characters of a value (50 at start; 0 or less shows whole
// values). A longer value is cut and ends in "…"; in HTML its whole text is the cell's title
// (shown on hover).
func MaxColWidth(n int) DisplayOption {
	return DisplayOption{func(l *displayLimits) { l.width = max(n, 0) }}
}

// SetDisplay changes how frames are displayed for the rest of the session:
//
//	hunt.SetDisplay(hunt.MaxColumns(40), hunt.MaxColWidth(80))
//
// The HTML table and its text/plain form follow the same limits.
func SetDisplay(opts ...DisplayOption) {
	e, err := defaultEngine()
	if err != nil {
		return
	}
	l := e.limits()
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&l)
		}
	}
	e.mu.Lock()
	e.displayRows = l.rows
	e.display = &displayLimits{rows: l.rows, cols: l.cols, width: l.width}
	e.mu.Unlock()
}

// limits returns the session's display limits.
func (e *engine) limits() displayLimits {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := displayLimits{rows: e.displayRows, cols: defaultDisplayCols, width: defaultDisplayWidth}
	if e.display != nil {
		l.cols, l.width = e.display.cols, e.display.width
	}
	return l
}

// preview is the first rows of a frame (of the columns shown) plus its total count, what
// display needs.
type preview struct {
	names  []string
	types  []string
	rows   [][]any
	total  int64 // -1: not counted (more is true)
	more   bool
	hidden int // columns not shown
	gap    int // index in names before which the "…" column stands (-1: none)
}

// shownColumns returns the indexes of the columns a display with at most max columns shows:
// all of them, or the first max-max/2 and the last max/2. gap is the position of the "…"
// column among the shown ones, -1 when nothing is hidden.
func shownColumns(n, max int) (idx []int, gap int) {
	if max <= 0 || n <= max {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, -1
	}
	head := max - max/2
	for i := 0; i < head; i++ {
		idx = append(idx, i)
	}
	for i := n - max/2; i < n; i++ {
		idx = append(idx, i)
	}
	return idx, head
}

func (f *Frame) preview(n, maxCols int) (*preview, error) {
	defer runtime.KeepAlive(f) // see tableRef
	if f.err != nil {
		return nil, f.err
	}
	if f.lazy() {
		return f.lazyPreview(n, maxCols)
	}
	idx, gap := shownColumns(len(f.cols), maxCols)
	p := &preview{gap: gap, hidden: len(f.cols) - len(idx)}
	sel := make([]string, len(idx))
	for i, c := range idx {
		sel[i] = quoteIdent(f.cols[c].ident)
		p.names = append(p.names, f.cols[c].name)
		p.types = append(p.types, f.cols[c].typ)
	}
	list := strings.Join(sel, ", ")
	if len(idx) == 0 {
		list = "*"
	}
	ctx := context.Background()
	rows, err := f.query(ctx, "SELECT "+list+" FROM "+f.from()+" LIMIT "+strconv.Itoa(n+1))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		vals := make([]any, len(idx))
		ptrs := make([]any, len(idx))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, err
		}
		for i := range vals {
			vals[i] = goValue(vals[i])
		}
		p.rows = append(p.rows, vals)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, duckErr(err)
	}
	if len(p.rows) > n {
		p.rows = p.rows[:n]
		p.more = true
		if p.total, err = f.Count(); err != nil {
			return nil, err
		}
	} else {
		p.total = int64(len(p.rows))
	}
	return p, nil
}

// formatValue renders a value for display; ok is false for NULL.
func formatValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return fmt.Sprintf("%x", x), true
	case time.Time:
		return formatTime(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case *big.Int:
		return x.String(), true
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := formatValue(e)
			if !ok {
				s = "NULL"
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			s, ok := formatValue(x[k])
			if !ok {
				s = "NULL"
			}
			parts[i] = k + ": " + s
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	}
	return fmt.Sprint(v), true
}

// formatTime renders a time as 2020-09-21 04:14:53.715: date and time with a space, the
// fraction of a second in milliseconds, or in micro- or nanoseconds when the value has them, none
// on a whole second. Event times (Read's TIMESTAMP columns) are UTC wall-clock times and are shown
// as they are, with no zone.
func formatTime(t time.Time) string {
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return t.Format("2006-01-02 15:04:05")
	case ns%1e6 == 0:
		return t.Format("2006-01-02 15:04:05.000")
	case ns%1e3 == 0:
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05.000000000")
}

// cut shortens s to n characters (n <= 0: never), ending in "…" when it was cut.
func cut(s string, n int) (string, bool) {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s, false
	}
	r := []rune(s)
	return string(r[:n-1]) + "…", true
}

// cellKind classifies a DuckDB type for alignment: 'n' numbers (right-aligned), 't' times
// (never wrapped), 's' everything else (left-aligned).
func cellKind(typ string) byte {
	t := strings.ToUpper(typ)
	switch {
	case strings.HasSuffix(t, "]") || strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP"):
		return 's'
	case strings.HasPrefix(t, "DECIMAL"):
		return 'n'
	case strings.HasPrefix(t, "TIMESTAMP") || t == "DATE" || strings.HasPrefix(t, "TIME") || t == "INTERVAL":
		return 't'
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL":
		return 'n'
	}
	return 's'
}

// errorHTML renders err for the notebook: its text escaped, control and bidi characters made
// visible (line breaks kept).
func errorHTML(err error) string {
	return `<pre class="hunt-error">` + html.EscapeString(visibleLines(err.Error())) + `</pre>`
}

// errorText is the text form of errorHTML.
func errorText(err error) string { return "hunt error: " + visibleLines(err.Error()) }

// visibleLines is view.Visible line by line: an error message keeps its line breaks.
func visibleLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = view.Visible(l)
	}
	return strings.Join(lines, "\n")
}

// tableCSS styles the table: one line per row, strings left, numbers right. JupyterLab's own
// table rules (right-aligned, wrapping) have the same specificity and come first or last
// depending on the page, hence !important. Where a sanitizer removes the style (untrusted
// notebooks), values are still cut to the width limit.
const tableCSS = `<style>.hunt-frame table{border-collapse:collapse;font-size:12px;table-layout:auto}` +
	`.hunt-frame th,.hunt-frame td{border:1px solid #ddd;padding:2px 6px;text-align:left!important;vertical-align:top;white-space:pre!important;max-width:none}` +
	`.hunt-frame .n{text-align:right!important}.hunt-frame td.t{white-space:nowrap!important}.hunt-frame .gap{text-align:center!important;color:#888}` +
	`.hunt-frame th small{color:#888;font-weight:normal}.hunt-frame .null{color:#aaa;font-style:italic}` +
	`.hunt-frame p{font-size:12px;margin:4px 0}</style>`

// HTML renders the frame as an HTML table for the notebook: the first rows (MaxRows, 20 by
// default), the total row count, column names with their types, NULL shown as a distinct grey
// NULL. A frame with more columns than MaxColumns (20 by default) shows its first and last
// columns with a "…" column between them and says how many are hidden; a value longer than
// MaxColWidth (50 characters by default) is cut, with the whole value in the cell's title
// (hover). Strings are left-aligned, numbers right-aligned, and no cell wraps. Every string from
// the data is HTML-escaped, with control and bidirectional-override characters shown as escapes
// (\n, \u202e). Showing a frame runs only a LIMIT query and a count, not the whole frame. A frame
// carrying an error renders the error. SetDisplay changes the limits.
func (f *Frame) HTML() string {
	if f == nil || f.err != nil {
		return errorHTML(f.Err())
	}
	if f.view != "" {
		return `<p class="hunt-registered">` + html.EscapeString(view.Visible(f.registered())) + `</p>`
	}
	return f.html(f.eng.limits())
}

// registered is the one line a frame returned by As shows instead of its table: registering a
// view is not a request to see the rows (operations on it, Show or Collect show them).
func (f *Frame) registered() string {
	n := len(f.cols)
	switch {
	case f.lazy() && f.plan.op == "source":
		n = len(f.plan.rel.columns())
	case f.lazy(): // its columns are known after a read, which showing this line must not cost
		return fmt.Sprintf("registered as %q; query it with %%%%sql or hunt.SQL", f.view)
	}
	return fmt.Sprintf("registered as %q (%s); query it with %%%%sql or hunt.SQL", f.view, plural(n, "column"))
}

func (f *Frame) html(l displayLimits) string {
	p, err := f.preview(l.rows, l.cols)
	if err != nil {
		return errorHTML(err)
	}
	var b strings.Builder
	b.WriteString(`<div class="hunt-frame">` + tableCSS + "<table><thead><tr>")
	kinds := make([]byte, len(p.names))
	for i, n := range p.names {
		if i == p.gap {
			b.WriteString(`<th class="gap" title="` + strconv.Itoa(p.hidden) + ` columns hidden">…</th>`)
		}
		kinds[i] = cellKind(p.types[i])
		short, wasCut := cut(view.Visible(n), l.width)
		title := ""
		if wasCut {
			title = ` title="` + html.EscapeString(view.Visible(n)) + `"`
		}
		fmt.Fprintf(&b, `<th class="%c"%s>%s<br><small>%s</small></th>`, kinds[i], title, html.EscapeString(short), html.EscapeString(strings.ToLower(p.types[i])))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range p.rows {
		b.WriteString("<tr>")
		for i, v := range r {
			if i == p.gap {
				b.WriteString(`<td class="gap">…</td>`)
			}
			s, ok := formatValue(v)
			if !ok {
				fmt.Fprintf(&b, `<td class="%c null">NULL</td>`, kinds[i])
				continue
			}
			s = view.Visible(s)
			short, wasCut := cut(s, l.width)
			if wasCut {
				fmt.Fprintf(&b, `<td class="%c" title="%s">%s</td>`, kinds[i], html.EscapeString(s), html.EscapeString(short))
			} else {
				fmt.Fprintf(&b, `<td class="%c">%s</td>`, kinds[i], html.EscapeString(s))
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString(`</tbody></table><p class="hunt-summary">`)
	b.WriteString(html.EscapeString(p.summary()))
	if note := f.Note(); note != "" {
		b.WriteString("<br>" + html.EscapeString(view.Visible(note)))
	}
	b.WriteString("</p></div>")
	return b.String()
}

func (p *preview) summary() string {
	cols := plural(len(p.names)+p.hidden, "column")
	if p.hidden > 0 {
		cols += fmt.Sprintf(" (%d hidden; hunt.SetDisplay(hunt.MaxColumns(n)) shows more)", p.hidden)
	}
	if p.more && p.total < 0 { // not counted (a Spark frame: counting is a job over every row)
		return fmt.Sprintf("showing the first %d rows (more not counted: Count() counts them), %s", len(p.rows), cols)
	}
	if p.more {
		return fmt.Sprintf("showing the first %d of %d rows, %s", len(p.rows), p.total, cols)
	}
	return plural(int(p.total), "row") + ", " + cols
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// String renders the frame as a plain-text table with the limits of HTML (rows, columns, value
// width; strings left-aligned, numbers right-aligned), for terminals and for notebooks converted
// to Markdown. A frame carrying an error renders the error.
func (f *Frame) String() string {
	if f == nil || f.err != nil {
		return errorText(f.Err())
	}
	if f.view != "" {
		return view.Visible(f.registered())
	}
	return f.text(f.eng.limits(), false, true)
}

func (f *Frame) text(l displayLimits, spark, footer bool) string {
	p, err := f.preview(l.rows, l.cols)
	if err != nil {
		return errorText(err)
	}
	s := p.text(l.width, spark, footer)
	if note := f.Note(); note != "" && footer {
		s += "\n" + view.Visible(note)
	}
	return s
}

// text renders an ASCII table in the style of Spark's show(): with spark every column is
// right-aligned as Spark does, otherwise numbers are right-aligned and the rest left-aligned.
func (p *preview) text(width int, spark, footer bool) string {
	names := append([]string(nil), p.names...)
	right := make([]bool, len(names))
	for i := range names {
		names[i], _ = cut(view.Visible(names[i]), width)
		right[i] = spark || cellKind(p.types[i]) == 'n'
	}
	cells := make([][]string, len(p.rows))
	for r, row := range p.rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			s, ok := formatValue(v)
			if !ok {
				s = "NULL"
			}
			cells[r][i], _ = cut(view.Visible(s), width)
		}
	}
	if p.gap >= 0 {
		ins := func(s []string, v string) []string {
			return append(s[:p.gap], append([]string{v}, s[p.gap:]...)...)
		}
		names = ins(names, "…")
		right = append(right[:p.gap], append([]bool{false}, right[p.gap:]...)...)
		for r := range cells {
			cells[r] = ins(cells[r], "…")
		}
	}
	w := make([]int, len(names))
	for i, n := range names {
		w[i] = utf8.RuneCountInString(n)
	}
	for _, r := range cells {
		for i, s := range r {
			w[i] = max(w[i], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	sep := func() {
		b.WriteByte('+')
		for _, n := range w {
			b.WriteString(strings.Repeat("-", n))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(vals []string) {
		b.WriteByte('|')
		for i, s := range vals {
			pad := strings.Repeat(" ", w[i]-utf8.RuneCountInString(s))
			if right[i] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	sep()
	line(names)
	sep()
	for _, r := range cells {
		line(r)
	}
	sep()
	if footer {
		b.WriteString(p.summary())
		b.WriteByte('\n')
		return b.String()
	}
	if p.more {
		fmt.Fprintf(&b, "only showing top %d rows\n", len(p.rows))
	}
	if p.hidden > 0 {
		fmt.Fprintf(&b, "%d of %d columns hidden (MaxColumns)\n", p.hidden, len(p.names)+p.hidden)
	}
	return b.String()
}

// showLimits reads Show's arguments: ints as Spark's show(n, truncate) (n rows, values cut to
// truncate characters, 0 never cuts; 20 and 20 by default, as in Spark) and DisplayOption
// values, applied over the session's column limit.
func showLimits(base displayLimits, args []any) (displayLimits, error) {
	l := base
	l.rows, l.width = 20, 20
	ints := 0
	for i, a := range args {
		switch x := a.(type) {
		case int:
			switch ints {
			case 0:
				l.rows = max(x, 0)
			case 1:
				l.width = max(x, 0)
			default:
				return l, errorf("hunt: Show: argument %d: at most two numbers (rows, width), then display options", i+1)
			}
			ints++
		case DisplayOption:
			if x.apply != nil {
				x.apply(&l)
			}
		default:
			return l, errorf("hunt: Show: argument %d is a %T; want a number of rows, a width or a display option (hunt.MaxRows, hunt.MaxColumns, hunt.MaxColWidth)", i+1, a)
		}
	}
	return l, nil
}

// showRows returns how many rows Show(args...) shows (for ESFrame, which reads only those).
func showRows(args []any) int {
	l, _ := showLimits(displayLimits{rows: 20}, args)
	return l.rows
}

// Show displays the first rows, as Spark's show() prints them: Show() 20 rows, Show(n) n rows,
// Show(n, width) values cut to width characters (20 by default, 0 never cuts). Display options
// set any limit for this display only:
//
//	ev.Show(hunt.MaxColumns(40), hunt.MaxColWidth(100))
//
// Inside the kernel the table is shown as a rich output (HTML, with the text table as its
// text/plain form); elsewhere the text table is printed to standard output. A frame carrying an
// error, or a wrong argument, shows the error.
func (f *Frame) Show(args ...any) {
	l := displayLimits{rows: 20, cols: defaultDisplayCols, width: defaultDisplayWidth}
	if f != nil && f.eng != nil {
		l = f.eng.limits()
	}
	l, err := showLimits(l, args)
	if err == nil && (f == nil || f.err != nil) {
		err = f.Err()
	}
	if err != nil {
		if display.Active() {
			display.Data(map[string]any{display.MIMEHTML: errorHTML(err), display.MIMEText: errorText(err)})
			return
		}
		fmt.Fprintln(os.Stdout, errorText(err))
		return
	}
	text := f.text(l, true, false)
	if display.Active() {
		display.Data(map[string]any{display.MIMEHTML: f.html(l), display.MIMEText: text})
		return
	}
	fmt.Fprint(os.Stdout, text)
}
