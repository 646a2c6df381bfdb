package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/txbench/txbench/runner"
)

func TestSchemaPrintsTheDDL(t *testing.T) {
	stdout, stderr, code := bench(t, "schema", "--engine", "pg", "--workload", "tpcc")
	if code != 0 || strings.Count(stdout, "CREATE TABLE") < 9 || !strings.Contains(stdout, `"order_line"`) {
		t.Fatalf("exit %d, %s%s", code, stdout, stderr)
	}
	if _, stderr, code := bench(t, "schema", "--engine", "occ"); code != 2 || !strings.Contains(stderr, "--engine") {
		t.Fatalf("schema for a simulated engine: exit %d %s", code, stderr)
	}
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	var parts []string
	for _, seed := range []string{"1", "2"} {
		p := filepath.Join(dir, seed+".json")
		if _, stderr, code := bench(t, "run", "--records", "1000", "--duration", "1s", "--seed", seed, "-q", "-o", p); code != 0 {
			t.Fatal(stderr)
		}
		parts = append(parts, p)
	}
	all := filepath.Join(dir, "all.json")
	if _, stderr, code := bench(t, append([]string{"merge"}, append(parts, "-o", all)...)...); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	m, err := runner.ReadResult(all)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := runner.ReadResult(parts[0])
	b, _ := runner.ReadResult(parts[1])
	if m.Summary.Committed != a.Summary.Committed+b.Summary.Committed {
		t.Fatalf("merged %d, parts %d + %d", m.Summary.Committed, a.Summary.Committed, b.Summary.Committed)
	}
	bad := writeFile(t, "bad.json", `{"schema": "txbench.result/v1", "engine":`)
	if _, stderr, code := bench(t, "merge", parts[0], bad, "-o", all); code != 2 || !strings.Contains(stderr, "bad.json") {
		t.Fatalf("corrupt part: exit %d %s", code, stderr)
	}
	if _, _, code := bench(t, "merge", parts[0], parts[1]); code != 2 {
		t.Fatalf("no -o: exit %d", code)
	}
}
