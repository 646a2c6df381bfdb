package tpcc

import (
	"context"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// config returns a run of tpcc on engine with the given tpcc options.
func config(t testing.TB, engine string, opts map[string]string) runner.Config {
	t.Helper()
	cfg := runner.DefaultConfig()
	cfg.Engine, cfg.Workload = engine, "tpcc"
	cfg.Options = opts
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// prepare loads tpcc into a simulated engine without running clients.
func prepare(t testing.TB, engine string, opts map[string]string) *runner.Simulation {
	t.Helper()
	s, err := runner.Prepare(context.Background(), config(t, engine, opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// exec runs fn in the simulation with a session of its own.
func exec(t testing.TB, s *runner.Simulation, fn func(ctx context.Context, sess engines.Session) error) {
	t.Helper()
	if err := s.Exec(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// inTxn runs fn in one read-write transaction and commits it.
func inTxn(ctx context.Context, sess engines.Session, fn func(tx engines.Txn) error) error {
	tx, err := sess.Begin(ctx, engines.TxnOptions{Type: "test", Attempt: 1})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if _, aborted := engines.AsAbort(err); !aborted {
			_ = tx.Rollback(ctx)
		}
		return err
	}
	return tx.Commit(ctx)
}

// check evaluates the consistency conditions of s's current state.
func check(t testing.TB, s *runner.Simulation) []workloads.CheckResult {
	t.Helper()
	var res []workloads.CheckResult
	exec(t, s, func(ctx context.Context, sess engines.Session) error {
		var err error
		res, err = s.Workload.(workloads.Checker).Check(ctx, sess)
		return err
	})
	if len(res) != len(conditionRules) {
		t.Fatalf("%d results, want %d", len(res), len(conditionRules))
	}
	return res
}

// failing returns the names of the conditions that failed.
func failing(res []workloads.CheckResult) map[string]bool {
	out := map[string]bool{}
	for _, r := range res {
		if r.Status == workloads.CheckFail {
			out[r.Name] = true
		}
	}
	return out
}

func logResults(t testing.TB, res []workloads.CheckResult) {
	t.Helper()
	for _, r := range res {
		t.Logf("%-8s %-7s %s: %s", r.Name, r.Status, r.Rule, r.Detail)
	}
}

// short is a quick run configuration.
func short(cfg runner.Config) runner.Config {
	cfg.Clients = 8
	cfg.Warmup, cfg.Duration = 200*time.Millisecond, 2*time.Second
	return cfg
}
