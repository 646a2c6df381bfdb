package runner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/runner"
)

// Two runs merged equal their totals: counts add up, histograms hold every
// transaction, rates are over the common duration, percentiles come from
// the merged histogram.
func TestMergeAddsUpTheParts(t *testing.T) {
	var parts []*runner.Result
	for seed := uint64(1); seed <= 2; seed++ {
		cfg := quick(t, "ycsb-a", nil)
		cfg.Seed, cfg.Duration = seed, 2*time.Second
		parts = append(parts, run(t, cfg))
	}
	// The second process started 1 s after the first.
	start, _ := time.Parse(time.RFC3339Nano, parts[0].Wall.StartedAt)
	parts[1].Wall.StartedAt = start.Add(time.Second).Format(time.RFC3339Nano)

	m, err := runner.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	a, b := parts[0].Summary, parts[1].Summary
	if m.Summary.Committed != a.Committed+b.Committed || m.Summary.Attempts != a.Attempts+b.Attempts ||
		m.Summary.AbortedAttempts != a.AbortedAttempts+b.AbortedAttempts {
		t.Fatalf("merged counts %+v from %+v and %+v", m.Summary, a, b)
	}
	for r, n := range a.AbortReasons {
		if m.Summary.AbortReasons[r] != n+b.AbortReasons[r] {
			t.Fatalf("abort reason %s: %d", r, m.Summary.AbortReasons[r])
		}
	}
	if got, want := m.Summary.ThroughputTPS, float64(m.Summary.Committed)/m.DurationS; got < want*0.999 || got > want*1.001 {
		t.Fatalf("throughput %v, want %v", got, want)
	}
	h, err := runner.DecodeHistogram(m.Histograms["all/latency"])
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != m.Summary.Committed {
		t.Fatalf("merged histogram holds %d, committed %d", h.TotalCount(), m.Summary.Committed)
	}
	lo, hi := min(a.LatencyMs.P99, b.LatencyMs.P99), max(a.LatencyMs.P99, b.LatencyMs.P99)
	if p := m.Summary.LatencyMs.P99; p < lo || p > hi {
		t.Fatalf("merged p99 %v outside the parts' [%v, %v]", p, lo, hi)
	}
	for i, tt := range m.TxnTypes {
		if tt.Committed != parts[0].TxnTypes[i].Committed+parts[1].TxnTypes[i].Committed {
			t.Fatalf("type %s committed %d", tt.Name, tt.Committed)
		}
	}
	// Timelines are aligned by start: the merged one is one interval longer,
	// and its counts add up to the parts'.
	if len(m.Timeline) != len(parts[0].Timeline)+1 {
		t.Fatalf("merged timeline has %d points, parts %d", len(m.Timeline), len(parts[0].Timeline))
	}
	var sum, want int64
	for _, pt := range m.Timeline {
		sum += pt.Committed
	}
	for _, p := range parts {
		for _, pt := range p.Timeline {
			want += pt.Committed
		}
	}
	if sum != want || m.Timeline[0].Committed != parts[0].Timeline[0].Committed {
		t.Fatalf("timeline sums %d vs %d", sum, want)
	}
	if m.Config["merged-parts"] != "2" || !strings.Contains(strings.Join(m.Notes, ";"), "merged from 2 parts") {
		t.Fatalf("config %v notes %v", m.Config["merged-parts"], m.Notes)
	}
	// Parts of different runs are refused.
	other := *parts[1]
	other.Workload = "ycsb-b"
	if _, err := runner.Merge([]*runner.Result{parts[0], &other}); err == nil {
		t.Fatal("merged results of different workloads")
	}
}

// bench merge takes the partitions of one run, each once, all of them (or
// says which are missing), with the same options.
func TestCheckPartsRefusesWhatIsNotOneRun(t *testing.T) {
	part := func(p string, clients string) *runner.Result {
		return &runner.Result{Config: map[string]string{"partition": p, "clients": clients, "engine": "pg"}}
	}
	names := []string{"a.json", "b.json", "c.json"}
	cases := []struct {
		name         string
		parts        []*runner.Result
		allowMissing bool
		want         string
	}{
		{"one run", []*runner.Result{part("0/2", "8"), part("1/2", "8")}, false, ""},
		{"duplicate", []*runner.Result{part("0/2", "8"), part("0/2", "8")}, false, "a.json and b.json are both partition 0/2"},
		{"different options", []*runner.Result{part("0/2", "8"), part("1/2", "16")}, false, "a.json and b.json differ in --clients (8 vs 16)"},
		{"missing", []*runner.Result{part("0/3", "8"), part("2/3", "8")}, false, "partitions 1/3 are missing"},
		{"missing allowed", []*runner.Result{part("0/3", "8"), part("2/3", "8")}, true, ""},
		{"different runs", []*runner.Result{part("0/2", "8"), part("1/3", "8")}, false, "b.json is partition 1/3 but a.json is of 2 partitions"},
		{"not a partition", []*runner.Result{part("0/2", "8"), {Config: map[string]string{"clients": "8"}}}, false, "b.json is not a part of a partitioned run"},
	}
	for _, c := range cases {
		err := runner.CheckParts(names[:len(c.parts)], c.parts, c.allowMissing)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
