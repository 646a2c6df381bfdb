package twopc

import (
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/sim"
)

// Wound-wait, as Spanner's split leaders use it to avoid deadlock: when a
// lock request has to wait, the requester wounds every younger transaction
// in its way (the lock table's Blockers: holders, and an upgrade queued
// ahead) and waits for older ones. Age is the transaction's priority: the
// start of its first attempt, then the client id, so a retried transaction
// keeps its place and cannot starve.
//
// A wounded holder that has not prepared at this split is aborted here at
// once — the leader releases its locks and tells its client (one message);
// its other splits learn from the client's rollback. A holder that has
// prepared here cannot be aborted by a participant: the older transaction
// waits for it. Waiting for a prepared transaction is safe only while that
// transaction waits for nobody, so a prepared holder that an older
// transaction waits for may no longer wait itself: if it is waiting for a
// lock at another split (its prepare there is not done), or comes to,
// it aborts instead. Every wait edge therefore points from younger to older,
// or to a prepared transaction that waits for nothing: no cycle, no
// deadlock, and the oldest transaction always finishes.

// waitSlot is one waiting lock request: what the lock table hands back
// when it grants it.
type waitSlot struct {
	g *group
	f *sim.Future[bool] // true: granted; false: the waiter was wounded
	// the row asked for, to name it when the request ends in an abort
	tb *engines.Table
	k  engines.Key
}

func (t *txn) owner() lock.Owner { return lock.Owner(t.id) }

// older reports whether t has priority over v under wound-wait.
func (t *txn) older(v *txn) bool {
	if t.opts.FirstStart != v.opts.FirstStart {
		return t.opts.FirstStart < v.opts.FirstStart
	}
	if t.s.id != v.s.id {
		return t.s.id < v.s.id
	}
	return t.id < v.id
}

// acquire takes a point lock at g's leader for the row (tb, k), whose lock
// key is key. The caller is at the leader.
func (t *txn) acquire(p *sim.Proc, g *group, key string, m lock.Mode, tb *engines.Table, k engines.Key) error {
	if t.wounded {
		return t.woundedAbort(tb, k)
	}
	t.touch(g)
	slot := &waitSlot{g: g, tb: tb, k: k}
	if g.locks.Acquire(t.owner(), t.prio, key, m, slot) {
		return nil
	}
	return t.wait(p, slot, g.locks.Blockers(t.owner(), key, m))
}

// acquireRange takes a shared range lock [from, end) at g's leader.
func (t *txn) acquireRange(p *sim.Proc, g *group, from, end string, tb *engines.Table, k engines.Key) (immediate bool, err error) {
	if t.wounded {
		return false, t.woundedAbort(tb, k)
	}
	t.touch(g)
	slot := &waitSlot{g: g, tb: tb, k: k}
	if g.locks.AcquireRange(t.owner(), t.prio, from, end, slot) {
		return true, nil
	}
	return false, t.wait(p, slot, g.locks.RangeBlockers(t.owner(), from, end))
}

// wait applies wound-wait to a queued request and blocks until it is
// granted or t is wounded.
func (t *txn) wait(p *sim.Proc, slot *waitSlot, blockers []lock.Owner) error {
	slot.f = sim.NewFuture[bool](t.e.k)
	for _, b := range blockers {
		if v := t.e.live[uint64(b)]; v != nil && t.older(v) {
			t.e.wound(v, slot)
		}
	}
	if slot.f.Done() { // the wounds freed the way
		return nil
	}
	if t.mustNotWait {
		// Prepared at another split with an older transaction waiting
		// for it: waiting here could close a cycle.
		t.wounded = true
		t.e.release(slot.g, t)
		return t.woundedAbort(slot.tb, slot.k)
	}
	t.waits = append(t.waits, slot)
	ok := sim.Await(p, slot.f, sim.CatLockWait)
	t.waits = slices.DeleteFunc(t.waits, func(s *waitSlot) bool { return s == slot })
	if !ok {
		return t.woundedAbort(slot.tb, slot.k)
	}
	return nil
}

// wound applies an older transaction's wound to v, which holds a lock the
// request in slot waits for.
func (e *Engine) wound(v *txn, by *waitSlot) {
	if v.done || v.decided {
		return // committing or finished: its locks go soon anyway
	}
	g := by.g
	e.stats.Wounds++
	v.woundTable, v.woundKey = by.tb, by.k
	if v.preparedAt(g) {
		v.mustNotWait = true
	} else {
		v.wounded = true
		e.release(g, v)
		// A request of v's waiting here was withdrawn with its locks; the
		// leader answers it at once.
		for _, s := range v.waits {
			if s.g == g {
				s.f.Set(false)
			}
		}
	}
	from := g.leader.node
	e.k.Spawn("2pc-wound-notice", func(c *sim.Proc) {
		e.cl.Send(c, from, v.s.client)
		if v.done || v.decided {
			return
		}
		v.notified = true
		// The client abandons the requests still waiting elsewhere; the
		// rollback that follows withdraws them.
		for _, s := range v.waits {
			if !s.f.Done() {
				v.wounded, v.abandoned = true, true
				s.f.Set(false)
			}
		}
	})
}

// release drops everything v holds or waits for at g and wakes the
// requests that are granted as a result.
func (e *Engine) release(g *group, v *txn) {
	for _, s := range g.locks.ReleaseAll(v.owner()) {
		s.f.Set(true)
	}
}

// releaseAsync is a release message from a node to g's leader.
func (e *Engine) releaseAsync(from *sim.Node, g *group, v *txn) {
	e.k.Spawn("2pc-release", func(c *sim.Proc) {
		e.cl.Send(c, from, g.leader.node)
		e.release(g, v)
	})
}

func (t *txn) woundedAbort(tb *engines.Table, k engines.Key) error {
	if t.woundTable != nil {
		tb, k = t.woundTable, t.woundKey
	}
	a := &engines.AbortError{Reason: engines.ReasonWounded, Retryable: true}
	if tb != nil {
		a.Table, a.Key = tb.Name, k.String()
	}
	return a
}
