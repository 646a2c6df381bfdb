package storage

import "github.com/tidwall/btree"

// SnapshotID names one registration in a Snapshots set. The zero SnapshotID
// is never returned by Acquire.
type SnapshotID struct {
	ts  Timestamp
	seq uint64
}

// TS returns the read timestamp the snapshot was acquired at.
func (id SnapshotID) TS() Timestamp { return id.ts }

// Snapshots tracks the read timestamps of live transactions so engines can
// compute the GC horizon (the smallest live read timestamp). Not safe for
// concurrent use.
//
// The ID carries its own timestamp, so Release finds its entry in the
// ordered set directly: no side map, and the order is fully determined by
// (ts, acquisition sequence).
type Snapshots struct {
	set  *btree.BTreeG[SnapshotID]
	next uint64
}

func lessSnapshot(a, b SnapshotID) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

// NewSnapshots returns an empty set.
func NewSnapshots() *Snapshots {
	return &Snapshots{set: btree.NewBTreeGOptions(lessSnapshot, btree.Options{NoLocks: true})}
}

// Acquire registers a live reader at ts (several at the same ts are allowed).
func (s *Snapshots) Acquire(ts Timestamp) SnapshotID {
	s.next++
	id := SnapshotID{ts: ts, seq: s.next}
	s.set.Set(id)
	return id
}

// Release unregisters a reader. Releasing an ID twice, or the zero ID, is a
// no-op, so abort paths need not track whether they already released.
func (s *Snapshots) Release(id SnapshotID) {
	s.set.Delete(id)
}

// Min returns the smallest live read timestamp; ok=false when none.
func (s *Snapshots) Min() (ts Timestamp, ok bool) {
	id, ok := s.set.Min()
	return id.ts, ok
}

// Len returns the number of live readers.
func (s *Snapshots) Len() int { return s.set.Len() }
