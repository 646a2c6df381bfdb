package runner_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/txbench/txbench/runner/runnertest"
)

// A run over implicit rows (a table of 2^28 rows, none loaded) commits and
// is reproducible, on every simulated engine.
func TestImplicitRowsRunIsDeterministic(t *testing.T) {
	for _, engine := range []string{"occ", "2pc", "sharded"} {
		cfg := runnertest.Quick(t, engine, "ycsb", map[string]string{
			"implicit-rows": "true", "insert-order": "ordered", "records": "268435456", "theta": "0.9"})
		cfg.Warmup, cfg.Duration = 100*time.Millisecond, 200*time.Millisecond
		a := run(t, cfg)
		if a.Summary.Committed == 0 {
			t.Fatalf("%s: nothing committed", engine)
		}
		if !bytes.Equal(stable(t, a), stable(t, run(t, cfg))) {
			t.Errorf("%s: two runs over implicit rows differ", engine)
		}
	}
}
