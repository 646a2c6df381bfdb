package main

import (
	"errors"
	"fmt"
	"os"
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
	// Two simulated runs stand in for the two partitions of one pg run:
	// same options, partition 0/2 and 1/2 in their configs.
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprint(i)+".json")
		if _, stderr, code := bench(t, "run", "--records", "1000", "--duration", "1s", "-q", "-o", p); code != 0 {
			t.Fatal(stderr)
		}
		r, err := runner.ReadResult(p)
		if err != nil {
			t.Fatal(err)
		}
		r.Config["partition"] = fmt.Sprintf("%d/2", i)
		if err := r.WriteFile(p); err != nil {
			t.Fatal(err)
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
	// The same partition twice would double its totals.
	_, stderr, code := bench(t, "merge", parts[0], parts[0], "-o", all)
	oneLineError(t, stderr, code, "are both partition 0/2")
	// A part run with other options is not part of this run.
	other, _ := runner.ReadResult(parts[1])
	other.Config["clients"] = "64"
	otherPath := filepath.Join(dir, "other.json")
	if err := other.WriteFile(otherPath); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = bench(t, "merge", parts[0], otherPath, "-o", all)
	oneLineError(t, stderr, code, "differ in --clients (16 vs 64)")
	// A missing partition is named; --allow-missing merges the rest.
	if err := os.Rename(parts[1], filepath.Join(dir, "away.json")); err != nil {
		t.Fatal(err)
	}
	three, _ := runner.ReadResult(parts[0])
	three.Config["partition"] = "2/3"
	threePath := filepath.Join(dir, "three.json")
	first, _ := runner.ReadResult(parts[0])
	first.Config["partition"] = "0/3"
	if err := errors.Join(three.WriteFile(threePath), first.WriteFile(parts[0])); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = bench(t, "merge", parts[0], threePath, "-o", all)
	oneLineError(t, stderr, code, "partitions 1/3 are missing")
	if _, stderr, code := bench(t, "merge", "--allow-missing", parts[0], threePath, "-o", all); code != 0 {
		t.Fatalf("--allow-missing: exit %d %s", code, stderr)
	}
}
