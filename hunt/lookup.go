package hunt

import (
	"database/sql/driver"
	"encoding/hex"
	"net/netip"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Lookup joins the frame's column col against an indicator list and keeps the rows that match,
// with the list's columns appended (each named "ioc_" + its name in the list). list is a CSV or
// JSON-lines file path (read as hunt.Read reads it) or a *Frame. The list's indicator column is the
// one named indicator, ioc, value or observable (any case), or else its first column.
//
// An indicator that is an IP address matches the same address however it is written (IPv6 forms,
// IPv4-mapped IPv6); one in CIDR notation (10.1.0.0/16, 2001:db8::/32) matches every address in
// the range; any other indicator (domain, hash, URL, path, ...) matches the same text ignoring
// case and surrounding spaces. A row that matches several indicators appears once per indicator.
//
//	ev.IOCs("CommandLine").Lookup("value", "notebooks/data/iocs.csv")
//	ev.Lookup("DestinationIp", hunt.Read("bad_ranges.csv"))
//
// Addresses are compared as 128-bit numbers (DuckDB's inet extension is not bundled with the
// engine), in DuckDB: equality by hash join, ranges by range join.
func (f *Frame) Lookup(col string, list any) *Frame {
	if f.err != nil {
		return f
	}
	var ind *Frame
	switch l := list.(type) {
	case *Frame:
		ind = l
	case string:
		ind = Read(l)
	default:
		return errFrame(f.eng, errorf("hunt: Lookup(%q): the indicator list is a file path or a *Frame, not %T", col, list))
	}
	if ind == nil {
		return errFrame(f.eng, errorf("hunt: Lookup(%q): nil indicator list", col))
	}
	if ind.err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt: Lookup(" + col + "): indicator list: " + cleanMessage(ind.err.Error()), Err: ind.err})
	}
	f, ind = f.Local(), ind.Local()
	if f.err != nil {
		return f
	}
	if ind.err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt: Lookup(" + col + "): indicator list: " + cleanMessage(ind.err.Error()), Err: ind.err})
	}
	c, err := f.resolve(col)
	if err != nil {
		return errFrame(f.eng, &Error{Msg: "hunt: Lookup: " + cleanMessage(err.Error()), Err: err})
	}
	if len(ind.cols) == 0 {
		return errFrame(f.eng, errorf("hunt: Lookup(%q): the indicator list has no columns", col))
	}
	key := ind.cols[0]
	for _, want := range []string{"indicator", "ioc", "value", "observable"} {
		found := false
		for _, ic := range ind.cols {
			if strings.EqualFold(ic.name, want) {
				key, found = ic, true
				break
			}
		}
		if found {
			break
		}
	}

	alloc := f.allocator()
	var sel []string
	for _, x := range f.cols {
		sel = append(sel, "__e."+quoteIdent(x.ident))
	}
	for _, x := range ind.cols {
		sel = append(sel, "__i."+quoteIdent(x.ident)+" AS "+quoteIdent(alloc.ident("ioc_"+x.name)))
	}
	text := func(id string) string { return "trim(CAST(" + quoteIdent(id) + " AS VARCHAR))" }
	ev := "SELECT *, lower(" + text(c.ident) + ") AS __k, " + ipKeySQL + "(" + text(c.ident) + ") AS __ip FROM " + f.from()
	il := "SELECT *, lower(" + text(key.ident) + ") AS __k, " + cidrLowSQL + "(" + text(key.ident) + ") AS __lo, " +
		cidrHighSQL + "(" + text(key.ident) + ") AS __hi FROM (" + ind.sql + ") AS __l WHERE " + quoteIdent(key.ident) + " IS NOT NULL"
	head := "SELECT " + strings.Join(sel, ", ") + " FROM __ev AS __e JOIN __il AS __i ON "
	q := "WITH __ev AS (" + ev + "), __il AS (" + il + ") " +
		head + "__e.__k = __i.__k WHERE __i.__lo IS NULL" +
		" UNION ALL " + head + "__e.__ip = __i.__lo WHERE __i.__lo = __i.__hi" +
		" UNION ALL " + head + "__e.__ip BETWEEN __i.__lo AND __i.__hi WHERE __i.__lo < __i.__hi"
	g := newFrame(f.eng, q)
	if g.err == nil {
		g.note = f.note
	}
	return g.context("Lookup(" + col + ")")
}

// SQL names of the address functions Lookup uses (registered by registerIOCFunctions).
const (
	ipKeySQL    = "ioc_ip_key"
	cidrLowSQL  = "ioc_cidr_low"
	cidrHighSQL = "ioc_cidr_high"
)

// ipKey returns the 128-bit form of an IP address as 32 hex digits (IPv4 as IPv4-mapped IPv6), so
// that addresses compare as strings in numeric order; ok is false when s is not an address.
func ipKey(s string) (string, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	b := a.As16()
	return hex.EncodeToString(b[:]), true
}

// cidrBounds returns the lowest and highest key (ipKey) of a CIDR range or of a single address.
func cidrBounds(s string) (lo, hi string, ok bool) {
	if !strings.Contains(s, "/") {
		k, ok := ipKey(s)
		return k, k, ok
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", "", false
	}
	p = p.Masked()
	a := p.Addr()
	bits := p.Bits()
	if a.Is4() {
		bits += 96
	}
	b := a.As16()
	h := b
	for i := bits; i < 128; i++ {
		h[i/8] |= 1 << (7 - uint(i%8))
	}
	return hex.EncodeToString(b[:]), hex.EncodeToString(h[:]), true
}

// ipKeyUDF is ioc_ip_key: VARCHAR -> VARCHAR, NULL when the text is not an IP address.
type ipKeyUDF struct{}

func (ipKeyUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: v}
}

func (ipKeyUDF) Executor() duckdb.ScalarFuncExecutor {
	return rowFunc(ipKeySQL, func(values []driver.Value) (any, error) {
		s, _ := values[0].(string)
		if k, ok := ipKey(s); ok {
			return k, nil
		}
		return nil, nil
	})
}

// cidrBoundUDF is ioc_cidr_low / ioc_cidr_high: VARCHAR -> VARCHAR, the first or last key of a
// CIDR range or address, NULL when the text is neither.
type cidrBoundUDF struct{ high bool }

func (cidrBoundUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: v}
}

func (u cidrBoundUDF) Executor() duckdb.ScalarFuncExecutor {
	return rowFunc("ioc_cidr_low/ioc_cidr_high", func(values []driver.Value) (any, error) {
		s, _ := values[0].(string)
		lo, hi, ok := cidrBounds(s)
		if !ok {
			return nil, nil
		}
		if u.high {
			return hi, nil
		}
		return lo, nil
	})
}
