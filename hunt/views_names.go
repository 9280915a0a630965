package hunt

import (
	"context"
	"database/sql"
	"runtime"
	"strings"

	"github.com/gohunt/gohunt/hunt/view"
)

// eventIDColumns are the names of event id columns whose timeline lanes are named after the
// events (Sysmon, Security, PowerShell), with the channel columns that tell the log.
var (
	eventIDColumns = []string{"EventID", "event_id", "EventId", "winlog.event_id", "event.code"}
	channelColumns = []string{"Channel", "log_name", "winlog.channel"}
)

// nameEventLanes labels the lanes of a timeline drawn by an event id column ("10
// ProcessAccess"): each lane takes the name its id has in the channel most of its events
// come from. Lanes of other columns, and ids the names table lacks, keep their value.
func (f *Frame) nameEventLanes(ctx context.Context, t *view.Timeline, by column) error {
	defer runtime.KeepAlive(f) // see tableRef
	isID := false
	for _, n := range eventIDColumns {
		isID = isID || by.name == n
	}
	if !isID || len(t.Lanes) == 0 {
		return nil
	}
	channels := map[string]string{}
	if ch, ok := f.pick(channelColumns...); ok {
		q := "SELECT CAST(" + quoteIdent(by.ident) + " AS VARCHAR), mode(CAST(" + quoteIdent(ch.ident) + " AS VARCHAR)) FROM " +
			f.from() + " GROUP BY 1"
		rows, err := f.eng.db.QueryContext(ctx, q)
		if err != nil {
			return duckErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, c sql.NullString
			if err := rows.Scan(&id, &c); err != nil {
				return err
			}
			if id.Valid {
				// A lane whose events carry no channel at all is named as if there were none.
				channels[id.String] = c.String
			}
		}
		if err := rows.Err(); err != nil {
			return duckErr(err)
		}
	}
	for i, l := range t.Lanes {
		if l.Other || l.Name == "(null)" {
			continue
		}
		c, ok := channels[l.Name]
		if !ok && len(channels) > 0 {
			continue
		}
		if n := view.EventName(strings.TrimSpace(c), l.Name); n != "" {
			t.Lanes[i].Label = l.Name + " " + n
		}
	}
	return nil
}
