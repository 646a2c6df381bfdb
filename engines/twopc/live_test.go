package twopc

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// liveTxns answers as a map of the live transactions does, and walks them
// in id order, through random adds (ids rising, some skipped), removals
// (some twice, some of ids never added) and look-ups, and stays compact.
func TestLiveTxnsMatchAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var l liveTxns
	model := map[uint64]*txn{}
	next := uint64(0)
	for step := range 100_000 {
		switch r := rng.IntN(10); {
		case r < 4 && len(model) < 200:
			next += 1 + uint64(rng.IntN(3))
			tx := &txn{id: next}
			l.add(tx)
			model[next] = tx
		case r < 8:
			id := uint64(rng.IntN(int(next) + 2))
			l.remove(id)
			delete(model, id)
		default:
			id := uint64(rng.IntN(int(next) + 2))
			if got := l.get(id); got != model[id] {
				t.Fatalf("step %d: get(%d) = %v, want %v", step, id, got, model[id])
			}
		}
		if l.len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, l.len(), len(model))
		}
		var walked []uint64
		l.each(func(tx *txn) { walked = append(walked, tx.id) })
		if len(walked) != len(model) || !slices.IsSorted(walked) {
			t.Fatalf("step %d: walked %v, want the %d live ids in order", step, walked, len(model))
		}
		for _, id := range walked {
			if model[id] == nil {
				t.Fatalf("step %d: walked %d, which is not live", step, id)
			}
		}
		if len(l.txns) > 2*l.n+33 {
			t.Fatalf("step %d: %d slots for %d live", step, len(l.txns), l.n)
		}
	}
}
