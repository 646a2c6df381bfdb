package twopc_test

import (
	"testing"
	"time"

	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

// Under --lock-policy no-wait a lock request that conflicts aborts its
// transaction at once (Deneva's NO_WAIT): crossed lock orders, within one
// split and across splits, never wait and never wound; the retries commit
// every transaction, the counters add up and nothing is left behind.
func TestNoWaitAbortsInsteadOfWaiting(t *testing.T) {
	cfg := twopc.DefaultConfig()
	cfg.LockPolicy = twopc.NoWait
	for _, three := range []bool{false, true} {
		w := newWorld(t, "region-3az", cfg, sim.FixedEpsilon(time.Millisecond), true, 400)
		reasons := crossed(t, w, three, 8, 10)
		st := w.E.Stats()
		t.Logf("three splits %v: aborts by reason %v; engine: %d no-wait refusals, %d wounds", three, reasons, st.NoWaitAborts, st.Wounds)
		if reasons[twopc.ReasonNoWait] == 0 || len(reasons) != 1 || st.Wounds != 0 {
			t.Fatalf("three splits %v: aborts %v, %d wounds: want only %s aborts", three, reasons, st.Wounds, twopc.ReasonNoWait)
		}
	}
}
