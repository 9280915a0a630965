package hunt

import (
	"fmt"
	"runtime"
	"strings"
)

// LogonGraph builds the graph of logons in the frame's Security events: 4624 (logon) and 4625
// (failed logon) give an edge from the account (DOMAIN\user, TargetDomainName and
// TargetUserName) to the host that logged it (Hostname) and one from the source address
// (IpAddress, when it is not "-", empty or a loopback address) to that host; 4648 (logon with
// explicit credentials) gives an edge from the account used (TargetDomainName\TargetUserName)
// to the server named (TargetServerName, or the logging host when it is "localhost" or empty).
// Edges carry kind ("account" or "ip"), logon_types (the distinct LogonType values, comma
// separated, sorted; "explicit" for 4648) and failures (how many were 4625), besides count,
// first and last. Both Mordor layouts work.
//
// LogonGraph reads the frame's distinct values of those fields once, when it is called (see
// logonHashed); the edges themselves are computed when a frame of the graph is used, or by Cache.
func LogonGraph(ev *Frame) *Graph { return logonGraph(ev, false) }

// logonGraph builds LogonGraph's edges with the hashed plan when it is exact for these events,
// and with the grouped plan otherwise or when grouped is set (tests compare the two).
func logonGraph(ev *Frame, grouped bool) *Graph {
	f, c, bad := builderFrame(ev, "LogonGraph")
	if bad != nil {
		return bad
	}
	cond, err := c.events("security", "4624", "4625", "4648")
	if err != nil {
		return &Graph{edges: errFrame(f.eng, errorf("hunt: LogonGraph: %s", strings.TrimPrefix(err.Error(), "hunt: ")))}
	}
	if !grouped {
		g, ok, err := logonHashed(f, c)
		if err != nil {
			return &Graph{edges: errFrame(f.eng, fmt.Errorf("hunt: LogonGraph: %w", err))}
		}
		if ok {
			return g
		}
	}
	return logonGrouped(f, c, cond)
}

// logonGrouped is the plan over the events' own values: one scan groups the logon events by the
// raw fields the edges are made of (most logons repeat: the same account on the same host from
// the same address); the edges are then derived from those groups and merged per (src, dst) on
// their strings, and the logon types of an edge are the distinct values of its groups.
func logonGrouped(f *Frame, c eventCols, cond string) *Graph {
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

// logonFields are the event fields LogonGraph reads, in the order of their code in the
// dictionary table (column c): domain, user, host, address, logon type, target server, channel.
var logonFields = []string{"TargetDomainName", "TargetUserName", "Hostname", "IpAddress", "LogonType", "TargetServerName", "Channel"}

// logonHashed builds LogonGraph's edges without grouping or joining the events on strings, which
// is what the cost of grouping a million events is made of. It works in three steps:
//
//  1. The dictionary (made now, an in-memory table): for each field, its distinct values in the
//     frame, each with its 64-bit hash and its text (NULL for NULL and ""). Reading one column's
//     distinct values is cheap in DuckDB (its storage keeps such columns as dictionaries).
//  2. The logon events are grouped by the hashes of their fields. When no two distinct values of
//     a field share a hash (checked now, on the dictionary), grouping by the hashes is exactly
//     grouping by the values. One pass makes two grouping sets: the account and explicit-
//     credential edge ends (domain, user, host, server) and the address ones (address, host),
//     each group with its logon types as a bit set. If a field has colliding hashes, or there are
//     more than 63 distinct logon types besides "explicit", ok is false and the grouped plan is
//     used.
//  3. Everything after the grouping is on integers: the vertex texts (accounts made from the
//     distinct domain and user pairs, hosts, addresses, servers) are numbered in byte order once;
//     each kind of edge is mapped to vertex numbers through the small dictionary and merged per
//     (src, dst) number; the texts are joined back at the end. The edges keep their vertex
//     numbers as hidden columns (__src_n, __dst_n), which Components uses instead of numbering
//     the vertices again.
func logonHashed(f *Frame, c eventCols) (*Graph, bool, error) {
	defer runtime.KeepAlive(f) // see tableRef
	eid, _ := f.pick("EventID", "event_id")
	raw := make([]string, len(logonFields))
	for i, n := range logonFields {
		switch n {
		case "Hostname":
			raw[i] = c.rawCol("Hostname", "computer_name", "host.name")
		case "Channel":
			raw[i] = c.rawCol("Channel", "log_name")
		default:
			raw[i] = c.rawCol(n, "event_data."+n)
		}
	}
	dict := memCatalog + ".main." + quoteIdent(f.eng.tableName("graph"))
	parts := make([]string, len(raw))
	for i, r := range raw {
		parts[i] = fmt.Sprintf("SELECT %d AS c, hash(x) AS h, nullif(CAST(x AS VARCHAR), '') AS v FROM (SELECT DISTINCT %s AS x FROM %s)", i, r, f.from())
	}
	if err := f.eng.exec(cellCtx(), "CREATE TABLE "+dict+" AS "+strings.Join(parts, "\nUNION ALL ")); err != nil {
		return nil, false, err
	}
	var exact bool
	var types int64
	err := f.eng.db.QueryRowContext(cellCtx(), "SELECT coalesce(bool_and(n = nh), true), (SELECT count(DISTINCT v) FROM "+dict+" WHERE c = 4 AND v <> 'explicit') "+
		"FROM (SELECT count(*) AS n, count(DISTINCT h) AS nh FROM "+dict+" GROUP BY c)").Scan(&exact, &types)
	if err != nil {
		return nil, false, duckErr(err)
	}
	if !exact || types+1 > 64 {
		return nil, false, nil
	}
	// The logon types, numbered in byte order ("explicit" among them), become one bit each of
	// an edge's set, and the hashes of the security channel's spellings are known: both go
	// into the grouping of the events as constants, so it needs no join.
	ltBit, explicitBit, security := "0::UBIGINT", "", []string{}
	rows, err := f.eng.db.QueryContext(cellCtx(), "WITH __lr AS ("+logonTypeRanks(dict)+") "+
		"SELECT 0, d.h, __lr.r FROM "+dict+" AS d JOIN __lr USING (v) WHERE d.c = 4 "+
		"UNION ALL SELECT 1, 0, r FROM __lr WHERE v = 'explicit' "+
		"UNION ALL SELECT 2, h, 0 FROM "+dict+" WHERE c = 6 AND "+c.channelIs("v", "security"))
	if err != nil {
		return nil, false, duckErr(err)
	}
	var hs, bits []string
	for rows.Next() {
		var kind int
		var h uint64
		var r int64
		if err := rows.Scan(&kind, &h, &r); err != nil {
			rows.Close()
			return nil, false, err
		}
		switch kind {
		case 0:
			hs, bits = append(hs, fmt.Sprintf("%d::UBIGINT", h)), append(bits, fmt.Sprintf("%d::UBIGINT", uint64(1)<<r))
		case 1:
			explicitBit = fmt.Sprint(uint64(1) << r)
		default:
			security = append(security, fmt.Sprintf("%d::UBIGINT", h))
		}
	}
	if err := rows.Close(); err != nil {
		return nil, false, duckErr(err)
	}
	if err := rows.Err(); err != nil {
		return nil, false, duckErr(err)
	}
	if len(hs) > 0 {
		// One lookup in a constant list hashes the field once per event (a CASE over the
		// hashes made DuckDB hash it again for each WHEN).
		ltBit = "coalesce(list_extract([" + strings.Join(bits, ", ") + "], list_position([" + strings.Join(hs, ", ") + "], hash(" + raw[4] + "))), 0::UBIGINT)"
	}
	eidx := "TRY_CAST(" + quoteIdent(eid.ident) + " AS BIGINT)"
	where := eidx + " IN (4624, 4625, 4648)"
	if _, ok := f.pick("Channel", "log_name"); ok {
		if len(security) == 0 {
			security = []string{"NULL"}
		}
		where += " AND hash(" + raw[6] + ") IN (" + strings.Join(security, ", ") + ")"
	}
	sel := []string{"hash(" + raw[0] + ") AS hd", "hash(" + raw[1] + ") AS hu", "hash(" + raw[2] + ") AS hh", "CASE WHEN " + eidx + " <> 4648 THEN hash(" + raw[3] + ") END AS hi",
		"CASE WHEN " + eidx + " = 4648 THEN hash(" + raw[5] + ") END AS hs"}
	d := func(code int, alias string) string {
		return dict + " AS " + alias + " ON " + alias + ".c = " + fmt.Sprint(code)
	}
	// One pass over the events aggregates both kinds of edge end at once: the account (and
	// explicit-credential) edges by domain, user, host and server hash, the address edges by
	// address and host hash; gi tells the two sets apart. hs is set for 4648 events only and hi
	// for the others (DuckDB's hash of NULL is a number, not NULL), so neither set needs the event
	// id as a key: a NULL hs is a logon, a NULL hi an explicit-credential event.
	q := "WITH __x AS MATERIALIZED (SELECT " + strings.Join(sel, ", ") + ", GROUPING(hi) AS gi, count(*) AS n, min(" + c.time() + ") AS f, max(" + c.time() + ") AS l,\n" +
		"  bit_or(CASE WHEN " + eidx + " = 4648 THEN " + explicitBit + "::UBIGINT ELSE " + ltBit + " END) AS lb, count(*) FILTER (WHERE " + eidx + " = 4625) AS fl\n" +
		"  FROM " + f.from() + " WHERE " + where + " GROUP BY GROUPING SETS ((hd, hu, hh, hs), (hi, hh))),\n" +
		"__lr AS MATERIALIZED (" + logonTypeRanks(dict) + "),\n" +
		// accounts of the distinct (domain, user) pairs, and every vertex text numbered in byte order
		"__p AS MATERIALIZED (SELECT p.hd, p.hu, CASE WHEN u.v IS NULL THEN NULL WHEN dm.v IS NULL OR dm.v = '-' THEN u.v ELSE dm.v || '\\' || u.v END AS a\n" +
		"  FROM (SELECT DISTINCT hd, hu FROM __x WHERE gi = 1) AS p JOIN " + d(0, "dm") + " AND dm.h = p.hd JOIN " + d(1, "u") + " AND u.h = p.hu),\n" +
		"__v AS MATERIALIZED (SELECT v, row_number() OVER (ORDER BY v) AS n FROM (SELECT a AS v FROM __p WHERE a IS NOT NULL UNION SELECT v FROM " + dict + " WHERE c IN (2, 3, 5) AND v IS NOT NULL)),\n" +
		"__pa AS (SELECT hd, hu, n FROM __p JOIN __v ON __p.a = __v.v),\n" +
		"__hm AS (SELECT h, n FROM " + dict + " JOIN __v USING (v) WHERE c = 2),\n" +
		"__im AS (SELECT h, n FROM " + dict + " JOIN __v USING (v) WHERE c = 3 AND v NOT IN ('-', '::1', '127.0.0.1')),\n" +
		"__sm AS (SELECT h, n, v IS NULL OR lower(v) = 'localhost' AS loc FROM " + dict + " LEFT JOIN __v USING (v) WHERE c = 5),\n" +
		// each kind of edge mapped to vertex numbers, then merged per (src, dst) number
		"__a1 AS (SELECT hd, hu, hh, n, f, l, lb, fl FROM __x WHERE gi = 1 AND hs IS NULL),\n" +
		"__a2 AS (SELECT hi, hh, n, f, l, lb, fl FROM __x WHERE gi = 0 AND hi IS NOT NULL),\n" +
		"__a3 AS (SELECT hd, hu, hh, hs, n, f, l, lb FROM __x WHERE gi = 1 AND hs IS NOT NULL),\n" +
		"__r AS (SELECT 0 AS kind, pa.n AS s, hm.n AS d, a.n, a.f, a.l, a.lb, a.fl FROM __a1 AS a JOIN __pa AS pa ON pa.hd = a.hd AND pa.hu = a.hu JOIN __hm AS hm ON hm.h = a.hh\n" +
		"  UNION ALL SELECT 1, im.n, hm.n, a.n, a.f, a.l, a.lb, a.fl FROM __a2 AS a JOIN __im AS im ON im.h = a.hi JOIN __hm AS hm ON hm.h = a.hh\n" +
		"  UNION ALL SELECT 0, pa.n, CASE WHEN sm.loc THEN hm.n ELSE sm.n END, a.n, a.f, a.l, a.lb, NULL FROM __a3 AS a JOIN __pa AS pa ON pa.hd = a.hd AND pa.hu = a.hu\n" +
		"    JOIN __sm AS sm ON sm.h = a.hs LEFT JOIN __hm AS hm ON hm.h = a.hh),\n" +
		"__m AS MATERIALIZED (SELECT s, d, sum(n)::BIGINT AS cnt, min(f) AS f, max(l) AS l, any_value(kind) AS kind, bit_or(lb) AS lb, coalesce(sum(fl), 0)::BIGINT AS failures\n" +
		"  FROM __r WHERE d IS NOT NULL GROUP BY s, d),\n" +
		"__ls AS (SELECT lb, (SELECT string_agg(v, ',' ORDER BY r) FROM __lr WHERE (lb >> r) & 1 = 1) AS lts FROM (SELECT DISTINCT lb FROM __m))\n" +
		"SELECT sv.v AS src, dv.v AS dst, cnt AS \"count\", f AS \"first\", l AS \"last\", CASE kind WHEN 0 THEN 'account' ELSE 'ip' END AS kind, __ls.lts AS logon_types, failures,\n" +
		"  s AS __src_n, d AS __dst_n\n" +
		"FROM __m JOIN __v AS sv ON sv.n = __m.s JOIN __v AS dv ON dv.n = __m.d JOIN __ls ON __ls.lb = __m.lb"
	return &Graph{edges: f.derive(q).context("LogonGraph"), numbered: true}, true, nil
}

// logonTypeRanks is the query of the logon types in the dictionary table dict and "explicit",
// numbered from 0 in byte order: v, r.
func logonTypeRanks(dict string) string {
	return "SELECT v, row_number() OVER (ORDER BY v) - 1 AS r FROM (SELECT v FROM " + dict + " WHERE c = 4 AND v IS NOT NULL UNION SELECT 'explicit')"
}
