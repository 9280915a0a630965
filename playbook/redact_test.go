package playbook

import (
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	cases := map[string]string{
		"ES_URL=http://user:secret@host:9200/":      "ES_URL=http://user:<hidden>@host:9200/",
		"see https://TOKEN123@example.org/x":        "see https://<hidden>@example.org/x",
		`<a href="http://u:p@h/">http://u:p@h/</a>`: `<a href="http://u:<hidden>@h/">http://u:<hidden>@h/</a>`,
		"ES_PASSWORD=hunter2\nPATH=/usr/bin":        "ES_PASSWORD=<hidden>\nPATH=/usr/bin",
		"esApiKey: abc123 and KEYBOARD=us":          "esApiKey: <hidden> and KEYBOARD=us",
		"AWS_SECRET_ACCESS_KEY='x y'":               "AWS_SECRET_ACCESS_KEY=<hidden>",
		"mail pgustavo@theshire.local, PWD=/root":   "mail pgustavo@theshire.local, PWD=/root",
		"http://host/path?token=abc&page=2":         "http://host/path?token=<hidden>&page=2",
		"already http://u:<hidden>@h/":              "already http://u:<hidden>@h/",
	}
	for in, want := range cases {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestRedactOutputsAndParameters(t *testing.T) {
	nb := mustParse(t, `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[
	 {"id":"p","cell_type":"code","metadata":{"tags":["parameters"]},"source":"x := 1","execution_count":1,"outputs":[]},
	 {"id":"c","cell_type":"code","metadata":{},"source":"%env","execution_count":2,"outputs":[
	   {"output_type":"stream","name":"stdout","text":"ES_URL=http://elastic:pw1@127.0.0.1/\n"},
	   {"output_type":"display_data","metadata":{},"data":{"text/html":"<a href=\"https://u:pw2@h\">l</a>","application/json":{"password":"pw3","nested":["http://a:pw4@h/"]}}},
	   {"output_type":"error","ename":"E","evalue":"dial http://e:pw5@h/","traceback":["token=pw6"]}]}]}`)
	if _, err := InjectParameters(nb, []Param{{"es_password", "pw7"}, {"es_url", "http://e:pw8@h/"}, {"start", "2020"}}); err != nil {
		t.Fatal(err)
	}
	nb.RedactOutputs()
	if err := nb.RedactParameters([]Param{{"es_password", "pw7"}, {"es_url", "http://e:pw8@h/"}, {"start", "2020"}}); err != nil {
		t.Fatal(err)
	}
	b, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	saved := string(b)
	for i := 1; i <= 8; i++ {
		if pw := "pw" + string(rune('0'+i)); strings.Contains(saved, pw) {
			t.Errorf("the saved notebook holds %s:\n%s", pw, saved)
		}
	}
	for _, want := range []string{`es_password := \"<hidden>\"`, `http://e:<hidden>@h/`, `start := \"2020\"`, `"start": "2020"`, `ES_URL=http://elastic:<hidden>@127.0.0.1/`} {
		if !strings.Contains(saved, want) {
			t.Errorf("the saved notebook lacks %s", want)
		}
	}
	if got := RedactParams([]Param{{"token", nil}, {"n", int64(3)}}); got[0].Value != nil || got[1].Value != int64(3) {
		t.Errorf("RedactParams changed a nil or a number: %v", got)
	}
}
