package occ

import (
	"github.com/txbench/txbench/engines/storage"
)

// Adjudicator is the write-write validation state of one key-space
// partition: for each recently written key, the commit timestamp of its last
// write, and the keys held by prepared two-phase commits. It is pure logic —
// no network, no clock — so it is unit-tested on its own; the engine moves
// messages to and from it.
type Adjudicator struct {
	ID int
	// lastWrite: key → newest commit timestamp that wrote (or locked FOR
	// UPDATE) it. Entries at or below the GC horizon are dropped: no live or
	// future snapshot is that old, so they can never conflict.
	lastWrite map[string]storage.Timestamp
	// prepared: key → the transaction holding it in a prepared 2PC round.
	prepared map[string]uint64
	// lastCommit keeps commit timestamps strictly increasing per adjudicator.
	lastCommit storage.Timestamp
}

// NewAdjudicator returns empty validation state.
func NewAdjudicator(id int) *Adjudicator {
	return &Adjudicator{ID: id, lastWrite: map[string]storage.Timestamp{}, prepared: map[string]uint64{}}
}

// Check reports the first key (in the order given) that makes a transaction
// with snapshot start conflict: committed after start (first committer wins),
// or held by another transaction's prepared commit. ok is true when none does.
func (a *Adjudicator) Check(txn uint64, start storage.Timestamp, keys []string) (conflict string, ok bool) {
	for _, k := range keys {
		if ts, found := a.lastWrite[k]; found && ts > start {
			return k, false
		}
		if holder, found := a.prepared[k]; found && holder != txn {
			return k, false
		}
	}
	return "", true
}

// Propose returns the smallest commit timestamp this adjudicator accepts for
// a transaction over keys: above the clock's latest bound (so commit wait
// guarantees external order), above the snapshot, above each key's last
// write and above the adjudicator's previous commit.
func (a *Adjudicator) Propose(clockLatest, start storage.Timestamp, keys []string) storage.Timestamp {
	ts := max(clockLatest, start+1, a.lastCommit+1)
	for _, k := range keys {
		if w, found := a.lastWrite[k]; found && w >= ts {
			ts = w + 1
		}
	}
	return ts
}

// Prepare holds keys for txn until Commit or Release.
func (a *Adjudicator) Prepare(txn uint64, keys []string) {
	for _, k := range keys {
		a.prepared[k] = txn
	}
}

// Release drops txn's prepared keys (the round aborted).
func (a *Adjudicator) Release(txn uint64, keys []string) {
	for _, k := range keys {
		if a.prepared[k] == txn {
			delete(a.prepared, k)
		}
	}
}

// Commit records that keys were written at ts and releases txn's holds.
func (a *Adjudicator) Commit(txn uint64, ts storage.Timestamp, keys []string) {
	a.Release(txn, keys)
	for _, k := range keys {
		if ts > a.lastWrite[k] {
			a.lastWrite[k] = ts
		}
	}
	a.lastCommit = max(a.lastCommit, ts)
}

// Trim drops state no snapshot at or above horizon can conflict with.
func (a *Adjudicator) Trim(horizon storage.Timestamp) {
	for k, ts := range a.lastWrite {
		if ts <= horizon {
			delete(a.lastWrite, k)
		}
	}
}

// Tracked is the number of keys with validation state (for memory tests).
func (a *Adjudicator) Tracked() int { return len(a.lastWrite) + len(a.prepared) }
