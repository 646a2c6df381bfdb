package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGateIdenticalRunsPass(t *testing.T) {
	dir := t.TempDir()
	base := runResult(t, dir, "base.json")
	cur := runResult(t, dir, "cur.json")
	stdout, stderr, code := bench(t, "gate", "--baseline", base, "--current", cur)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"comparison: exact", "total  throughput", "PASS: all 8 checks hold"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestGateRealRegressionFails(t *testing.T) {
	dir := t.TempDir()
	// Without occ's calibrated QP costs the network dominates latency, so
	// tripling it must show in every latency figure.
	net := []string{"--occ-write-cpu", "0s", "--occ-commit-cpu", "0s"}
	base := runResult(t, dir, "base.json", net...)
	// Every round trip three times as long: what an unintended change in a
	// model's messages would look like.
	cur := runResult(t, dir, "cur.json", append(net, "--rtt-scale", "3")...)
	summary := filepath.Join(dir, "summary.md")
	stdout, stderr, code := bench(t, "gate", "--baseline", base, "--current", cur, "--format", "github", "--step-summary", summary)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"::error title=Performance gate%3A total p99::", "FAIL: ", "note: options differ between the sides: rtt-scale 1 → 3"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	md, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "### ❌ Performance gate failed") || !strings.Contains(string(md), "| total | p99 (ms) |") {
		t.Errorf("step summary: %v\n%s", err, md)
	}
	stdout, _, code = bench(t, "gate", "--baseline", base, "--current", cur, "--format", "markdown")
	if code != 1 || !strings.HasPrefix(stdout, "### ❌ Performance gate failed") {
		t.Errorf("markdown: exit %d\n%s", code, stdout)
	}
}

func TestGateRepeatedNoisyButEqualRunsPass(t *testing.T) {
	dir := t.TempDir()
	// The same options, different seeds on each side: only noise differs.
	var base, cur []string
	for i := 1; i <= 5; i++ {
		opts := []string{"--seed", fmt.Sprint(i), "--records", "1000", "--duration", "500ms"}
		base = append(base, runResult(t, dir, fmt.Sprintf("a%d.json", i), opts...))
		opts[1] = fmt.Sprint(i + 100)
		cur = append(cur, runResult(t, dir, fmt.Sprintf("b%d.json", i), opts...))
	}
	stdout, stderr, code := bench(t, "gate", "--baseline", strings.Join(base, ","), "--current", strings.Join(cur, ","))
	if code != 0 {
		t.Fatalf("noise failed the gate: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "comparison: statistical") {
		t.Errorf("not a statistical comparison:\n%s", stdout)
	}
}

func TestGateBadInputExitsWith2(t *testing.T) {
	dir := t.TempDir()
	good := runResult(t, dir, "good.json")
	gateFile := writeFile(t, "gate.yaml", "overall: {p99_increase: lots}\n")
	tpcc := filepath.Join(dir, "other.json")
	if data, err := os.ReadFile(good); err == nil {
		// The same file claiming another workload: not comparable.
		os.WriteFile(tpcc, []byte(strings.Replace(string(data), `"workload": "ycsb"`, `"workload": "ycsb-a"`, 1)), 0o644)
	}
	bad := corrupt(t, dir, good)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"truncated current", []string{"--baseline", good, "--current", bad["truncated"]}, bad["truncated"]},
		{"garbage baseline", []string{"--baseline", bad["garbage"], "--current", good}, bad["garbage"]},
		{"foreign file among several", []string{"--baseline", good + "," + bad["foreign"], "--current", good}, bad["foreign"]},
		{"missing file", []string{"--baseline", good, "--current", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"no baseline", []string{"--current", good}, "--baseline"},
		{"bad gate file", []string{"--baseline", good, "--current", good, "--config", gateFile}, "overall.p99_increase"},
		{"bad format", []string{"--baseline", good, "--current", good, "--format", "xml"}, "--format"},
		{"different workloads", []string{"--baseline", good, "--current", tpcc}, "not comparable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := bench(t, append([]string{"gate"}, c.args...)...)
			oneLineError(t, stderr, code, c.want)
		})
	}
}

func TestGateWithAGateFile(t *testing.T) {
	dir := t.TempDir()
	base := runResult(t, dir, "base.json")
	cur := runResult(t, dir, "cur.json", "--rtt-scale", "3")
	// Only the abort rate, generously: the latency regression is not checked.
	loose := writeFile(t, "gate.yaml", "overall: {abort_rate_increase: 50pp}\n")
	stdout, stderr, code := bench(t, "gate", "--baseline", base, "--current", cur, "--config", loose)
	if code != 0 || !strings.Contains(stdout, "PASS: the 1 check holds") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
}
