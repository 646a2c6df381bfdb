package dsn

import (
	"strings"
	"testing"
)

func TestRedactRemovesEveryPassword(t *testing.T) {
	cases := map[string]string{
		"postgres://alice:s3cret@db:5432/app":              "postgres://alice:xxxxx@db:5432/app",
		"postgresql://alice:s3cret@db/app?sslmode=require": "postgresql://alice:xxxxx@db/app?sslmode=require",
		"postgres://db/app?password=s3cret&user=bob":       "postgres://db/app?password=xxxxx&user=bob",
		"host=db user=bob password=s3cret dbname=app":      "host=db user=bob password=xxxxx dbname=app",
		"host=db password = 's3 cret\\'x' dbname=app":      "host=db password = xxxxx dbname=app",
		"postgres://postgres@127.0.0.1:5432/test":          "postgres://postgres@127.0.0.1:5432/test",
		"postgres://al%20ice:p%40ss@db/app":                "postgres://al%20ice:xxxxx@db/app",
	}
	for in, want := range cases {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "p%40ss") {
			t.Errorf("secret survived in %q", got)
		}
	}
	if got := Redact("postgres://a:b@[::1"); strings.Contains(got, ":b@") {
		t.Errorf("unparseable URL kept its secret: %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("postgres://u:topsecret@h/db")
	f.Add("password=topsecret host=h")
	f.Fuzz(func(t *testing.T, s string) {
		_ = Redact(s) // must never panic
		if strings.HasPrefix(s, "postgres://u:topsecret@") && strings.Contains(Redact(s), "topsecret") {
			t.Fatalf("secret kept: %q", Redact(s))
		}
	})
}
