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
	for _, c := range f.cols {
		if isEventTime(c) {
			id := quoteIdent(c.ident)
			repl = append(repl, "strftime("+id+", "+quoteString(eventTimeFormat(c.name))+") AS "+id)
		}
	}
	if len(repl) == 0 {
		return f
	}
	return f.derive("SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM " + f.from())
}
