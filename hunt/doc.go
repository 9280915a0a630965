// Package hunt is the threat-hunting library of gohunt: lazy frames of security events executed
// by an embedded DuckDB database, read from Mordor datasets and other local files, filtered,
// grouped, joined and queried with Spark-dialect SQL, and shown as HTML or text tables.
//
//	events := hunt.Read("empire_mimikatz_logonpasswords.zip")
//	events.Where(hunt.Col("EventID").Eq(10)).Select("Hostname", "SourceImage", "TargetImage")
//	events.As("mordorTable")
//	hunt.SQL(`SELECT Hostname, count(*) AS n FROM mordorTable WHERE LOWER(Channel) = "security" GROUP BY Hostname`)
//
// # Frames and errors
//
// A *Frame is an immutable, lazy DuckDB query. Operations return a new *Frame; when one cannot be
// built (unknown column, bad SQL), the returned frame carries the error, later operations pass
// it on, and Err reports it (the kernel fails the cell with it when the frame is displayed).
// Terminal operations (Count, Collect, Column, Rows, Schema, Write*) return (value, error).
//
// # The session database
//
// One DuckDB database serves the process (the kernel worker process is the session). It is
// opened on first use as a file in a fresh gohunt-duckdb-<pid>-* directory under os.TempDir(),
// so tables are stored compressed and what does not fit DuckDB's buffer pool is evicted; the
// directory also holds DuckDB's temp_directory (spilling) and staged sources. Close closes the
// database and removes the directory; directories of dead processes are removed at the next open.
// Frames are safe for concurrent use: database/sql pools DuckDB connections, all of the one
// database.
//
// # Column names
//
// Names are case-sensitive, as in Spark with spark.sql.caseSensitive=true (how the Threat Hunter
// Playbook runs): Mordor files hold SourceProcessGUID and SourceProcessGuid as different keys.
// DuckDB resolves names case-insensitively, so each column has an internal identifier: the name
// itself, or for a name colliding (case-insensitively) with an earlier column, the name followed
// by U+E000 and a number. displayName maps an identifier back; users never see the suffix.
//
// # Building on Frame inside package hunt (sources and views)
//
// Another file of this package makes a frame from any DuckDB query with newFrame(e, query),
// where e comes from defaultEngine(). The query's result column names are the internal
// identifiers: use identAllocator to make them, quoteIdent/quoteString to quote. newFrame binds
// the query (DESCRIBE, no data read) and returns a frame carrying the error if binding fails.
//
// To load documents held in Go (Elasticsearch hits, API results) use the JSON loader, which does
// what Read does for JSON lines (flattening, union schema, widening, case-distinct keys):
//
//	ld := newJSONLoader(e, readConfig{})   // readConfig zero value = defaults of Read
//	err := ld.addLine(raw, "index/doc 17")  // raw: one JSON object; origin names it in errors
//	f, err := ld.frame()                    // materializes one DuckDB table, returns its frame
//
// or FromRows for []map[string]any. To read a frame: f.sql is its DuckDB SELECT, f.cols its
// schema (ident, name, typ); f.resolve(name) finds a column by display name with the standard
// error; f.query(ctx, sql) runs SQL and returns *sql.Rows; f.Collect / f.Rows give Go values
// keyed by display name. A view that needs aggregated data should push the work to DuckDB with
// f.derive("SELECT ... FROM " + f.from()) rather than collecting rows.
package hunt
