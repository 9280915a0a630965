//go:build iocoracle

package hunt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The IOC oracle: msticpy's IoCExtract (scripts/requirements-ioc.txt, run by IOC_PY through
// hunt/testdata/ioc_oracle.py) on the same strings as ExtractIOCs: the distinct values of the
// text columns below in the shipped Mordor samples and the ../shared datasets. Every value one
// side finds and the other does not must be explained by one of the named differences
// (iocDifferences, each with its reason, documented in docs/ioc.md); an unexplained difference
// fails the test. `make test-ioc` runs it.

// iocOracleColumns are the columns whose values are compared (those a frame has).
var iocOracleColumns = []string{"CommandLine", "ParentCommandLine", "TargetObject", "Hashes", "QueryName",
	"TargetFilename", "Image", "ScriptBlockText", "Payload", "ServiceFileName", "DestinationHostname"}

// msticpy type -> gohunt types.
var iocTypeMap = map[string][]string{
	"ipv4": {iocIPv4}, "ipv6": {iocIPv6}, "dns": {iocDomain}, "url": {iocURL}, "email": {iocEmail},
	"md5_hash": {iocMD5}, "sha1_hash": {iocSHA1}, "sha256_hash": {iocSHA256},
	"windows_path": {iocWinPath, iocUNCPath},
}

// iocDiff is one value found by one side only.
type iocDiff struct {
	src, typ, val string
	gohunt        bool     // found by gohunt only (else by msticpy only)
	other         []string // what the other side found of this type in the same string
}

// overlaps reports whether d's value and one the other side found in the same string overlap
// (one contains the other): the same indicator, cut at a different place.
func (d iocDiff) overlaps() bool {
	for _, o := range d.other {
		if strings.Contains(o, d.val) || strings.Contains(d.val, o) {
			return true
		}
	}
	return false
}

// iocDifference is a known, kept difference between gohunt and msticpy, with its reason.
type iocDifference struct {
	name, reason string
	match        func(d iocDiff) bool
}

func hasTLD(v string, tlds ...string) bool {
	for _, t := range tlds {
		if strings.HasSuffix(strings.ToLower(v), "."+t) {
			return true
		}
	}
	return false
}

// iocDifferences are the differences kept on purpose.
var iocDifferences = []iocDifference{
	{"file-name-domain", "a two-label name ending in a TLD that is also a file extension (sam.save, x.zip, a.ps from a.ps1, README.md), or a name right after a path separator, is a file name to gohunt; msticpy's DNS pattern has no boundary after the TLD and takes it for a domain",
		func(d iocDiff) bool {
			if d.gohunt || d.typ != "dns" {
				return false
			}
			low := strings.ToLower(d.src)
			i := strings.Index(low, d.val)
			for i >= 0 {
				before, after := byte(' '), byte(' ')
				if i > 0 {
					before = low[i-1]
				}
				if j := i + len(d.val); j < len(low) {
					after = low[j]
				}
				if before == '\\' || before == '/' || before == '%' || before == '$' || isAlnum(after) || after == '_' || before == '_' || strings.Count(d.val, ".") == 1 && fileExtTLDs[d.val[strings.LastIndexByte(d.val, '.')+1:]] {
					return true
				}
				k := strings.Index(low[i+1:], d.val)
				if k < 0 {
					break
				}
				i += 1 + k
			}
			return false
		}},
	{"camel-case-type-name", ".NET and PowerShell type and member names (System.Net.WebClient, Microsoft.PowerShell.Security) end in words that are TLDs; gohunt refuses names with a camel-case label, msticpy takes them for domains",
		func(d iocDiff) bool {
			if d.gohunt || d.typ != "dns" {
				return false
			}
			i := strings.Index(strings.ToLower(d.src), d.val)
			if i < 0 {
				return false
			}
			return camelCase(d.src[i : i+len(d.val)])
		}},
	{"domain-in-url-or-email", "msticpy also reports as a domain what it cut out of a longer name; gohunt reports the whole host",
		func(d iocDiff) bool {
			return d.typ == "dns" && !d.gohunt && strings.Contains(strings.ToLower(refang(d.src)), "."+d.val)
		},
	},
	{"version-not-ip", "a dotted quad after a version keyword (Version=4.0.0.0) or inside a longer dotted run (10.0.17763.1) is a version to gohunt; msticpy's IPv4 pattern has no boundaries",
		func(d iocDiff) bool {
			if d.gohunt || d.typ != "ipv4" {
				return false
			}
			if !isIPv4(d.val) {
				return true
			}
			for i := strings.Index(d.src, d.val); i >= 0; {
				j := i + len(d.val)
				if i > 0 && (isAlnum(d.src[i-1]) || d.src[i-1] == '.') || j < len(d.src) && (isAlnum(d.src[j]) || d.src[j] == '.' && j+1 < len(d.src) && isAlnum(d.src[j+1])) || versionBefore(d.src[:i]) {
					return true
				}
				k := strings.Index(d.src[i+1:], d.val)
				if k < 0 {
					break
				}
				i += 1 + k
			}
			return false
		}},
	{"ipv6-scan", "msticpy's IPv6 pattern takes any run of 2-7 colon-separated hex groups (times such as 12:30:45 excluded only when letters follow) and does not parse it; gohunt keeps only runs that parse as an IPv6 address (net/netip) and writes them in canonical form",
		func(d iocDiff) bool {
			if d.gohunt || d.typ != "ipv6" {
				return false
			}
			a, err := netip.ParseAddr(d.val)
			return err != nil || a.IsUnspecified()
		}},
	{"hash-in-word", "a run of 32/40/64 hex digits inside a longer word (base64, GUID-like names) is not a hash to gohunt; msticpy's boundaries are non-hex characters only; runs of zeros (Sysmon's empty IMPHASH) are not hashes to gohunt",
		func(d iocDiff) bool {
			if d.gohunt || (d.typ != "md5_hash" && d.typ != "sha1_hash" && d.typ != "sha256_hash") {
				return false
			}
			if strings.Trim(d.val, "0") == "" {
				return true
			}
			low := strings.ToLower(d.src)
			i := strings.Index(low, d.val)
			return i >= 0 && (i > 0 && (isAlnum(low[i-1]) || low[i-1] == '_') || i+len(d.val) < len(low) && (isAlnum(low[i+len(d.val)]) || low[i+len(d.val)] == '_'))
		}},
	{"url-extent", "gohunt's URL ends at a quote, backslash, brace or white space and drops trailing punctuation (.,;:) and unbalanced closing brackets; msticpy's ends at characters outside RFC 3986's sets and keeps them; gohunt also knows more schemes (smb, ws, tcp, ...)",
		func(d iocDiff) bool { return d.typ == "url" && (d.overlaps() || strings.HasSuffix(d.val, "://")) }},
	{"email-extent", "gohunt's e-mail needs a domain under a known TLD and a local part starting with a letter or digit, and is in lower case",
		func(d iocDiff) bool {
			if d.typ != "email" {
				return false
			}
			at := strings.LastIndexByte(d.val, '@')
			_, ok := domainValue(d.val[at+1:], true)
			return d.overlaps() || !d.gohunt && !ok
		}},
	{"path-extent", "msticpy's Windows path allows an empty root (so \\SAM of HKLM\\SAM, and fragments after / or :) and spaces in every folder; gohunt needs a drive, %VAR% or \\\\server root, ends a path at a space after a name with an extension or before an option, and reports registry keys as registry_key",
		func(d iocDiff) bool {
			if d.typ != "windows_path" {
				return false
			}
			rooted := len(d.val) > 2 && d.val[1] == ':' || strings.HasPrefix(d.val, `\\`) || strings.HasPrefix(d.val, "%")
			return d.overlaps() || !d.gohunt && !rooted
		}},
	{"registry-drive", "PowerShell's registry drives (HKCU:\\Software\\...) are registry keys to gohunt; msticpy takes U:\\Software\\... for a path on drive U:",
		func(d iocDiff) bool {
			i := strings.Index(d.src, d.val)
			return !d.gohunt && d.typ == "windows_path" && i >= 3 && strings.HasPrefix(strings.ToUpper(d.src[i-3:i]), "HK")
		}},
	{"domain-host-of-url", "gohunt reports the host of a URL and the domain of an e-mail address as a domain even when the name alone would be refused (file-extension TLD, camel case); msticpy does not re-check them",
		func(d iocDiff) bool {
			if !d.gohunt || d.typ != "dns" {
				return false
			}
			low := strings.ToLower(refang(d.src))
			return strings.Contains(low, "://"+d.val) || strings.Contains(low, "@"+d.val)
		}},
}

func iocOracleInputs(t *testing.T) map[string][]string {
	t.Helper()
	paths := []string{
		filepath.Join("..", "testdata", "mordor", "covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip"),
		filepath.Join("..", "testdata", "mordor", "empire_shell_reg_dump_sam.zip"),
	}
	if dir := sharedDatasets(t); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
		tars, _ := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
		paths = append(paths, append(more, tars...)...)
	}
	out := map[string][]string{}
	for _, p := range paths {
		f := mustOK(t, Read(p))
		for _, col := range iocOracleColumns {
			if _, err := f.resolve(col); err != nil {
				continue
			}
			vals, err := f.Where(Col(col).IsNotNull()).Select(Col(col).Cast("VARCHAR").As("v")).Distinct().Strings("v")
			if err != nil {
				t.Fatalf("%s %s: %v", p, col, err)
			}
			out[filepath.Base(p)+" "+col] = vals
		}
	}
	return out
}

func TestIOCOracle(t *testing.T) {
	py := os.Getenv("IOC_PY")
	if py == "" {
		t.Fatal("IOC_PY is not set: this test needs a Python with msticpy (scripts/requirements-ioc.txt); `make test-ioc` installs it into build/ioc/venv")
	}
	inputs := iocOracleInputs(t)
	seen := map[string]bool{}
	var strs []string
	for _, vs := range inputs {
		for _, v := range vs {
			if !seen[v] {
				seen[v] = true
				strs = append(strs, v)
			}
		}
	}
	sort.Strings(strs)
	in, _ := json.Marshal(strs)
	cmd := exec.Command(py, filepath.Join("testdata", "ioc_oracle.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("msticpy oracle: %v\n%s", err, stderr.String())
	}
	var ms []map[string][]string
	if err := json.Unmarshal(out, &ms); err != nil || len(ms) != len(strs) {
		t.Fatalf("msticpy oracle output: %v (%d results for %d strings)", err, len(ms), len(strs))
	}
	explained := map[string]int{}
	agreed := map[string]int{}
	var unexplained []string
	for i, s := range strs {
		goSets := map[string]map[string]bool{}
		for _, x := range extractIOCs(s) {
			for mt, gts := range iocTypeMap {
				for _, gt := range gts {
					if gt == x.Type {
						if goSets[mt] == nil {
							goSets[mt] = map[string]bool{}
						}
						goSets[mt][x.Value] = true
					}
				}
			}
		}
		for mt := range iocTypeMap {
			msSet := map[string]bool{}
			for _, v := range ms[i][mt] {
				msSet[normaliseMsticpy(mt, v)] = true
			}
			var diffs []iocDiff
			var msVals, goVals []string
			for v := range msSet {
				msVals = append(msVals, v)
			}
			for v := range goSets[mt] {
				goVals = append(goVals, v)
			}
			for v := range msSet {
				if goSets[mt][v] {
					agreed[mt]++
				} else {
					diffs = append(diffs, iocDiff{s, mt, v, false, goVals})
				}
			}
			for v := range goSets[mt] {
				if !msSet[v] {
					diffs = append(diffs, iocDiff{s, mt, v, true, msVals})
				}
			}
			for _, d := range diffs {
				ok := false
				for _, k := range iocDifferences {
					if k.match(d) {
						if os.Getenv("IOC_SHOW") == k.name && explained[k.name] < 12 {
							t.Logf("%s: gohunt=%v %s %q in %q", k.name, d.gohunt, d.typ, d.val, clip(d.src, 160))
						}
						explained[k.name]++
						ok = true
						break
					}
				}
				if !ok {
					side := "msticpy only"
					if d.gohunt {
						side = "gohunt only"
					}
					unexplained = append(unexplained, fmt.Sprintf("%s %s %q in %q", side, d.typ, d.val, clip(d.src, 300)))
				}
			}
		}
	}
	t.Logf("%d distinct strings from %d columns; agreed per msticpy type: %v; kept differences: %v", len(strs), len(inputs), agreed, explained)
	if len(unexplained) > 0 {
		sort.Strings(unexplained)
		if len(unexplained) > 40 {
			unexplained = append(unexplained[:40], fmt.Sprintf("... and %d more", len(unexplained)-40))
		}
		t.Errorf("%d differences with msticpy that no named difference explains:\n%s", len(unexplained), strings.Join(unexplained, "\n"))
	}
	// The engine path gives what the scanner gives: IOCs over one recording equals the Go scan.
	f := mustOK(t, Read(filepath.Join("..", "testdata", "mordor", "empire_shell_reg_dump_sam.zip")))
	vals, err := f.Where(Col("CommandLine").IsNotNull()).Strings("CommandLine")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, v := range vals {
		for _, x := range extractIOCs(v) {
			want[x.Type+" "+x.Value]++
		}
	}
	rows, err := f.IOCs("CommandLine").Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[fmt.Sprint(r["type"], " ", r["value"])] = r["count"].(int64)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("IOCs(CommandLine) in DuckDB differs from the Go scan:\n got %v\nwant %v", got, want)
	}
}

// normaliseMsticpy puts a msticpy value in gohunt's form: re-fanged (msticpy re-fangs only hXXp
// and [AT]), lower case for domains, e-mail addresses and hashes, IPv6 in canonical form.
func normaliseMsticpy(typ, v string) string {
	v = refang(v)
	switch typ {
	case "dns", "email", "md5_hash", "sha1_hash", "sha256_hash":
		return strings.ToLower(v)
	case "ipv6":
		if a, err := netip.ParseAddr(v); err == nil {
			return a.String()
		}
	case "url":
		if i := strings.Index(v, "://"); i > 0 {
			return strings.ToLower(v[:i]) + v[i:]
		}
	}
	return v
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
