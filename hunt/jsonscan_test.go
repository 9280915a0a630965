package hunt

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkLineScanner scans a Sysmon process-creation event as Elasticsearch returns it.
func BenchmarkLineScanner(b *testing.B) {
	line := []byte(`{"@timestamp":"2020-09-21T00:00:01.037Z","EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"WORKSTATION5.theshire.local","RecordNumber":3215165,"UtcTime":"2020-09-20 23:59:59.537","ProcessGuid":"{d273d0f0-0005-5f68-0000-000000000005}","ProcessId":"1005","Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","CommandLine":"\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -noP -sta -w 1 -enc SQBGACgAJABQAFMAVgBlAHIAc00000005","ParentImage":"C:\\Windows\\System32\\svchost.exe","ParentProcessGuid":"{d273d0f0-0000-5f68-ae08-000000000000}","User":"THESHIRE\\user5","LogonId":"0x32c5cba","IntegrityLevel":"Medium","Hashes":"SHA1=0000000000000000000000000000000000000005,MD5=00000000000000000000000000000023","Keywords":-9223372036854775808,"tags":["mordorDataset"]}`)
	s := newLineScanner()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := s.scan(line); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMayStopNeverMisses: the eight-byte skip in scanStringRaw never steps over a quote,
// backslash or control character, whatever its position and the bytes around it (UTF-8 bytes
// 0x80-0xFF included), and with a single such byte it raises no false alarm.
func TestMayStopNeverMisses(t *testing.T) {
	word := func(b [8]byte) uint64 { return binary.LittleEndian.Uint64(b[:]) }
	fills := []byte{'a', ' ', '!', '#', '[', ']', 0x7f, 0x80, 0xbf, 0xc3, 0xff}
	for _, fill := range fills {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				if got, want := mayStop(word(b)), strStop[c]; got != want {
					t.Fatalf("mayStop(%q) = %v, want %v (byte %#x at %d among %#x)", b[:], got, want, c, pos, fill)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1_000_000; n++ {
		var b [8]byte
		stop := false
		for i := range b {
			b[i] = byte(r.Uint32())
			stop = stop || strStop[b[i]]
		}
		if stop && !mayStop(word(b)) {
			t.Fatalf("mayStop(%q) = false, but the word holds a byte that ends a string", b[:])
		}
	}
}

// TestScanStringRawEveryOffset: a string with a quote, backslash escape or control character at
// every offset (so at every position of the eight-byte words) scans as the byte loop would.
func TestScanStringRawEveryOffset(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, tail := range []string{`"`, `\"x"`, `\\"`, "\x01\"", `\u00e9"`, "é\""} {
			s := []byte(`"` + strings.Repeat("é", n/2) + strings.Repeat("a", n%2) + tail + `,`)
			end, raw, esc, err := scanStringRaw(s, 0)
			var want error
			if tail == "\x01\"" {
				want = &scanErr{}
			}
			if (err != nil) != (want != nil) {
				t.Fatalf("%q: err %v", s, err)
			}
			if err != nil {
				continue
			}
			if end != len(s)-1 || string(raw) != string(s[1:len(s)-2]) || esc != strings.Contains(tail, `\`) {
				t.Fatalf("%q: end %d raw %q esc %v", s, end, raw, esc)
			}
		}
	}
}
