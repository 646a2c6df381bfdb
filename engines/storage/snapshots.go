package storage

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
// The set is a slice in (ts, acquisition sequence) order. Readers take
// their timestamps from clocks, so an acquisition almost always goes at
// the end; a release marks its entry released (found by binary search: the
// ID carries its own timestamp), the released entries at the front are
// skipped, and the slice is compacted once released entries are more than
// half of it. Every transaction acquires at least one snapshot and
// releases it: in a tidwall B-tree this was ~3.7% of a 2pc YCSB-A run's
// instructions.
type Snapshots struct {
	ids  []SnapshotID // ids[head:] sorted; a released entry has released set in seq
	head int          // ids[:head] are released
	live int
	next uint64
}

// released marks a released entry's seq (sequences stay below 2^63).
const released = 1 << 63

// NewSnapshots returns an empty set.
func NewSnapshots() *Snapshots { return &Snapshots{} }

// Acquire registers a live reader at ts (several at the same ts are allowed).
func (s *Snapshots) Acquire(ts Timestamp) SnapshotID {
	s.next++
	id := SnapshotID{ts: ts, seq: s.next}
	s.live++
	// id's seq is the largest: it goes after every entry at or below ts.
	n := len(s.ids)
	if n == s.head || s.ids[n-1].ts <= ts {
		s.ids = append(s.ids, id)
		return id
	}
	// A clock behind another's (2pc's snapshot reads, ~5% of them): before
	// the first entry above ts, shifting the later ones by hand
	// (slices.Insert's variadic argument was an allocation a call).
	lo, hi := s.head, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.ids[m].ts > ts {
			hi = m
		} else {
			lo = m + 1
		}
	}
	s.ids = append(s.ids, SnapshotID{})
	copy(s.ids[lo+1:], s.ids[lo:n])
	s.ids[lo] = id
	return id
}

// Release unregisters a reader. Releasing an ID twice, or the zero ID, is a
// no-op, so abort paths need not track whether they already released.
func (s *Snapshots) Release(id SnapshotID) {
	if id.seq == 0 {
		return
	}
	lo, hi := s.head, len(s.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e := s.ids[m]; e.ts < id.ts || (e.ts == id.ts && e.seq&^released < id.seq) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(s.ids) || s.ids[lo] != id {
		return // released before (marked, or compacted away)
	}
	s.ids[lo].seq |= released
	s.live--
	for s.head < len(s.ids) && s.ids[s.head].seq&released != 0 {
		s.head++
	}
	if s.head == len(s.ids) {
		s.ids, s.head = s.ids[:0], 0
	} else if len(s.ids) > 2*s.live+32 {
		s.compact()
	}
}

// compact drops the released entries.
func (s *Snapshots) compact() {
	keep := s.ids[:0]
	for _, e := range s.ids[s.head:] {
		if e.seq&released == 0 {
			keep = append(keep, e)
		}
	}
	s.ids, s.head = keep, 0
}

// Min returns the smallest live read timestamp; ok=false when none.
func (s *Snapshots) Min() (ts Timestamp, ok bool) {
	if s.live == 0 {
		return 0, false
	}
	return s.ids[s.head].ts, true
}

// Len returns the number of live readers.
func (s *Snapshots) Len() int { return s.live }
