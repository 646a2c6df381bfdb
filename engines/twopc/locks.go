package twopc

import (
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/sim"
)

// The simulated side of wound-wait (woundwait.go has the rule): lock
// requests at split leaders, the waits, the wounds and their notices to
// clients, and the releases.

// waitSlot is one waiting lock request: what the lock table hands back
// when it grants it.
type waitSlot struct {
	g *group
	f *sim.Future[bool] // true: granted; false: the waiter was wounded
	// fv holds f's future: the slot and its future are one allocation.
	fv sim.Future[bool]
	// the row asked for, to name it when the request ends in an abort
	tb *engines.Table
	k  engines.Key
}

func (t *txn) owner() lock.Owner { return lock.Owner(t.id) }

func (t *txn) age() age { return age{firstStart: t.opts.FirstStart, client: t.s.id, txn: t.id} }

// acquire takes a point lock at g's leader for the row (tb, k), whose lock
// key is key. The caller is at the leader.
func (t *txn) acquire(p *sim.Proc, g *group, key string, m lock.Mode, tb *engines.Table, k engines.Key) error {
	if t.wounded {
		return t.woundedAbort(tb, k)
	}
	t.touch(g)
	// The slot is made only for a request that waits (most are granted).
	var slot *waitSlot
	mk := func() *waitSlot {
		slot = &waitSlot{g: g, tb: tb, k: k}
		return slot
	}
	if g.locks.AcquireFunc(t.owner(), t.prio, key, m, mk) {
		return nil
	}
	if slot == nil {
		mk() // t already waits for the key: this request waits on a slot of its own
	}
	var buf [4]lock.Owner
	return t.wait(p, slot, g.locks.BlockersIn(buf[:], t.owner(), key, m))
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

// ReasonNoWait: under the no-wait lock policy, a lock request found the
// lock held in a conflicting mode.
const ReasonNoWait engines.Reason = "lock-conflict(no-wait)"

// wait applies wound-wait to a queued request and blocks until it is
// granted or t is wounded; under no-wait it aborts t at once instead.
func (t *txn) wait(p *sim.Proc, slot *waitSlot, blockers []lock.Owner) error {
	if t.e.cfg.LockPolicy == NoWait {
		// The request is withdrawn with everything t holds here; the
		// abort's rollback releases the other splits.
		t.e.release(slot.g, t)
		t.e.stats.NoWaitAborts++
		a := &engines.AbortError{Reason: ReasonNoWait, Retryable: true}
		if slot.tb != nil {
			a.Table, a.Key = slot.tb.Name, slot.k.String()
		}
		return a
	}
	slot.fv = sim.MakeFuture[bool](t.e.Kernel)
	slot.f = &slot.fv
	for _, b := range blockers {
		v := t.e.live.get(uint64(b))
		if v == nil {
			continue // finished: its locks are on their way out
		}
		switch decide(t.age(), holder{age: v.age(), prepared: v.preparedAt(slot.g), decided: v.decided}) {
		case wound:
			t.e.wound(v, slot)
		case waitPrepared:
			t.e.pin(v, slot)
		}
	}
	if slot.f.Done() { // the wounds freed the way
		return nil
	}
	if mustDie(t.mustNotWait) {
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

// pin marks v, prepared at the split where an older request (slot) now
// waits for it, as a transaction that may no longer wait.
func (e *Engine) pin(v *txn, by *waitSlot) {
	e.stats.Wounds++
	v.woundTable, v.woundKey = by.tb, by.k.String()
	v.mustNotWait = true
	e.woundNotice(v, by.g)
}

// wound aborts v at the split where an older request (slot) waits for it.
func (e *Engine) wound(v *txn, by *waitSlot) {
	g := by.g
	e.stats.Wounds++
	v.woundTable, v.woundKey = by.tb, by.k.String()
	v.wounded = true
	e.release(g, v)
	// A request of v's waiting here was withdrawn with its locks; the
	// leader answers it at once.
	for _, s := range v.waits {
		if s.g == g {
			s.f.Set(false)
		}
	}
	e.woundNotice(v, g)
}

// woundNotice tells v's client, from g's leader, that an older
// transaction wounded it.
func (e *Engine) woundNotice(v *txn, g *group) {
	from := g.leader.node
	v.refs.Hold()
	e.Cluster.Post("2pc-wound-notice", from, v.home(), func() {
		defer v.refs.Release()
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
func (e *Engine) release(g *group, v *txn) { e.releaseOwner(g, v.owner()) }

func (e *Engine) releaseOwner(g *group, o lock.Owner) {
	for _, s := range g.locks.ReleaseAll(o) {
		s.f.Set(true)
	}
}

// releaseAsync is a release message from a node to g's leader.
func (e *Engine) releaseAsync(from *sim.Node, g *group, v *txn) {
	e.releaseAsyncThen(from, g, v, nil)
}

// releaseAsyncThen is releaseAsync calling then (if not nil) once the
// release has arrived. A release held at a dead or cut-off leader may never
// arrive: the new leader drops the locks of finished transactions
// (takeOver), the leaders' idle timeout those of a silent client's
// (abandon).
func (e *Engine) releaseAsyncThen(from *sim.Node, g *group, v *txn, then func()) {
	e.sendRelease(from, g, v, then, false)
}

// sendRelease is releaseAsyncThen; with unlist, the release also takes v
// off its session's unreleased list once it has arrived (an abort at one
// split: no callback to allocate).
func (e *Engine) sendRelease(from *sim.Node, g *group, v *txn, then func(), unlist bool) {
	v.refs.Hold()
	e.Cluster.Post("2pc-release", from, g.leader.node, func() {
		e.release(g, v)
		if then != nil {
			then()
		}
		if unlist {
			v.s.unlist(v)
		}
		v.refs.Release()
	})
}

func (t *txn) woundedAbort(tb *engines.Table, k engines.Key) error {
	a := &engines.AbortError{Reason: engines.ReasonWounded, Retryable: true}
	switch {
	case t.abandonedFor != "":
		a.Reason = t.abandonedFor
	case t.leaderLost:
		a.Reason = ReasonLeaderLost
	}
	switch {
	case t.woundTable != nil:
		a.Table, a.Key = t.woundTable.Name, t.woundKey
	case tb != nil:
		a.Table, a.Key = tb.Name, k.String()
	}
	return a
}
