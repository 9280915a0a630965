package hunt

import "strings"

// eventCols renders the columns the graph builders read, for both Mordor layouts (flat, and
// winlogbeat's event_data.* / computer_name / event_id / log_name): a missing column is NULL.
type eventCols struct{ f *Frame }

func (c eventCols) str(names ...string) string {
	var all []string
	for _, n := range names {
		all = append(all, n, "event_data."+n)
	}
	if col, ok := c.f.pick(all...); ok {
		return "nullif(CAST(" + quoteIdent(col.ident) + " AS VARCHAR), '')"
	}
	return "CAST(NULL AS VARCHAR)"
}

// rawCol renders the first of the named columns the frame has as it is stored (no cast), or a
// NULL string when it has none.
func (c eventCols) rawCol(names ...string) string {
	if col, ok := c.f.pick(names...); ok {
		return quoteIdent(col.ident)
	}
	return "CAST(NULL AS VARCHAR)"
}

// channelIs renders the condition that the channel text v (a VARCHAR expression) is channel
// ("security"), as events does; true when the frame has no channel column.
func (c eventCols) channelIs(v, channel string) string {
	if _, ok := c.f.pick("Channel", "log_name"); ok {
		return "lower(" + v + ") = " + quoteString(channel)
	}
	return "true"
}

func (c eventCols) host() string {
	if col, ok := c.f.pick("Hostname", "computer_name", "host.name"); ok {
		return "nullif(CAST(" + quoteIdent(col.ident) + " AS VARCHAR), '')"
	}
	return "CAST(NULL AS VARCHAR)"
}

func (c eventCols) time() string {
	if col, ok := c.f.pick(graphTimeNames...); ok {
		return timeExpr(col)
	}
	return "CAST(NULL AS TIMESTAMP)"
}

// events returns the WHERE condition selecting event ids ids of a channel: "security" matches
// the Security log, "sysmon" Sysmon's. Without a channel column the ids alone decide.
func (c eventCols) events(channel string, ids ...string) (string, error) {
	eid, ok := c.f.pick("EventID", "event_id")
	if !ok {
		return "", errorf("hunt: the frame has no EventID (or event_id) column; it has %s", strings.Join(quoteAll(c.f.Columns()), ", "))
	}
	cond := "TRY_CAST(" + quoteIdent(eid.ident) + " AS BIGINT) IN (" + strings.Join(ids, ", ") + ")"
	if ch, ok := c.f.pick("Channel", "log_name"); ok {
		l := "lower(CAST(" + quoteIdent(ch.ident) + " AS VARCHAR))"
		if channel == "sysmon" {
			cond += " AND " + l + " LIKE '%sysmon%'"
		} else {
			cond += " AND " + l + " = " + quoteString(channel)
		}
	}
	return cond, nil
}

func (c eventCols) eventID() string {
	eid, _ := c.f.pick("EventID", "event_id")
	return "TRY_CAST(" + quoteIdent(eid.ident) + " AS BIGINT)"
}

// baseName renders the file name of a Windows or Unix path expression, lower-cased.
func baseNameSQL(e string) string {
	return "lower(regexp_extract(" + e + ", '[^\\\\/]*$'))"
}

// builderFrame prepares f for a builder: read (if on another engine) and error-checked.
func builderFrame(f *Frame, op string) (*Frame, eventCols, *Graph) {
	if f == nil {
		return nil, eventCols{}, &Graph{edges: &Frame{err: errorf("hunt: %s: nil frame", op)}}
	}
	if f.lazy() {
		f = f.Local()
	}
	if f.err != nil {
		return nil, eventCols{}, &Graph{edges: f}
	}
	return f, eventCols{f}, nil
}

// distinctValues renders the aggregate of the distinct non-NULL values of the VARCHAR column
// col, sorted and comma separated (NULL when there are none): string_agg(DISTINCT col, ','
// ORDER BY col), computed as a sorted list, which DuckDB does several times faster.
func distinctValues(col string) string {
	return "nullif(array_to_string(list_sort(list_distinct(list(" + col + "))), ','), '')"
}

// NetworkGraph builds the graph of network connections in the frame's Sysmon EventID 3 events:
// an edge from the process on its host ("image.exe@host", the lower-cased file name of Image and
// Hostname) to the destination ("DestinationIp:DestinationPort"). Edges carry protocol (the
// distinct Protocol values) and hostnames (the distinct DestinationHostname values, comma
// separated), besides count, first and last.
func NetworkGraph(ev *Frame) *Graph {
	f, c, bad := builderFrame(ev, "NetworkGraph")
	if bad != nil {
		return bad
	}
	cond, err := c.events("sysmon", "3")
	if err != nil {
		return &Graph{edges: errFrame(f.eng, errorf("hunt: NetworkGraph: %s", strings.TrimPrefix(err.Error(), "hunt: ")))}
	}
	ip := c.str("DestinationIp")
	q := "SELECT " + baseNameSQL(c.str("Image")) + " || '@' || " + c.host() + " AS src, " +
		"CASE WHEN " + ip + " LIKE '%:%' THEN '[' || " + ip + " || ']' ELSE " + ip + " END || ':' || coalesce(" + c.str("DestinationPort") + ", '?') AS dst, " +
		c.str("Protocol") + " AS protocol, " + c.str("DestinationHostname") + " AS dhost, " + c.time() + " AS \"time\" FROM " + f.from() + " WHERE " + cond
	in := f.derive(q).context("NetworkGraph")
	return in.Graph(Col("src"), Col("dst"), GraphTime("time"), GraphOption{rawAggs: []string{
		distinctValues("protocol") + " AS protocol",
		distinctValues("dhost") + " AS hostnames",
	}})
}

// ProcessGraph builds the graph of process creations in the frame's Sysmon EventID 1 events:
// an edge from the parent's image file name to the child's (lower-cased: "cmd.exe" ->
// "powershell.exe"), so that one edge gathers every such creation. Edges carry hosts (how many
// distinct hosts) and users (the distinct User values, comma separated), besides count, first
// and last.
func ProcessGraph(ev *Frame) *Graph {
	f, c, bad := builderFrame(ev, "ProcessGraph")
	if bad != nil {
		return bad
	}
	cond, err := c.events("sysmon", "1")
	if err != nil {
		return &Graph{edges: errFrame(f.eng, errorf("hunt: ProcessGraph: %s", strings.TrimPrefix(err.Error(), "hunt: ")))}
	}
	q := "SELECT " + baseNameSQL(c.str("ParentImage")) + " AS src, " + baseNameSQL(c.str("Image")) + " AS dst, " +
		c.host() + " AS host, " + c.str("User") + " AS usr, " + c.time() + " AS \"time\" FROM " + f.from() + " WHERE " + cond
	in := f.derive(q).context("ProcessGraph")
	return in.Graph(Col("src"), Col("dst"), GraphTime("time"), GraphOption{rawAggs: []string{
		"count(DISTINCT host) AS hosts",
		distinctValues("usr") + " AS users",
	}})
}
