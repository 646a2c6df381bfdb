package bank_test

import (
	"strings"
	"testing"

	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner/runnertest"
	"github.com/txbench/txbench/workloads"
	_ "github.com/txbench/txbench/workloads/bank"
)

// check runs transfers on engine and returns the total-balance condition.
func check(t *testing.T, engine string, opts map[string]string) workloads.CheckResult {
	t.Helper()
	res, results := runnertest.RunChecked(t, runnertest.Quick(t, engine, "bank", opts))
	if res.Summary.Committed == 0 {
		t.Fatalf("%s: nothing committed", engine)
	}
	return results[0]
}

// Engines that prevent lost updates conserve the total; read committed
// loses updates, and the check says so.
func TestTransfersConserveMoneyUnlessUpdatesAreLost(t *testing.T) {
	for _, c := range []struct {
		engine string
		opts   map[string]string
		holds  bool
	}{
		{"occ", nil, true},
		{"2pc", nil, true},
		{"2pc", map[string]string{"isolation": "repeatable-read"}, true},
		{"sharded", nil, true},
		{"sharded", map[string]string{"isolation": "read-committed"}, false},
	} {
		got := check(t, c.engine, c.opts)
		if (got.Status == workloads.CheckPass) != c.holds {
			t.Errorf("%s %v: total %s (%s), want pass=%v", c.engine, c.opts, got.Status, got.Detail, c.holds)
		}
	}
}

func TestBadOptions(t *testing.T) {
	_, err := workloads.New("bank", map[string]string{"bank-accounts": "1", "bank-transfer": "0"}, 1)
	if err == nil || !strings.Contains(err.Error(), "--bank-accounts") || !strings.Contains(err.Error(), "--bank-transfer") {
		t.Fatalf("error %v", err)
	}
}
