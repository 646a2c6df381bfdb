package validate

import (
	"strings"
	"testing"

	"github.com/txbench/txbench/engines"
	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
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
