// Package runnertest helps tests that run whole simulated runs: a short
// configuration, running it, and the results file without its wall-clock
// facts (what determinism tests compare byte for byte).
package runnertest

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// Quick is a short run (200 ms warm-up, 1 s measured) of workload on
// engine, with 2000 records for the YCSB workloads unless opts say
// otherwise, then opts (flag name → value) applied.
func Quick(t testing.TB, engine, workload string, opts map[string]string) runner.Config {
	t.Helper()
	cfg := runner.DefaultConfig()
	cfg.Engine, cfg.Workload = engine, workload
	cfg.Warmup, cfg.Duration = 200*time.Millisecond, time.Second
	cfg.Options = map[string]string{}
	if strings.HasPrefix(workload, "ycsb") {
		cfg.Options["records"] = "2000"
	}
	maps.Copy(cfg.Options, opts)
	return cfg
}

// QuickFor is Quick for one engine.
func QuickFor(engine string) func(t testing.TB, workload string, opts map[string]string) runner.Config {
	return func(t testing.TB, workload string, opts map[string]string) runner.Config {
		t.Helper()
		return Quick(t, engine, workload, opts)
	}
}

// Run runs cfg and fails the test on an error.
func Run(t testing.TB, cfg runner.Config) *runner.Result {
	t.Helper()
	res, err := runner.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Stable is the results file without the wall-clock facts: two runs with
// the same seed and options must give the same bytes.
func Stable(t testing.TB, r *runner.Result) []byte {
	t.Helper()
	c := *r
	c.Wall = runner.WallFacts{}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RunChecked runs cfg, then the workload's consistency checks on the final
// state (the workload must be a workloads.Checker), and returns both.
func RunChecked(t testing.TB, cfg runner.Config) (*runner.Result, []workloads.CheckResult) {
	t.Helper()
	var results []workloads.CheckResult
	cfg.AfterRun = func(wl workloads.Workload, exec runner.Executor) {
		err := exec(context.Background(), func(ctx context.Context, s engines.Session) error {
			var err error
			results, err = wl.(workloads.Checker).Check(ctx, s)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	res := Run(t, cfg)
	if len(results) == 0 {
		t.Fatal("no consistency check ran")
	}
	return res, results
}
