package registry

import (
	"strings"
	"testing"
)

type meta struct {
	name    string
	aliases []string
}

func TestRegistry(t *testing.T) {
	r := New("engine", func(m *meta) string { return m.name }, func(m *meta) []string { return m.aliases })
	occ := &meta{"occ", []string{"dsql"}}
	r.Register(&meta{"zeta", nil})
	r.Register(occ)
	if m, err := r.Lookup("DSQL"); err != nil || m != occ {
		t.Fatalf("alias lookup: %v %v", m, err)
	}
	_, err := r.Lookup("mysql")
	if err == nil || !strings.Contains(err.Error(), `unknown engine "mysql" (known: occ, zeta)`) {
		t.Fatalf("error %v", err)
	}
	if got := strings.Join(r.Names(), ","); got != "occ,zeta" {
		t.Fatalf("names %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate name did not panic")
		}
	}()
	r.Register(&meta{"other", []string{"occ"}})
}
