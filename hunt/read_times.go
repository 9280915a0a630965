package hunt

import (
	"context"
	"fmt"
	"strings"
)

// Event times. Read turns the known event-time fields of JSON events into TIMESTAMP columns
// (UTC wall-clock, as the recordings write them), so that sorting, Between, Timeline and
// arithmetic work on times rather than on text. A field is typed only when every one of its
// values is written in the one text form its name has (eventTimeFormat), so that the original
// text is exactly strftime(column, format): Spark SQL, which reads these fields as strings, sees
// that text again (sparkView), and nothing is lost.

// eventTimeFormat returns the DuckDB strptime/strftime format of the known event-time field
// name (the last part of a dotted name, so "event_data.UtcTime" is UtcTime), or "" when the
// name is not one:
//
//	@timestamp                    2020-09-21T04:14:53.715Z   collector time (Logstash/Elastic), UTC
//	UtcTime, CreationUtcTime,     2020-09-21 04:14:53.715    Sysmon's event time, UTC
//	PreviousCreationUtcTime
//	EventTime, EventReceivedTime  2020-09-21 00:14:53        NXLog's times: the host's local
//	                                                         wall clock, no zone (kept as written)
//	TimeCreated                   2020-09-21T04:14:53.715123Z  evtx exporters' System/TimeCreated
func eventTimeFormat(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && name != "@timestamp" {
		name = name[i+1:]
	}
	switch name {
	case "@timestamp":
		return "%Y-%m-%dT%H:%M:%S.%gZ"
	case "UtcTime", "CreationUtcTime", "PreviousCreationUtcTime":
		return "%Y-%m-%d %H:%M:%S.%g"
	case "EventTime", "EventReceivedTime":
		return "%Y-%m-%d %H:%M:%S"
	case "TimeCreated":
		return "%Y-%m-%dT%H:%M:%S.%fZ"
	}
	return ""
}

// isEventTime reports whether c is an event-time column Read typed: a TIMESTAMP column with a
// known event-time name.
func isEventTime(c column) bool {
	return c.typ == "TIMESTAMP" && eventTimeFormat(c.name) != ""
}

// typeEventTimes alters the text columns of table (a table the loader just created, whose
// columns are cols) that hold known event-time fields into TIMESTAMP columns, for each column
// whose every non-NULL value is in its name's text form exactly (parsed and printed back to the
// same text). One scan checks all candidate columns; columns with any other value stay text.
func typeEventTimes(ctx context.Context, exec func(context.Context, string) error, query func(context.Context, string) ([]bool, error), table string, cols []column) error {
	var cands []column
	var checks []string
	for _, c := range cols {
		f := eventTimeFormat(c.name)
		if f == "" || c.typ != "VARCHAR" {
			continue
		}
		id, fs := quoteIdent(c.ident), quoteString(f)
		cands = append(cands, c)
		checks = append(checks, fmt.Sprintf("coalesce(bool_and(coalesce(strftime(try_strptime(%s, %s), %s) = %s, false)) FILTER (WHERE %s IS NOT NULL), false)", id, fs, fs, id, id))
	}
	if len(cands) == 0 {
		return nil
	}
	ok, err := query(ctx, "SELECT "+strings.Join(checks, ", ")+" FROM "+table)
	if err != nil {
		return fmt.Errorf("checking the event-time columns: %w", err)
	}
	for i, c := range cands {
		if !ok[i] {
			continue
		}
		id := quoteIdent(c.ident)
		q := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DATA TYPE TIMESTAMP USING strptime(%s, %s)", table, id, id, quoteString(eventTimeFormat(c.name)))
		if err := exec(ctx, q); err != nil {
			return fmt.Errorf("typing column %s as TIMESTAMP: %w", c.name, err)
		}
	}
	return nil
}

// queryBools runs q, a query of one row of BOOLEAN columns, and returns that row (NULL is false).
func (e *engine) queryBools(ctx context.Context, q string) ([]bool, error) {
	rows, err := e.db.QueryContext(ctx, q)
	if err != nil {
		return nil, duckErr(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]*bool, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		return nil, fmt.Errorf("no row: %w", rows.Err())
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make([]bool, len(cols))
	for i, v := range vals {
		out[i] = v != nil && *v
	}
	return out, duckErr(rows.Err())
}
