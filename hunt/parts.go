package hunt

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// partRows is the fewest rows of a part tableParts makes: below it, one thread reads the table
// sooner than several start.
const partRows = 8192

// tableParts returns, for a frame that is a session table as it stands (Read, Cache), the
// table's rows with their rowid as column pos, read as a UNION ALL of one rowid range per DuckDB
// thread. DuckDB reads a table in parallel by row group (122,880 rows): a table of one row group
// (a Mordor recording's tens of thousands of events) is otherwise scanned, and every expression
// over it evaluated, on one thread. The rowid numbers the rows in the frame's order, so ordering
// by pos gives that order back. Other frames, tables of fewer than 2*partRows rows and a
// session of one thread get false.
func (f *Frame) tableParts(ctx context.Context, pos string) (string, bool, error) {
	m := tableFrame.FindStringSubmatch(f.sql)
	if m == nil {
		return "", false, nil
	}
	var rows, threads int64
	if err := f.eng.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM "+m[1]+"), current_setting('threads')").Scan(&rows, &threads); err != nil {
		return "", false, fmt.Errorf("counting the events: %w", duckErr(err))
	}
	n := min(threads, rows/partRows)
	if n < 2 {
		return "", false, nil
	}
	var parts []string
	for i := int64(0); i < n; i++ {
		lo, hi := rows*i/n, rows*(i+1)/n
		cond := "rowid >= " + strconv.FormatInt(lo, 10) + " AND rowid < " + strconv.FormatInt(hi, 10)
		if i == n-1 {
			cond = "rowid >= " + strconv.FormatInt(lo, 10) // rows are not added to a session table; this keeps every row if one were
		}
		parts = append(parts, "SELECT *, rowid AS "+quoteIdent(pos)+" FROM "+m[1]+" WHERE "+cond)
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")", true, nil
}

// hasIdent reports whether one of the frame's columns has the identifier id.
func (f *Frame) hasIdent(id string) bool {
	for _, c := range f.cols {
		if c.ident == id {
			return true
		}
	}
	return false
}
