package eql

import (
	"fmt"
	"strings"
	"testing"
)

// TestSparkDialect checks the Spark spelling without a server (TestSparkEQL in package hunt runs
// it on one): no DuckDB-only names or $N parameters, Spark's functions, and literals only through
// Options.Literal.
func TestSparkDialect(t *testing.T) {
	queries := []string{
		`sequence by Host, Guid with maxspan=30s [process where Image : "*\\cmd.exe"] [network where DestIp regex~ "10\\..*"] until [file where true]`,
		`any where startsWith(Image, "C:") and endsWith~(Image, ".EXE") and indexOf(CommandLine, "x") > 2 and divide(Size, 3) == 1 and number("1f", 16) == 31 and cidrMatch(DestIp, "10.0.0.0/8") and between(CommandLine, "a", "b") : "c" | tail 3`,
	}
	lit := func(v any) string {
		if s, ok := v.(string); ok {
			return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
		}
		return fmt.Sprint(v)
	}
	for _, src := range queries {
		q, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(q, "`v`", Options{Columns: eventCols, QuoteIdent: quote, Dialect: Spark}); err == nil || !strings.Contains(err.Error(), "needs Options.Literal") {
			t.Errorf("Spark without Literal: %v", err)
		}
		c, err := Compile(q, "`v`", Options{Columns: eventCols, QuoteIdent: quote, Dialect: Spark, Literal: lit})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, bad := range []string{"VARCHAR", "row_number() OVER ()", "list_value", "regexp_full_match", "like_escape", "strpos", "starts_with", "suffix(", "//", "INTERVAL", "$1", "'0x'"} {
			if strings.Contains(c.SQL, bad) {
				t.Errorf("%s: Spark SQL holds DuckDB's %q:\n%s", src, bad, c.SQL)
			}
		}
		if len(c.Args) != 0 {
			t.Errorf("%s: parameters %v in Spark SQL", src, c.Args)
		}
	}
	q, _ := Parse(queries[0])
	c, _ := Compile(q, "`v`", Options{Columns: eventCols, QuoteIdent: quote, Dialect: Spark, Literal: lit})
	for _, want := range []string{"monotonically_increasing_id()", "array(", "unix_micros(c.t) - unix_micros(s.t1) <= 30000000", " ILIKE ", " RLIKE '(?si)^(?:10\\\\..*)\\\\z'", "CAST(", " AS STRING)"} {
		if !strings.Contains(c.SQL, want) {
			t.Errorf("sequence: Spark SQL lacks %q:\n%s", want, c.SQL)
		}
	}
}
