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
	var ix hashIndex[int]
	want := map[string]*entry[int]{}
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	for step := range 60_000 {
		k := keys[rng.IntN(len(keys))]
		e, ok := want[k]
		switch {
		case !ok:
			e = &entry[int]{key: k}
			ix.add(e)
			want[k] = e
		case rng.IntN(3) == 0:
			e = &entry[int]{key: k}
			ix.replace(e)
			want[k] = e
		default:
			ix.remove(k)
			delete(want, k)
		}
		if step%5000 != 0 {
			continue
		}
		if ix.n != len(want) {
			t.Fatalf("step %d: index holds %d keys, want %d", step, ix.n, len(want))
		}
		for _, k := range keys {
			if got := ix.get(k); got != want[k] {
				t.Fatalf("step %d: get(%q) = %p, want %p", step, k, got, want[k])
			}
		}
	}
	if len(ix.slots)*3 < ix.n*4 {
		t.Fatalf("%d keys in %d slots: fuller than 3/4", ix.n, len(ix.slots))
	}
}
