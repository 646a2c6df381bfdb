package sharded

import "github.com/txbench/txbench/sim"

// fanOut runs fn for 0..n-1 in parallel child processes (a router sending
// one statement to several shards) and returns their results once all are
// done: the statement is as slow as its slowest shard. The parent's wait is
// charged like the ledger of the child that finished last — the critical
// path — so the latency breakdown shows where the time went (network, lock
// wait, replication) rather than one lump. One request runs inline.
//
// engines/twopc has the same helper; it belongs in sim, shared by both.
func fanOut[T any](p *sim.Proc, n int, name string, fn func(c *sim.Proc, i int) T) []T {
	out := make([]T, n)
	if n == 1 {
		out[0] = fn(p, 0)
		return out
	}
	k := p.Kernel()
	futs := make([]*sim.Future[struct{}], n)
	var last sim.Ledger
	for i := range n {
		f := sim.NewFuture[struct{}](k)
		futs[i] = f
		k.Spawn(name, func(c *sim.Proc) {
			out[i] = fn(c, i)
			last = c.Ledger()
			f.Set(struct{}{})
		})
	}
	start := p.Now()
	sim.Await(p, sim.All(k, futs), sim.CatOther)
	p.Charge(sim.CatOther, -(p.Now() - start))
	for c, d := range last {
		p.Charge(sim.Category(c), d)
	}
	return out
}
