package playbook

import (
	"github.com/gohunt/gohunt/internal/redact"
)

// Hidden is what a masked credential reads in a saved notebook or report.
const Hidden = redact.Mask

// RedactText masks credentials in free text: URL userinfo, and the value of every NAME=VALUE
// (or NAME: VALUE) whose NAME says it holds a credential. It is redact.Text, the masking the
// kernel uses for what it prints.
func RedactText(s string) string { return redact.Text(s) }

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
			if s, ok := e.(string); ok && redact.SecretName(k) && s != "" {
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
		case redact.SecretName(p.Name) && p.Value != nil:
			out[i].Value = Hidden
		default:
			if s, ok := p.Value.(string); ok {
				out[i].Value = redact.URLs(s)
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
