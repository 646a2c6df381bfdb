package simengine

import "testing"

type rec struct {
	done bool
	refs Refs
	n    int
}

func (r *rec) reusable() bool { return r.done && r.refs.Idle() }

// A session's latest record comes back for the next transaction only once
// it is finished and nothing holds it; otherwise a new one takes its place.
func TestRecycleReusesOnlyAFinishedRecordNothingHolds(t *testing.T) {
	var last *rec
	a := Recycle(&last, (*rec).reusable)
	if a == nil || last != a {
		t.Fatalf("first record: got %p, latest %p", a, last)
	}
	if b := Recycle(&last, (*rec).reusable); b == a {
		t.Fatal("an unfinished record was reused")
	}
	c := last
	c.done = true
	held := c.refs.Hold()
	if d := Recycle(&last, (*rec).reusable); d == c {
		t.Fatal("a finished record still held was reused")
	}
	e := last
	e.done = true
	func() {
		defer e.refs.Hold().Release()
		if e.refs.Idle() {
			t.Fatal("Hold did not count a use")
		}
	}()
	if !e.refs.Idle() {
		t.Fatalf("refs %d after the deferred Release", e.refs)
	}
	if f := Recycle(&last, (*rec).reusable); f != e {
		t.Fatal("a finished record nothing holds was not reused")
	}
	held.Release()
	if !c.refs.Idle() {
		t.Fatalf("refs %d after Release", c.refs)
	}
}

// TestSpare: the last spare first, then a new record once none is left.
func TestSpare(t *testing.T) {
	a, b := new(rec), new(rec)
	spare := []*rec{a, b}
	if got := Spare(&spare); got != b || len(spare) != 1 {
		t.Fatalf("took %p with %d left, want the last (%p) with 1", got, len(spare), b)
	}
	if got := Spare(&spare); got != a || len(spare) != 0 {
		t.Fatalf("took %p with %d left, want %p with 0", got, len(spare), a)
	}
	if got := Spare(&spare); got == nil || got == a || got == b {
		t.Fatal("an empty list did not give a new record")
	}
}
