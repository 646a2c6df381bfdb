package twopc

import "time"

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
//
// The rule itself is decide and mustDie below: pure functions of the
// transactions' ages and states, unit-tested without a kernel; locks.go
// applies them at the split leaders.

// age orders transactions under wound-wait: the start of the logical
// transaction's first attempt, then the client, then the attempt's id.
type age struct {
	firstStart time.Duration
	client     int
	txn        uint64
}

// older reports whether a has priority over b.
func (a age) older(b age) bool {
	if a.firstStart != b.firstStart {
		return a.firstStart < b.firstStart
	}
	if a.client != b.client {
		return a.client < b.client
	}
	return a.txn < b.txn
}

// holder is what the rule needs to know about a transaction in a
// requester's way at one split.
type holder struct {
	age age
	// prepared: it has prepared at this split, so no participant may
	// abort it; decided: its commit timestamp is fixed.
	prepared, decided bool
}

// decision is what a requester does about one transaction in its way.
type decision uint8

const (
	// wait: the requester waits (it is the younger one, or the holder is
	// committing and its locks go soon).
	wait decision = iota
	// wound: the older requester aborts the holder at this split.
	wound
	// waitPrepared: the older requester waits for a holder prepared here;
	// from now on that holder may wait for nobody (see mustDie).
	waitPrepared
)

func (d decision) String() string {
	return [...]string{"wait", "wound", "wait-prepared"}[d]
}

// decide is wound-wait for one lock conflict.
func decide(requester age, h holder) decision {
	switch {
	case h.decided || !requester.older(h.age):
		return wait
	case h.prepared:
		return waitPrepared
	default:
		return wound
	}
}

// mustDie reports whether a requester that still has to wait after its
// wounds aborts instead: it is prepared somewhere an older transaction
// waits for it (pinned), and waiting could close a cycle.
func mustDie(pinned bool) bool { return pinned }
