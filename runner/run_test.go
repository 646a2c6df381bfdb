package runner_test

import (
	"bytes"
	"context"
	"github.com/txbench/txbench/engines"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

func TestSameSeedSameResultOtherSeedDifferent(t *testing.T) {
	for _, wl := range []string{"ycsb-a", "ycsb-e", "ycsb"} {
		cfg := quick(t, wl, nil)
		cfg.Duration = 500 * time.Millisecond
		cfg.Seed = 7
		a, b := stable(t, run(t, cfg)), stable(t, run(t, cfg))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs with seed 7 differ", wl)
		}
		cfg.Seed = 8
		if bytes.Equal(a, stable(t, run(t, cfg))) {
			t.Fatalf("%s: seeds 7 and 8 gave identical results", wl)
		}
	}
}

func TestOpenLoopLatencyCountsFromTheIntendedStart(t *testing.T) {
	// Offer far more than 2 connections can serve: the backlog must show
	// in latency (coordinated omission would hide it).
	cfg := quick(t, "ycsb-c", nil)
	cfg.Rate, cfg.Clients = 20000, 2
	res := run(t, cfg)
	if res.Summary.LatencyMs.P99 < 100 {
		t.Fatalf("p99 %.3f ms under 10× overload; queueing is not being counted", res.Summary.LatencyMs.P99)
	}
	cfg.Rate, cfg.Clients = 200, 16
	res = run(t, cfg)
	if tps := res.Summary.ThroughputTPS; tps < 170 || tps > 230 {
		t.Fatalf("open loop at 200/s gave %.0f tps", tps)
	}
	if res.Summary.LatencyMs.P99 > 5 {
		t.Fatalf("p99 %.3f ms at low load", res.Summary.LatencyMs.P99)
	}
}

// A single hot key under OCC commits about once per commit time: T_commit
// is measured as a lone client's update latency minus its read latency.
// The model lands a little above 1/T_commit, because a successor only waits
// for the new version to reach its replica, not for the predecessor's
// acknowledgement to travel back; docs/models.md states the band.
func TestHotKeyCommitsAboutOncePerCommitTime(t *testing.T) {
	lone := func(writeFrac string) runner.Summary {
		cfg := quick(t, "ycsb", map[string]string{"records": "1", "ops-per-txn": "1", "write-frac": writeFrac})
		cfg.Clients, cfg.Duration = 1, 2*time.Second
		return run(t, cfg).Summary
	}
	tCommit := lone("1").LatencyMs.Mean - lone("0").LatencyMs.Mean
	many := quick(t, "ycsb", map[string]string{"records": "1", "ops-per-txn": "1", "write-frac": "1"})
	many.Clients, many.Duration = 64, 3*time.Second
	hot := run(t, many).Summary
	ratio := hot.ThroughputTPS * tCommit / 1000
	t.Logf("T_commit %.2f ms; 64 clients on one key: %.0f commits/s = %.2f / T_commit, abort rate %.2f, retries/txn %.1f",
		tCommit, hot.ThroughputTPS, ratio, hot.AbortRate, hot.RetriesPerTxn)
	if ratio < 0.7 || ratio > 2.5 {
		t.Errorf("hot key: %.2f / T_commit commits per second; want between 0.7 and 2.5", ratio)
	}
	if hot.AbortRate < 0.5 {
		t.Errorf("abort rate %.2f; a hot key under OCC should abort most attempts", hot.AbortRate)
	}
}

func TestMemoryStaysBoundedInALongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	cfg := quick(t, "ycsb-a", map[string]string{"records": "500"})
	cfg.Duration = 20 * time.Second
	cfg.Clients = 16
	var versions, tracked int
	cfg.Observe = func(s *runner.Simulation) {
		e := engines.Unwrap(s.Engine).(*occ.Engine)
		versions = e.Store.Stats().Versions
		tracked = e.Tracked()
	}
	res := run(t, cfg)
	updates := res.Summary.Committed / 2
	t.Logf("%d committed over 20 s; %d versions and %d adjudicator entries at the end", res.Summary.Committed, versions, tracked)
	if versions > 2*500 {
		t.Errorf("%d versions for 500 keys after %d updates: garbage collection is not keeping up", versions, updates)
	}
	if tracked > 500 {
		t.Errorf("adjudicators track %d keys", tracked)
	}
}

func TestBadConfigNamesTheFlag(t *testing.T) {
	cfg := quick(t, "ycsb-a", nil)
	cfg.Clients, cfg.Duration, cfg.MaxAttempts = 0, -time.Second, 0
	_, err := runner.Run(context.Background(), cfg)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, flag := range []string{"--clients", "--duration", "--max-attempts"} {
		if !strings.Contains(err.Error(), flag) {
			t.Errorf("error %q does not name %s", err, flag)
		}
	}
	cfg = quick(t, "ycsb-a", nil)
	cfg.Topology = "nowhere"
	if _, err := runner.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--topology") {
		t.Errorf("unknown topology: %v", err)
	}
}

// BenchmarkSimulatedYCSBAOnUS3 reports how many simulated transactions the
// simulator commits per wall-clock second.
func BenchmarkSimulatedYCSBAOnUS3(b *testing.B) {
	var committed int64
	start := time.Now()
	for range b.N {
		cfg := quick(b, "ycsb-a", map[string]string{"records": "100000"})
		cfg.Topology, cfg.Clients, cfg.Duration = "us-3", 64, 5*time.Second
		committed += run(b, cfg).Summary.Committed
	}
	b.ReportMetric(float64(committed)/time.Since(start).Seconds(), "sim-txn/wall-s")
}

// quick, run and stable: the shared helpers for whole simulated runs.
func quick(t testing.TB, workload string, opts map[string]string) runner.Config {
	t.Helper()
	return runnertest.Quick(t, "occ", workload, opts)
}

var (
	run    = runnertest.Run
	stable = runnertest.Stable
)
