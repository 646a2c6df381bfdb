package occ

import (
	"testing"
	"time"

	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// The adjudicator on its own: no kernel, no network — the decisions the
// commit path (commit.go) drives.

func TestCheckIsFirstCommitterWins(t *testing.T) {
	a := NewAdjudicator(0)
	a.Commit(1, 10, []string{"x"})
	cases := []struct {
		name     string
		start    storage.Timestamp
		keys     []string
		conflict string
		ok       bool
	}{
		{"snapshot after the write", 10, []string{"x"}, "", true},
		{"snapshot before the write", 9, []string{"x"}, "x", false},
		{"an untouched key", 1, []string{"y"}, "", true},
		{"the first conflicting key in the order given", 1, []string{"y", "x"}, "x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := a.Check(2, tc.start, tc.keys)
			if k != tc.conflict || ok != tc.ok {
				t.Errorf("Check = %q, %v; want %q, %v", k, ok, tc.conflict, tc.ok)
			}
		})
	}
}

func TestProposeIsAboveClockSnapshotLastWriteAndLastCommit(t *testing.T) {
	cases := []struct {
		name        string
		setup       func(a *Adjudicator)
		clock, snap storage.Timestamp
		keys        []string
		want        storage.Timestamp
	}{
		{"the clock's latest bound", nil, 100, 50, []string{"x"}, 100},
		{"above the snapshot", nil, 100, 100, []string{"x"}, 101},
		{"above the key's last write", func(a *Adjudicator) { a.Commit(1, 150, []string{"x"}) }, 100, 50, []string{"x"}, 151},
		{"above the previous commit, any key", func(a *Adjudicator) { a.Commit(1, 200, []string{"y"}) }, 100, 50, []string{"x"}, 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAdjudicator(0)
			if tc.setup != nil {
				tc.setup(a)
			}
			if got := a.Propose(tc.clock, tc.snap, tc.keys); got != tc.want {
				t.Errorf("Propose = %d, want %d", got, tc.want)
			}
		})
	}
}

// A prepared round holds its keys against every other transaction until it
// commits or is released; its own transaction passes.
func TestPrepareHoldsUntilCommitOrRelease(t *testing.T) {
	a := NewAdjudicator(0)
	a.Prepare(1, []string{"x", "y"})
	if k, ok := a.Check(2, 1000, []string{"y"}); ok || k != "y" {
		t.Fatalf("a prepared key let another transaction through: %q %v", k, ok)
	}
	if _, ok := a.Check(1, 1000, []string{"x", "y"}); !ok {
		t.Fatal("the holder conflicts with itself")
	}
	a.Release(2, []string{"x"}) // not the holder: nothing happens
	if _, ok := a.Check(2, 1000, []string{"x"}); ok {
		t.Fatal("another transaction's release freed the key")
	}
	a.Release(1, []string{"x"})
	if _, ok := a.Check(2, 1000, []string{"x"}); !ok {
		t.Fatal("the key stays held after its release")
	}
	a.Commit(1, 50, []string{"y"})
	if _, ok := a.Check(2, 1000, []string{"y"}); !ok {
		t.Fatal("the key stays held after the commit")
	}
	if _, ok := a.Check(2, 49, []string{"y"}); ok {
		t.Fatal("the commit left no write for older snapshots to conflict with")
	}
	if a.Tracked() != 1 {
		t.Fatalf("tracked %d, want 1 (y's last write)", a.Tracked())
	}
}

// A commit at a timestamp lower than a key's last write (a two-phase round
// whose participant learns late) does not move the write back.
func TestCommitKeepsTheNewestWrite(t *testing.T) {
	a := NewAdjudicator(0)
	a.Commit(1, 80, []string{"x"})
	a.Commit(2, 60, []string{"x"})
	if _, ok := a.Check(3, 70, []string{"x"}); ok {
		t.Fatal("the older commit overwrote the newer write")
	}
}

// Trim forgets writes at or below the horizon — no snapshot that old can
// exist, so they can never conflict — and keeps the others and the holds.
func TestTrimDropsOnlyWhatNoSnapshotCanConflictWith(t *testing.T) {
	a := NewAdjudicator(0)
	a.Commit(1, 10, []string{"old"})
	a.Commit(2, 20, []string{"edge"})
	a.Commit(3, 30, []string{"new"})
	a.Prepare(4, []string{"held"})
	a.Trim(20)
	if a.Tracked() != 2 {
		t.Fatalf("tracked %d after trimming at 20, want 2 (new, held)", a.Tracked())
	}
	if _, ok := a.Check(5, 25, []string{"new"}); ok {
		t.Fatal("a write above the horizon was forgotten")
	}
	if _, ok := a.Check(5, 25, []string{"held"}); ok {
		t.Fatal("a prepared hold was trimmed")
	}
	if a.Propose(0, 20, []string{"old"}) != 31 {
		t.Fatal("trimming lowered the last commit timestamp")
	}
}

// A journal record settles for a replica — reads there may skip it from
// then on — once it aborted, or once it committed and is visible there:
// applied from the replica's journal copy and known durable, each plus its
// lag.
func TestRecordSettles(t *testing.T) {
	k := sim.NewKernel(1)
	r := &replica{journal: 1, applyLag: 5, durableLag: []time.Duration{7, 3}}
	j := &journal{nodes: make([]*sim.Node, 2)}
	rec := j.register(k, 1, 10, false)
	if r.settles(rec, 100) {
		t.Error("undecided")
	}
	rec.decided.Set(true)
	if r.settles(rec, 100) {
		t.Error("committed, not yet applied here nor durable")
	}
	rec.arrived[1].Set(50) // applied here at 55
	if r.settles(rec, 100) {
		t.Error("committed and applied, not known durable")
	}
	rec.durableAt = 0
	rec.durable.Set(60) // news here at 67
	if r.settles(rec, 66) || !r.settles(rec, 67) {
		t.Errorf("settles at 66 %v, at 67 %v; visible at 67", r.settles(rec, 66), r.settles(rec, 67))
	}
	aborted := j.register(k, 2, 10, false)
	aborted.decided.Set(false)
	if !r.settles(aborted, 0) {
		t.Error("an aborted record holds no read back")
	}
	if rec.seq != 1 || aborted.seq != 2 {
		t.Errorf("records numbered %d, %d; want 1, 2", rec.seq, aborted.seq)
	}
}
