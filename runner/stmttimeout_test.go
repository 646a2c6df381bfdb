package runner_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	"github.com/txbench/txbench/workloads"
)

// --statement-timeout on every simulated engine: while an AZ is down,
// statements waiting for it pass the 100 ms timeout and abort their
// transactions as statement-timeout(57014), well before the 15 s attempt
// timeout; the retries commit once the AZ is back, bank's invariants hold,
// and the same seed gives the same results file.
func TestStatementTimeoutAbortsAndRetries(t *testing.T) {
	for _, engine := range simulatedEngines {
		t.Run(engine, func(t *testing.T) {
			cfg := faultConfig(t, engine, []string{"crash:us-east-1b@400ms+500ms"}, "")
			cfg.StatementTimeout = 100 * time.Millisecond
			res, checks := runnertest.RunChecked(t, cfg)
			for _, c := range checks {
				if c.Status != workloads.CheckPass {
					t.Errorf("%s: %s %s", c.Name, c.Status, c.Detail)
				}
			}
			var timeouts, after int64
			for _, p := range res.Availability.Timeline["all"] {
				timeouts += p.Reasons[string(engines.ReasonStatementTimeout)]
				if p.TS >= 1.0 {
					after += p.Committed
				}
			}
			if timeouts == 0 {
				t.Error("no statement-timeout(57014) abort while an AZ was down")
			}
			if after == 0 {
				t.Error("no commit after the AZ came back")
			}
			// A statement stuck on the crashed AZ fails after the timeout,
			// not after the 15 s attempt timeout.
			if f := res.Availability.Faults[0]; f.FirstFailureS == nil || *f.FirstFailureS > 0.2 {
				t.Errorf("first failure %v s after the crash, want within the 100 ms timeout and a round trip", f.FirstFailureS)
			}
			again := runnertest.Run(t, cfg)
			if !bytes.Equal(runnertest.Stable(t, res), runnertest.Stable(t, again)) {
				t.Error("same seed, different results")
			}
		})
	}
}

// The runner releases a transaction for its client to reuse
// (workloads.Releaser) only when no attempt of it was cut off: an attempt
// cut off by the attempt timeout runs on, and YCSB-F's read-modify-write
// goes on to its UPDATE once the read returns (ycsb's Run panics if its
// record was released or reused meanwhile). In us-3 a 5 ms timeout cuts
// off most attempts.
func TestCutOffTransactionsAreNotReleased(t *testing.T) {
	for _, engine := range simulatedEngines {
		t.Run(engine, func(t *testing.T) {
			cfg := runnertest.Quick(t, engine, "ycsb-f", nil)
			cfg.Topology = "us-3"
			// One attempt, reconnecting at once: the transaction ends
			// while its cut-off attempt still runs.
			cfg.TxnTimeout, cfg.MaxAttempts, cfg.ReconnectBackoff = 5*time.Millisecond, 1, 0
			res := runnertest.Run(t, cfg)
			var timeouts int64
			for _, s := range res.TxnTypes {
				timeouts += s.AbortReasons[string(runner.ReasonTimeout)]
			}
			if timeouts == 0 {
				t.Error("no attempt was cut off: the test shows nothing")
			}
		})
	}
}
