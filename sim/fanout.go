package sim

// FanOut runs fn for 0..n-1 in parallel child processes (a request to each
// of several partitions) and returns their results once all are done. The
// parent's wait is charged like the ledger of the child that finished last
// — the critical path — so a latency breakdown shows where the time of a
// fan-out went (network, lock wait, replication) instead of one lump. A
// single request runs inline, in the parent.
//
// The children share one record and one body (the index is the process's
// arg), their process records are reused (Kernel.spawn), and the last to
// finish wakes the parent itself: the events are
// those a future per child and an All over them would make (the parent's
// wake-up is scheduled inside the last child's final step), without those
// allocations.
func FanOut[T any](p *Proc, n int, name string, fn func(c *Proc, i int) T) []T {
	out := make([]T, n)
	if n == 1 {
		out[0] = fn(p, 0)
		return out
	}
	if n == 0 {
		return out
	}
	f := &fanOut[T]{parent: p, fn: fn, out: out, left: n}
	body := f.child
	k := p.Kernel()
	for i := range n {
		k.spawn(name, body, i, true)
	}
	p.park()
	for c, d := range f.last {
		p.Charge(Category(c), d)
	}
	return out
}

// fanOut is one FanOut's shared state.
type fanOut[T any] struct {
	parent *Proc
	fn     func(c *Proc, i int) T
	out    []T
	left   int    // children still running
	last   Ledger // the ledger of the child that finished last
}

func (f *fanOut[T]) child(c *Proc) {
	f.out[c.arg] = f.fn(c, c.arg)
	f.last = c.ledger
	if f.left--; f.left == 0 {
		f.parent.k.wake(f.parent.k.now, f.parent)
	}
}
