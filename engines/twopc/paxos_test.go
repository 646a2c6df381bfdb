package twopc

import (
	"testing"

	"github.com/txbench/txbench/sim"
)

// TestRecordSettles: a record settles at a data replica once it aborted,
// or committed and reached that replica, and prune keeps each replica's
// count of settled leading records in step with the list it compacts.
func TestRecordSettles(t *testing.T) {
	k := sim.NewKernel(1)
	a, b := &replica{data: 0}, &replica{data: 1}
	g := &group{data: []*replica{a, b}}
	committed := g.register(k, 10, false)
	if a.settles(committed) {
		t.Error("undecided")
	}
	committed.ts = 10
	committed.decided.Set(true)
	if a.settles(committed) {
		t.Error("committed, not yet applied here")
	}
	committed.arrived[0].Set(5)
	if !a.settles(committed) || b.settles(committed) {
		t.Errorf("applied at a only: settles at a %v, at b %v", a.settles(committed), b.settles(committed))
	}
	aborted := g.register(k, 11, false)
	aborted.decided.Set(false)
	if !a.settles(aborted) || !b.settles(aborted) {
		t.Error("an aborted record holds no read back")
	}
	open := g.register(k, 12, false)
	last := g.register(k, 13, false)
	last.decided.Set(false)

	// a counted committed and aborted, b nothing; prune drops aborted
	// (and last): a's count is 1 (committed), b's stays 0.
	a.settled, b.settled = 2, 0
	g.prune()
	if len(g.inflight) != 2 || g.inflight[0] != committed || g.inflight[1] != open {
		t.Fatalf("kept %d records", len(g.inflight))
	}
	if a.settled != 1 || b.settled != 0 {
		t.Errorf("settled a %d, b %d; want 1, 0", a.settled, b.settled)
	}
	// A count of every record stays every record kept.
	committed.arrived[1].Set(6)
	open.decided.Set(false)
	a.settled, b.settled = 2, 2
	g.prune()
	if len(g.inflight) != 0 || a.settled != 0 || b.settled != 0 {
		t.Errorf("kept %d, settled a %d, b %d; want 0, 0, 0", len(g.inflight), a.settled, b.settled)
	}
}

// TestRecordReuse: prune hands a record out again only when nothing else
// can reach it: registered owned (a single-split commit's), decided, and
// appended by every voter. A record a transaction keeps (two-phase
// commit's), or one a voter has not appended yet, is left alone.
func TestRecordReuse(t *testing.T) {
	k := sim.NewKernel(1)
	a, b, w := &replica{data: 0}, &replica{data: 1}, &replica{data: -1}
	g := &group{replicas: []*replica{a, b, w}, data: []*replica{a, b}}
	commit := func(owned bool, voters ...int) *record {
		rec := g.register(k, 10, owned)
		rec.ts = 10
		rec.decided.Set(true)
		for _, i := range voters {
			rec.Arrived(i)
		}
		return rec
	}
	owned := commit(true, 0, 1, 2)
	kept := commit(false, 0, 1, 2)
	straggler := commit(true, 0, 1) // the witness has not appended it
	g.prune()
	if len(g.inflight) != 0 {
		t.Fatalf("kept %d records; every one is applied at every data replica", len(g.inflight))
	}
	if len(g.spare) != 1 || g.spare[0] != owned {
		t.Fatalf("spare %v; want only the owned record every voter appended", g.spare)
	}
	again := g.register(k, 20, false)
	if again != owned {
		t.Fatal("register did not hand out the spare record")
	}
	if again.lower != 20 || again.ts != 0 || again.owned || again.arrivals != 0 ||
		again.decided.Done() || again.arrived[0].Done() || again.arrived[1].Done() || len(again.arrived) != 2 {
		t.Errorf("a reused record is not a new one: %+v", again)
	}
	if fresh := g.register(k, 21, true); fresh == kept || fresh == straggler {
		t.Error("a record something still points at was handed out again")
	}
}
