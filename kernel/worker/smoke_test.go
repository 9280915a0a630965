package worker

import "testing"

func TestSmoke(t *testing.T) {
	s := newTestSession(t)
	for _, code := range []string{"1+1", "fmt.Println(\"hello\")", "undefinedthing + 1", "y := undefinedthing", "panic(\"boom\")", "for i := range 3 { fmt.Println(i) }", "display.HTML(\"<b>x</b>\")",
		"var fs []func()\nfor i := 0; i < 3; i++ { fs = append(fs, func(){ fmt.Print(i) }) }\nfor _, f := range fs { f() }",
		"go func() { panic(\"in g\") }()\ntime.Sleep(time.Second)", "var m map[string]int\nm[\"a\"] = 1", "os.Exit(3)", "log.Fatal(\"bad\")", "func two() (int, error) { return 2, nil }\ntwo()", "func bad() (int, error) { return 0, fmt.Errorf(\"nope\") }\nbad()",
		"type T struct{ N int }\nfunc (t T) HTML() string { return \"<i>t</i>\" }\nT{3}", "func nothing() {}\nnothing()", "strings.Repeat(\"ab\", 2)", "x := 1\nx", "x", "n := 4\nfor i := range n { fmt.Print(i) }",
	} {
		println("RUN", code)
		r := s.run(code)
		t.Logf("%q => %v | %v | out=%q err=%q %v %v", code, r.status(), r.data(), r.stream("stdout"), r.stream("stderr"), r.errorText(), r.kinds())
	}
}
