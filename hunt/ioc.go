package hunt

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// ExtractIOCs is a column expression holding the indicators of compromise found in a text column:
// a list of {type, value} structs, each (type, value) once, in the order found. col is a column
// name or an Expr. Types:
//
//	ipv4, ipv6          addresses (IPv6 in canonical form); version numbers (10.0.17763.1,
//	                    Version=4.0.0.0) are not addresses
//	domain              names under a top-level domain of the DNS root zone (a list kept as data,
//	                    hunt/ioc_tlds.txt): powershell.exe, a.ps1 and System.Net.WebClient are not
//	url                 scheme://... (http, https, ftp, file, ldap, smb, ...); its host is also a
//	                    domain, ipv4 or ipv6
//	email               user@domain
//	md5, sha1, sha256   runs of exactly 32, 40 or 64 hex digits (lower case)
//	windows_path        C:\..., %SystemRoot%\...
//	unc_path            \\server\share\...
//	registry_key        HKLM\..., HKEY_LOCAL_MACHINE\..., \REGISTRY\MACHINE\...
//
// Defanged indicators are understood and normalised: hxxp(s) and fxp, [.] (.) {.} [dot], [at] (at)
// [@], [:]. Domains, e-mail addresses and hashes are in lower case. NULL text gives NULL.
//
//	ev.Select("CommandLine", hunt.ExtractIOCs("CommandLine").As("iocs"))
//
// The scan runs inside DuckDB, in parallel over the rows: in SQL (%%sql, hunt.SQL, hunt.DuckSQL)
// the same function is ioc_extract(CommandLine), and unnest(ioc_extract(x)) gives one row per
// indicator. Frame.IOCs counts the indicators of whole columns.
func ExtractIOCs(col any) Expr {
	e, ok := col.(Expr)
	if s, isName := col.(string); isName {
		e, ok = Col(s), true
	}
	if !ok {
		e = Lit(col)
	}
	return Expr{op: "fn", name: iocExtractSQL, args: []Expr{e.Cast("VARCHAR")}}
}

// iocExtractSQL is the SQL name of ExtractIOCs, registered on the session's database.
const iocExtractSQL = "ioc_extract"

// IOCs returns a frame of the indicators of compromise in the named columns (every text column
// when none is named), one row per (column, type, value) with count, the number of rows whose
// column holds that indicator; most frequent first. Types and normalisation are ExtractIOCs'.
// Each distinct text is scanned once, by DuckDB, in parallel; a frame on Elasticsearch or Spark
// reads the named columns first.
//
//	ev.IOCs("CommandLine", "ParentCommandLine").Where(hunt.Col("type").Eq("domain"))
func (f *Frame) IOCs(cols ...string) *Frame {
	if f.err != nil {
		return f
	}
	if f.lazy() {
		if len(cols) > 0 {
			sel := make([]any, len(cols))
			for i, c := range cols {
				sel[i] = c
			}
			f = f.Select(sel...)
		}
		f = f.Local()
		if f.err != nil {
			return f
		}
	}
	var use []column
	if len(cols) == 0 {
		for _, c := range f.cols {
			if c.typ == "VARCHAR" {
				use = append(use, c)
			}
		}
		if len(use) == 0 {
			return errFrame(f.eng, errorf("hunt: IOCs: the frame has no text column (name the columns to scan)"))
		}
	} else {
		for _, name := range cols {
			c, err := f.resolve(name)
			if err != nil {
				return errFrame(f.eng, fmt.Errorf("IOCs: %w", err))
			}
			use = append(use, c)
		}
	}
	parts := make([]string, len(use))
	for i, c := range use {
		id := quoteIdent(c.ident)
		parts[i] = "SELECT " + quoteString(c.name) + " AS col, CAST(" + id + " AS VARCHAR) AS s, count(*) AS n FROM " +
			f.from() + " WHERE " + id + " IS NOT NULL GROUP BY ALL"
	}
	q := `SELECT col AS "column", i."type" AS "type", i."value" AS "value", CAST(sum(n) AS BIGINT) AS "count" FROM (` +
		`SELECT col, n, unnest(` + iocExtractSQL + `(s)) AS i FROM (` + strings.Join(parts, " UNION ALL ") + `)) ` +
		`GROUP BY ALL ORDER BY "count" DESC, "column", "type", "value"`
	return f.derive(q).context("IOCs")
}

// iocExtractUDF is ioc_extract as a DuckDB scalar function:
// VARCHAR -> STRUCT("type" VARCHAR, "value" VARCHAR)[].
type iocExtractUDF struct{}

func iocListType() (duckdb.TypeInfo, error) {
	v, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return nil, err
	}
	t, err := duckdb.NewStructEntry(v, "type")
	if err != nil {
		return nil, err
	}
	val, err := duckdb.NewStructEntry(v, "value")
	if err != nil {
		return nil, err
	}
	st, err := duckdb.NewStructInfo(t, val)
	if err != nil {
		return nil, err
	}
	return duckdb.NewListInfo(st)
}

func (iocExtractUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	l, _ := iocListType()
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: l}
}

func (iocExtractUDF) Executor() duckdb.ScalarFuncExecutor {
	return rowFunc(iocExtractSQL, func(values []driver.Value) (any, error) {
		s, _ := values[0].(string)
		found := extractIOCs(s)
		out := make([]any, len(found))
		for i, x := range found {
			out[i] = map[string]any{"type": x.Type, "value": x.Value}
		}
		return out, nil
	})
}

// registerIOCFunctions adds ioc_extract and lookup.go's IP functions to the database of conn.
func registerIOCFunctions(conn *sql.Conn) error {
	for name, f := range map[string]duckdb.ScalarFunc{
		iocExtractSQL: iocExtractUDF{},
		ipKeySQL:      ipKeyUDF{},
		cidrLowSQL:    cidrBoundUDF{high: false},
		cidrHighSQL:   cidrBoundUDF{high: true},
	} {
		if err := duckdb.RegisterScalarUDF(conn, name, f); err != nil {
			return fmt.Errorf("hunt: registering %s: %w", name, err)
		}
	}
	return nil
}
