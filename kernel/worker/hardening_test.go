package worker

import (
	"strings"
	"testing"

	"github.com/gohunt/gohunt/kernel/ipc"
)

// Credentials never reach the notebook through what the worker prints: %env (list, one
// name, set) and error texts mask URL userinfo and credential-named variables.
func TestCredentialsMasked(t *testing.T) {
	s := newTestSession(t)
	t.Setenv("GOHUNT_TEST_ES_URL", "")
	t.Setenv("GOHUNT_TEST_API_KEY", "")
	const secret = "hunter2secret"
	outs := []string{
		s.run("%env GOHUNT_TEST_ES_URL=http://elastic:" + secret + "@127.0.0.1:9200/").ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_API_KEY=" + secret).ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_ES_URL").ok(t).stream("stdout"),
		s.run("%env GOHUNT_TEST_API_KEY").ok(t).stream("stdout"),
		s.run("%env").ok(t).stream("stdout"),
	}
	for i, out := range outs {
		if strings.Contains(out, secret) {
			t.Errorf("output %d shows the secret: %q", i, out)
		}
	}
	if !strings.Contains(outs[2], "http://elastic:<hidden>@127.0.0.1:9200/") {
		t.Errorf("%%env NAME of a URL: %q, want the URL with its password masked", outs[2])
	}
	if !strings.Contains(outs[4], "GOHUNT_TEST_API_KEY=<hidden>") {
		t.Errorf("%%env lists the key as %q", outs[4])
	}
	// The value is set for real (only its display is masked).
	if r := s.run(`os.Getenv("GOHUNT_TEST_ES_URL") == "http://elastic:` + secret + `@127.0.0.1:9200/"`).ok(t); r.text() != "true" {
		t.Fatalf("the variable was not set: %q", r.text())
	}
	// Error texts: a panic quoting the URL, and a failing user expression.
	r := s.run(`panic("cannot reach " + os.Getenv("GOHUNT_TEST_ES_URL"))`)
	if r.status() != "error" || strings.Contains(r.errorText(), secret) || !strings.Contains(r.errorText(), "elastic:<hidden>@") {
		t.Errorf("panic error: %q", r.errorText())
	}
	for _, ev := range r.events {
		if strings.Contains(string(ev.Content), secret) {
			t.Errorf("event %s shows the secret: %s", ev.Kind, ev.Content)
		}
	}
	r = s.runReq(ipc.Request{Op: ipc.OpExecute, Code: "1", UserExpressions: map[string]string{"u": `func() int { panic("key GOHUNT_TEST_API_KEY=" + os.Getenv("GOHUNT_TEST_API_KEY")) }()`}}).ok(t)
	if ue := r.reply["user_expressions"].(map[string]any)["u"].(map[string]any); ue["status"] != "error" || strings.Contains(ue["evalue"].(string), secret) {
		t.Errorf("user expression error: %v", ue)
	}
}
