package sharded

import (
	"fmt"
	"slices"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// DefaultFailover is how long a shard's node is down before a replica in
// another AZ is promoted (detection plus promotion). Aurora documents
// failover as typically completing within 30 seconds; Config.Failover
// (--sharded-failover) changes it.
const DefaultFailover = 30 * time.Second

// DefaultClientLost is how long a silent client's open transaction keeps
// its locks before the shards notice the dead connection (TCP keepalive)
// and roll it back: an assumption (keepalive settings vary; PostgreSQL's
// tcp_keepalives_* default to the kernel's, which take hours). Config.ClientLost
// (--sharded-client-lost) changes it.
const DefaultClientLost = 10 * time.Second

// ReasonShardFailover: a shard the transaction used failed over before its
// commit was decided; the promoted replica rolled it back (PostgreSQL
// reports a lost connection, 08006).
const ReasonShardFailover engines.Reason = "failover(08006)"

func (e *Engine) watchShards() {
	for _, sh := range e.shards {
		e.watchShard(sh, sh.node)
	}
}

// watchShard promotes a replica of sh once its primary n has been unable
// to reach a majority of the shard's storage copies (Aurora's 4 of 6: the
// write quorum) for Config.Failover: crashed, or partitioned into a
// minority, where it can persist nothing and the cluster's health checks
// no longer reach it.
func (e *Engine) watchShard(sh *shard, n *sim.Node) {
	e.Cluster.OnCutOff(n, sh.copies, e.cfg.Failover, func() {
		if sh.node == n && e.Cluster.CutOff(n, sh.copies) {
			e.failoverShard(sh)
		}
	})
}

// failoverShard promotes a replica of sh in the live AZ nearest the old
// primary. The shard's log is on its storage quorum (4 of 6 over three
// AZs), so the new primary knows every commit the old one decided: those are
// finished (their clients never heard; finishing is an outcome they must
// expect), and every other transaction that used the shard rolls back
// everywhere — its locks were in the old primary's memory.
func (e *Engine) failoverShard(sh *shard) {
	old := sh.node
	az := e.Cluster.NearestAZReaching(old, sh.copies)
	if az == "" {
		return
	}
	e.stats.Failovers++
	n := e.Cluster.AddNode(fmt.Sprintf("%s-%d", old.Name, e.stats.Failovers), az, e.cfg.Cores)
	sh.node = n
	for _, t := range e.liveWhere(func(t *txn) bool { return t.parts[sh.id] != nil }) {
		e.settle(t, ReasonShardFailover)
	}
	// The new primary's lock table holds nothing of finished transactions:
	// their rollbacks went to the old primary and are lost with it.
	for _, o := range sh.locks.OwnerIDs() {
		if e.live[uint64(o)] == nil {
			sh.release(o)
		}
	}
	// Requests held at the old primary fail now (Engine.send): the router
	// sees the connection drop and its client retries on the new one.
	moved := sh.moved
	sh.moved = sim.NewFuture[struct{}](e.Kernel)
	moved.Set(struct{}{})
	// What is left are prepared parts of commits decided elsewhere whose
	// COMMIT PREPARED the old primary never got: the new one applies it.
	for _, pd := range slices.Clone(sh.inflight) {
		sh.resolve(pd)
		sh.release(pd.owner)
	}
	e.watchShard(sh, n)
}

// send carries a request from the router node r to sh's primary and
// returns the primary it reached; ok is false when sh failed over while the
// request was held there (a primary that crashed for good, or is cut off,
// holds it forever): the router's connection to it drops and the request
// fails, so the client retries on the promoted primary, as a real router's
// would. Without faults this is a plain send (the same events).
func (e *Engine) send(p *sim.Proc, r *sim.Node, sh *shard) (n *sim.Node, ok bool) {
	if len(e.Cluster.Faults()) == 0 {
		e.Cluster.Send(p, r, sh.node)
		return sh.node, true
	}
	return e.sendHeld(p, r, sh)
}

// sendHeld is send with faults; apart, because its closures would move
// send's results to the heap on every request.
func (e *Engine) sendHeld(p *sim.Proc, r *sim.Node, sh *shard) (*sim.Node, bool) {
	n := sh.node
	arrived := sim.NewFuture[bool](e.Kernel)
	sh.moved.Then(func(struct{}) { arrived.Set(false) })
	e.Kernel.Spawn("sharded-request", func(c *sim.Proc) {
		e.Cluster.Send(c, r, n)
		arrived.Set(true)
	})
	return n, sim.Await(p, arrived, sim.CatNetwork)
}

// watchClient rolls back the open transaction of a session whose client has
// been silent for Config.ClientLost.
func (e *Engine) watchClient(s *session) {
	e.Cluster.OnDown(s.client, e.cfg.ClientLost, func() { s.abandon(engines.ReasonConnection) })
}

// abandon ends the session's transactions (a lost client, or a connection
// closed after a timeout): undecided ones roll back; decided ones, whose
// COMMIT PREPARED the router may never send now, are finished.
func (s *session) abandon(why engines.Reason) {
	for _, t := range s.e.liveWhere(func(t *txn) bool { return t.s == s }) {
		s.e.settle(t, why)
	}
}

// liveWhere lists the live transactions that match, by id (map order must
// not matter).
func (e *Engine) liveWhere(match func(*txn) bool) []*txn {
	var out []*txn
	for _, t := range e.live {
		if match(t) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *txn) int { return int(a.id - b.id) })
	return out
}

// settle ends t on every shard at once: a decided commit is made visible
// and its locks go; an undecided one is rolled back (its prepared rows were
// never installed) and t aborts if its client goes on.
func (e *Engine) settle(t *txn, why engines.Reason) {
	if !t.decided {
		t.lost = &engines.AbortError{Reason: why, Retryable: true}
		for _, s := range t.waits {
			s.f.Set(outcome{err: t.lost})
		}
	}
	for _, pt := range t.parts {
		if pt == nil {
			continue
		}
		if pt.pd != nil {
			pt.sh.resolve(pt.pd)
		}
		pt.sh.release(t.owner())
	}
	delete(e.live, t.id)
}
