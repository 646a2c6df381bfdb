package sharded_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
	_ "github.com/txbench/txbench/workloads/tpcc"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

func TestSameSeedSameResultOtherSeedDifferent(t *testing.T) {
	runnertest.Deterministic(t, "sharded", []runnertest.Variant{
		{Workload: "ycsb-a"},
		{Workload: "ycsb-e"}, // scans over every shard, inserts
		{Workload: "ycsb", Opts: map[string]string{"ops-per-txn": "4", "theta": "0.9", "partitions": "4", "partitions-per-txn": "2", "deadlock-timeout": "50ms", "shard-deadlock-timeout": "50ms"}},
		{Workload: "ycsb", Opts: map[string]string{"isolation": "read-committed", "theta": "0.9"}},
		{Workload: "tpcc", Opts: map[string]string{"scale": "0.02", "warehouses": "2"}},
	})
}

func TestBadInputNamesTheFlag(t *testing.T) {
	runnertest.RejectsBadInput(t, "sharded", []runnertest.BadInput{
		{Opts: map[string]string{"shards": "0"}, Want: "--shards must be in [1, 1024] shards, got 0"},
		{Opts: map[string]string{"routers": "-2"}, Want: "--routers must be in [1, 256] nodes, got -2"},
		{Opts: map[string]string{"isolation": "serializable"}, Want: `--isolation must be one of repeatable-read|read-committed, got "serializable"`},
		{Opts: map[string]string{"deadlock-timeout": "0s"}, Want: "--deadlock-timeout must be in [1ms, 1h], got 0s"},
		{Opts: map[string]string{"shard-deadlock-timeout": "-1s"}, Want: "--shard-deadlock-timeout must be in [1ms, 1h], got -1s"},
		{Opts: map[string]string{"sharded-write-quorum": "3"}, Want: "--sharded-write-quorum must be a majority of --sharded-storage-copies=6 (more than half, at most all), got 3"},
		{Opts: map[string]string{"sharded-write-quorum": "7"}, Want: "--sharded-write-quorum must be a majority"},
		{Opts: map[string]string{"sharded-cores": "0", "sharded-flush": "-1us"}, Want: "--sharded-cores must be in [1, 1024] cores, got 0\n--sharded-flush must be in [0s, 1s], got -1µs"},
	})
}

// The engine is registered under its name and alias, single-region by
// default.
func TestRegistered(t *testing.T) {
	for _, name := range []string{"sharded", "limitless"} {
		m, err := engines.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "sharded" || !m.Simulated || m.DefaultTopology != "region-3az" {
			t.Errorf("%s: %+v", name, m)
		}
	}
}

// TPC-C keeps its consistency conditions on this engine (reference table
// item, two warehouses on two shards, remote New-Order lines and Payments
// as two-phase commits).
func TestTPCCKeepsTheConditions(t *testing.T) {
	for _, iso := range []string{"repeatable-read", "read-committed"} {
		t.Run(iso, func(t *testing.T) {
			cfg := quick(t, "tpcc", map[string]string{"scale": "0.05", "warehouses": "2", "isolation": iso})
			cfg.Clients = 8
			var res []workloads.CheckResult
			var cerr error
			cfg.Observe = func(s *runner.Simulation) {
				cerr = s.Exec(context.Background(), func(ctx context.Context, sess engines.Session) error {
					// Let the transactions still in flight finish first:
					// under read committed each of the check's statements
					// takes its own snapshot, so commits between them
					// would show as violations (PostgreSQL does the same).
					sim.ProcFrom(ctx).Sleep(10*time.Second, sim.CatOther)
					var err error
					res, err = s.Workload.(workloads.Checker).Check(ctx, sess)
					return err
				})
			}
			r := run(t, cfg)
			if cerr != nil {
				t.Fatal(cerr)
			}
			for _, ty := range r.TxnTypes {
				t.Logf("%-12s committed %5d failed %3d aborts %v", ty.Name, ty.Committed, ty.Failed, ty.AbortReasons)
				if ty.Committed == 0 {
					t.Errorf("no %s committed", ty.Name)
				}
			}
			if len(res) == 0 {
				t.Fatal("no condition checked")
			}
			for _, c := range res {
				if c.Status != workloads.CheckPass && !(c.Name == "3.3.2.11" && c.Status == workloads.CheckSkipped) {
					t.Errorf("%s %s: %s", c.Name, c.Status, c.Detail)
				}
			}
			if r.Summary.Participants["2"] == 0 {
				t.Errorf("participants %v: no two-shard commit (remote warehouses)", r.Summary.Participants)
			}
		})
	}
}

// The multi-partition cliff as this model has it: YCSB transactions drawn
// from K of 4 partitions on 4 shards write exactly K shards; with little
// contention, two-phase commit's prepare round makes multi-shard
// transactions slower and throughput lower than single-shard ones.
func TestPartitionsPerTxnSetsTheShardsWritten(t *testing.T) {
	tps := map[int]float64{}
	for _, k := range []int{1, 2, 4} {
		cfg := quick(t, "ycsb", map[string]string{"records": "20000", "partitions": "4", "partitions-per-txn": fmt.Sprint(k),
			"theta": "0", "write-frac": "1"})
		var st sharded.Stats
		cfg.Observe = func(s *runner.Simulation) { st = engines.Unwrap(s.Engine).(*sharded.Engine).Stats() }
		r := run(t, cfg)
		if len(r.Summary.Participants) != 1 || r.Summary.Participants[fmt.Sprint(k)] == 0 {
			t.Errorf("K=%d: participants %v; want only %d", k, r.Summary.Participants, k)
		}
		tps[k] = r.Summary.ThroughputTPS
		t.Logf("K=%d: %.0f txn/s, abort rate %.3f, mean %.2f ms; engine: %+v", k, r.Summary.ThroughputTPS, r.Summary.AbortRate, r.Summary.LatencyMs.Mean, st)
	}
	if !(tps[1] > tps[2] && tps[1] > tps[4]) {
		t.Errorf("throughput %v: single-shard transactions not the fastest", tps)
	}
}

// Aborts are named by reason: serialization failures, and deadlocks —
// found by a shard when a transaction's keys share one (one partition per
// transaction), by a router when they span shards; participants are
// recorded, and the breakdown shows lock waits and the storage quorum.
func TestResultNamesReasonsAndBreakdown(t *testing.T) {
	cases := []struct {
		perTxn   string
		deadlock engines.Reason
	}{
		{"1", engines.ReasonDeadlock},
		{"2", sharded.ReasonDistributedDeadlock},
	}
	for _, tc := range cases {
		t.Run(string(tc.deadlock), func(t *testing.T) {
			cfg := quick(t, "ycsb", map[string]string{"ops-per-txn": "4", "theta": "0.9", "records": "200", "write-frac": "1",
				"partitions": "4", "partitions-per-txn": tc.perTxn, "deadlock-timeout": "20ms", "shard-deadlock-timeout": "20ms"})
			var notes []string
			cfg.Observe = func(s *runner.Simulation) { notes = engines.Unwrap(s.Engine).(*sharded.Engine).Notes() }
			res := run(t, cfg)
			t.Logf("reasons %v, participants %v, notes %q", res.Summary.AbortReasons, res.Summary.Participants, notes)
			for _, r := range []engines.Reason{engines.ReasonSerialization, tc.deadlock} {
				if res.Summary.AbortReasons[string(r)] == 0 {
					t.Errorf("abort reasons %v; want %s", res.Summary.AbortReasons, r)
				}
			}
			if len(res.Summary.Participants) != 1 || res.Summary.Participants[tc.perTxn] == 0 {
				t.Errorf("participants %v; want %s shards per commit", res.Summary.Participants, tc.perTxn)
			}
			if res.Summary.BreakdownMs["lock_wait"] <= 0 || res.Summary.BreakdownMs["replication"] <= 0 {
				t.Errorf("breakdown %v; want lock_wait and replication", res.Summary.BreakdownMs)
			}
			if len(notes) != 2 || !strings.Contains(notes[0], "multi-shard") {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

// A long run leaves nothing behind: versions stay near one per key, and
// the lock tables, commit records and waiters hold only what the clients
// in flight hold.
func TestMemoryAndLocksStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	cfg := quick(t, "ycsb-a", map[string]string{"records": "500"})
	cfg.Duration, cfg.Clients = 5*time.Second, 16
	var versions, owners, keys, inflight, waiting, live int
	cfg.Observe = func(s *runner.Simulation) {
		e := engines.Unwrap(s.Engine).(*sharded.Engine)
		versions = e.Store.Stats().Versions
		owners, keys, inflight, waiting, live = e.Residue()
	}
	res := run(t, cfg)
	t.Logf("%d committed; at the end %d versions, %d lock owners, %d locked keys, %d commits in progress, %d waiters, %d live",
		res.Summary.Committed, versions, owners, keys, inflight, waiting, live)
	if versions > 2*500 {
		t.Errorf("%d versions for 500 keys: garbage collection is not keeping up", versions)
	}
	if owners > cfg.Clients || keys > 2*cfg.Clients || inflight > cfg.Clients || waiting > cfg.Clients || live > cfg.Clients {
		t.Errorf("state grows: %d owners, %d keys, %d in progress, %d waiting, %d live", owners, keys, inflight, waiting, live)
	}
}

// BenchmarkSimulatedYCSBAOnRegion3AZ reports how many simulated
// transactions the simulator commits per wall-clock second with the
// sharded engine on its default single-region topology.
func BenchmarkSimulatedYCSBAOnRegion3AZ(b *testing.B) { runnertest.SimRate(b, "sharded", "") }

// quick, run and stable: the shared helpers for whole simulated runs.
var (
	quick  = runnertest.QuickFor("sharded")
	run    = runnertest.Run
	stable = runnertest.Stable
)
