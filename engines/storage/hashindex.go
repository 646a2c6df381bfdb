package storage

import (
	"hash/maphash"

	"github.com/tidwall/btree"
)

// hashIndex finds a table's entry by key without descending the B-tree: one
// hash and usually one key comparison, where the tree costs a comparison per
// halving of each node on the path (mostly of the items' key prefixes, but
// each node a cache miss). Point reads, installs and the bulk load go
// through it; ordered scans and removals of keys use the tree.
//
// It is open addressing with linear probing over a slice of slots, each 8
// bytes: the entry's ref in the low half and the high half of its key's
// hash (the tag) in the high half, 0 for an empty slot (ref 0 is the
// store's probe, never indexed). At most 3/4 full, so 11–21 bytes a key,
// and nothing for the Go collector to scan; removal shifts the following
// cluster back instead of leaving tombstones. Nothing iterates it, so the
// process-random hash seed cannot affect results. Its methods take the
// Store whose arena the refs name.
//
// A probe compares the tag before it looks at an entry's key, so it reads
// the arena only for the key it is after (a 32-bit tag is almost never
// shared by two keys of a cluster). Tag and ref in one word make a hit one
// cache line of the index where a tag array beside a ref array made two:
// in a 30 s 2pc YCSB-A run the look-ups of 100,000 keys were 9% of the
// CPU profile, most of it waiting for memory.
type hashIndex[V any] struct {
	slots []slot
	mask  uint64
	n     int
}

// slot is an index slot: tag<<32 | ref, 0 for empty.
type slot uint64

func slotOf(tag uint32, r ref) slot { return slot(uint64(tag)<<32 | uint64(r)) }

func (sl slot) ref() ref    { return ref(sl) }
func (sl slot) tag() uint32 { return uint32(sl >> 32) }

// tagOf is the part of a key's hash a slot keeps: the bits the slot number
// does not use for any table under 2^32 slots.
func tagOf(h uint64) uint32 { return uint32(h >> 32) }

var hashSeed = maphash.MakeSeed()

func hashKey(k string) uint64 { return maphash.String(hashSeed, k) }

// get returns the ref of key's entry, or 0.
func (ix *hashIndex[V]) get(s *Store[V], key string) ref {
	if ix.n == 0 {
		return 0
	}
	h := hashKey(key)
	tag := tagOf(h)
	for i := h & ix.mask; ; i = (i + 1) & ix.mask {
		sl := ix.slots[i]
		if sl == 0 {
			return 0
		}
		if sl.tag() == tag {
			if r := sl.ref(); s.at(r).key == key {
				return r
			}
		}
	}
}

// add indexes r, whose key must not be indexed yet.
func (ix *hashIndex[V]) add(s *Store[V], r ref) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.grow(s)
	}
	ix.place(s, r)
	ix.n++
}

func (ix *hashIndex[V]) place(s *Store[V], r ref) {
	h := hashKey(s.at(r).key)
	i := h & ix.mask
	for ix.slots[i] != 0 {
		i = (i + 1) & ix.mask
	}
	ix.slots[i] = slotOf(tagOf(h), r)
}

func (ix *hashIndex[V]) grow(s *Store[V]) {
	old := ix.slots
	ix.size(max(16, 2*len(old)))
	for _, sl := range old {
		if sl != 0 {
			ix.place(s, sl.ref())
		}
	}
}

func (ix *hashIndex[V]) size(slots int) {
	ix.slots = make([]slot, slots)
	ix.mask = uint64(slots - 1)
}

// build indexes every entry of tr, replacing what the index held, in a
// table with room for a quarter more keys before it grows: a table sized
// only for its loaded keys doubles soon after the load where the run
// inserts (TPC-C's 3 million loaded order lines filled 3/4 of 2^22 slots,
// so its first 146,000 new lines cost a rehash of every key, about 1 CPU-s
// at 10 warehouses). Only a table within a quarter of the next doubling
// gets the larger size, which growing would give it anyway.
func (ix *hashIndex[V]) build(s *Store[V], tr *btree.BTreeG[item]) {
	n := tr.Len()
	ix.sizeFor(n)
	ix.n = n
	tr.Scan(func(it item) bool {
		ix.place(s, it.r)
		return true
	})
}

// sizeFor empties the index into a table sized for n keys (see build).
func (ix *hashIndex[V]) sizeFor(n int) {
	slots := 16
	for (n+n/4)*4 > slots*3 {
		slots *= 2
	}
	ix.size(slots)
	ix.n = 0
}

// put indexes r in an index sized for it (sizeFor), replacing the entry
// of r's key if there is one, whose ref it returns (else 0).
func (ix *hashIndex[V]) put(s *Store[V], r ref) (prev ref) {
	key := s.at(r).key
	h := hashKey(key)
	tag := tagOf(h)
	i := h & ix.mask
	for ; ix.slots[i] != 0; i = (i + 1) & ix.mask {
		if sl := ix.slots[i]; sl.tag() == tag && s.at(sl.ref()).key == key {
			prev, ix.slots[i] = sl.ref(), slotOf(tag, r)
			return prev
		}
	}
	ix.slots[i] = slotOf(tag, r)
	ix.n++
	return 0
}

// slotAt returns the slot number holding key.
func (ix *hashIndex[V]) slotAt(s *Store[V], key string) uint64 {
	h := hashKey(key)
	tag := tagOf(h)
	i := h & ix.mask
	for sl := ix.slots[i]; sl.tag() != tag || s.at(sl.ref()).key != key; sl = ix.slots[i] {
		i = (i + 1) & ix.mask
	}
	return i
}

// replace puts r in the slot of the indexed entry with r's key.
func (ix *hashIndex[V]) replace(s *Store[V], r ref) {
	i := ix.slotAt(s, s.at(r).key)
	ix.slots[i] = slotOf(ix.slots[i].tag(), r)
}

// remove unindexes key, which must be indexed.
func (ix *hashIndex[V]) remove(s *Store[V], key string) {
	i := ix.slotAt(s, key)
	// Backward-shift deletion: move later members of the cluster whose home
	// slot is not in (i, j] into the hole, so probes never meet a gap early.
	for j := (i + 1) & ix.mask; ix.slots[j] != 0; j = (j + 1) & ix.mask {
		home := hashKey(s.at(ix.slots[j].ref()).key) & ix.mask
		if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			ix.slots[i] = ix.slots[j]
			i = j
		}
	}
	ix.slots[i] = 0
	ix.n--
}
