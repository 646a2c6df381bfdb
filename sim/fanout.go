package sim

// FanOut runs fn for 0..n-1 in parallel child processes (a request to each
// of several partitions) and returns their results once all are done. The
// parent's wait is charged like the ledger of the child that finished last
// — the critical path — so a latency breakdown shows where the time of a
// fan-out went (network, lock wait, replication) instead of one lump. A
// single request runs inline, in the parent.
func FanOut[T any](p *Proc, n int, name string, fn func(c *Proc, i int) T) []T {
	out := make([]T, n)
	if n == 1 {
		out[0] = fn(p, 0)
		return out
	}
	k := p.Kernel()
	futs := make([]*Future[struct{}], n)
	var last Ledger
	for i := range n {
		f := NewFuture[struct{}](k)
		futs[i] = f
		k.Spawn(name, func(c *Proc) {
			out[i] = fn(c, i)
			last = c.Ledger()
			f.Set(struct{}{})
		})
	}
	start := p.Now()
	Await(p, All(k, futs), CatOther)
	p.Charge(CatOther, -(p.Now() - start))
	for c, d := range last {
		p.Charge(Category(c), d)
	}
	return out
}
