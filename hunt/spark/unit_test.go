package spark

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, addr, user string
		tls            bool
		token          string
	}{
		{"sc://localhost", "localhost:15002", "", false, ""},
		{"sc://127.0.0.1:4000/", "127.0.0.1:4000", "", false, ""},
		{"sc://h:1/;use_ssl=true;user_id=ann", "h:1", "ann", true, ""},
		{"sc://h:1/;token=abc", "h:1", "", false, "abc"},
		{"sc://[::1]:9", "[::1]:9", "", false, ""},
	} {
		cfg, addr, err := parseURL(c.in)
		if err != nil || addr != c.addr || cfg.user != c.user || cfg.useTLS != c.tls || cfg.token != c.token {
			t.Errorf("parseURL(%q) = %+v %q %v", c.in, cfg, addr, err)
		}
	}
	for _, in := range []string{"", "h:1", "http://h", "sc://", "sc://h:0", "sc://h:x", "sc://h/x", "sc://h/;a",
		"sc://h/;use_ssl=maybe", "sc://h/;k=v", "sc://h?token=1", "sc://u:pw@h", "sc://h/;token"} {
		_, _, err := parseURL(in)
		if err == nil || !strings.Contains(err.Error(), "bad Spark Connect URL") {
			t.Errorf("parseURL(%q) = %v, want a bad URL error", in, err)
		}
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	for _, in := range []string{"sc://h:1/;token=SECRET;k=v", "sc://h:1/;k=v;token=SECRET", "sc://h:1/;user_id=a;tokenSECRET", "sc://u:SECRET@h", "ftp://h/;token=SECRET", "sc://h/;tokenSECRET"} {
		_, _, err := parseURL(in)
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("parseURL(%q) error %v", in, err)
		}
	}
	if s := fmt.Sprintf("%v %+v %s", bearer("SECRET"), bearer("SECRET"), bearer("SECRET")); strings.Contains(s, "SECRET") {
		t.Errorf("bearer prints %q", s)
	}
	s := &Session{addr: "h:1", cfg: config{token: "SECRET"}}
	if str := fmt.Sprintf("%v %s", s, s); strings.Contains(str, "SECRET") {
		t.Errorf("session prints %q", str)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Op: "SQL", Class: "TABLE_OR_VIEW_NOT_FOUND", Message: "The table or view `x` cannot be found."}
	if got := e.Error(); got != "spark: SQL: [TABLE_OR_VIEW_NOT_FOUND] The table or view `x` cannot be found." {
		t.Errorf("Error() = %q", got)
	}
	e.Message = "[TABLE_OR_VIEW_NOT_FOUND] The table"
	if got := e.Error(); got != "spark: SQL: [TABLE_OR_VIEW_NOT_FOUND] The table" {
		t.Errorf("Error() = %q (class repeated?)", got)
	}
	err := wrapErr(nil, "Collect", status.Error(codes.Internal, "Cannot call methods on a stopped SparkContext.\nThis stopped SparkContext was created at:\n\norg.apache.spark..."))
	if got := err.Error(); got != "spark: Collect: Cannot call methods on a stopped SparkContext." {
		t.Errorf("unclassed server error = %q, want its first line", got)
	}
	err = wrapErr(nil, "Collect", fmt.Errorf("reading: %w", status.Error(codes.Unavailable, "connection refused")))
	var se *Error
	if !errors.As(err, &se) || se.Code != codes.Unavailable || !strings.Contains(err.Error(), "server unavailable: connection refused") {
		t.Errorf("wrapErr(Unavailable) = %v", err)
	}
}

func TestInterruptRequest(t *testing.T) {
	req, resp, err := newInterrupt("00112233-4455-6677-8899-aabbccddeeff", "ann", "INTERRUPT_TYPE_OPERATION_ID", "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := proto.MessageName(req); got != "spark.connect.InterruptRequest" {
		t.Errorf("request is %s", got)
	}
	if got := proto.MessageName(resp); got != "spark.connect.InterruptResponse" {
		t.Errorf("response is %s", got)
	}
	r := req.ProtoReflect()
	f := r.Descriptor().Fields()
	if stringField(req, "session_id") != "00112233-4455-6677-8899-aabbccddeeff" || stringField(req, "operation_id") != "op-1" {
		t.Errorf("ids not set: %v", req)
	}
	uc := r.Get(f.ByName("user_context")).Message()
	if uc.Get(uc.Descriptor().Fields().ByName("user_id")).String() != "ann" {
		t.Errorf("user not set: %v", req)
	}
	kind := f.ByName("interrupt_type")
	if name := kind.Enum().Values().ByNumber(r.Get(kind).Enum()).Name(); name != "INTERRUPT_TYPE_OPERATION_ID" {
		t.Errorf("interrupt type %s", name)
	}
	// The wire form decodes back to the same request.
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	back := r.Type().New().Interface()
	if err := proto.Unmarshal(b, back); err != nil || !proto.Equal(back, req) {
		t.Errorf("round trip: %v", err)
	}
	if _, _, err := newInterrupt("s", "u", "INTERRUPT_TYPE_NOPE", ""); err == nil {
		t.Error("an unknown interrupt type was accepted")
	}
	all, _, err := newInterrupt("s", "u", "INTERRUPT_TYPE_ALL", "")
	if err != nil || all.ProtoReflect().Has(f.ByName("operation_id")) {
		t.Errorf("INTERRUPT_TYPE_ALL: %v, %v", all, err)
	}
	var _ protoreflect.Message = r
}

func TestRowsArrowRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	at := time.Date(2026, 11, 30, 1, 2, 3, 4000, time.UTC)
	rec, err := RowsToArrow(mem, []string{"b", "i", "f", "s", "raw", "at", "none"}, [][]any{
		{true, 1, 1, "x", []byte{0, 1}, at, nil},
		{nil, int64(-5), 2.5, nil, nil, nil, nil},
		{false, uint32(7), float32(0.5), "<script>", []byte{}, at, nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.Record{rec})
	rec.Release()
	defer tbl.Release()
	rows, err := tableRows(tbl)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{true, int64(1), 1.0, "x", []byte{0, 1}, at, nil},
		{nil, int64(-5), 2.5, nil, nil, nil, nil},
		{false, int64(7), 0.5, "<script>", []byte{}, at, nil},
	}
	if !reflect.DeepEqual(rows.Values, want) {
		t.Errorf("round trip = %v, want %v", rows.Values, want)
	}
	for _, bad := range [][][]any{
		{{1, "x"}},          // row width
		{{struct{}{}}},      // unsupported type
		{{"a"}, {1}},        // mixed kinds
		{{uint64(1 << 63)}}, // beyond int64
	} {
		cols := []string{"a"}
		if r, err := RowsToArrow(mem, cols, bad); err == nil {
			r.Release()
			t.Errorf("RowsToArrow(%v) accepted", bad)
		}
	}
}
