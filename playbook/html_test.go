package playbook

import (
	"bytes"
	"strings"
	"testing"
)

func TestSanitizeRemovesActiveContent(t *testing.T) {
	cases := map[string]string{
		`<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>`:                                                           `<table><tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></tbody></table>`,
		`<b onclick="x()">b</b><script>alert(1)</script>`:                                                                                  `<b>b</b>`,
		`<a href="javascript:alert(1)">x</a><a href=" JaVa&#09;script:x">y</a>`:                                                            `<a>x</a><a>y</a>`,
		`<a href="https://attack.mitre.org/techniques/T1047/">T1047</a>`:                                                                   `<a href="https://attack.mitre.org/techniques/T1047/">T1047</a>`,
		`<img src=x onerror=alert(1)>`:                                                                                                     `<img src="x"/>`,
		`<iframe srcdoc="<script>x</script>"></iframe><meta http-equiv=refresh content="0;url=http://x">ok`:                                `ok`,
		`<svg><script>alert(1)</script><a xlink:href="javascript:x"><text>t</text></a><set attributeName="href" to="javascript:x"/></svg>`: `<svg><a><text>t</text></a></svg>`,
		`<div style="background:url(http://x)">s</div>`:                                                                                    `<div>s</div>`,
		`<b>unclosed`: `<b>unclosed</b>`,
		`<form action="http://x"><input name=a></form>after`: `after`,
		`<img src="data:image/svg+xml;base64,PHN2Zz4=">`:     `<img src="data:image/svg+xml;base64,PHN2Zz4="/>`,
		`<a href="data:image/svg+xml;base64,PHN2Zz4=">x</a>`: `<a>x</a>`,
		`<img srcset="data:image/svg+xml;base64,PHN2Zz4=">`:  `<img/>`,
	}
	for in, want := range cases {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%s)\n got %s\nwant %s", in, got, want)
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
