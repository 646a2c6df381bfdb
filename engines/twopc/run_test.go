package twopc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	"github.com/txbench/txbench/sim"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

func TestSameSeedSameResultOtherSeedDifferent(t *testing.T) {
	runnertest.Deterministic(t, "2pc", []runnertest.Variant{
		{Workload: "ycsb-a"},
		{Workload: "ycsb-e"}, // scans (range locks) and inserts
		{Workload: "ycsb", Opts: map[string]string{"ops-per-txn": "4", "theta": "0.9"}}, // 2PC and wounds
		{Workload: "ycsb", Opts: map[string]string{"isolation": "repeatable-read", "stale-reads": "1s"}},
	})
}

func TestBadInputNamesTheFlag(t *testing.T) {
	runnertest.RejectsBadInput(t, "2pc", []runnertest.BadInput{
		{Opts: map[string]string{"splits": "0"}, Want: "--splits must be in [1, 4096] splits, got 0"},
		{Opts: map[string]string{"leader-region": "mars-1"}, Want: `--leader-region: topology region-3az has no region "mars-1"`},
		{Opts: map[string]string{"leader-region": "us-east-2"}, Want: `--leader-region: topology region-3az has no region "us-east-2"`},
		{Opts: map[string]string{"leader-region": "us-west-2"}, Topology: "us-3", Want: `--leader-region: "us-west-2" is a witness region`},
		{Opts: map[string]string{"isolation": "snapshot"}, Want: `--isolation must be one of serializable|repeatable-read, got "snapshot"`},
		{Opts: map[string]string{"stale-reads": "-1s"}, Want: "--stale-reads must be in [0s, 1h], got -1s"},
		{Opts: map[string]string{"2pc-cores": "0", "2pc-log-append": "-1us"}, Want: "--2pc-cores must be in [1, 1024] cores, got 0\n--2pc-log-append must be in [0s, 1s], got -1µs"},
	})
}

// Leaders can move to another full region: from us-east-2 a client there
// reads at its leader's AZ distance instead of paying R1.
func TestLeaderRegionMovesTheLeaders(t *testing.T) {
	cfg := zeroCPU(twopc.DefaultConfig())
	cfg.LeaderRegion = "us-east-2"
	w := newWorld(t, "us-3", cfg, sim.FixedEpsilon(0), false, 400)
	for s := range cfg.Splits {
		if got := w.Cl.Topology().RegionOf(w.E.Leader(s).AZ); got != "us-east-2" {
			t.Fatalf("split %d led from %s", s, got)
		}
	}
	ks := keysIn(t, w, splitLedIn(t, w, "us-east-2a", 0), 1, 400)
	var got enginetest.Timed
	w.Client(t, 0, "us-east-2a", func(ctx context.Context, s engines.Session) {
		got = runTxn(ctx, s, rw, updates(ctx, ks...))
	})
	w.Run()
	must(t, got.Err)
	near(t, "read", got.Stmts, a)
	near(t, "commit: majority needs us-east-1", got.Commit, a+r1)
}

// The shape of the 2012 paper's Table 4: two-phase commit latency grows
// with the number of participants. In us-3 (Paxos round R1 = 11.5 ms
// above 2ε̄ ≈ 8 ms) one split commits in about R1; two take a prepare
// round and a hop more, about twice as long; beyond that latency creeps up
// with the slowest of more participants (jitter). Mean of 20 commits per
// size, one client, sawtooth ε, spread over the sawtooth's period.
func TestCommitLatencyGrowsWithParticipants(t *testing.T) {
	sizes := []int{1, 2, 5, 10, 50}
	mean := map[int]time.Duration{}
	for _, n := range sizes {
		cfg := twopc.DefaultConfig()
		cfg.Splits = 64
		w := newWorld(t, "us-3", cfg, sim.SawtoothEpsilon(time.Millisecond, 7*time.Millisecond, 30*time.Second), true, 2000)
		var ks []int
		for s := range n {
			ks = append(ks, keysIn(t, w, s, 1, 2000)[0])
		}
		const txns = 20
		var sum time.Duration
		var parts []int
		w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			for i := range txns {
				p.SleepUntil(time.Duration(i)*1500*time.Millisecond, sim.CatOther)
				tx, err := s.Begin(ctx, engines.TxnOptions{FirstStart: p.Now()})
				must(t, err)
				must(t, updates(ctx, ks...)(tx))
				start := p.Now()
				must(t, tx.Commit(ctx))
				sum += p.Now() - start
				parts = append(parts, tx.(engines.InfoTxn).Info().Participants)
			}
		})
		w.Run()
		for _, got := range parts {
			if got != n {
				t.Fatalf("%d-split transaction reported %d participants", n, got)
			}
		}
		mean[n] = sum / txns
	}
	var row []string
	for _, n := range sizes {
		row = append(row, fmt.Sprintf("%d→%.1f ms", n, float64(mean[n])/1e6))
	}
	t.Logf("mean commit latency by participants (us-3): %s", strings.Join(row, ", "))
	if r := float64(mean[2]) / float64(mean[1]); r < 1.4 {
		t.Errorf("2 participants / 1 = %.2f; want at least 1.4 (a prepare round and a hop more)", r)
	}
	for i := 1; i < len(sizes); i++ {
		if prev, cur := mean[sizes[i-1]], mean[sizes[i]]; cur < prev-prev/50 {
			t.Errorf("%d participants (%v) faster than %d (%v)", sizes[i], cur, sizes[i-1], prev)
		}
	}
	if mean[50] <= mean[2] {
		t.Errorf("50 participants (%v) no slower than 2 (%v)", mean[50], mean[2])
	}
}

// A long run keeps memory bounded: versions stay near one per key, and
// nothing piles up in the lock tables or the Paxos record lists.
func TestMemoryStaysBoundedInALongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	cfg := quick(t, "ycsb-a", map[string]string{"records": "500"})
	cfg.Duration, cfg.Clients = 10*time.Second, 16
	var versions, owners, keys, records, live int
	cfg.Observe = func(s *runner.Simulation) {
		e := engines.Unwrap(s.Engine).(*twopc.Engine)
		versions = e.Store.Stats().Versions
		owners, keys, records, live = e.Residue()
	}
	res := run(t, cfg)
	t.Logf("%d committed; at the end %d versions, %d lock owners, %d locked keys, %d Paxos records, %d live transactions",
		res.Summary.Committed, versions, owners, keys, records, live)
	if versions > 2*500 {
		t.Errorf("%d versions for 500 keys: garbage collection is not keeping up", versions)
	}
	// At most every client's transaction in flight, with a few keys each.
	if owners > 2*cfg.Clients || keys > 4*cfg.Clients || live > cfg.Clients {
		t.Errorf("lock state grows: %d owners, %d keys, %d live", owners, keys, live)
	}
	if records > 2000 {
		t.Errorf("%d Paxos records tracked: pruning is not keeping up", records)
	}
}

// Aborts are named by reason, and participants are recorded per commit.
func TestResultNamesReasonsAndParticipants(t *testing.T) {
	cfg := quick(t, "ycsb", map[string]string{"ops-per-txn": "4", "theta": "0.9", "records": "200", "splits": "4"})
	res := run(t, cfg)
	if res.Summary.AbortReasons[string(engines.ReasonWounded)] == 0 {
		t.Errorf("abort reasons %v; want wounded", res.Summary.AbortReasons)
	}
	multi := int64(0)
	for n, c := range res.Summary.Participants {
		if n != "1" {
			multi += c
		}
	}
	if multi == 0 {
		t.Errorf("participants %v; want multi-split commits", res.Summary.Participants)
	}
	if res.Summary.BreakdownMs["commit_wait"] <= 0 || res.Summary.BreakdownMs["lock_wait"] <= 0 {
		t.Errorf("breakdown %v; want commit_wait and lock_wait", res.Summary.BreakdownMs)
	}
}

// BenchmarkSimulatedYCSBAOnUS3 reports how many simulated transactions the
// simulator commits per wall-clock second with the 2pc engine (compare
// runner's benchmark of the same name for occ).
func BenchmarkSimulatedYCSBAOnUS3(b *testing.B) { runnertest.SimRate(b, "2pc", "us-3") }

// quick, run and stable: the shared helpers for whole simulated runs.
var (
	quick  = runnertest.QuickFor("2pc")
	run    = runnertest.Run
	stable = runnertest.Stable
)
