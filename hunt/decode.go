package hunt

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/duckdb/duckdb-go/v2"
)

// DecodeCommand is a column expression holding the PowerShell command hidden in a command line's
// -EncodedCommand argument (also written -enc, -ec, -e or any other prefix of EncodedCommand,
// with - or /): the argument is base64 of UTF-16LE text, and the result is that text. It is
// NULL when the command line has no such argument or the argument is not base64. col is a
// column name or an Expr:
//
//	ev.WithColumn("Decoded", hunt.DecodeCommand("CommandLine"))
//
// In SQL (%%sql, hunt.SQL, hunt.DuckSQL) the same function is decode_command(CommandLine).
func DecodeCommand(col any) Expr {
	e, ok := col.(Expr)
	if s, isName := col.(string); isName {
		e, ok = Col(s), true
	}
	if !ok {
		e = Lit(col)
	}
	return Expr{op: "fn", name: decodeCommandSQL, args: []Expr{e.Cast("VARCHAR")}}
}

// decodeCommandSQL is the SQL name of DecodeCommand, registered on the session's database.
const decodeCommandSQL = "decode_command"

// encodedArg finds an -EncodedCommand argument: the switch (any prefix of EncodedCommand
// from -e on, after - or / and case-insensitive), then its value, bare or quoted.
var encodedArg = regexp.MustCompile(`(?i)(?:^|[\s"'])[-/\x{2013}\x{2014}]e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?|c)?(?:\s+|:)["']?([A-Za-z0-9+/=_-]{4,})`)

// decodeCommand returns the text of the first -EncodedCommand argument of cmd; ok is false
// when there is none, or its value is not base64 of UTF-16LE text.
func decodeCommand(cmd string) (string, bool) {
	for _, m := range encodedArg.FindAllStringSubmatch(cmd, -1) {
		if s, ok := decodeUTF16Base64(m[1]); ok {
			return s, true
		}
	}
	return "", false
}

// decodeUTF16Base64 decodes base64 (standard or URL alphabet, padding optional) of UTF-16LE
// text. Unpaired surrogates become U+FFFD; an odd number of bytes is not UTF-16.
func decodeUTF16Base64(s string) (string, bool) {
	s = strings.TrimRight(s, "=")
	var b []byte
	var err error
	if strings.ContainsAny(s, "-_") {
		b, err = base64.RawURLEncoding.DecodeString(s)
	} else {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), true
}

// decodeCommandUDF is decode_command as a DuckDB scalar function (VARCHAR -> VARCHAR).
type decodeCommandUDF struct{}

func (decodeCommandUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: v}
}

func (decodeCommandUDF) Executor() duckdb.ScalarFuncExecutor {
	return rowFunc("decode_command", func(values []driver.Value) (any, error) {
		s, _ := values[0].(string)
		if d, ok := decodeCommand(s); ok {
			return d, nil
		}
		return nil, nil
	})
}

// rowFunc is a scalar function's row executor that turns a panic of fn (a bug met by hostile
// data) into the query's error naming the function: a Go panic cannot unwind through DuckDB's
// C++ frames, so it would end the process, and the session with it.
func rowFunc(name string, fn func([]driver.Value) (any, error)) duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (v any, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("hunt: %s failed on a value (an internal error, please report it): %v", name, r)
			}
		}()
		return fn(values)
	}}
}

// registerFunctions adds gohunt's SQL functions (decode_command, and ioc.go's) to the session's database,
// where every connection sees them.
func registerFunctions(db *sql.DB) error {
	conn, err := db.Conn(context.Background())
	if err != nil {
		return fmt.Errorf("hunt: registering SQL functions: %w", err)
	}
	defer conn.Close()
	if err := duckdb.RegisterScalarUDF(conn, decodeCommandSQL, decodeCommandUDF{}); err != nil {
		return fmt.Errorf("hunt: registering %s: %w", decodeCommandSQL, err)
	}
	return registerIOCFunctions(conn)
}
