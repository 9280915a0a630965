package hunt

import (
	"database/sql"
	"fmt"
	"runtime"
	"strings"

	"github.com/gohunt/gohunt/hunt/view"
)

// pick returns the first of names that is a column of f.
func (f *Frame) pick(names ...string) (column, bool) {
	for _, n := range names {
		if c, err := f.resolve(n); err == nil {
			return c, true
		}
	}
	return column{}, false
}

// ProcessTree builds the tree of process creations in the frame: Sysmon EventID 1 events
// (ProcessGuid, ParentProcessGuid, ProcessId, Image, CommandLine, User, UtcTime) and Security
// EventID 4688 events (NewProcessId and the creator's ProcessId in hex, NewProcessName,
// ParentProcessName, SubjectUserName, @timestamp), with the host from Hostname. Other rows are
// ignored. Both Mordor layouts work (flat, and winlogbeat's event_data.* / computer_name /
// event_id / log_name). Parents whose creation is not in the frame become roots of their own,
// described from the child's ParentImage. Highlight marks processes in the result:
//
//	f.ProcessTree().Highlight("powershell started by WMI", hunt.Spawned("powershell.exe", "wmiprvse.exe"))
//
// Filter the frame first (a host, a time window) for a readable tree; the HTML shows at most
// 2000 processes and says so when there are more.
func (f *Frame) ProcessTree() *ProcessTree {
	defer runtime.KeepAlive(f) // see tableRef
	fail := func(err error) *ProcessTree { return &view.ProcessTree{Error: err} }
	if err := f.Err(); err != nil {
		return fail(err)
	}
	if f.lazy() {
		return f.lazyProcessTree()
	}
	eid, ok := f.pick("EventID", "event_id")
	if !ok {
		return fail(errorf("hunt: ProcessTree needs an EventID (or event_id) column to find Sysmon 1 and Security 4688 events; the frame has %s", strings.Join(quoteAll(f.Columns()), ", ")))
	}
	str := func(names ...string) string {
		if c, ok := f.pick(names...); ok {
			return "CAST(" + quoteIdent(c.ident) + " AS VARCHAR)"
		}
		return "CAST(NULL AS VARCHAR)"
	}
	ts := func(names ...string) string {
		if c, ok := f.pick(names...); ok {
			return timeExpr(c)
		}
		return "CAST(NULL AS TIMESTAMP)"
	}
	id := "TRY_CAST(" + quoteIdent(eid.ident) + " AS BIGINT)"
	where := id + " IN (1, 4688)"
	if ch, ok := f.pick("Channel", "log_name"); ok {
		c := "lower(CAST(" + quoteIdent(ch.ident) + " AS VARCHAR))"
		where = "((" + id + " = 1 AND " + c + " LIKE '%sysmon%') OR (" + id + " = 4688 AND " + c + " = 'security'))"
	}
	ed := func(n string) []string { return []string{n, "event_data." + n} }
	subjUser := str(ed("SubjectUserName")...)
	subjDom := str(ed("SubjectDomainName")...)
	q := "SELECT " + strings.Join([]string{
		id,
		str("Hostname", "computer_name"),
		"coalesce(" + ts(ed("UtcTime")...) + ", " + ts("@timestamp") + ")",
		str(ed("ProcessGuid")...),
		str(ed("ParentProcessGuid")...),
		str(ed("ProcessId")...),
		str(ed("ParentProcessId")...),
		str(ed("NewProcessId")...),
		str(ed("Image")...),
		str(ed("NewProcessName")...),
		str(ed("CommandLine")...),
		str(ed("ParentImage")...),
		str(ed("ParentProcessName")...),
		str(ed("ParentCommandLine")...),
		str(ed("User")...),
		"CASE WHEN " + subjUser + " IS NULL THEN NULL WHEN " + subjDom + " IS NULL OR " + subjDom + " IN ('', '-') THEN " + subjUser + " ELSE " + subjDom + " || '\\' || " + subjUser + " END",
	}, ", ") + " FROM " + f.from() + " WHERE " + where
	rows, err := f.eng.db.QueryContext(viewCtx(), q)
	if err != nil {
		return fail(fmt.Errorf("hunt: process tree: %w", duckErr(err)))
	}
	defer rows.Close()
	var events []view.ProcessEvent
	var untimed int
	for rows.Next() {
		var e sql.NullInt64
		var tm sql.NullTime
		var host, guid, pguid, pid, ppid, newPID, image, newName, cmd, pimage, pname, pcmd, user, subj sql.NullString
		if err := rows.Scan(&e, &host, &tm, &guid, &pguid, &pid, &ppid, &newPID, &image, &newName, &cmd, &pimage, &pname, &pcmd, &user, &subj); err != nil {
			return fail(fmt.Errorf("hunt: process tree: %w", err))
		}
		ev := view.ProcessEvent{Host: host.String, CommandLine: cmd.String, ParentCommandLine: pcmd.String, PID: -1, ParentPID: -1}
		if tm.Valid {
			ev.Time = tm.Time.UTC()
		} else {
			untimed++
		}
		if e.Int64 == 1 {
			ev.Source = "sysmon 1"
			ev.GUID, ev.ParentGUID = guid.String, pguid.String
			ev.PID, _ = view.ParsePID(pid.String)
			ev.ParentPID, _ = view.ParsePID(ppid.String)
			ev.Image, ev.ParentImage, ev.User = image.String, pimage.String, user.String
		} else {
			ev.Source = "security 4688"
			ev.PID, _ = view.ParsePID(newPID.String)
			ev.ParentPID, _ = view.ParsePID(pid.String) // 4688's ProcessId is the creator's
			ev.Image, ev.ParentImage, ev.User = newName.String, pname.String, subj.String
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return fail(fmt.Errorf("hunt: process tree: %w", duckErr(err)))
	}
	t := view.NewProcessTree(events)
	if untimed > 0 {
		t.Note = fmt.Sprintf("%d events without a readable time (sorted first)", untimed)
	}
	if len(events) == 0 {
		t.Note = "no Sysmon EventID 1 or Security EventID 4688 events in the frame"
	}
	return t
}
