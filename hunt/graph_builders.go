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
	logon, err := c.events("security", "4624", "4625")
	if err != nil {
		return &Graph{edges: errFrame(f.eng, errorf("hunt: LogonGraph: %s", strings.TrimPrefix(err.Error(), "hunt: ")))}
	}
	explicit, _ := c.events("security", "4648")
	acct := func(dom, user string) string {
		d, u := c.str(dom), c.str(user)
		return "CASE WHEN " + u + " IS NULL THEN NULL WHEN " + d + " IS NULL OR " + d + " = '-' THEN " + u + " ELSE " + d + " || '\\' || " + u + " END"
	}
	host, tm, eid := c.host(), c.time(), c.eventID()
	ip := c.str("IpAddress")
	lt := c.str("LogonType")
	srv := c.str("TargetServerName")
	q := "SELECT 'account' AS kind, " + acct("TargetDomainName", "TargetUserName") + " AS src, " + host + " AS dst, " + lt + " AS logon_type, " + eid + " AS event_id, " + tm + " AS \"time\" FROM " + f.from() + " WHERE " + logon +
		" UNION ALL SELECT 'ip', " + ip + ", " + host + ", " + lt + ", " + eid + ", " + tm + " FROM " + f.from() + " WHERE " + logon + " AND coalesce(" + ip + ", '-') NOT IN ('-', '::1', '127.0.0.1')" +
		" UNION ALL SELECT 'account', " + acct("TargetDomainName", "TargetUserName") + ", CASE WHEN " + srv + " IS NULL OR lower(" + srv + ") = 'localhost' THEN " + host + " ELSE " + srv + " END, 'explicit', " + eid + ", " + tm + " FROM " + f.from() + " WHERE " + explicit
	in := f.derive(q).context("LogonGraph")
	return in.Graph(Col("src"), Col("dst"), GraphTime("time"), GraphOption{rawAggs: []string{
		"any_value(kind) AS kind",
		"string_agg(DISTINCT logon_type, ',' ORDER BY logon_type) AS logon_types",
		"count(*) FILTER (WHERE event_id = 4625) AS failures",
	}})
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
		"string_agg(DISTINCT protocol, ',' ORDER BY protocol) AS protocol",
		"string_agg(DISTINCT dhost, ',' ORDER BY dhost) AS hostnames",
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
		"string_agg(DISTINCT usr, ',' ORDER BY usr) AS users",
	}})
}
