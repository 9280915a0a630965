// Package redact masks credentials in text gohunt prints or saves: the password (or token)
// inside a URL's userinfo, and the values of variables whose names say they hold a credential.
//
// It is used wherever the kernel shows environment variables or error texts (the %env magic,
// error outputs) and by the playbook runner for what it saves. It only masks; it never logs.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces a hidden value.
const Mask = "<hidden>"

// userinfoRE matches scheme://userinfo@ in free text. The userinfo may not hold '/', '@',
// whitespace or quotes, so that a path or a second URL is never swallowed.
var userinfoRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)([^/@\s"'<>]+)@`)

// URLs masks the credentials of every URL in s: "http://user:secret@host/" becomes
// "http://user:<hidden>@host/", and a bare token "https://TOKEN@host" becomes
// "https://<hidden>@host" (a user name alone may be a token). Other text is unchanged.
func URLs(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := userinfoRE.FindStringSubmatch(m)
		user, _, hasPass := strings.Cut(sm[2], ":")
		if hasPass {
			return sm[1] + user + ":" + Mask + "@"
		}
		if sm[2] == Mask {
			return m
		}
		return sm[1] + Mask + "@"
	})
}

// secretWords mark a credential anywhere in a variable name; secretParts only as a whole
// part of it (split at '_', '-', '.' and case changes), so that KEYBOARD or MONKEY pass.
var (
	secretWords = []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "API_KEY", "PRIVATE"}
	secretParts = map[string]bool{"KEY": true, "PASS": true, "PWD": true, "AUTH": true, "COOKIE": true, "SESSION": true}
	// notSecret are well-known names that contain a part above but hold no credential.
	notSecret = map[string]bool{"PWD": true, "OLDPWD": true, "SSH_AUTH_SOCK": true, "XDG_SESSION_ID": true,
		"XDG_SESSION_TYPE": true, "XDG_SESSION_CLASS": true, "XDG_SESSION_DESKTOP": true, "DESKTOP_SESSION": true}
)

// SecretName reports whether a variable name looks like it holds a credential: it contains
// PASSWORD, SECRET, TOKEN, API_KEY, CREDENTIAL, PRIVATE..., or has a part KEY, PASS, PWD, AUTH,
// COOKIE or SESSION (ES_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, esApiKey, DB_PASS).
func SecretName(name string) bool {
	u := strings.ToUpper(name)
	if notSecret[u] {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	for _, p := range nameParts(name) {
		if secretParts[strings.ToUpper(p)] {
			return true
		}
	}
	return false
}

// nameParts splits a name at '_', '-', '.' and lower-to-upper case changes.
func nameParts(name string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '-' || c == '.' {
			if i > start {
				parts = append(parts, name[start:i])
			}
			start = i + 1
			continue
		}
		if i > start && c >= 'A' && c <= 'Z' && name[i-1] >= 'a' && name[i-1] <= 'z' {
			parts = append(parts, name[start:i])
			start = i
		}
	}
	if start < len(name) {
		parts = append(parts, name[start:])
	}
	return parts
}

// Value returns what may be shown of the variable name's value: Mask (or "" for an empty
// value) when the name looks like a credential, else the value with URL credentials masked.
func Value(name, value string) string {
	if SecretName(name) {
		if value == "" {
			return ""
		}
		return Mask
	}
	return URLs(value)
}

// assignREs match NAME=VALUE, then NAME: VALUE, as environment listings, `%env`, query strings
// and configuration dumps print them; VALUE runs to the end of the word, quotes included. The
// two forms are separate passes so that "failed: ES_PASSWORD=x" is not taken whole as one
// NAME: VALUE pair. A value never starts with '/', so that a URL's scheme ("http:" + "//host")
// is not taken for a name and its value.
var assignREs = []*regexp.Regexp{
	regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_.\-]*)(=)("[^"\n]*"|'[^'\n]*'|[^\s,;&"'</][^\s,;&"'<]*)`),
	regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_.\-]*)(: ?)("[^"\n]*"|'[^'\n]*'|[^\s,;&"'</][^\s,;&"'<]*)`),
}

// Text masks credentials in free text, such as an error message: URL credentials, and the
// value of every NAME=VALUE (or NAME: VALUE) whose NAME looks like a credential.
func Text(s string) string {
	s = URLs(s)
	if !strings.ContainsAny(s, "=:") {
		return s
	}
	for _, re := range assignREs {
		s = re.ReplaceAllStringFunc(s, func(m string) string {
			sm := re.FindStringSubmatch(m)
			if !SecretName(sm[1]) || sm[3] == Mask {
				return m
			}
			return sm[1] + sm[2] + Mask
		})
	}
	return s
}
