package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/txbench/txbench/runner"
)

func TestTPCCBadInputGivesOneLineAndExitCode2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // the error must name this
	}{
		{"zero warehouses", []string{"run", "-w", "tpcc", "--warehouses", "0"}, "--warehouses"},
		{"negative warehouses", []string{"run", "-w", "tpcc", "--warehouses", "-2"}, "--warehouses"},
		{"mix not adding up", []string{"run", "-w", "tpcc", "--mix", "new_order=45,payment=43"}, "--mix must add up to 100, got 88"},
		{"unknown transaction", []string{"run", "-w", "tpcc", "--mix", "new_order=50,refund=50"}, `unknown transaction "refund"`},
		{"mix not a number", []string{"run", "-w", "tpcc", "--mix", "new_order=lots"}, "--mix"},
		{"scale out of range", []string{"run", "-w", "tpcc", "--scale", "2"}, "--scale"},
		{"check: zero warehouses", []string{"check", "--warehouses", "0"}, "--warehouses"},
		{"check: bad mix", []string{"check", "--load-only", "--mix", "payment=99"}, "--mix"},
		{"check: workload without conditions", []string{"check", "--workload", "ycsb-a"}, "no consistency conditions"},
		{"run --check: workload without conditions", []string{"run", "--workload", "ycsb-a", "--check"}, "no consistency conditions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := bench(t, c.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
				t.Errorf("want one line, got %d: %q", len(lines), stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("error %q does not name %q", stderr, c.want)
			}
		})
	}
}

func TestCheckAfterLoad(t *testing.T) {
	stdout, stderr, code := bench(t, "check", "--load-only", "--warehouses", "2", "--scale", "0.01")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"after the load", "3.3.2.1 ", "3.3.2.12", "checked 2 warehouses", "all 12 checks pass"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "FAIL") {
		t.Errorf("a condition failed:\n%s", stdout)
	}
}

func TestRunWithCheckReportsTpmCAndTheConditions(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tpcc.json")
	stdout, stderr, code := bench(t, "run", "-w", "tpcc", "--scale", "0.01", "--warmup", "100ms", "--duration", "500ms",
		"--clients", "8", "--check", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"non-compliant: --scale 0.01", "tpcc: tpmC", "after the run", "3.3.2.10", "checks pass"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	res, err := runner.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range res.WorkloadMetrics {
		names[m.Name] = true
	}
	if !names["tpmC"] || !names["tpmTotal"] {
		t.Errorf("workload_metrics %v lacks tpmC or tpmTotal", res.WorkloadMetrics)
	}
	// No --wait: an efficiency would not be bounded by 100% and means nothing.
	if names["efficiency"] || strings.Contains(stdout, "efficiency") {
		t.Errorf("efficiency given for a run without the spec's wait times:\n%s", stdout)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "non-compliant: --scale 0.01") {
		t.Errorf("notes %v do not record the non-compliant scale", res.Notes)
	}
}
