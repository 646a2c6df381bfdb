package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listLen is how many items the Collect list holds, stale ones included.
func listLen[V any](s *Store[V]) int { return len(s.multi) - s.multiNext }

// Old versions of keys written once and never again go within a round or
// two of the horizon passing, however many keys the table holds: Collect
// visits the written keys, not the table.
func TestCollectPaceIndependentOfTableSize(t *testing.T) {
	const written, budget = 100, 64
	for _, size := range []int{1_000, 200_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s := New[string](2)
			for tb := range 2 {
				for i := range size {
					s.Load(tb, fmt.Sprintf("k%07d", i), 1, "v1")
				}
			}
			rng := rand.New(rand.NewPCG(1, uint64(size)))
			for i := range written {
				tb, k := i%2, fmt.Sprintf("k%07d", rng.IntN(size))
				s.Install(tb, k, Timestamp(10+i), "w", i%10 == 0)
			}
			before := s.Stats()
			s.SetHorizon(1000)
			rounds := 0
			for s.Stats().Versions > s.Stats().Keys && rounds < 10 {
				s.Collect(budget)
				rounds++
			}
			if want := (written + budget - 1) / budget; rounds != want {
				t.Fatalf("old versions gone after %d rounds of %d; want %d (stats before %+v, after %+v)", rounds, budget, want, before, s.Stats())
			}
			if n := listLen(s); n != 0 {
				t.Errorf("%d items listed after every key was trimmed", n)
			}
			checkInvariants(t, s)
		})
	}
}

// An item for a key that left its tree (its ref then reused by a key of
// another table) or whose history was dropped by a write is skipped, and
// does not count against the budget.
func TestCollectStaleItems(t *testing.T) {
	s := New[string](2)
	s.Install(0, "gone", 10, "a", false)
	s.Install(0, "gone", 20, "b", false) // listed
	s.Install(0, "flat", 10, "a", false)
	s.Install(0, "flat", 20, "b", false) // listed
	s.SetHorizon(30)
	goneRef := s.indexed(0).get(s, "gone")
	s.Install(0, "gone", 30, "", true)   // a dead tombstone: the key goes
	s.Install(0, "flat", 30, "c", false) // one version left: history dropped
	if n := listLen(s); n != 2 {
		t.Fatalf("list holds %d items; want the 2 stale ones", n)
	}
	// The freed entry is reused: by a single version, then by a key with a
	// history of its own.
	s.Load(1, "reused", 30, "x")
	if r := s.indexed(1).get(s, "reused"); r != goneRef {
		t.Fatalf("setup: the new key took entry %d, not the freed %d", r, goneRef)
	}
	if n := s.Collect(1); n != 0 {
		t.Fatalf("Collect over stale items freed %d", n)
	}
	if n := listLen(s); n != 0 {
		t.Fatalf("stale items kept: %d", n)
	}
	s.Install(0, "gone2", 31, "a", false)
	s.Install(0, "gone2", 32, "b", false)
	s.SetHorizon(40)
	goneRef = s.indexed(0).get(s, "gone2")
	s.Install(0, "gone2", 40, "", true) // gone; its item stays
	s.Install(1, "reused2", 41, "a", false)
	s.Install(1, "reused2", 42, "b", false)
	if r := s.indexed(1).get(s, "reused2"); r != goneRef {
		t.Fatalf("setup: the new key took entry %d, not the freed %d", r, goneRef)
	}
	s.SetHorizon(42)
	if n := s.Collect(1); n != 1 {
		t.Fatalf("Collect(1) behind a stale item freed %d; want reused2's older version", n)
	}
	checkReads(t, s, 0, []read{{"gone", 40, "", false}, {"gone2", 40, "", false}, {"flat", 40, "c", true}})
	checkReads(t, s, 1, []read{{"reused", 42, "x", true}, {"reused2", 42, "b", true}})
	if st := s.Stats(); st.Keys != 3 || st.Versions != 3 {
		t.Errorf("Stats = %+v; want 3 keys of one version", st)
	}
	checkInvariants(t, s)
}

// A hot key whose history comes and goes with every other write (deleted,
// re-inserted, the tombstone trimmed by the insert) leaves a stale item per
// cycle; the list still stays bounded without any Collect, and a key that
// keeps its history is listed once however often it is written.
func TestCollectListBounded(t *testing.T) {
	const installs = 100_000
	s := New[int](1)
	peak := 0
	for i := range installs {
		ts := Timestamp(i + 10)
		s.SetHorizon(ts - 1)
		s.Install(0, "cycling", ts, i, i%2 == 0)
		s.SetHorizon(ts - 5)
		s.Install(0, "steady", ts, i, false)
		peak = max(peak, listLen(s))
	}
	if bound := 2 * minStaleDrop; peak > bound {
		t.Fatalf("list peaked at %d items; want <= %d", peak, bound)
	}
	checkInvariants(t, s)
	s.SetHorizon(installs + 10)
	s.Collect(1 << 20)
	if st := s.Stats(); st.Keys != 2 || st.Versions != 2 || listLen(s) != 0 {
		t.Fatalf("after a full Collect: %+v, %d items listed", st, listLen(s))
	}
}

// A deleted implicit row keeps its tombstone through any number of rounds
// (collecting it would bring the implicit row back), is not listed while
// nothing can be trimmed, and is an ordinary key again once written.
func TestCollectImplicitTombstone(t *testing.T) {
	s := New[string](1)
	s.SetImplicit(0, 1, implicitRow)
	s.Install(0, "row-7", 10, "", true)
	s.SetHorizon(20)
	for range 5 {
		s.Collect(1 << 20)
		checkReads(t, s, 0, []read{{"row-7", 20, "", false}, {"row-8", 20, "v(row-8)", true}})
	}
	if st := s.Stats(); st.Keys != 1 || st.Versions != 1 || listLen(s) != 0 {
		t.Fatalf("buried tombstone: %+v, %d items listed", st, listLen(s))
	}
	checkInvariants(t, s)
	s.Install(0, "row-7", 30, "back", false) // trims the tombstone itself
	s.Install(0, "row-7", 40, "", true)
	s.SetHorizon(35)
	if n := s.Collect(1 << 20); n != 0 {
		t.Fatalf("freed %d below the newest tombstone; want 0", n)
	}
	checkReads(t, s, 0, []read{{"row-7", 35, "back", true}, {"row-7", 40, "", false}})
	checkInvariants(t, s)
	s.SetHorizon(40)
	if n := s.Collect(1 << 20); n != 1 { // "back"; the tombstone is buried
		t.Fatalf("freed %d; want 1", n)
	}
	checkReads(t, s, 0, []read{{"row-7", 40, "", false}, {"row-7", 50, "", false}})
	if st := s.Stats(); st.Keys != 1 || st.Versions != 1 {
		t.Fatalf("buried again: %+v", st)
	}
	checkInvariants(t, s)
}

// The same operations give the same Collect results and the same list.
func TestCollectDeterministic(t *testing.T) {
	run := func() (freed []int, listed []string) {
		s := New[int](3)
		rng := rand.New(rand.NewPCG(11, 12))
		for i := range 20_000 {
			ts := Timestamp(i + 1)
			tb, k := rng.IntN(3), fmt.Sprintf("k%03d", rng.IntN(500))
			s.Install(tb, k, ts, i, rng.IntN(8) == 0)
			if i%50 == 0 {
				s.SetHorizon(ts - Timestamp(rng.IntN(100)))
				freed = append(freed, s.Collect(rng.IntN(40)))
			}
		}
		for _, it := range s.multi[s.multiNext:] {
			listed = append(listed, fmt.Sprintf("%d/%s/%v", it.table, s.at(it.r).key, s.at(it.r).more == it.h))
		}
		return freed, listed
	}
	f1, l1 := run()
	f2, l2 := run()
	if !slices.Equal(f1, f2) || !slices.Equal(l1, l2) {
		t.Fatal("two identical runs collected differently")
	}
	if slices.Max(f1) == 0 || len(l1) == 0 {
		t.Fatalf("the run exercised nothing: max freed %d, %d listed", slices.Max(f1), len(l1))
	}
}
