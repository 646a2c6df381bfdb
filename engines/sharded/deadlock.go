package sharded

import (
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/sim"
)

// Row locks and deadlocks, as PostgreSQL and Limitless handle them.
//
// A write takes the row's exclusive lock at once, on the shard, and waits
// in line (first come, first served) behind its holders. Nothing prevents
// deadlocks up front; they are found after the fact, two ways:
//
//   - on a shard, a wait that lasts deadlock_timeout (PostgreSQL: 1 s)
//     runs the shard's deadlock check over its own lock table; if the
//     waiter is on a cycle it aborts itself (40P01, the requester is the
//     victim, as in PostgreSQL);
//   - across shards, where no shard sees the cycle, a wait that lasts
//     --deadlock-timeout (Limitless: 1 s) makes the shard notify the
//     waiter's router, which asks every shard for its waits-for edges (one
//     round trip, in parallel), and aborts its own transaction when it lies
//     on a cycle of the union. The router answers the client at once; its
//     rollback reaches the shards after one more message, and then the
//     others proceed.
//
// The edges of a waiter are the lock table's Blockers: incompatible holders
// and the requests queued ahead of it. PostgreSQL treats queue order as a
// "soft" edge it may resolve by reordering the queue instead of aborting;
// here every edge is hard.

// outcome ends a lock wait: err nil is a grant. atRouter says the abort was
// decided at the router (a distributed deadlock, or another shard of the
// same statement failed), so no reply travels from the shard.
type outcome struct {
	err      error
	atRouter bool
}

// waitSlot is one lock request that had to wait: what the lock table hands
// back when it grants it.
type waitSlot struct {
	t    *txn
	sh   *shard
	key  string
	mode lock.Mode
	// the row asked for, to name it in an abort
	tb *engines.Table
	k  engines.Key
	f  *sim.Future[outcome]
}

// ReasonDistributedDeadlock is Limitless's "aborting transaction
// participating in a distributed deadlock" (SQLSTATE 40P01), raised by a
// router rather than by a shard.
const ReasonDistributedDeadlock engines.Reason = "distributed-deadlock(40P01)"

// lockRow takes the exclusive lock on the row (tb, k) — lock key key — at
// sh for t; the caller is at the shard. It waits as long as it must,
// running the deadlock checks on the way.
func (t *txn) lockRow(p *sim.Proc, sh *shard, key string, tb *engines.Table, k engines.Key) outcome {
	o := t.owner()
	t.partAt(sh).locks = true
	// The slot is made only for a request that waits (most are granted).
	var slot *waitSlot
	mk := func() *waitSlot {
		slot = &waitSlot{t: t, sh: sh, key: key, mode: lock.Exclusive, tb: tb, k: k}
		return slot
	}
	if sh.locks.AcquireFunc(o, lock.Priority{}, key, lock.Exclusive, mk) {
		return outcome{}
	}
	if slot == nil {
		mk() // t already waits for the key: this request waits on a slot of its own
	}
	slot.f = sim.NewFuture[outcome](t.e.Kernel)
	sh.waiting[o] = slot
	t.waits = append(t.waits, slot)
	defer func() {
		if sh.waiting[o] == slot {
			delete(sh.waiting, o)
		}
		t.waits = slices.DeleteFunc(t.waits, func(s *waitSlot) bool { return s == slot })
	}()
	cfg := t.e.cfg
	start := p.Now()
	local, dist := start+cfg.ShardDeadlockTimeout, start+cfg.DeadlockTimeout
	localDone, distDone := false, false
	for !slot.f.Done() {
		if localDone && distDone {
			sim.Await(p, slot.f, sim.CatLockWait)
			break
		}
		next := local
		if localDone || (!distDone && dist < local) {
			next = dist
		}
		if _, ok := sim.AwaitTimeout(p, slot.f, next-p.Now(), sim.CatLockWait); ok {
			break
		}
		if !localDone && p.Now() >= local {
			localDone = true
			if lock.FindCycle(o, sh.localEdges) != nil {
				// PostgreSQL's deadlock check: the requester is the
				// victim; its transaction aborts on this shard at once.
				t.e.stats.LocalDeadlocks++
				sh.release(o)
				return outcome{err: &engines.AbortError{Reason: engines.ReasonDeadlock, Retryable: true, Table: tb.Name, Key: k.String()}}
			}
		}
		if !distDone && p.Now() >= dist {
			distDone = true
			t.e.checkDistributed(slot)
		}
	}
	return slot.f.Value()
}

// checkDistributed runs Limitless's distributed deadlock check for a
// request that has waited --deadlock-timeout: the shard tells the waiter's
// router, which gathers every shard's waits-for edges and aborts its
// transaction if it lies on a cycle. It runs beside the waiter, which
// keeps waiting meanwhile.
func (e *Engine) checkDistributed(slot *waitSlot) {
	t := slot.t
	t.refs.Hold()
	e.Kernel.Spawn("sharded-deadlock-check", func(c *sim.Proc) {
		defer t.refs.Release()
		r := t.s.router.node
		e.Cluster.Send(c, slot.sh.node, r)
		e.stats.DeadlockChecks++
		parts := sim.FanOut(c, len(e.shards), "sharded-deadlock-edges", func(c *sim.Proc, i int) map[lock.Owner][]lock.Owner {
			sh := e.shards[i]
			e.Cluster.Send(c, r, sh.node)
			edges := sh.edges()
			e.Cluster.Send(c, sh.node, r)
			return edges
		})
		if slot.f.Done() || t.done {
			return // granted or aborted meanwhile
		}
		graph := map[lock.Owner][]lock.Owner{}
		for _, part := range parts {
			for o, bs := range part {
				graph[o] = append(graph[o], bs...)
			}
		}
		if lock.FindCycle(t.owner(), func(o lock.Owner) []lock.Owner { return sortUnique(graph[o]) }) == nil {
			return
		}
		e.stats.DistributedDeadlocks++
		t.kill(&engines.AbortError{Reason: ReasonDistributedDeadlock, Retryable: true, Table: slot.tb.Name, Key: slot.k.String()})
	})
}

// kill ends every lock wait of t with err, decided at the router: a
// deadlock victim, or a statement another of whose shards failed. The
// requests stay queued at their shards until t's rollback arrives there.
func (t *txn) kill(err error) {
	if t.killed == nil {
		t.killed = err
	}
	for _, s := range slices.Clone(t.waits) {
		s.f.Set(outcome{err: err, atRouter: true})
	}
}

func sortUnique(os []lock.Owner) []lock.Owner {
	slices.Sort(os)
	return slices.Compact(os)
}
