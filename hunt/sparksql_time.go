package hunt

import "strings"

// sparkView is the frame as Spark SQL sees it: the event-time columns Read typed as TIMESTAMP
// (read_times.go) are their original text again, strftime with the field's format, as Spark's
// JSON reader leaves them strings. The playbooks compare, LIKE-match and cut @timestamp as a
// string ("2019-03-00 00:00:00.000" is a bound no timestamp parses), and get Spark's rows. A frame
// with no such column is returned as it is.
func sparkView(f *Frame) *Frame {
	if f.err != nil || f.lazy() {
		return f
	}
	var repl []string
	cols := make([]column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c
		if isEventTime(c) {
			id := quoteIdent(c.ident)
			repl = append(repl, "strftime("+id+", "+quoteString(eventTimeFormat(c.name))+") AS "+id)
			cols[i].typ = "VARCHAR"
		}
	}
	if len(repl) == 0 {
		return f
	}
	// The view's columns are f's, the event times as text: known without binding the query
	// (a DESCRIBE of a wide table costs several milliseconds on every hunt.SQL).
	g := frameOf(f.eng, "SELECT * REPLACE ("+strings.Join(repl, ", ")+") FROM "+f.from(), cols)
	g.note = f.note
	return g
}

// timesAsText wraps each reference to an event-time column (a TIMESTAMP Read typed; see
// sparkView) in strftime with the column's format, so that a Spark SQL expression over a frame
// (Where and SQLExpr strings) sees the text Spark sees, as hunt.SQL does through sparkView.
func timesAsText(out []outTok) {
	for j := range out {
		if !out[j].col || out[j].timeText == "" {
			continue
		}
		start := j
		if j >= 2 && out[j-1].text == "." && out[j-2].qual {
			start = j - 2
		}
		out[start].text = "strftime(" + out[start].text
		out[j].text += ", " + quoteString(out[j].timeText) + ")"
	}
}
