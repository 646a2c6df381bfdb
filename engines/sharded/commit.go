package sharded

import (
	"context"
	"slices"

	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// Commit runs the commit the transaction needs, decided by the router:
//
//   - nothing written: the router answers alone, no shard is contacted;
//   - one shard written: a one-phase commit there — one storage flush,
//     with the commit wait overlapped;
//   - several: two-phase commit. Every written shard but a lead one
//     prepares (PREPARE TRANSACTION: a persisted prepare record) in
//     parallel; then the lead shard commits, its commit wait overlapped
//     with its flush, and answers; the router replies to the client and
//     sends COMMIT PREPARED to the others asynchronously.
//
// Prepares cannot fail here: every check (locks, serialization) was made
// when the statements ran.
func (t *txn) Commit(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return errFinished
	}
	p := sim.ProcFrom(ctx)
	r := t.s.router.node
	t.trips.RequestExec(p, t.e.Cluster, t.s.client, r, t.e.cfg.RouterCPU)
	var written []*part
	for _, pt := range t.parts {
		if pt != nil && pt.ws.Len() > 0 {
			written = append(written, pt)
		}
	}
	t.info.Participants = len(written)
	if t.lost != nil {
		t.finish(false)
		t.trips.Reply(p, t.e.Cluster, r, t.s.client, true)
		return t.lost
	}
	if len(written) > 0 {
		// The store's horizon must stay below the commit timestamp until
		// the writes are installed; every timestamp assigned from now on
		// is at least a shard clock's latest bound, above true time now.
		guard := t.e.Snaps.Acquire(storage.Timestamp(sim.TrueTime(p.Now())))
		if len(written) == 1 {
			t.commitOne(p, written[0])
		} else {
			t.commitMany(p, written)
		}
		t.e.Snaps.Release(guard)
		if t.lost != nil {
			t.finish(false)
			t.trips.Reply(p, t.e.Cluster, r, t.s.client, true)
			return t.lost
		}
	}
	t.finish(true)
	t.trips.Reply(p, t.e.Cluster, r, t.s.client, true)
	st := &t.e.stats
	switch d := p.Now() - t.begun; {
	case len(written) == 0:
		st.ReadOnlyCommits++
	case len(written) == 1:
		st.Commits++
		st.SingleShard++
		st.SingleShardTime += d
	default:
		st.Commits++
		st.MultiShard++
		st.MultiShardTime += d
	}
	return nil
}

// floor is the smallest commit timestamp t may take on sh: the shard
// clock's latest bound (so that, after the commit wait, the commit is in
// the past everywhere) and above every snapshot t read at, so its writes
// come after what it read.
func (t *txn) floor(sh *shard) storage.Timestamp {
	return max(storage.Timestamp(sh.node.Clock.Now().Latest), t.maxSnap+1)
}

// keys lists the lock keys of the rows pt's commit makes visible, sorted
// (FOR UPDATE locks install nothing, so readers need not wait for them).
// They are appended to ks.
func (pt *part) keys(ks []string) []string {
	for w := range pt.ws.All() {
		if !w.LockOnly {
			ks = append(ks, w.RowKey)
		}
	}
	slices.Sort(ks)
	return ks
}

// install puts pt's writes into the shared store at ts. Readers on the
// shard cannot see them before the shard resolves the commit (they wait on
// its pending record), and writers wait for the row locks.
func (t *txn) install(pt *part, ts storage.Timestamp) {
	for w := range pt.ws.All() {
		if !w.LockOnly {
			t.e.Store.Install(w.Table.ID, w.Enc, ts, w.Pack(), w.Deleted)
		}
	}
}

// commitOne is a one-phase commit on the only shard written: it picks the
// commit timestamp, flushes the commit record to the storage quorum while
// waiting out its clock's uncertainty, makes the rows visible, releases
// the locks and answers.
func (t *txn) commitOne(p *sim.Proc, pt *part) {
	t.commitOn(p, pt, 0, []*part{pt})
}

// commitOn commits on one shard — the only one written, or the lead of a
// two-phase commit — at a timestamp of at least atLeast: the shard picks it,
// installs the written parts' versions, flushes its commit record while
// waiting out its clock's uncertainty, makes the rows visible, releases
// its locks and answers the router.
func (t *txn) commitOn(p *sim.Proc, pt *part, atLeast storage.Timestamp, written []*part) storage.Timestamp {
	sh := pt.sh
	r := t.s.router.node
	n, ok := t.reach(p, r, sh)
	if !ok {
		return 0
	}
	ts := sh.assign(max(t.floor(sh), atLeast))
	pd := sh.register(&pt.pend, t.e.Kernel, t.owner(), ts, pt.keys(pt.pend.keys[:0]))
	pt.pd = pd
	for _, w := range written {
		t.install(w, ts)
	}
	t.decided = true
	t.e.flush(p, sh)
	sh.node.Clock.WaitUntilEarliestAfter(p, int64(ts), sim.CatCommitWait)
	sh.resolve(pd)
	sh.release(t.owner())
	t.e.Cluster.Send(p, n, r)
	return ts
}

// commitMany is the two-phase commit. The lead shard is the written shard
// nearest the router (the lowest-numbered on a tie), so the decision's
// round trip is the shortest; its commit record is the decision, so it
// does not prepare.
func (t *txn) commitMany(p *sim.Proc, written []*part) {
	r := t.s.router.node
	lead := written[0]
	topo := t.e.Cluster.Topology()
	for _, pt := range written[1:] {
		if topo.RTT(r.AZ, pt.sh.node.AZ).Median < topo.RTT(r.AZ, lead.sh.node.AZ).Median {
			lead = pt
		}
	}
	var others []*part
	for _, pt := range written {
		if pt != lead {
			others = append(others, pt)
		}
	}
	// PREPARE TRANSACTION on the others, in parallel: each picks a
	// prepare timestamp (a lower bound of the commit timestamp, which its
	// readers compare their snapshots with) and persists its prepare
	// record.
	prepared := sim.FanOut(p, len(others), "sharded-prepare", func(c *sim.Proc, i int) storage.Timestamp {
		pt := others[i]
		sh := pt.sh
		_, ok := t.reach(c, r, sh)
		if !ok {
			return 0 // rolled back meanwhile: nothing to prepare
		}
		ts := sh.assign(t.floor(sh))
		pt.pd = sh.register(&pt.pend, t.e.Kernel, t.owner(), ts, pt.keys(pt.pend.keys[:0]))
		t.e.flush(c, sh)
		t.e.Cluster.Send(c, sh.node, r)
		return ts
	})
	if t.lost != nil {
		return // rolled back while preparing (failover.go)
	}
	// The lead commits at a timestamp above every prepare timestamp.
	ts := t.commitOn(p, lead, slices.Max(prepared), written)
	if t.lost != nil {
		return
	}
	// COMMIT PREPARED, asynchronously: each shard logs the outcome, then
	// makes the rows visible and releases the locks.
	o := t.owner()
	for _, pt := range others {
		t.refs.Hold()
		t.e.Kernel.Launch("sharded-commit-prepared", func(c *sim.Proc) {
			osh := pt.sh
			t.e.Cluster.Send(c, r, osh.node)
			osh.learn(ts)
			osh.node.CPU.Exec(c, t.e.cfg.CommitCPU)
			t.e.flush(c, osh)
			osh.resolve(pt.pd)
			osh.release(o)
			t.refs.Release()
		})
	}
}

// reach carries a commit or prepare request from the router to sh's node
// and charges its CPU there; ok is false when t was rolled back, or sh
// failed over, while the request was held (nothing is decided then; a
// failover found here rolls t back, failover.go).
func (t *txn) reach(p *sim.Proc, r *sim.Node, sh *shard) (n *sim.Node, ok bool) {
	if len(t.e.Cluster.Faults()) == 0 {
		// send's plain Send, and the service where it arrives, as one.
		n = sh.node
		t.e.Cluster.SendExec(p, r, n, t.e.cfg.CommitCPU)
	} else if n, ok = t.e.send(p, r, sh); ok {
		n.CPU.Exec(p, t.e.cfg.CommitCPU)
	}
	if t.lost != nil || sh.node != n {
		if t.lost == nil {
			t.e.settle(t, ReasonShardFailover)
		}
		return n, false
	}
	return n, true
}
