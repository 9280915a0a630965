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

	"github.com/microcosm-cc/bluemonday"
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
// them dropped), code and text outputs escaped, HTML and Markdown outputs passed through an
// allow-list sanitizer (reportPolicy) and serialized again one by one, so that no output can run
// anything or swallow the outputs after it, and images inlined as data URLs. Style sheets in
// outputs are dropped; the report's own style sheet styles hunt's tables and process trees. A
// Content-Security-Policy forbids scripts and remote requests on top of that, but the report does
// not rely on it.
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

// reportPolicy is the allow-list every HTML and Markdown output passes before it enters the
// report: text structure, lists, tables, details/summary, figures and images; the attributes
// title, class, dir, lang, details' open, table alignment and a short list of inline style
// properties (no positioning); links to http(s), mailto and relative URLs only; images from
// http(s), relative or base64 data: URLs (an SVG shown as an <img> runs no script and fetches
// nothing, so hunt's pictures stay). Everything else goes: no script, style or foreign (SVG,
// MathML) elements, no event handlers, no forms, frames, meta or base, no id (an output cannot
// take over the report's anchors). Elements not allowed keep their text, escaped; the content of
// script, style, frames, noscript and the like is dropped.
var reportPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // http, https, mailto and relative URLs, parseable
	p.AllowDataURIImages()
	p.AllowElements("article", "aside", "section", "figure", "figcaption", "summary",
		"h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "br", "div", "hr", "p", "span", "wbr",
		"abbr", "acronym", "cite", "code", "dfn", "em", "kbd", "mark", "s", "samp", "strong",
		"sub", "sup", "var", "b", "i", "pre", "small", "strike", "tt", "u", "del", "ins", "blockquote")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`(?i)^(|open)$`)).OnElements("details")
	p.AllowElements("details")
	p.AllowLists()
	p.AllowTables()
	p.AllowImages()
	p.AllowAttrs("title").Globally()
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).Globally()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[a-zA-Z]{2,20}(-[a-zA-Z0-9]{1,8})*$`)).Globally()
	// A link goes to the web, a mail address or a relative place; never a data: or script URL.
	p.AllowAttrs("href").Matching(regexp.MustCompile(`^(?i)(\s*(https?|mailto):|[^:]*$)`)).OnElements("a")
	p.AllowStyles("color", "background-color", "font", "font-family", "font-size", "font-style",
		"font-weight", "opacity", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
		"padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
		"border", "border-left", "border-right", "border-top", "border-bottom", "border-collapse",
		"border-radius", "outline", "text-align", "vertical-align", "white-space", "word-break",
		"max-width", "width", "height", "list-style", "text-decoration").Globally()
	return p
}()

// sanitize returns s, an HTML output, as markup that is safe and self-contained: it passes
// reportPolicy, then is parsed as a fragment inside a <div> and serialized again, so every
// element it opens is closed and it cannot swallow or restyle what follows it in the report
// (an unclosed <table>, a </div>, <plaintext>). The parsed tree is checked once more (HTML
// elements only, none of raw text, no event handler or style element); should anything slip
// through the policy, the whole output is shown as escaped text instead.
func sanitize(s string) string {
	cleaned := reportPolicy.Sanitize(s)
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(cleaned), ctx)
	if err != nil {
		return "<pre>" + template.HTMLEscapeString(s) + "</pre>"
	}
	var buf bytes.Buffer
	for _, n := range nodes {
		if !inert(n) {
			return "<pre>" + template.HTMLEscapeString(s) + "</pre>"
		}
		if err := html.Render(&buf, n); err != nil {
			return "<pre>" + template.HTMLEscapeString(s) + "</pre>"
		}
	}
	return buf.String()
}

// rawText are the elements whose content a browser does not parse as markup, or which take
// over parsing or the page: none of them may reach the report.
var rawText = map[string]bool{
	"script": true, "style": true, "plaintext": true, "xmp": true, "iframe": true, "noembed": true,
	"noframes": true, "noscript": true, "textarea": true, "title": true, "template": true,
	"object": true, "embed": true, "form": true, "base": true, "meta": true, "link": true,
}

// inert reports whether the tree under n holds only HTML-namespace elements that are not raw
// text and carry no event handler, style sheet or script URL.
func inert(n *html.Node) bool {
	if n.Type == html.ElementNode {
		if n.Namespace != "" || rawText[strings.ToLower(n.Data)] {
			return false
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if a.Namespace != "" || strings.HasPrefix(k, "on") || k == "srcdoc" || k == "srcset" ||
				((k == "href" || k == "src") && !safeURL(a.Val)) {
				return false
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if !inert(c) {
			return false
		}
	}
	return true
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
		return strings.HasPrefix(v, "data:image/")
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
.output .hunt-frame td.null { color: #aaa; font-style: italic; } .output .hunt-frame th small { color: #888; font-weight: normal; }
.output .gohunt-ptree ul { list-style: none; margin: 0; padding: 0 0 0 1.4em; border-left: 1px dotted #bbb; }
.output .gohunt-ptree ul.gh-tree { padding-left: 0; border-left: none; } .output .gohunt-ptree li { list-style: none; }
.output .gohunt-ptree li.gh-leaf { padding-left: 1.05em; } .output .gohunt-ptree .gh-img { font-weight: bold; }
.output .gohunt-ptree .gh-meta { opacity: .72; font-size: 12px; } .output .gohunt-ptree .gh-unseen .gh-img { font-style: italic; opacity: .75; }
.output .gohunt-ptree .gh-cmd { display: block; font: 12px monospace; background: rgba(127,127,127,.1); white-space: pre-wrap; word-break: break-all; margin-left: 1.05em; }
.output .gohunt-ptree .gh-hl { background: rgba(214,39,40,.1); outline: 2px solid #d62728; outline-offset: -2px; border-radius: 3px; } .output .gohunt-ptree .gh-mark { color: #d62728; font-weight: bold; }
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
