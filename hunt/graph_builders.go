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

// LogonGraph builds the graph of logons in the frame's Security events: 4624 (logon) and 4625
// (failed logon) give an edge from the account (DOMAIN\user, TargetDomainName and
// TargetUserName) to the host that logged it (Hostname) and one from the source address
// (IpAddress, when it is not "-", empty or a loopback address) to that host; 4648 (logon with
// explicit credentials) gives an edge from the account used (TargetDomainName\TargetUserName)
// to the server named (TargetServerName, or the logging host when it is "localhost" or empty).
// Edges carry kind ("account" or "ip"), logon_types (the distinct LogonType values, comma
// separated, sorted; "explicit" for 4648) and failures (how many were 4625), besides count,
// first and last. Both Mordor layouts work.
func LogonGraph(ev *Frame) *Graph {
	f, c, bad := builderFrame(ev, "LogonGraph")
	if bad != nil {
		return bad
	}
	cond, err := c.events("security", "4624", "4625", "4648")
	if err != nil {
		return &Graph{edges: errFrame(f.eng, errorf("hunt: LogonGraph: %s", strings.TrimPrefix(err.Error(), "hunt: ")))}
	}
	// One scan groups the logon events by the raw fields the edges are made of (most logons
	// repeat: the same account on the same host from the same address); the edges are then
	// derived from those groups, and the logon types of an edge are the distinct values of its
	// groups. This costs one hash aggregation of the events on their own columns instead of one
	// per kind of edge over computed strings.
	x := "SELECT " + c.str("TargetDomainName") + " AS dom, " + c.str("TargetUserName") + " AS usr, " + c.host() + " AS host, " +
		c.str("IpAddress") + " AS ip, " + c.str("LogonType") + " AS lt, " + c.str("TargetServerName") + " AS srv, " + c.eventID() + " AS eid, " +
		"count(*) AS n, min(" + c.time() + ") AS f, max(" + c.time() + ") AS l FROM " + f.from() + " WHERE " + cond + " GROUP BY ALL"
	acct := "CASE WHEN usr IS NULL THEN NULL WHEN dom IS NULL OR dom = '-' THEN usr ELSE dom || '\\' || usr END"
	q := "WITH __x AS MATERIALIZED (" + x + "),\n" +
		"__r AS (SELECT 'account' AS kind, " + acct + " AS src, host AS dst, lt, eid, n, f, l FROM __x WHERE eid <> 4648\n" +
		"  UNION ALL SELECT 'ip', ip, host, lt, eid, n, f, l FROM __x WHERE eid <> 4648 AND coalesce(ip, '-') NOT IN ('-', '::1', '127.0.0.1')\n" +
		"  UNION ALL SELECT 'account', " + acct + ", CASE WHEN srv IS NULL OR lower(srv) = 'localhost' THEN host ELSE srv END, 'explicit', eid, n, f, l FROM __x WHERE eid = 4648)\n" +
		"SELECT src, dst, sum(n)::BIGINT AS \"count\", min(f) AS \"first\", max(l) AS \"last\", any_value(kind) AS kind, " +
		distinctValues("lt") + " AS logon_types, coalesce(sum(n) FILTER (WHERE eid = 4625), 0)::BIGINT AS failures\n" +
		"FROM __r WHERE nullif(src, '') IS NOT NULL AND nullif(dst, '') IS NOT NULL GROUP BY src, dst"
	return &Graph{edges: f.derive(q).context("LogonGraph")}
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
