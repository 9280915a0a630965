package hunt

import (
	"context"
	"fmt"
	"html"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCell is how many characters of a value a table cell shows; the full value is in the cell's
// title (hover) in HTML.
const maxCell = 120

// preview is the first rows of a frame plus its total count, what display needs.
type preview struct {
	names []string
	types []string
	rows  [][]any
	total int64
	more  bool
}

func (f *Frame) preview(n int) (*preview, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.lazy() {
		return f.lazyPreview(n)
	}
	ctx := context.Background()
	rows, err := f.query(ctx, "SELECT * FROM "+f.from()+" LIMIT "+strconv.Itoa(n+1))
	if err != nil {
		return nil, err
	}
	p := &preview{names: f.Columns()}
	for _, c := range f.cols {
		p.types = append(p.types, c.typ)
	}
	for rows.Next() {
		vals := make([]any, len(f.cols))
		ptrs := make([]any, len(f.cols))
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
		return x.Format("2006-01-02 15:04:05.999999999"), true
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

func cut(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	r := []rune(s)
	return string(r[:n-1]) + "…", true
}

// HTML renders the frame as an HTML table for the notebook: the first rows (SetDisplayRows, 20
// by default), the total row count, column names with their types, NULL shown as a distinct
// grey NULL, long values cut with the full value in the cell's title. Every string from the data
// is HTML-escaped. Showing a frame runs only a LIMIT query and a count, not the whole frame. A
// frame carrying an error renders the error.
func (f *Frame) HTML() string {
	if f == nil || f.err != nil {
		return `<pre class="hunt-error">` + html.EscapeString(f.Err().Error()) + `</pre>`
	}
	p, err := f.preview(f.eng.rowsToShow())
	if err != nil {
		return `<pre class="hunt-error">` + html.EscapeString(err.Error()) + `</pre>`
	}
	var b strings.Builder
	b.WriteString(`<div class="hunt-frame"><style>.hunt-frame table{border-collapse:collapse;font-size:12px}` +
		`.hunt-frame th,.hunt-frame td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top;white-space:pre-wrap}` +
		`.hunt-frame th small{color:#888;font-weight:normal}.hunt-frame .null{color:#aaa;font-style:italic}</style>`)
	b.WriteString("<table><thead><tr>")
	for i, n := range p.names {
		fmt.Fprintf(&b, "<th>%s<br><small>%s</small></th>", html.EscapeString(n), html.EscapeString(strings.ToLower(p.types[i])))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range p.rows {
		b.WriteString("<tr>")
		for _, v := range r {
			s, ok := formatValue(v)
			if !ok {
				b.WriteString(`<td class="null">NULL</td>`)
				continue
			}
			short, wasCut := cut(s, maxCell)
			if wasCut {
				fmt.Fprintf(&b, `<td title="%s">%s</td>`, html.EscapeString(s), html.EscapeString(short))
			} else {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(s))
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table><p>")
	b.WriteString(html.EscapeString(p.summary()))
	if f.Note() != "" {
		b.WriteString("<br>" + html.EscapeString(f.Note()))
	}
	b.WriteString("</p></div>")
	return b.String()
}

func (p *preview) summary() string {
	cols := fmt.Sprintf("%d column", len(p.names))
	if len(p.names) != 1 {
		cols += "s"
	}
	if p.more {
		return fmt.Sprintf("showing the first %d of %d rows, %s", len(p.rows), p.total, cols)
	}
	rows := "rows"
	if p.total == 1 {
		rows = "row"
	}
	return fmt.Sprintf("%d %s, %s", p.total, rows, cols)
}

// String renders the frame as a plain-text table (the first rows, as HTML does), for terminals
// and for notebooks converted to Markdown. A frame carrying an error renders the error.
func (f *Frame) String() string {
	if f == nil || f.err != nil {
		return "hunt error: " + f.Err().Error()
	}
	p, err := f.preview(f.eng.rowsToShow())
	if err != nil {
		return "hunt error: " + err.Error()
	}
	s := p.text(40, true)
	if f.Note() != "" {
		s += "\n" + f.Note()
	}
	return s
}

// text renders an ASCII table in the style of Spark's show().
func (p *preview) text(width int, footer bool) string {
	cells := make([][]string, len(p.rows))
	w := make([]int, len(p.names))
	for i, n := range p.names {
		w[i] = utf8.RuneCountInString(n)
	}
	for r, row := range p.rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			s, ok := formatValue(v)
			if !ok {
				s = "NULL"
			}
			s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
			if width > 0 {
				s, _ = cut(s, width)
			}
			cells[r][i] = s
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
			b.WriteString(strings.Repeat(" ", w[i]-utf8.RuneCountInString(s)))
			b.WriteString(s)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	sep()
	line(p.names)
	sep()
	for _, r := range cells {
		line(r)
	}
	sep()
	if footer {
		b.WriteString(p.summary())
		b.WriteByte('\n')
	} else if p.more {
		fmt.Fprintf(&b, "only showing top %d rows\n", len(p.rows))
	}
	return b.String()
}

// Show prints the first rows to standard output as Spark's show() does: Show() prints 20 rows,
// Show(n) n rows, Show(n, width) cuts values to width characters (20 by default, 0 never cuts).
// A frame carrying an error prints the error.
func (f *Frame) Show(args ...int) {
	n, width := 20, 20
	if len(args) > 0 {
		n = args[0]
	}
	if len(args) > 1 {
		width = args[1]
	}
	if f == nil || f.err != nil {
		fmt.Fprintln(os.Stdout, "hunt error: "+f.Err().Error())
		return
	}
	p, err := f.preview(max(n, 0))
	if err != nil {
		fmt.Fprintln(os.Stdout, "hunt error: "+err.Error())
		return
	}
	fmt.Fprint(os.Stdout, p.text(width, false))
}
