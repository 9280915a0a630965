package playbook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestSanitizeRemovesActiveContent(t *testing.T) {
	cases := map[string]string{
		`<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>`:                                                           `<table><tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></tbody></table>`,
		`<b onclick="x()">b</b><script>alert(1)</script>`:                                                                                  `<b>b</b>`,
		`<a href="javascript:alert(1)">x</a><a href=" JaVa&#09;script:x">y</a>`:                                                            `xy`,
		`<a href="https://attack.mitre.org/techniques/T1047/">T1047</a>`:                                                                   `<a href="https://attack.mitre.org/techniques/T1047/" rel="nofollow">T1047</a>`,
		`<img src=x onerror=alert(1)>`:                                                                                                     `<img src="x"/>`,
		`<iframe srcdoc="<script>x</script>"></iframe><meta http-equiv=refresh content="0;url=http://x">ok`:                                `ok`,
		`<svg><script>alert(1)</script><a xlink:href="javascript:x"><text>t</text></a><set attributeName="href" to="javascript:x"/></svg>`: `t`,
		`<div style="background:url(http://x)">s</div>`:                                                                                    `<div>s</div>`,
		`<div style="position:fixed;top:0;color:red">s</div>`:                                                                              `<div style="color: red">s</div>`,
		`<b>unclosed`: `<b>unclosed</b>`,
		`<form action="http://x"><input name=a></form>after`:                       `after`,
		`<img src="data:image/svg+xml;base64,PHN2Zz4=">`:                           `<img src="data:image/svg+xml;base64,PHN2Zz4="/>`,
		`<a href="data:image/svg+xml;base64,PHN2Zz4=">x</a>`:                       `x`,
		`<img srcset="data:image/svg+xml;base64,PHN2Zz4=">`:                        ``,
		`<style>main{display:none}</style>kept`:                                    `kept`,
		`<p id="cell-1" class="hunt-error x">p</p>`:                                `<p class="hunt-error x">p</p>`,
		`<table><tr><td title="a &quot;long&quot; value; x=1">v</td></tr></table>`: `<table><tbody><tr><td title="a &#34;long&#34; value; x=1">v</td></tr></tbody></table>`,
	}
	for in, want := range cases {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

// mxss holds the mutation-XSS and namespace-confusion payloads of the sanitizer bypasses
// published for DOMPurify and others: markup that a serializer writes one way and a browser
// parses into another tree. The browser test (tests/browser/report-sanitizer.test.mjs) renders
// the same list in Chromium.
var mxss = []string{
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">`,
	`<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`,
	`<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`,
	`<math><mi><table><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<svg><style><img src=x onerror=alert(1)></style></svg>`,
	`<math><style><img src=x onerror=alert(1)></style></math>`,
	`<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>`,
	`<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>`,
	`<!-- --!><img src=x onerror=alert(1)> -->`,
	`<select><template><style><!--</style><a rel="--></style></template></select><img src=x onerror=alert(1)>">`,
	`<xmp><img src=x onerror=alert(1)></xmp>`,
	`<template><img src=x onerror=alert(1)></template>`,
	`<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>t</text></a></svg>`,
	`<a href="javascript&colon;alert(1)">x</a>`,
	`<table><td><svg><foreignobject><img src=x onerror=alert(1)>`,
	`<img src=x onerror=alert(1)//`,
	`</div></section></main><img src=x onerror=alert(1)>`,
	`<plaintext><b>rest`,
}

// TestSanitizeMutationXSS parses each sanitized payload as a browser would (the HTML5 tree
// builder of golang.org/x/net/html) and then serializes and parses it once more (what a
// re-parse of the report does): neither tree may hold a foreign element, a raw-text element,
// an event handler or a script URL.
func TestSanitizeMutationXSS(t *testing.T) {
	for _, p := range mxss {
		once := sanitize(p)
		for round, s := range []string{once, reparse(t, once)} {
			body := parseBody(t, s)
			if !inert(body) {
				t.Errorf("sanitize(%s) round %d: active content survives: %s", p, round, s)
			}
			if low := strings.ToLower(s); strings.Contains(low, "onerror") && strings.Contains(low, "<img") && !strings.Contains(low, "&lt;img") {
				t.Errorf("sanitize(%s) round %d: %s", p, round, s)
			}
		}
	}
}

func parseBody(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader("<!DOCTYPE html><body><div>" + s + "</div><p id=after>after</p>"))
	if err != nil {
		t.Fatal(err)
	}
	var body *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "body" {
			body = n
		}
		for c := n.FirstChild; c != nil && body == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	// What follows the output is still a paragraph of the body, not swallowed by it.
	if last := body.LastChild; last == nil || last.Data != "p" || len(last.Attr) == 0 || last.Attr[0].Val != "after" {
		t.Errorf("the markup after %q was swallowed", s)
	}
	// The paragraph used above as the marker is the test's own: leave it out of the check.
	body.RemoveChild(body.LastChild)
	return body
}

func reparse(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	if err := html.Render(&b, parseBody(t, s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRenderHTMLIsolatesOutputs puts outputs that try to take over what follows them
// (<plaintext>, an unclosed table, closing tags of the report's own elements, a style sheet that
// hides the page) before a marker output: the marker stays a paragraph of its own cell.
func TestRenderHTMLIsolatesOutputs(t *testing.T) {
	hostile := append([]string{"<plaintext>", "<table><tr><td>open", "</pre></div></section></main></body>",
		"<style>main{display:none}</style>", "<textarea>", "<title>", "<!--", "<xmp>", "<noscript>"}, mxss...)
	var cells []string
	for i, h := range hostile {
		hj, _ := json.Marshal(h)
		cells = append(cells, fmt.Sprintf(`{"id":"h%d","cell_type":"code","metadata":{},"source":"x","execution_count":1,"outputs":[
		 {"output_type":"display_data","metadata":{},"data":{"text/html":%s}},
		 {"output_type":"display_data","metadata":{},"data":{"text/html":"<p class=\"after\">after %d</p>"}}]}`, i, hj, i))
	}
	nb := mustParse(t, `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[`+strings.Join(cells, ",")+`]}`)
	var buf bytes.Buffer
	if err := RenderHTML(&buf, nb, ReportInfo{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "p" && len(n.Attr) == 1 && n.Attr[0].Val == "after" &&
			n.Parent != nil && n.Parent.Data == "div" && n.FirstChild != nil {
			found = append(found, n.FirstChild.Data)
		}
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" && n.Parent.Data != "head") {
			t.Errorf("a <%s> element in the report body", n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(found) != len(hostile) {
		t.Fatalf("%d of %d markers after hostile outputs survive: %v", len(found), len(hostile), found)
	}
	for i, f := range found {
		if f != fmt.Sprintf("after %d", i) {
			t.Errorf("marker %d reads %q", i, f)
		}
	}
}

func TestRenderHTMLIsStaticAndEscaped(t *testing.T) {
	nb := mustParse(t, `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[
	 {"id":"m","cell_type":"markdown","metadata":{},"source":"# Hunt <script>alert(1)</script>\n\n| a |\n|---|\n| 1 |"},
	 {"id":"c","cell_type":"code","metadata":{"tags":["parameters"]},"source":"x := \"</pre><script>alert(2)</script>\"","execution_count":1,"outputs":[
	   {"output_type":"stream","name":"stdout","text":"<script>alert(3)</script>\n"},
	   {"output_type":"execute_result","execution_count":1,"metadata":{},"data":{"text/html":"<table><tr><td>&lt;script&gt;</td></tr></table><script>alert(4)</script>","text/plain":"t"}},
	   {"output_type":"display_data","metadata":{},"data":{"image/svg+xml":"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(5)</script></svg>"}},
	   {"output_type":"display_data","metadata":{},"data":{"image/png":"iVBORw0KGgo="}},
	   {"output_type":"error","ename":"hunt.Error","evalue":"bad <b>","traceback":["\u001b[31mhunt.Error\u001b[0m: bad <b>"]}]}]}`)
	var buf bytes.Buffer
	err := RenderHTML(&buf, nb, ReportInfo{Title: "t <x>", Params: []Param{{"start", "<2020>"}}, Failure: &CellError{Index: 1, Number: 2, ID: "c", Ename: "hunt.Error", Evalue: "bad <b>", Excerpt: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(strings.ToLower(page), "<script"); n != 0 {
		t.Errorf("%d <script> elements in the report", n)
	}
	for _, want := range []string{
		`Content-Security-Policy`, `default-src &#39;none&#39;`,
		`<title>t &lt;x&gt;</title>`,
		`&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;`,
		`&lt;script&gt;alert(3)&lt;/script&gt;`,
		`<td>&lt;script&gt;</td>`,
		`src="data:image/svg+xml;base64,`,
		`src="data:image/png;base64,iVBORw0KGgo="`,
		`hunt.Error: bad &lt;b&gt;`,
		`<td>start</td><td>&#34;&lt;2020&gt;&#34;</td>`,
		`class="cell code failed" id="cell-2"`,
		`href="#cell-2"`,
		`<th>a</th>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if strings.Contains(page, "\x1b") {
		t.Error("ANSI escapes in the report")
	}
}
