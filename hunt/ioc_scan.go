package hunt

import (
	_ "embed"
	"net/netip"
	"strings"
)

// The indicator scanner behind ExtractIOCs: one pass per indicator family over a string, no
// regular expressions with backtracking, boundaries decided by the characters around a candidate
// (RE2, which DuckDB and Go use, has no look-around, and msticpy's look-around patterns are what
// make it slow and noisy). It runs inside DuckDB as the scalar function ioc_extract.

// IOC types, as ExtractIOCs and IOCs name them.
const (
	iocIPv4     = "ipv4"
	iocIPv6     = "ipv6"
	iocDomain   = "domain"
	iocURL      = "url"
	iocEmail    = "email"
	iocMD5      = "md5"
	iocSHA1     = "sha1"
	iocSHA256   = "sha256"
	iocWinPath  = "windows_path"
	iocUNCPath  = "unc_path"
	iocRegistry = "registry_key"
)

// iocFound is one indicator found in a string: its type and its normalised value.
type iocFound struct {
	Type  string
	Value string
}

//go:embed ioc_tlds.txt
var tldText string

// tldSet holds the top-level domains of the IANA root zone (ioc_tlds.txt, lower case).
var tldSet = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(tldText, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// fileExtTLDs are top-level domains that are also common file extensions: a two-label name ending
// in one of them (update.zip, run.sh, README.md, x.py) is taken for a file name, not a domain,
// unless it is the host of a URL or the domain of an e-mail address.
var fileExtTLDs = map[string]bool{
	"zip": true, "mov": true, "py": true, "sh": true, "md": true, "pl": true, "rs": true,
	"ps": true, "cab": true, "app": true, "bat": false, "com": false, "exe": false, "msi": false,
	"so": true, "ai": true, "cc": true, "cs": true, "sc": true, "rar": false, "pub": true,
	"php": false, "asp": false, "lnk": false, "pif": false, "scr": false, "vbs": false,
	"ini": false, "log": false, "dll": false, "sys": false, "tmp": false, "dat": false,
	"js": false, "ts": false, "docx": false, "bin": false, "xml": false, "json": false,
	"ms": true, "mp": true, "ml": true, "gz": false, "tf": true,
}

// urlSchemes are the schemes whose "scheme://" starts a URL.
var urlSchemes = map[string]bool{
	"http": true, "https": true, "ftp": true, "ftps": true, "sftp": true, "file": true,
	"ldap": true, "ldaps": true, "telnet": true, "smb": true, "ws": true, "wss": true,
	"tcp": true, "udp": true, "ssh": true, "rdp": true,
}

// registryRoots are the hive names a registry key starts with (upper case).
var registryRoots = []string{
	"HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_CLASSES_ROOT", "HKEY_USERS",
	"HKEY_CURRENT_CONFIG", "HKLM", "HKCU", "HKCR", "HKU", "HKCC", `\REGISTRY\MACHINE`,
	`\REGISTRY\USER`, `\REGISTRY\A`,
}

// refang undoes the usual defanging of indicators: hxxp(s) and fxp for http(s) and ftp, [.] (.)
// {.} [dot] (dot) for a dot, [at] (at) [@] for @, [:] for a colon and [/] for a slash. Text with
// none of these is returned as it is.
func refang(s string) string {
	if !mayBeDefanged(s) {
		return s
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		c := s[i]
		if c == '[' || c == '(' || c == '{' {
			if n, rep := defangBracket(s[i:]); n > 0 {
				b.WriteString(rep)
				i += n
				changed = true
				continue
			}
		}
		if (c == 'h' || c == 'H') && i+4 <= len(s) && strings.EqualFold(s[i:i+4], "hxxp") && (i == 0 || !isAlnum(s[i-1])) {
			b.WriteString(s[i:i+1] + "ttp")
			i += 4
			changed = true
			continue
		}
		if (c == 'f' || c == 'F') && i+3 <= len(s) && strings.EqualFold(s[i:i+3], "fxp") && (i == 0 || !isAlnum(s[i-1])) {
			b.WriteString(s[i:i+1] + "tp")
			i += 3
			changed = true
			continue
		}
		b.WriteByte(c)
		i++
	}
	if !changed {
		return s
	}
	return b.String()
}

// mayBeDefanged reports whether s holds a bracket or an "xp" (of hxxp, fxp), the only text
// refang changes.
func mayBeDefanged(s string) bool {
	if strings.ContainsAny(s, "[({") {
		return true
	}
	for i := strings.IndexAny(s, "pP"); i >= 0; {
		if i > 0 && (s[i-1] == 'x' || s[i-1] == 'X') {
			return true
		}
		j := strings.IndexAny(s[i+1:], "pP")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// defangBracket reads a defanging token at the start of s ("[.]", "(at)", ...) and returns its
// length and what it stands for; n is 0 when s does not start with one.
func defangBracket(s string) (n int, rep string) {
	closer := map[byte]byte{'[': ']', '(': ')', '{': '}'}[s[0]]
	end := strings.IndexByte(s[1:min(len(s), 8)], closer)
	if end < 0 {
		return 0, ""
	}
	inner := strings.ToLower(s[1 : 1+end])
	switch inner {
	case ".", "dot":
		return end + 2, "."
	case "at", "@":
		return end + 2, "@"
	case ":":
		return end + 2, ":"
	case "/":
		return end + 2, "/"
	case "://":
		return end + 2, "://"
	}
	return 0, ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// extractIOCs returns the indicators in s, each (type, value) once, in the order found.
func extractIOCs(s string) []iocFound {
	if s == "" {
		return nil
	}
	t := refang(s)
	var out []iocFound
	add := func(typ, v string) {
		k := iocFound{typ, v}
		for _, o := range out {
			if o == k {
				return
			}
		}
		out = append(out, k)
	}
	scanURLs(t, add)
	scanEmails(t, add)
	scanDomainsAndIPv4(t, add)
	scanIPv6(t, add)
	scanHashes(t, add)
	scanPaths(t, add)
	return out
}

// scanURLs finds scheme://... URLs. A URL ends at white space, a quote, <, >, | or ^ and loses
// trailing punctuation (.,;:!? and a closing bracket it did not open); its host is also reported
// as a domain or an IP address.
func scanURLs(t string, add func(string, string)) {
	for off := 0; ; {
		k := strings.Index(t[off:], "://")
		if k < 0 {
			return
		}
		k += off
		off = k + 3
		st := k
		for st > 0 && (t[st-1] >= 'a' && t[st-1] <= 'z' || t[st-1] >= 'A' && t[st-1] <= 'Z') {
			st--
		}
		if st == k || !urlSchemes[strings.ToLower(t[st:k])] {
			continue
		}
		end := k + 3
		for end < len(t) && !strings.ContainsRune(" \t\r\n\"'<>|^`{}\\", rune(t[end])) && t[end] >= 0x20 {
			end++
		}
		u := trimURLTail(t[st:end])
		host := u[k-st+3:]
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		var hostIP string
		if strings.HasPrefix(host, "[") {
			if i := strings.IndexByte(host, ']'); i > 0 {
				if a, err := netip.ParseAddr(host[1:i]); err == nil && a.Is6() {
					hostIP = a.String()
				}
			}
			if hostIP == "" {
				continue
			}
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		if hostIP == "" && host == "" {
			continue
		}
		scheme := strings.ToLower(t[st:k])
		add(iocURL, scheme+u[k-st:])
		off = st + len(u)
		switch {
		case hostIP != "":
			add(iocIPv6, hostIP)
		case isIPv4(host):
			add(iocIPv4, host)
		default:
			if d, ok := domainValue(host, true); ok {
				add(iocDomain, d)
			}
		}
	}
}

// trimURLTail drops trailing punctuation that ends the sentence rather than the URL.
func trimURLTail(u string) string {
	for len(u) > 0 {
		c := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?*", c) >= 0:
			u = u[:len(u)-1]
		case c == ')' && strings.Count(u, "(") < strings.Count(u, ")"),
			c == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
			u = u[:len(u)-1]
		default:
			return u
		}
	}
	return u
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// scanEmails finds user@domain with a domain under a known top-level domain; the value is in
// lower case.
func scanEmails(t string, add func(string, string)) {
	for off := 0; ; {
		k := strings.IndexByte(t[off:], '@')
		if k < 0 {
			return
		}
		k += off
		off = k + 1
		st := k
		for st > 0 && isEmailLocal(t[st-1]) {
			st--
		}
		for st < k && !isAlnum(t[st]) { // a local part starts with a letter or digit here
			st++
		}
		if st == k {
			continue
		}
		end := k + 1
		for end < len(t) && isDomainChar(t[end]) {
			end++
		}
		d, ok := domainValue(strings.TrimRight(t[k+1:end], ".-"), true)
		if !ok {
			continue
		}
		add(iocEmail, strings.ToLower(t[st:k])+"@"+d)
	}
}

// scanDomainsAndIPv4 reads maximal runs of letters, digits, dots and hyphens: a run that is a
// dotted quad is an IPv4 address (unless a version keyword precedes it), a run that is a domain
// name under a known top-level domain is a domain.
func scanDomainsAndIPv4(t string, add func(string, string)) {
	for i := 0; i < len(t); {
		if !isDomainChar(t[i]) {
			i++
			continue
		}
		st := i
		for i < len(t) && isDomainChar(t[i]) {
			i++
		}
		run := strings.Trim(t[st:i], ".-")
		if strings.IndexByte(run, '.') < 0 {
			continue
		}
		lead := st
		for lead < len(t) && (t[lead] == '.' || t[lead] == '-') {
			lead++
		}
		var prev byte
		if lead > 0 {
			prev = t[lead-1]
		}
		// A run glued to a word character, an underscore, or (for names) a path separator or a
		// % of an environment variable is part of something else.
		if prev == '_' || prev >= 0x80 || (i < len(t) && (t[i] == '_' || t[i] >= 0x80)) {
			continue
		}
		if isIPv4(run) {
			if !versionBefore(t[:lead]) && lead == st && (i == len(t) || t[i] != '.' || i+1 == len(t) || !isAlnum(t[i+1])) {
				add(iocIPv4, run)
			}
			continue
		}
		if prev == '\\' || prev == '/' || prev == '%' || prev == '$' {
			continue
		}
		if d, ok := domainValue(run, prev == '@'); ok {
			add(iocDomain, d)
		}
	}
}

// versionBefore reports whether the text before a dotted quad ends with a version keyword
// ("Version=", "version ", "ver:"), as in .NET assembly names.
func versionBefore(before string) bool {
	b := strings.TrimRight(before, " =:")
	if len(b) > 16 {
		b = b[len(b)-16:]
	}
	b = strings.ToLower(b)
	return strings.HasSuffix(b, "version") || strings.HasSuffix(b, "ver") || strings.HasSuffix(b, "build")
}

// isIPv4 reports whether s is a dotted quad of decimal octets 0-255 without leading zeros.
func isIPv4(s string) bool {
	parts := 0
	for len(s) > 0 {
		n := 0
		for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n > 3 || (n > 1 && s[0] == '0') {
			return false
		}
		v := 0
		for _, c := range s[:n] {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return false
		}
		parts++
		s = s[n:]
		if len(s) == 0 {
			break
		}
		if s[0] != '.' || parts == 4 {
			return false
		}
		s = s[1:]
		if len(s) == 0 {
			return false
		}
	}
	return parts == 4
}

// domainValue checks that s is a domain name (two or more labels of letters, digits and inner
// hyphens, at most 63 characters each and 253 in all, under a top-level domain of the IANA root
// zone) and returns it in lower case. Names that look like file names (a two-label name whose
// top-level domain is also a file extension) or .NET/PowerShell type names (a label in camel case,
// such as System.Management.Automation) are refused unless strict is set (the host of a URL, the
// domain of an e-mail address).
func domainValue(s string, strict bool) (string, bool) {
	if len(s) < 4 || len(s) > 253 {
		return "", false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if !tldSet[tld] {
		return "", false
	}
	if !strict {
		if len(labels) == 2 && fileExtTLDs[tld] {
			return "", false
		}
		for _, l := range labels {
			if camelCase(l) {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// camelCase reports whether label has an upper-case letter right after a lower-case one
// (PowerShell, WebClient), which host names written by people and malware rarely have.
func camelCase(l string) bool {
	for i := 1; i < len(l); i++ {
		if l[i] >= 'A' && l[i] <= 'Z' && l[i-1] >= 'a' && l[i-1] <= 'z' {
			return true
		}
	}
	return false
}

// scanIPv6 reads maximal runs of hex digits, colons and dots holding two or more colons and keeps
// those that parse as an IPv6 address (in its canonical form); times (12:30:45) and MAC addresses
// do not parse.
func scanIPv6(t string, add func(string, string)) {
	if strings.Count(t, ":") < 2 {
		return
	}
	for i := 0; i < len(t); {
		c := t[i]
		if !(isHexDigit(c) || c == ':') {
			i++
			continue
		}
		st := i
		for i < len(t) && (isHexDigit(t[i]) || t[i] == ':' || t[i] == '.') {
			i++
		}
		if st > 0 && (isAlnum(t[st-1]) || t[st-1] == '_') || i < len(t) && (isAlnum(t[i]) || t[i] == '_') {
			continue
		}
		run := strings.TrimRight(t[st:i], ".")
		if strings.Count(run, ":") < 2 {
			continue
		}
		a, err := netip.ParseAddr(run)
		if err != nil || !a.Is6() || a.IsUnspecified() {
			continue
		}
		add(iocIPv6, a.String())
	}
}

// scanHashes reads maximal runs of letters and digits: a run of exactly 32, 40 or 64 hex digits
// is an MD5, SHA-1 or SHA-256 hash (lower case). Runs of zeros (Sysmon's empty IMPHASH) are not
// hashes.
func scanHashes(t string, add func(string, string)) {
	for i := 0; i < len(t); {
		if !isAlnum(t[i]) {
			i++
			continue
		}
		st := i
		hex := true
		for i < len(t) && isAlnum(t[i]) {
			if !isHexDigit(t[i]) {
				hex = false
			}
			i++
		}
		n := i - st
		if !hex || (n != 32 && n != 40 && n != 64) {
			continue
		}
		if st > 0 && t[st-1] == '_' || i < len(t) && t[i] == '_' {
			continue
		}
		h := strings.ToLower(t[st:i])
		if strings.Trim(h, "0") == "" {
			continue
		}
		switch n {
		case 32:
			add(iocMD5, h)
		case 40:
			add(iocSHA1, h)
		default:
			add(iocSHA256, h)
		}
	}
}

// pathStop ends a Windows path: characters Windows forbids in names, quotes and line ends.
func pathStop(c byte) bool { return strings.IndexByte("/:*?\"'<>|\r\n\t", c) >= 0 || c < 0x20 }

// scanPaths finds Windows paths (C:\..., %SystemRoot%\...), UNC paths (\\server\share\...) and
// registry keys (HKLM\..., HKEY_LOCAL_MACHINE\..., PowerShell's HKCU:\..., \REGISTRY\MACHINE\...). A folder name may hold
// spaces (C:\Program Files\...); the last component ends at a space.
func scanPaths(t string, add func(string, string)) {
	if strings.IndexByte(t, '\\') < 0 {
		return
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') && i+2 < len(t) && t[i+1] == ':' && t[i+2] == '\\' && (i == 0 || !isAlnum(t[i-1]) && t[i-1] != '\\'):
			if p, n := pathRest(t, i+2); n > 1 {
				add(iocWinPath, t[i:i+2]+p)
				i += 1 + n
			}
		case c == '%' && i+1 < len(t):
			j := strings.IndexByte(t[i+1:], '%')
			if j <= 0 || j > 40 || i+j+2 >= len(t) || t[i+j+2] != '\\' || strings.ContainsAny(t[i+1:i+1+j], " \\/\"'") {
				continue
			}
			if p, n := pathRest(t, i+j+2); n > 1 {
				add(iocWinPath, t[i:i+j+2]+p)
				i += j + 1 + n
			}
		case c == '\\' && i+2 < len(t) && t[i+1] == '\\' && isAlnum(t[i+2]) && (i == 0 || t[i-1] != '\\'):
			j := i + 2
			for j < len(t) && (isAlnum(t[j]) || strings.IndexByte("_.$-", t[j]) >= 0) {
				j++
			}
			if j < len(t) && t[j] == '\\' {
				if p, n := pathRest(t, j); n > 1 {
					add(iocUNCPath, t[i:j]+p)
					i = j + n - 1
				}
			}
		case c == 'H' || c == 'h' || c == '\\':
			if i > 0 && (isAlnum(t[i-1]) || t[i-1] == '\\') {
				continue
			}
			for _, root := range registryRoots {
				if len(t) <= i+len(root) || !strings.EqualFold(t[i:i+len(root)], root) {
					continue
				}
				r := len(root)
				if t[i+r] == ':' && root[0] == 'H' && i+r+1 < len(t) { // PowerShell's HKCU:\ drive
					r++
				}
				if t[i+r] == '\\' {
					if p, n := pathRest(t, i+r); n > 1 {
						add(iocRegistry, t[i:i+r]+p)
						i += r + n - 1
					}
					break
				}
			}
		}
	}
}

// pathRest reads a path from t[i] (a backslash). Folder components may hold spaces (C:\Program
// Files\...); the path ends at a character pathStop refuses, and at a space that follows a name
// with an extension (cmd.exe /c ...), that comes before an option (- or /), or that is in the
// last component. Trailing dots are left out. It returns the path text and its length (0 when
// there is none).
func pathRest(t string, i int) (string, int) {
	end := i + 1
	compStart := i + 1
	for j := i + 1; j < len(t); j++ {
		c := t[j]
		if pathStop(c) {
			break
		}
		if c == '\\' {
			compStart = j + 1
			end = j + 1
			continue
		}
		if c == ' ' || c == ',' || c == ';' {
			rest := t[j+1:]
			k := strings.IndexFunc(rest, func(r rune) bool { return r == '\\' || r < 0x20 || r < 0x80 && pathStop(byte(r)) })
			if c != ' ' || strings.Contains(t[compStart:j], ".") || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "/") ||
				k <= 0 || rest[k] != '\\' || strings.Contains(rest[:k], "  ") {
				break
			}
		}
		end = j + 1
	}
	p := strings.TrimRight(t[i:end], ". ")
	if len(p) <= 1 {
		return "", 0
	}
	return p, len(p)
}
