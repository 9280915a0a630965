package redact

import (
	"strings"
	"testing"
)

func TestURLs(t *testing.T) {
	for in, want := range map[string]string{
		"ES_URL=http://user:secret@host:9200/":       "ES_URL=http://user:<hidden>@host:9200/",
		"https://ghp_TOKEN123@github.example/x":      "https://<hidden>@github.example/x",
		"a http://u:p@h/ and https://v:q@k/ b":       "a http://u:<hidden>@h/ and https://v:<hidden>@k/ b",
		"http://host/path?x=a@b":                     "http://host/path?x=a@b",
		"mail me at someone@example.org":             "mail me at someone@example.org",
		`dial "http://elastic:changeme@127.0.0.1:9"`: `dial "http://elastic:<hidden>@127.0.0.1:9"`,
		"HTTP://U:P@H":       "HTTP://U:<hidden>@H",
		"no url":             "no url",
		"http://u:p%40ss@h/": "http://u:<hidden>@h/",
	} {
		if got := URLs(in); got != want {
			t.Errorf("URLs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for _, n := range []string{"ES_PASSWORD", "es_password", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "ES_API_KEY",
		"esApiKey", "DB_PASS", "DB_PWD", "MY_KEY", "KEY", "ES_CREDENTIALS", "PRIVATE_KEY_PATH", "BASIC_AUTH", "SESSION_COOKIE", "Passphrase"} {
		if !SecretName(n) {
			t.Errorf("SecretName(%q) = false", n)
		}
	}
	for _, n := range []string{"PATH", "HOME", "PWD", "OLDPWD", "KEYBOARD", "MONKEY", "ES_URL", "SSH_AUTH_SOCK", "USER", "LANG", "BYPASSED_HOSTS", "AUTHOR"} {
		if SecretName(n) {
			t.Errorf("SecretName(%q) = true", n)
		}
	}
}

func TestValueAndText(t *testing.T) {
	if got := Value("ES_PASSWORD", "hunter2"); got != Mask {
		t.Errorf("Value(ES_PASSWORD) = %q", got)
	}
	if got := Value("ES_PASSWORD", ""); got != "" {
		t.Errorf("empty secret shows as %q", got)
	}
	if got := Value("ES_URL", "http://elastic:hunter2@h:9200"); strings.Contains(got, "hunter2") {
		t.Errorf("Value(ES_URL) = %q", got)
	}
	in := `exec failed: ES_PASSWORD=hunter2 TOKEN="a b" PATH=/bin url http://u:hunter3@h/`
	got := Text(in)
	for _, secret := range []string{"hunter2", "a b", "hunter3"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "PATH=/bin") || !strings.Contains(got, "ES_PASSWORD=<hidden>") {
		t.Errorf("Text(%q) = %q", in, got)
	}
}

func FuzzText(f *testing.F) {
	f.Add("ES_URL=http://user:secret@host/ KEY=v")
	f.Add("https://a@b@c://d:e@f")
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if Text(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, Text(out))
		}
	})
}
