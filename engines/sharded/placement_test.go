package sharded

import (
	"fmt"
	"math"
	"testing"

	"github.com/txbench/txbench/engines"
)

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
