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

// BenchmarkLoad prepares a simulation of YCSB-A with 100,000 records per
// engine: building the engine and loading the rows, the fixed cost of
// every run (issue 15 counts attempts per CPU-second of the whole
// process). The TPC-C load has its own (workloads/tpcc).
func BenchmarkLoad(b *testing.B) {
	for _, eng := range []string{"occ", "2pc", "sharded"} {
		b.Run(eng, func(b *testing.B) {
			cfg := runnertest.Quick(b, eng, "ycsb-a", map[string]string{"records": "100000"})
			cfg.Topology, cfg.Clients = "us-3", 64
			b.ReportAllocs()
			for b.Loop() {
				s, err := runner.Prepare(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
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
