package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestHashIndex drives the index with random adds, replaces and removes
// against a map, through many growths and long probe clusters, and checks
// every key's presence after each step's batch.
func TestHashIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := New[int](0)
	var ix hashIndex[int]
	want := map[string]ref{}
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	for step := range 60_000 {
		k := keys[rng.IntN(len(keys))]
		e, ok := want[k]
		switch {
		case !ok:
			r, e := s.alloc()
			e.key = k
			ix.add(s, r)
			want[k] = r
		case rng.IntN(3) == 0:
			r2, e2 := s.alloc()
			e2.key = k
			ix.replace(s, r2)
			s.release(e)
			want[k] = r2
		default:
			ix.remove(s, k)
			s.release(e)
			delete(want, k)
		}
		if step%5000 != 0 {
			continue
		}
		if ix.n != len(want) {
			t.Fatalf("step %d: index holds %d keys, want %d", step, ix.n, len(want))
		}
		for _, k := range keys {
			if got := ix.get(s, k); got != want[k] {
				t.Fatalf("step %d: get(%q) = %d, want %d", step, k, got, want[k])
			}
		}
	}
	if len(ix.slots)*3 < ix.n*4 {
		t.Fatalf("%d keys in %d slots: fuller than 3/4", ix.n, len(ix.slots))
	}
}
