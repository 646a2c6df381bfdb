package runner_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	_ "github.com/txbench/txbench/engines/pg"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
)

// oneShotCase places one client far (in round-trip time) from the node
// that serves its session, so that each client round trip is costly:
// rtt is that round trip's least cost.
type oneShotCase struct {
	engine string
	opts   map[string]string
	rtt    time.Duration
}

var oneShotCases = []oneShotCase{
	// occ's QP and sharded's router sit in the client's AZ: the added
	// delay makes each client round trip cost at least 2 × 2 ms.
	{"occ", map[string]string{"topology": "region-3az", "net-delay": "2ms"}, 4 * time.Millisecond},
	{"sharded", map[string]string{"topology": "region-3az", "net-delay": "2ms"}, 4 * time.Millisecond},
	// 2pc's client talks to the split leaders in us-east-1 from us-east-2
	// (11.5 ms median RTT); a one-shot transaction's coordinator sits by
	// the leaders, less than 2 ms from each.
	{"2pc", map[string]string{"topology": "us-3", "client-region": "us-east-2"}, 9500 * time.Microsecond},
}

func oneShotConfig(t *testing.T, c oneShotCase, n string, oneShot bool) runner.Config {
	t.Helper()
	opts := map[string]string{"ops-per-txn": n, "write-frac": "1", "theta": "0", "jitter": "false"}
	for k, v := range c.opts {
		opts[k] = v
	}
	if oneShot {
		opts["one-shot"] = "true"
	}
	cfg := runnertest.Quick(t, c.engine, "ycsb", opts)
	cfg.Clients = 1
	return cfg
}

// An N-statement transaction pays N statement round trips and a commit
// round trip between client and server; one-shot, it pays one. The
// statements' work at the server stays, so the saving is the N round trips.
func TestOneShotSavesTheClientRoundTrips(t *testing.T) {
	const n = 8
	for _, c := range oneShotCases {
		t.Run(c.engine, func(t *testing.T) {
			inter := run(t, oneShotConfig(t, c, "8", false)).Summary.LatencyMs.Mean
			one := run(t, oneShotConfig(t, c, "8", true)).Summary.LatencyMs.Mean
			rtt := float64(c.rtt) / float64(time.Millisecond)
			t.Logf("%d statements: interactive %.2f ms, one-shot %.2f ms; client RTT ≥ %.1f ms", n, inter, one, rtt)
			if saved := inter - one; saved < n*rtt {
				t.Errorf("one-shot saves %.2f ms; %d client round trips cost at least %.1f ms", saved, n, n*rtt)
			}
		})
	}
}

func TestOneShotIsDeterministic(t *testing.T) {
	for _, engine := range []string{"occ", "2pc", "sharded"} {
		t.Run(engine, func(t *testing.T) {
			runnertest.Deterministic(t, engine, []runnertest.Variant{
				{Workload: "ycsb", Opts: map[string]string{"one-shot": "true", "theta": "0.9", "ops-per-txn": "4"}},
			})
		})
	}
}

// A real database runs the statements it is sent: --one-shot is refused
// with one line naming it (exit 2).
func TestOneShotIsRefusedForARealDatabase(t *testing.T) {
	cfg := runnertest.Quick(t, "pg", "ycsb", map[string]string{"one-shot": "true"})
	_, err := runner.Run(context.Background(), cfg)
	var bad runner.BadInput
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "--one-shot") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v; want one bad-input line naming --one-shot", err)
	}
}
