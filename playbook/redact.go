package playbook

import (
	"regexp"
	"strings"
)

// Hidden is what a masked credential reads in a saved notebook or report.
const Hidden = "<hidden>"

// userinfoRE matches scheme://userinfo@ in free text. The userinfo may not hold '/', '@',
// whitespace, quotes or angle brackets, so that a path, a second URL or markup is never
// swallowed.
var userinfoRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)([^/@\s"'<>]+)@`)

// redactURLs masks the credentials of every URL in s: "http://user:secret@host/" becomes
// "http://user:<hidden>@host/", and "https://TOKEN@host" (a user name alone may be a token)
// becomes "https://<hidden>@host".
func redactURLs(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := userinfoRE.FindStringSubmatch(m)
		user, _, hasPass := strings.Cut(sm[2], ":")
		if hasPass {
			return sm[1] + user + ":" + Hidden + "@"
		}
		if sm[2] == Hidden {
			return m
		}
		return sm[1] + Hidden + "@"
	})
}

// secretWords mark a credential anywhere in a name; secretParts only as a whole part of it
// (split at '_', '-', '.' and lower-to-upper case changes), so KEYBOARD or MONKEY pass.
var (
	secretWords = []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "API_KEY", "PRIVATE"}
	secretParts = map[string]bool{"KEY": true, "PASS": true, "PWD": true, "AUTH": true, "COOKIE": true, "SESSION": true}
	notSecret   = map[string]bool{"PWD": true, "OLDPWD": true, "SSH_AUTH_SOCK": true, "XDG_SESSION_ID": true,
		"XDG_SESSION_TYPE": true, "XDG_SESSION_CLASS": true, "XDG_SESSION_DESKTOP": true, "DESKTOP_SESSION": true}
)

// secretName reports whether a variable or parameter name says it holds a credential
// (ES_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, esApiKey, DB_PASS).
func secretName(name string) bool {
	u := strings.ToUpper(name)
	if notSecret[u] {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		boundary := i == len(name) || name[i] == '_' || name[i] == '-' || name[i] == '.'
		camel := !boundary && i > start && name[i] >= 'A' && name[i] <= 'Z' && name[i-1] >= 'a' && name[i-1] <= 'z'
		if boundary || camel {
			if i > start && secretParts[strings.ToUpper(name[start:i])] {
				return true
			}
			start = i
			if boundary {
				start = i + 1
			}
		}
	}
	return false
}

// assignRE matches NAME=VALUE and NAME: VALUE as environment listings, `%env`, query strings
// and configuration dumps print them; VALUE runs to the end of the word, quotes included.
// A value never starts with '/', so that a URL's scheme ("http:" + "//host") is not taken for
// a name and its value.
var assignRE = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_.\-]*)(=|: ?)("[^"\n]*"|'[^'\n]*'|[^\s,;&"'</][^\s,;&"'<]*)`)

// RedactText masks credentials in free text: URL userinfo, and the value of every NAME=VALUE
// (or NAME: VALUE) whose NAME says it holds a credential.
func RedactText(s string) string {
	s = redactURLs(s)
	if !strings.ContainsAny(s, "=:") {
		return s
	}
	return assignRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := assignRE.FindStringSubmatch(m)
		if !secretName(sm[1]) || sm[3] == Hidden {
			return m
		}
		return sm[1] + sm[2] + Hidden
	})
}

// redactAny masks credentials in every string of a decoded JSON value.
func redactAny(v any) any {
	switch x := v.(type) {
	case string:
		return RedactText(x)
	case []any:
		for i := range x {
			x[i] = redactAny(x[i])
		}
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && secretName(k) && s != "" {
				x[k] = Hidden
				continue
			}
			x[k] = redactAny(e)
		}
	}
	return v
}

// RedactOutputs masks credentials in every output of nb (stream text, error name, value and
// traceback, every representation of display data and results), so that an executed notebook
// or its report never carries a password shown by `%env`, `!env`, an error or a URL. Cell
// sources are the author's and are left as they are.
func (nb *Notebook) RedactOutputs() {
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			for k, v := range o {
				if k == "output_type" {
					continue
				}
				o[k] = redactAny(v)
			}
		}
	}
}

// RedactParams returns params with the value of every parameter whose name says it holds a
// credential replaced by Hidden, and URL credentials masked in the other string values: what a
// saved notebook and its report may show of the parameters a run was given.
func RedactParams(params []Param) []Param {
	out := make([]Param, len(params))
	for i, p := range params {
		out[i] = p
		switch {
		case secretName(p.Name) && p.Value != nil:
			out[i].Value = Hidden
		default:
			if s, ok := p.Value.(string); ok {
				out[i].Value = redactURLs(s)
			}
		}
	}
	return out
}

// RedactParameters rewrites what nb records of the parameters a run was given (the source of
// the cell tagged "injected-parameters", keeping its outputs, and the gohunt.parameters
// metadata) from params passed through RedactParams: the saved notebook says which parameters
// the run had without their secrets.
func (nb *Notebook) RedactParameters(params []Param) error {
	masked := mergeParams(RedactParams(params))
	for _, c := range nb.Cells {
		if c.HasTag("injected-parameters") {
			src, err := ParametersSource(masked)
			if err != nil {
				return err
			}
			c.Source = src
			break
		}
	}
	recordParams(nb, masked)
	return nil
}

// Redact masks credentials in what e says (its value and the cell excerpt).
func (e *CellError) Redact() {
	e.Ename = RedactText(e.Ename)
	e.Evalue = RedactText(e.Evalue)
	e.Excerpt = RedactText(e.Excerpt)
}
