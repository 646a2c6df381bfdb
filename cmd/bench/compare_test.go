package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/txbench/txbench/runner"
)

func TestCompareRunsEachEngineWithTheRunsOptions(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "c.html")
	results := filepath.Join(dir, "results")
	scenario := writeFile(t, "s.yaml", "records: 200\nclients: 2\n")
	args := append([]string{"compare", "--engines", "dsql", "--config", scenario, "-o", page, "--out-dir", results}, tinyRun...)
	args = append(args, "--clients", "3") // the command line wins over the file
	stdout, stderr, code := bench(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"comparing occ on topology region-3az", "[1/1] occ: ", "txn   occ", "report written to " + page} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	res, err := runner.ReadResult(filepath.Join(results, "occ.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Only run options reach the results file, not compare's own.
	if res.Config["clients"] != "3" || res.Config["records"] != "200" || res.Config["theta"] != "0.6" {
		t.Errorf("config clients=%s records=%s theta=%s", res.Config["clients"], res.Config["records"], res.Config["theta"])
	}
	for _, own := range []string{"engines", "out-dir", "png", "out", "config", "quiet"} {
		if _, ok := res.Config[own]; ok {
			t.Errorf("results config holds compare's option %q", own)
		}
	}
	// The same options through bench run give the same figures.
	single := runResult(t, dir, "single.json", "--records", "200", "--clients", "3", "--topology", "region-3az")
	again, err := runner.ReadResult(single)
	if err != nil {
		t.Fatal(err)
	}
	if again.Summary.Committed != res.Summary.Committed || again.Summary.LatencyMs != res.Summary.LatencyMs {
		t.Errorf("compare and run differ: %d/%v vs %d/%v", res.Summary.Committed, res.Summary.LatencyMs, again.Summary.Committed, again.Summary.LatencyMs)
	}
	if _, err := os.Stat(page); err != nil {
		t.Error(err)
	}
}

func TestCompareAndSweepBadInputExitsWith2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown engine", []string{"compare", "--engines", "occ,mysql"}, "--engines"},
		{"empty engine name", []string{"compare", "--engines", "occ,"}, "--engines"},
		{"--engine instead of --engines", []string{"compare", "--engine", "occ"}, "--engines"},
		{"bad run option", []string{"compare", "--engines", "occ", "--clients", "0"}, "--clients"},
		{"negative option", []string{"compare", "--engines", "occ", "--duration", "-1s"}, "--duration"},
		{"sweep without --param", []string{"sweep", "--engines", "occ"}, "--param"},
		{"sweep with an unknown option", []string{"sweep", "--engines", "occ", "--param", "warp-speed=1,2"}, "warp-speed"},
		{"sweep with a bad value", []string{"sweep", "--engines", "occ", "--workload", "ycsb", "--param", "theta=0.5,lots"}, `--theta: want a number, got "lots"`},
		{"sweep with an invalid value", []string{"sweep", "--engines", "occ", "--param", "clients=4,0"}, "--clients"},
		{"sweep over engines", []string{"sweep", "--param", "engine=occ,2pc"}, "--engines"},
		{"sweep with a malformed param", []string{"sweep", "--param", "theta"}, "--param"},
		{"sweep with an unknown engine", []string{"sweep", "--engines", "nope", "--param", "theta=1"}, "--engines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "never")
			_, stderr, code := bench(t, append(c.args, "-o", out+".html", "--out-dir", out)...)
			oneLineError(t, stderr, code, c.want)
			if _, err := os.Stat(out); err == nil {
				t.Error("results were written for bad input")
			}
		})
	}
}

func TestSweepKeepsEveryPointAndReports(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "sweep")
	pngs := filepath.Join(dir, "png")
	args := append([]string{"sweep", "--engines", "occ", "--param", "theta=0,0.9", "--out-dir", results, "--png", pngs}, tinyRun...)
	stdout, stderr, code := bench(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"[1/2] occ theta=0: ", "[2/2] occ theta=0.9: ", "theta=0.9", "report written to " + filepath.Join(results, "report.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"occ-theta-0.json", "occ-theta-0.9.json"} {
		if _, err := runner.ReadResult(filepath.Join(results, f)); err != nil {
			t.Error(err)
		}
	}
	for _, f := range []string{"sweep-throughput.png", "sweep-p99.png", "sweep-abort-rate.png"} {
		if _, err := os.Stat(filepath.Join(pngs, f)); err != nil {
			t.Error(err)
		}
	}
	// The report can be drawn again from the kept files.
	page := filepath.Join(dir, "again.html")
	_, stderr, code = bench(t, "report", "--sweep", "theta", filepath.Join(results, "occ-theta-0.json"), filepath.Join(results, "occ-theta-0.9.json"), "-o", page)
	if code != 0 {
		t.Fatalf("report --sweep: exit %d: %s", code, stderr)
	}
}
