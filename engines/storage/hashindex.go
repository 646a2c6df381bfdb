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
// It is open addressing with linear probing over a slice of entry refs
// (4 bytes a slot and a tag byte, 0 for empty, at most 3/4 full, so 7–13
// bytes a key, and nothing for the Go collector to scan), and removal
// shifts the following cluster back instead of leaving tombstones. Nothing
// iterates it, so the process-random hash seed cannot affect results. Its
// methods take the Store whose arena the refs name.
//
// Beside each slot is a byte of its key's hash (tags), never 0 for a used
// slot and 0 for an empty one: a probe reads the tags alone and looks at a
// slot and its entry's key only where the byte matches, so a probe past
// other keys' slots (every miss walks its cluster to the first empty slot:
// an insert's existence check, then its install) touches neither the slots
// nor the arena. One byte a slot, nothing to scan.
type hashIndex[V any] struct {
	slots []ref
	tags  []uint8
	mask  uint64
	n     int
}

// tagOf is the byte of a key's hash its slot's tag holds (bits the slot
// number does not use for any table under 2^56 slots), 1 for 0: 0 marks
// an empty slot.
func tagOf(h uint64) uint8 { return max(uint8(h>>56), 1) }

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
		switch ix.tags[i] {
		case 0:
			return 0
		case tag:
			if r := ix.slots[i]; s.at(r).key == key {
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
	for ix.tags[i] != 0 {
		i = (i + 1) & ix.mask
	}
	ix.slots[i], ix.tags[i] = r, tagOf(h)
}

func (ix *hashIndex[V]) grow(s *Store[V]) {
	old := ix.slots
	ix.size(max(16, 2*len(old)))
	for _, r := range old {
		if r != 0 {
			ix.place(s, r)
		}
	}
}

func (ix *hashIndex[V]) size(slots int) {
	ix.slots = make([]ref, slots)
	ix.tags = make([]uint8, slots)
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
	for ; ix.tags[i] != 0; i = (i + 1) & ix.mask {
		if ix.tags[i] == tag && s.at(ix.slots[i]).key == key {
			prev, ix.slots[i] = ix.slots[i], r
			return prev
		}
	}
	ix.slots[i], ix.tags[i] = r, tag
	ix.n++
	return 0
}

// slot returns the slot holding key.
func (ix *hashIndex[V]) slot(s *Store[V], key string) uint64 {
	h := hashKey(key)
	tag := tagOf(h)
	i := h & ix.mask
	for ix.tags[i] != tag || s.at(ix.slots[i]).key != key {
		i = (i + 1) & ix.mask
	}
	return i
}

// replace puts r in the slot of the indexed entry with r's key.
func (ix *hashIndex[V]) replace(s *Store[V], r ref) { ix.slots[ix.slot(s, s.at(r).key)] = r }

// remove unindexes key, which must be indexed.
func (ix *hashIndex[V]) remove(s *Store[V], key string) {
	i := ix.slot(s, key)
	// Backward-shift deletion: move later members of the cluster whose home
	// slot is not in (i, j] into the hole, so probes never meet a gap early.
	for j := (i + 1) & ix.mask; ix.tags[j] != 0; j = (j + 1) & ix.mask {
		home := hashKey(s.at(ix.slots[j]).key) & ix.mask
		if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			ix.slots[i], ix.tags[i] = ix.slots[j], ix.tags[j]
			i = j
		}
	}
	ix.slots[i], ix.tags[i] = 0, 0
	ix.n--
}
