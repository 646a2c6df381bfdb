package runner_test

import (
	"testing"
	"time"

	"github.com/txbench/txbench/runner"
)

// Per-statement latency: every committed attempt has one timed commit, a
// YCSB-A read transaction is one read, and on a jitter-free contention-free
// set-up occ's point read costs one client hop plus one storage hop (the
// same every time, so p50 = p99 = max).
func TestStatementLatencyIsRecordedPerKind(t *testing.T) {
	cfg := quick(t, "ycsb-a", nil)
	cfg.Jitter, cfg.Clients, cfg.Duration = false, 1, 500*time.Millisecond
	res := run(t, cfg)
	sl := res.Summary.StatementLatencyMs
	commit, read, write := sl[runner.StmtCommit], sl[runner.StmtRead], sl[runner.StmtWrite]
	if commit.Count != res.Summary.Committed {
		t.Errorf("commits timed %d, committed %d", commit.Count, res.Summary.Committed)
	}
	if read.Count != res.TxnTypes[0].Committed || read.Count == 0 {
		t.Errorf("reads timed %d, read transactions %d", read.Count, res.TxnTypes[0].Committed)
	}
	if write.Count != res.TxnTypes[1].Attempts || write.Count == 0 {
		t.Errorf("writes timed %d, update attempts %d", write.Count, res.TxnTypes[1].Attempts)
	}
	if read.P50 != read.P99 || read.P99 != read.Max || read.P50 <= 0 {
		t.Errorf("jitter-free contention-free reads vary: %+v", read.Latency)
	}
	rs := res.TxnTypes[0].StatementLatencyMs
	if got, want := rs[runner.StmtRead].Mean+rs[runner.StmtCommit].Mean, res.TxnTypes[0].LatencyMs.Mean; got > want+0.002 || got < want-0.002 {
		t.Errorf("read transaction's read + commit = %.3f ms, its latency %.3f ms", got, want)
	}
	if _, ok := res.Histograms["all/statement/read"]; !ok {
		t.Error("no all/statement/read histogram")
	}
	// Merging two copies doubles the counts and keeps the percentiles.
	m, err := runner.Merge([]*runner.Result{res, res})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Summary.StatementLatencyMs[runner.StmtRead]; got.Count != 2*read.Count || got.P99 != read.P99 || got.Mean != read.Mean {
		t.Errorf("merged read latency %+v, want twice the count of %+v", got, read)
	}
}
