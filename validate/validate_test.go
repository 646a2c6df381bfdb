package validate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/runner"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

func TestBands(t *testing.T) {
	cases := []struct {
		k            Kind
		paper, model float64
		in           bool
	}{
		{Magnitude, 7.4, 8.5, true}, {Magnitude, 7.4, 8.6, false}, {Magnitude, 7.4, 6.3, true}, {Magnitude, 7.4, 6.2, false},
		{Shape, 0.62, 0.71, true}, {Shape, 0.62, 0.73, false}, {Shape, 0.006, 0, true},
		{Law, 1, 1.99, true}, {Law, 1, 2.01, false}, {Law, 1, 0.49, false},
	}
	for _, c := range cases {
		if got := c.k.within(c.paper, c.model); got != c.in {
			t.Errorf("%s: paper %v model %v: within %v, want %v", c.k.Band(), c.paper, c.model, got, c.in)
		}
	}
}

// Every target names set-ups that exist, every set-up builds a valid run
// configuration, and there are at least 12 figures, some of them quick.
func TestTargetsAndSetupsAreConsistent(t *testing.T) {
	setups := map[string]Setup{}
	for _, s := range Setups() {
		if _, dup := setups[s.Name]; dup {
			t.Errorf("set-up %s twice", s.Name)
		}
		setups[s.Name] = s
		cfg, err := s.Config(0)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	quick := 0
	for _, tg := range Targets() {
		for _, n := range tg.Setups {
			if _, ok := setups[n]; !ok {
				t.Errorf("target %q: no set-up %q", tg.Name, n)
			}
		}
		if tg.Quick {
			quick++
		}
	}
	if n := len(Targets()); n < 12 || quick == 0 || quick == n {
		t.Errorf("%d targets, %d quick", n, quick)
	}
	bad := Setup{Name: "bad", Options: map[string]string{"clients": "many"}}
	if _, err := bad.Config(0); err == nil || !strings.Contains(err.Error(), "--clients") {
		t.Errorf("a bad option gave %v", err)
	}
}

// Table 4's set-ups give every transaction exactly its number of
// participants: the 50 partition values land on 50 distinct splits.
func TestTable4PartitionsLandOnDistinctSplits(t *testing.T) {
	splits, parts := uint64(301), 50
	seen := map[uint64]int{}
	for i := range parts {
		h := engines.HashValue(engines.Int(int64(i))) % splits
		if j, dup := seen[h]; dup {
			t.Fatalf("partitions %d and %d share split %d of %d", j, i, h, splits)
		}
		seen[h] = i
	}
	if t4["splits"] != "301" || t4["partitions"] != "50" {
		t.Fatalf("set-up has %s splits and %s partitions; this test checks 301 and 50", t4["splits"], t4["partitions"])
	}
}

// Set-ups run in parallel give the results (and figures) a serial run gives.
func TestParallelGivesTheSerialResults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick set-ups twice")
	}
	outcome := func(parallel int) ([]string, []byte) {
		var mu sync.Mutex
		started := 0
		o := Options{Quick: true, Duration: 200 * time.Millisecond, Parallel: parallel,
			Progress: func(string, int, int) { mu.Lock(); started++; mu.Unlock() }}
		out, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("parallel %d: %v", parallel, err)
		}
		if started != len(out.Setups) || len(out.Results) != len(out.Setups) {
			t.Fatalf("parallel %d: %d set-ups, %d started, %d results", parallel, len(out.Setups), started, len(out.Results))
		}
		var files []string
		for _, s := range out.Setups {
			r := *out.Results[s.Name]
			r.Wall = runner.WallFacts{}
			b, err := json.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, string(b))
		}
		figs, err := json.Marshal(out.Validation)
		if err != nil {
			t.Fatal(err)
		}
		return files, figs
	}
	serial, serialFigs := outcome(1)
	par, parFigs := outcome(3)
	if len(serial) < 2 {
		t.Fatalf("only %d quick set-ups: nothing runs in parallel", len(serial))
	}
	for i := range serial {
		if serial[i] != par[i] {
			t.Errorf("set-up %d: the parallel run's results differ from the serial run's", i)
		}
	}
	if !bytes.Equal(serialFigs, parFigs) {
		t.Errorf("figures differ:\n%s\n%s", serialFigs, parFigs)
	}
}

// Every set-up failing, a parallel run returns the first set-up's error,
// as a serial run does.
func TestParallelReportsTheFirstFailure(t *testing.T) {
	fail := func(_ context.Context, s Setup, _ runner.Config) (*runner.Result, error) {
		return nil, errors.New("boom")
	}
	for _, p := range []int{1, 4} {
		var first string
		progress := func(s string, i, _ int) {
			if i == 0 {
				first = s
			}
		}
		_, err := Run(context.Background(), Options{Quick: true, Parallel: p, Run: fail, Progress: progress})
		if want := "set-up " + first + ": boom"; err == nil || err.Error() != want {
			t.Errorf("parallel %d: got %v, want %q", p, err, want)
		}
	}
}
