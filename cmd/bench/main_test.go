package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/txbench/txbench/runner"
)

var benchBin string

// TestMain builds the real binary once: these tests check what a user sees
// (exit codes, one-line errors, files written), which only a process shows.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-cli")
	if err != nil {
		panic(err)
	}
	benchBin = filepath.Join(dir, "bench")
	if out, err := exec.Command("go", "build", "-o", benchBin, ".").CombinedOutput(); err != nil {
		panic("building bench: " + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func bench(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(benchBin, args...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return so.String(), se.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadInputGivesOneLineAndExitCode2(t *testing.T) {
	witnessOnly := writeFile(t, "w.yaml", "regions: [{name: r1, azs: [r1a], witness: true}]\n")
	malformed := writeFile(t, "bad.yaml", "clients: [1,\n")
	unknownOpt := writeFile(t, "unk.yaml", "clients: 4\nwarp-speed: 9\n")
	badFaultList := writeFile(t, "f.yaml", "topology: region-3az\nfault:\n  - partition:us-east-1a|us-east-1b,us-east-1c@1s+1s\n  - crash:us-east-7b@2s\n")
	cases := []struct {
		name string
		args []string
		want string // the error must name this
	}{
		{"unknown engine", []string{"run", "--engine", "mysql"}, "--engine"},
		{"unknown workload", []string{"run", "--workload", "ycsb-z"}, "--workload"},
		{"unknown preset", []string{"run", "--topology", "mars-1"}, "--topology"},
		{"negative clients", []string{"run", "--clients", "-4"}, "--clients"},
		{"non-numeric clients", []string{"run", "--clients", "many"}, "--clients"},
		{"negative duration", []string{"run", "--duration", "-1s"}, "--duration"},
		{"bad write fraction", []string{"run", "--workload", "ycsb", "--write-frac", "1.5"}, "--write-frac"},
		{"bad epsilon", []string{"run", "--epsilon", "soon"}, "--epsilon"},
		{"malformed scenario", []string{"run", "--config", malformed}, "malformed YAML"},
		{"unknown scenario option", []string{"run", "--config", unknownOpt}, "warp-speed"},
		{"topology without data regions", []string{"run", "--topology", witnessOnly}, "regions"},
		{"unknown flag", []string{"run", "--colour"}, "colour"},
		{"fault syntax", []string{"run", "--fault", "crash:us-east-1a"}, "crash:us-east-1a"},
		{"fault kind", []string{"run", "--fault", "meteor:us-east-1a@1s"}, "meteor"},
		{"fault place", []string{"run", "--topology", "region-3az", "-d", "1s", "--fault", "crash:us-west-2a@1s"}, "us-west-2a"},
		{"fault after the end", []string{"run", "--topology", "region-3az", "-d", "1s", "--fault", "crash:us-east-1a@5s"}, "after the run ends"},
		{"overlapping crashes", []string{"run", "--topology", "region-3az", "-d", "1s", "--fault", "crash:us-east-1@100ms", "--fault", "crash:us-east-1a@200ms+1ms"}, "already down"},
		{"fault list in a scenario", []string{"run", "-d", "1s", "--config", badFaultList}, "us-east-7b"},
		{"unknown command", []string{"fly"}, "fly"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := bench(t, c.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 {
				t.Errorf("want one line, got %d: %q", len(lines), stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("error %q does not name %q", stderr, c.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace: %s", stderr)
			}
		})
	}
}

// The environment's one setting of a simulated run is checked like a flag.
func TestBadHugePagesSettingGivesOneLineAndExitCode2(t *testing.T) {
	t.Setenv("TXBENCH_HUGEPAGES", "sometimes")
	_, stderr, code := bench(t, "run", "--records", "100", "--duration", "10ms", "--warmup", "0s")
	if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "TXBENCH_HUGEPAGES") {
		t.Fatalf("exit %d, stderr %q: want exit 2 and one line naming TXBENCH_HUGEPAGES", code, stderr)
	}
}

func TestRunPrintsSummaryAndWritesAValidResultsFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.json")
	scenario := writeFile(t, "s.yaml", "workload: ycsb-b\nclients: 4\nduration: 1s\nrecords: 1000\n")
	stdout, stderr, code := bench(t, "run", "--config", scenario, "--clients", "8", "--warmup", "0s", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"occ · ycsb-b", "8 clients", "read", "update", "total", "p99", "results written to"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	res, err := runner.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	// The file wins over defaults; the command line wins over the file.
	if res.Workload != "ycsb-b" || res.Config["clients"] != "8" || res.Config["records"] != "1000" || res.Partial {
		t.Fatalf("result %s/%s clients=%s records=%s partial=%v", res.Engine, res.Workload, res.Config["clients"], res.Config["records"], res.Partial)
	}
	if res.Summary.Committed == 0 {
		t.Fatal("nothing committed")
	}
}

func TestInterruptWritesPartialResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "partial.json")
	// No warmup: on a loaded machine 1.5 s of wall time may not cover one
	// second of virtual time, and nothing is measured during warmup.
	cmd := exec.Command(benchBin, "run", "--duration", "1h", "--warmup", "0s", "--records", "1000", "--out", out)
	var se strings.Builder
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // past loading and warm-up on a busy machine
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v (stderr %q)", err, se.String())
	}
	res, err := runner.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.Summary.Committed == 0 || res.DurationS <= 0 || res.DurationS >= 3600 {
		t.Fatalf("partial=%v committed=%d duration=%v", res.Partial, res.Summary.Committed, res.DurationS)
	}
}

// Ctrl-C while the data is still loading stops at once with exit 130 (not
// "bad input"), and no results file is written: nothing was measured.
func TestInterruptDuringLoadingExits130(t *testing.T) {
	out := filepath.Join(t.TempDir(), "never.json")
	cmd := exec.Command(benchBin, "run", "--records", "20000000", "--out", out, "-q")
	var se strings.Builder
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v (stderr %q)", err, se.String())
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("took %v to stop after Ctrl-C", waited)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a results file was written for a run that never started")
	}
}

// An unwritable --out is refused before any work (exit 2, one line).
func TestUnwritableOutRefusedBeforeWork(t *testing.T) {
	start := time.Now()
	_, stderr, code := bench(t, "run", "--records", "20000000", "--out", "/nonexistent/dir/x.json")
	oneLineError(t, stderr, code, "--out /nonexistent/dir/x.json")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the run started before --out was checked", d)
	}
}

func TestListings(t *testing.T) {
	stdout, _, code := bench(t, "engines")
	if code != 0 || !strings.Contains(stdout, "occ") || !strings.Contains(stdout, "dsql") {
		t.Fatalf("engines: %d %s", code, stdout)
	}
	stdout, _, code = bench(t, "workloads")
	for _, w := range []string{"ycsb-a", "ycsb-f", "ycsb "} {
		if code != 0 || !strings.Contains(stdout, w) {
			t.Fatalf("workloads lacks %q: %s", w, stdout)
		}
	}
	if stdout, _, code = bench(t, "version"); code != 0 || !strings.HasPrefix(stdout, "bench ") {
		t.Fatalf("version: %s", stdout)
	}
	if stdout, _, code = bench(t, "completion", "bash"); code != 0 || !strings.Contains(stdout, "bash completion") {
		t.Fatalf("completion: %d", code)
	}
}

func TestGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 800},        // before the first collection: 4 MiB × 8 = 32 MiB
		{16 << 20, 200}, // a small live heap may grow by 32 MiB
		{32 << 20, 100}, // at gcHeadroom, GOGC=100
		{64 << 20, 50},  // still 32 MiB of growth
		{96 << 20, 33},  // from gcHeadroom × gcLargeShare on, a third of the live heap
		{3 << 30, 33},
		// A live heap far below 4 MiB (just after the huge-page
		// reservation's collection): the runtime's goal is at least
		// 4 MiB × GOGC/100, so GOGC is capped where that minimum is the
		// live heap plus its allowance, not 128 MiB or more.
		{1 << 20, 825},
		{1 << 10, 800},
	} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("gcPercent(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}
