package hunt

import (
	"context"
	"fmt"
	"strings"
)

// Event times. Read turns the known event-time fields of JSON events into TIMESTAMP columns
// (UTC wall-clock, as the recordings write them), so that sorting, Between, Timeline and
// arithmetic work on times rather than on text. A field is typed only when every one of its
// values is written in the one text form its name has (eventTimeFormat; checked as the JSON is
// scanned, so typing costs no second pass), so that the original text is exactly
// strftime(column, format): Spark SQL, which reads these fields as strings, sees that text again
// (sparkView, timesAsText), and nothing is lost.

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
	f, _ := eventTimeForm(name)
	return f
}

// eventTimeForm returns the format of eventTimeFormat and the mask of its text: d a digit, any
// other byte itself.
func eventTimeForm(name string) (format, mask string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && name != "@timestamp" {
		name = name[i+1:]
	}
	switch name {
	case "@timestamp":
		return "%Y-%m-%dT%H:%M:%S.%gZ", "dddd-dd-ddTdd:dd:dd.dddZ"
	case "UtcTime", "CreationUtcTime", "PreviousCreationUtcTime":
		return "%Y-%m-%d %H:%M:%S.%g", "dddd-dd-dd dd:dd:dd.ddd"
	case "EventTime", "EventReceivedTime":
		return "%Y-%m-%d %H:%M:%S", "dddd-dd-dd dd:dd:dd"
	case "TimeCreated":
		return "%Y-%m-%dT%H:%M:%S.%fZ", "dddd-dd-ddTdd:dd:dd.ddddddZ"
	}
	return "", ""
}

// isEventTime reports whether c is an event-time column Read typed: a TIMESTAMP column with a
// known event-time name.
func isEventTime(c column) bool {
	return c.typ == "TIMESTAMP" && eventTimeFormat(c.name) != ""
}

// timeState is what the scanner knows of a key's text values as event times.
type timeState uint8

const (
	timeUnknown timeState = iota // no text value seen yet
	timeNo                       // not a known event-time key
	timeOK                       // every text value so far is in the key's form
	timeBad                      // some text value is not
)

// checkTime records whether raw, a text value of key f (esc: it holds escapes), is in the text
// form of f's event-time name; the change is journaled, so a skipped malformed line leaves no
// trace.
func (s *lineScanner) checkTime(f *jfield, raw []byte, esc bool) {
	_, mask := eventTimeForm(f.name)
	if mask == "" {
		f.time = timeNo // a property of the name alone: nothing to undo
		return
	}
	next := timeOK
	if esc || !timeTextOK(mask, raw) {
		next = timeBad
	}
	if next != f.time {
		s.journal = append(s.journal, undo{f: f, time: true, oldTime: f.time})
		f.time = next
	}
}

// timeTextOK reports whether s matches mask (d a digit, other bytes themselves) and names a real
// time: month 1-12, a day the month has, hours below 24, minutes and seconds below 60, a year
// from 1. Such a text is exactly what strftime prints of strptime's value (all fields are fixed
// width), so the TIMESTAMP loses nothing of it.
func timeTextOK(mask string, s []byte) bool {
	if len(s) != len(mask) || len(s) < 19 {
		return false
	}
	for i := 0; i < len(mask); i++ {
		if mask[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != mask[i] {
			return false
		}
	}
	num := func(a, b int) int {
		n := 0
		for _, c := range s[a:b] {
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(0, 4), num(5, 7), num(8, 10)
	if y < 1 || mo < 1 || mo > 12 || d < 1 || num(11, 13) > 23 || num(14, 16) > 59 || num(17, 19) > 59 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo]
	if mo == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// typeEventTimes gives frame l (the result of an Elasticsearch read) the event-time columns Read
// gives a file: each text column that holds a known event-time field mapped as a date, when every
// value is in the field's form (one query checks them all), becomes a TIMESTAMP column. isDate
// reports whether a column name is mapped as an Elasticsearch date.
func typeEventTimes(l *Frame, isDate func(name string) bool) *Frame {
	if l.err != nil {
		return l
	}
	var cands []column
	var checks []string
	for _, c := range l.cols {
		f := eventTimeFormat(c.name)
		if f == "" || c.typ != "VARCHAR" || !isDate(c.name) {
			continue
		}
		id, fs := quoteIdent(c.ident), quoteString(f)
		cands = append(cands, c)
		checks = append(checks, "coalesce(bool_and(coalesce(strftime(try_strptime("+id+", "+fs+"), "+fs+") = "+id+", false)) FILTER (WHERE "+id+" IS NOT NULL), false)")
	}
	if len(cands) == 0 {
		return l
	}
	ok, err := l.eng.queryBools(cellCtx(), "SELECT "+strings.Join(checks, ", ")+" FROM "+l.from())
	if err != nil {
		return errFrame(l.eng, fmt.Errorf("hunt: checking the event-time columns %v: %w", cands, err))
	}
	var repl []string
	for i, c := range cands {
		if ok[i] {
			id := quoteIdent(c.ident)
			repl = append(repl, "strptime("+id+", "+quoteString(eventTimeFormat(c.name))+") AS "+id)
		}
	}
	if len(repl) == 0 {
		return l
	}
	g := l.derive("SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM " + l.from())
	g.note = l.note
	return g
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
