package hunt

import "strings"

// hashAlgorithms are the algorithms Sysmon writes into its Hashes field, in column order.
var hashAlgorithms = []string{"MD5", "SHA1", "SHA256", "IMPHASH"}

// SplitHashes adds one column per hash algorithm (MD5, SHA1, SHA256, IMPHASH) read from Sysmon's
// Hashes field ("SHA1=...,MD5=...,SHA256=...,IMPHASH=..."; which algorithms it holds depends on
// the Sysmon configuration): the hex digits in lower case, NULL where the field lacks that
// algorithm. col names the field; "Hashes" when omitted. Columns of those names already in the
// frame are replaced. Computed by DuckDB (regexp_extract), so it stays lazy and parallel:
//
//	ev.Where(hunt.Col("EventID").Eq(1)).SplitHashes().Select("Image", "SHA256")
func (f *Frame) SplitHashes(col ...string) *Frame {
	if f.err != nil {
		return f
	}
	if len(col) > 1 {
		return errFrame(f.eng, errorf("hunt: SplitHashes takes one column name, not %d", len(col)))
	}
	name := "Hashes"
	if len(col) == 1 {
		name = col[0]
	}
	if f.lazy() {
		f = f.Local()
		if f.err != nil {
			return f
		}
	}
	c, err := f.resolve(name)
	if err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt: SplitHashes: " + cleanMessage(err.Error()), Err: err})
	}
	g := f
	for _, alg := range hashAlgorithms {
		// The algorithm name at the start or after a comma, then = and the hex digits.
		re := `(?i)(?:^|,)\s*` + alg + `\s*=\s*([0-9a-f]+)`
		g = g.WithColumn(alg, SQLExpr("lower(regexp_extract(CAST(`"+strings.ReplaceAll(c.name, "`", "``")+"` AS STRING), "+sparkString(re)+", 1))").
			Cast("VARCHAR"))
		if g.err != nil {
			return g
		}
		g = g.WithColumn(alg, SQLExpr("nullif(`"+alg+"`, '')"))
	}
	return g
}

// sparkString quotes s as a Spark SQL string literal (single quotes, backslashes escaped).
func sparkString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
