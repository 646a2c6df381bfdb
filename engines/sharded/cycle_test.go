package sharded

import (
	"fmt"
	"math"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
)

func TestFindCycle(t *testing.T) {
	cases := []struct {
		name  string
		graph map[lock.Owner][]lock.Owner
		start lock.Owner
		want  string
	}{
		{"no edges", nil, 1, "[]"},
		{"a chain is no cycle", map[lock.Owner][]lock.Owner{1: {2}, 2: {3}}, 1, "[]"},
		{"two transactions", map[lock.Owner][]lock.Owner{1: {2}, 2: {1}}, 1, "[1 2]"},
		{"three, through a queue", map[lock.Owner][]lock.Owner{1: {2}, 2: {3}, 3: {1}}, 1, "[1 2 3]"},
		{"a cycle not through start", map[lock.Owner][]lock.Owner{1: {2}, 2: {3}, 3: {2}}, 1, "[]"},
		{"the second branch closes it", map[lock.Owner][]lock.Owner{1: {2, 4}, 2: {3}, 4: {1}}, 1, "[1 4]"},
		{"a shared node is expanded once", map[lock.Owner][]lock.Owner{1: {2, 3}, 2: {4}, 3: {4}, 4: {5}}, 1, "[]"},
		{"self-loop", map[lock.Owner][]lock.Owner{1: {1}}, 1, "[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[lock.Owner]int{}
			got := findCycle(tc.start, func(o lock.Owner) []lock.Owner {
				calls[o]++
				return tc.graph[o]
			})
			if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && got == nil) {
				t.Errorf("cycle %v, want %s", got, tc.want)
			}
			for o, n := range calls {
				if n > 1 {
					t.Errorf("%d expanded %d times", o, n)
				}
			}
		})
	}
}

// Integer shard keys are placed by value modulo the shard count, so n
// consecutive values are on n distinct shards; others are hashed, and
// values SQL calls equal are placed alike.
func TestPlacement(t *testing.T) {
	for _, n := range []int{1, 3, 4, 7} {
		seen := map[int]bool{}
		for v := int64(-3); v < int64(n)-3; v++ {
			p := placement(engines.Int(v), n)
			if p < 0 || p >= n || seen[p] {
				t.Fatalf("%d shards: value %d on shard %d (seen %v)", n, v, p, seen)
			}
			seen[p] = true
		}
	}
	if placement(engines.Float(0), 5) != placement(engines.Float(math.Copysign(0, -1)), 5) {
		t.Error("-0 and 0 placed apart")
	}
	counts := make([]int, 4)
	for i := range 4000 {
		counts[placement(engines.String(fmt.Sprintf("user%d", i)), 4)]++
	}
	for i, n := range counts {
		if n < 800 || n > 1200 {
			t.Errorf("strings: shard %d holds %d of 4000", i, n)
		}
	}
}
