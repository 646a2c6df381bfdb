package runnertest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/runner"
)

// Variant is one configuration a determinism check runs: a workload and
// its options.
type Variant struct {
	Workload string
	Opts     map[string]string
}

// Deterministic checks, for each variant, that two half-second runs of
// engine with seed 7 give the same results file and seed 8 another one.
func Deterministic(t *testing.T, engine string, variants []Variant) {
	for _, v := range variants {
		t.Run(v.Workload+fmt.Sprint(v.Opts), func(t *testing.T) {
			cfg := Quick(t, engine, v.Workload, v.Opts)
			cfg.Duration, cfg.Seed = 500*time.Millisecond, 7
			a, b := Stable(t, Run(t, cfg)), Stable(t, Run(t, cfg))
			if !bytes.Equal(a, b) {
				t.Fatal("two runs with seed 7 differ")
			}
			cfg.Seed = 8
			if bytes.Equal(a, Stable(t, Run(t, cfg))) {
				t.Fatal("seeds 7 and 8 gave identical results")
			}
		})
	}
}

// BadInput is options (and a topology, "" for the engine's) that engine
// must refuse with an error containing Want.
type BadInput struct {
	Opts     map[string]string
	Topology string
	Want     string
}

// RejectsBadInput runs each case and checks the error names what is wrong.
func RejectsBadInput(t *testing.T, engine string, cases []BadInput) {
	for _, tc := range cases {
		t.Run(tc.Want, func(t *testing.T) {
			cfg := Quick(t, engine, "ycsb-a", tc.Opts)
			cfg.Topology = tc.Topology
			_, err := runner.Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.Want) {
				t.Fatalf("error %v; want it to contain %q", err, tc.Want)
			}
		})
	}
}

// SimRate is a benchmark body: how many simulated YCSB-A transactions the
// simulator commits per wall-clock second with engine on topology ("" for
// the engine's), 64 clients, 100 000 records.
func SimRate(b *testing.B, engine, topology string) {
	var committed int64
	start := time.Now()
	for range b.N {
		cfg := Quick(b, engine, "ycsb-a", map[string]string{"records": "100000"})
		cfg.Topology, cfg.Clients, cfg.Duration = topology, 64, 5*time.Second
		committed += Run(b, cfg).Summary.Committed
	}
	b.ReportMetric(float64(committed)/time.Since(start).Seconds(), "sim-txn/wall-s")
}
