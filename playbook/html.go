package playbook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ReportInfo is what the HTML report says about the run besides the cells.
type ReportInfo struct {
	Title    string
	Kernel   string  // kernel display name or argv[0]
	Params   []Param // injected parameters, in order
	Started  time.Time
	Duration time.Duration
	Failure  *CellError // nil when every cell succeeded
}

// csp forbids every script, plugin, frame, form target and remote fetch: the report is static
// even if a cell displayed hostile HTML. Only inline styles and data: images are allowed.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// RenderHTML writes a standalone, static HTML report of nb: Markdown cells rendered (raw HTML in
// them dropped), code and text outputs escaped, HTML outputs sanitized (no scripts, event
// handlers, frames, forms, meta or base elements, javascript: URLs) and images inlined as data
// URLs. A Content-Security-Policy forbids scripts and remote requests on top of that.
func RenderHTML(w io.Writer, nb *Notebook, info ReportInfo) error {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	view := reportView{Title: info.Title, Kernel: info.Kernel, CSP: csp}
	if !info.Started.IsZero() {
		view.Started = info.Started.UTC().Format("2006-01-02 15:04:05 UTC")
		view.Duration = info.Duration.Round(time.Millisecond).String()
	}
	for _, p := range info.Params {
		lit, _ := GoLiteral(p.Value)
		view.Params = append(view.Params, paramView{p.Name, lit})
	}
	if f := info.Failure; f != nil {
		view.Failure = f.Error()
		view.FailureAnchor = fmt.Sprintf("cell-%d", f.Number)
	}
	for i, c := range nb.Cells {
		cv := cellView{Anchor: fmt.Sprintf("cell-%d", i+1), Type: c.Type, Failed: info.Failure != nil && info.Failure.Index == i}
		switch c.Type {
		case "markdown":
			var buf bytes.Buffer
			if err := md.Convert([]byte(c.Source), &buf); err != nil {
				cv.Text = c.Source
			} else {
				cv.HTML = template.HTML(sanitize(buf.String()))
			}
		case "raw":
			cv.Text = c.Source
		case "code":
			cv.Source = c.Source
			if c.ExecutionCount != nil {
				cv.Prompt = fmt.Sprintf("[%d]", *c.ExecutionCount)
			} else {
				cv.Prompt = "[ ]"
			}
			cv.Tags = strings.Join(c.Tags(), " ")
			for _, o := range c.Outputs {
				cv.Outputs = append(cv.Outputs, renderOutput(o, md))
			}
		}
		view.Cells = append(view.Cells, cv)
	}
	return reportTmpl.Execute(w, view)
}

type reportView struct {
	Title, Kernel, CSP, Started, Duration string
	Params                                []paramView
	Failure, FailureAnchor                string
	Cells                                 []cellView
}

type paramView struct{ Name, Value string }

type cellView struct {
	Anchor, Type, Prompt, Source, Tags, Text string
	HTML                                     template.HTML
	Outputs                                  []outputView
	Failed                                   bool
}

type outputView struct {
	Class string
	Text  string        // shown in <pre>, escaped
	HTML  template.HTML // already safe
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

func renderOutput(o Output, md goldmark.Markdown) outputView {
	switch o.Type() {
	case "stream":
		name, _ := o["name"].(string)
		return outputView{Class: "stream " + name, Text: ansi.ReplaceAllString(str(o["text"]), "")}
	case "error":
		var lines []string
		if tb, ok := o["traceback"].([]any); ok {
			for _, l := range tb {
				lines = append(lines, str(l))
			}
		}
		text := strings.Join(lines, "\n")
		if strings.TrimSpace(text) == "" {
			text = fmt.Sprintf("%s: %s", str(o["ename"]), str(o["evalue"]))
		}
		return outputView{Class: "error", Text: ansi.ReplaceAllString(text, "")}
	case "display_data", "execute_result":
		data, _ := o["data"].(map[string]any)
		return renderData(data, md)
	}
	return outputView{Class: "unknown", Text: fmt.Sprintf("(output of type %q)", o.Type())}
}

// renderData picks the richest representation of a MIME bundle that a static page can show.
func renderData(data map[string]any, md goldmark.Markdown) outputView {
	if s, ok := data["text/html"].(string); ok {
		return outputView{Class: "html", HTML: template.HTML(sanitize(s))}
	}
	for _, mime := range []string{"image/png", "image/jpeg", "image/gif"} {
		if s, ok := data[mime].(string); ok {
			clean := strings.Join(strings.Fields(s), "")
			if _, err := base64.StdEncoding.DecodeString(clean); err == nil {
				return outputView{Class: "image", HTML: template.HTML(`<img alt="" src="data:` + mime + `;base64,` + clean + `">`)}
			}
		}
	}
	if s, ok := data["image/svg+xml"].(string); ok {
		// As an <img>, an SVG can run no script and fetch nothing.
		enc := base64.StdEncoding.EncodeToString([]byte(s))
		return outputView{Class: "image", HTML: template.HTML(`<img alt="" src="data:image/svg+xml;base64,` + enc + `">`)}
	}
	if s, ok := data["text/markdown"].(string); ok {
		var buf bytes.Buffer
		if err := md.Convert([]byte(s), &buf); err == nil {
			return outputView{Class: "markdown", HTML: template.HTML(sanitize(buf.String()))}
		}
	}
	if s, ok := data["text/plain"].(string); ok {
		return outputView{Class: "text", Text: ansi.ReplaceAllString(s, "")}
	}
	if v, ok := data["application/json"]; ok {
		b, _ := json.MarshalIndent(v, "", "  ")
		return outputView{Class: "text", Text: string(b)}
	}
	mimes := make([]string, 0, len(data))
	for k := range data {
		mimes = append(mimes, k)
	}
	sort.Strings(mimes)
	return outputView{Class: "unknown", Text: "(no static representation: " + strings.Join(mimes, ", ") + ")"}
}

// Elements removed with everything inside them.
var dropElements = map[atom.Atom]bool{
	atom.Script: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true, atom.Object: true,
	atom.Embed: true, atom.Applet: true, atom.Meta: true, atom.Link: true, atom.Base: true,
	atom.Form: true, atom.Input: true, atom.Button: true, atom.Textarea: true, atom.Select: true,
	atom.Noscript: true, atom.Template: true,
}

// sanitize parses s as an HTML fragment (inside a <div>) and re-renders it without active
// content: dropElements, SVG <script>/<foreignObject>, on* event attributes, and URL
// attributes whose scheme is not http(s), mailto or a data: image. The result is well formed,
// so an unclosed tag in one output cannot swallow the rest of the report.
func sanitize(s string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return template.HTMLEscapeString(s)
	}
	var buf bytes.Buffer
	for _, n := range nodes {
		clean(n)
		if n.Parent == nil && !dropped(n) {
			html.Render(&buf, n)
		}
	}
	return buf.String()
}

func dropped(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return n.Type == html.DoctypeNode
	}
	switch name := strings.ToLower(n.Data); name {
	case "script", "foreignobject":
		return true
	case "set", "animate":
		// SVG animation can rewrite an href to a javascript: URL.
		for _, a := range n.Attr {
			if strings.EqualFold(a.Key, "attributename") && strings.Contains(strings.ToLower(a.Val), "href") {
				return true
			}
		}
	}
	return dropElements[n.DataAtom]
}

var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true,
	"background": true, "poster": true, "srcset": true, "data": true, "codebase": true,
	"cite": true, "longdesc": true, "usemap": true, "ping": true, "lowsrc": true, "dynsrc": true,
}

func clean(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if dropped(c) {
			n.RemoveChild(c)
		} else {
			clean(c)
		}
		c = next
	}
	if n.Type != html.ElementNode {
		return
	}
	attrs := n.Attr[:0]
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		if a.Namespace != "" {
			key = strings.ToLower(a.Namespace) + ":" + key
		}
		if strings.HasPrefix(key, "on") || key == "http-equiv" || key == "srcdoc" {
			continue
		}
		if urlAttrs[key] || strings.HasSuffix(key, ":href") {
			// An SVG shown through <img> runs no script and loads nothing, so hunt's views
			// (<img src="data:image/svg+xml;base64,...">) keep their pictures.
			svgImage := n.DataAtom == atom.Img && key == "src" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "data:image/svg+xml;base64,")
			if !svgImage && !safeURL(a.Val) {
				continue
			}
		}
		if key == "style" && strings.Contains(strings.ToLower(a.Val), "url(") {
			continue
		}
		attrs = append(attrs, a)
	}
	n.Attr = attrs
}

func safeURL(u string) bool {
	v := strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, u))
	scheme, _, hasScheme := strings.Cut(v, ":")
	if !hasScheme || strings.ContainsAny(scheme, "/?#") {
		return true // relative URL or fragment
	}
	switch scheme {
	case "http", "https", "mailto":
		return true
	case "data":
		return strings.HasPrefix(v, "data:image/png") || strings.HasPrefix(v, "data:image/jpeg") || strings.HasPrefix(v, "data:image/gif")
	}
	return false
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gohunt run">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
header, main { max-width: 1200px; margin: 0 auto; padding: 12px 24px; }
header { border-bottom: 1px solid #d0d7de; background: #fff; }
header h1 { font-size: 20px; margin: 8px 0; }
.meta { color: #57606a; }
.status { padding: 6px 10px; border-radius: 6px; display: inline-block; margin: 6px 0; }
.status.ok { background: #dafbe1; } .status.failed { background: #ffebe9; }
table.params { border-collapse: collapse; margin: 6px 0; }
table.params td { border: 1px solid #d0d7de; padding: 2px 8px; font-family: ui-monospace, monospace; }
.cell { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; padding: 8px 12px; }
.cell.failed { border-color: #cf222e; box-shadow: 0 0 0 1px #cf222e; }
.prompt { color: #57606a; font-family: ui-monospace, monospace; font-size: 12px; }
.tags { color: #8250df; font-size: 12px; margin-left: 8px; }
pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
pre.source { background: #f6f8fa; padding: 6px 8px; border-radius: 4px; }
.output { border-left: 3px solid #d0d7de; padding-left: 8px; margin: 6px 0; overflow-x: auto; }
.output.stderr pre { background: #fff8c5; }
.output.error pre { background: #ffebe9; color: #82071e; }
.output table { border-collapse: collapse; font-size: 12.5px; }
.output th, .output td { border: 1px solid #d0d7de; padding: 2px 6px; text-align: left; vertical-align: top; }
.output th { background: #f6f8fa; }
.output img { max-width: 100%; }
.markdown table { border-collapse: collapse; } .markdown th, .markdown td { border: 1px solid #d0d7de; padding: 2px 6px; }
code { font-family: ui-monospace, monospace; background: #eff1f3; padding: 0 3px; border-radius: 3px; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<div class="meta">Executed headless by <code>gohunt run</code>{{if .Kernel}} on kernel {{.Kernel}}{{end}}{{if .Started}}, started {{.Started}}, took {{.Duration}}{{end}}.</div>
{{if .Failure}}<div class="status failed">Failed: <a href="#{{.FailureAnchor}}">{{.Failure}}</a></div>{{else}}<div class="status ok">Every cell ran without error.</div>{{end}}
{{if .Params}}<table class="params"><caption>Parameters</caption>{{range .Params}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>{{end}}</table>{{end}}
</header>
<main>
{{range .Cells}}<section class="cell {{.Type}}{{if .Failed}} failed{{end}}" id="{{.Anchor}}">
{{if eq .Type "code"}}<div class="prompt">In {{.Prompt}}{{if .Tags}}<span class="tags">{{.Tags}}</span>{{end}}</div>
<pre class="source">{{.Source}}</pre>
{{range .Outputs}}<div class="output {{.Class}}">{{if .HTML}}{{.HTML}}{{else}}<pre>{{.Text}}</pre>{{end}}</div>
{{end}}{{else if .HTML}}<div class="markdown">{{.HTML}}</div>{{else}}<pre>{{.Text}}</pre>{{end}}
</section>
{{end}}</main>
</body>
</html>
`))
