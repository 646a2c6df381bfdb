package runner_test

import (
	"context"
	"testing"
	"time"

	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	_ "github.com/txbench/txbench/workloads/tpcc"
)

// Whole simulated runs, for the simulator's speed (issue 15). Each reports
// attempts and kernel events per wall-clock second; b.N counts runs.
// scripts/sim-speed.sh compares them against an older revision.

// BenchmarkYCSBA is YCSB-A on us-3 with 64 clients for 2 simulated seconds
// (after 200 ms warm-up) per engine.
func BenchmarkYCSBA(b *testing.B) {
	for _, eng := range []string{"occ", "2pc", "sharded"} {
		b.Run(eng, func(b *testing.B) {
			cfg := runnertest.Quick(b, eng, "ycsb-a", map[string]string{"records": "100000"})
			cfg.Topology, cfg.Clients, cfg.Duration = "us-3", 64, 2*time.Second
			benchRun(b, cfg)
		})
	}
}

// BenchmarkTPCC is TPC-C on occ, 2 warehouses, 16 clients, 2 simulated
// seconds, the load included.
func BenchmarkTPCC(b *testing.B) {
	cfg := runnertest.Quick(b, "occ", "tpcc", map[string]string{"warehouses": "2"})
	cfg.Clients, cfg.Duration = 16, 2*time.Second
	benchRun(b, cfg)
}

func benchRun(b *testing.B, cfg runner.Config) {
	b.ReportAllocs()
	var attempts, events float64
	for b.Loop() {
		res, err := runner.Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		attempts += float64(res.Summary.Attempts)
		events += float64(res.SimEvents)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(attempts/s, "attempts/s")
	b.ReportMetric(events/s, "events/s")
}
