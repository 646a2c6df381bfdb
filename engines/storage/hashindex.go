package storage

import (
	"hash/maphash"

	"github.com/tidwall/btree"
)

// hashIndex finds a table's entry by key without descending the B-tree: one
// hash and usually one key comparison, where the tree costs a comparison per
// halving of each node on the path (each one a pointer chase to the entry
// and then to its key bytes). Point reads, installs and the bulk load go
// through it; ordered scans and the sweeper walk the tree.
//
// It is open addressing with linear probing over a slice of entry pointers
// (8 bytes a slot, at most 3/4 full, so 11–21 bytes a key), and removal
// shifts the following cluster back instead of leaving tombstones. Nothing
// iterates it, so the process-random hash seed cannot affect results.
type hashIndex[V any] struct {
	slots []*entry[V]
	mask  uint64
	n     int
}

var hashSeed = maphash.MakeSeed()

func hashKey(k string) uint64 { return maphash.String(hashSeed, k) }

// get returns the entry of key, or nil.
func (ix *hashIndex[V]) get(key string) *entry[V] {
	if ix.n == 0 {
		return nil
	}
	for i := hashKey(key) & ix.mask; ; i = (i + 1) & ix.mask {
		e := ix.slots[i]
		if e == nil || e.key == key {
			return e
		}
	}
}

// add indexes e, whose key must not be indexed yet.
func (ix *hashIndex[V]) add(e *entry[V]) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.grow()
	}
	ix.place(e)
	ix.n++
}

func (ix *hashIndex[V]) place(e *entry[V]) {
	i := hashKey(e.key) & ix.mask
	for ix.slots[i] != nil {
		i = (i + 1) & ix.mask
	}
	ix.slots[i] = e
}

func (ix *hashIndex[V]) grow() {
	old := ix.slots
	size := max(16, 2*len(old))
	ix.slots = make([]*entry[V], size)
	ix.mask = uint64(size - 1)
	for _, e := range old {
		if e != nil {
			ix.place(e)
		}
	}
}

// build indexes every entry of tr, in a table sized for them, replacing
// what the index held.
func (ix *hashIndex[V]) build(tr *btree.BTreeG[*entry[V]]) {
	n := tr.Len()
	size := 16
	for n*4 > size*3 {
		size *= 2
	}
	ix.slots = make([]*entry[V], size)
	ix.mask = uint64(size - 1)
	ix.n = n
	tr.Scan(func(e *entry[V]) bool {
		ix.place(e)
		return true
	})
}

// slot returns the slot holding e's key.
func (ix *hashIndex[V]) slot(key string) uint64 {
	i := hashKey(key) & ix.mask
	for ix.slots[i].key != key {
		i = (i + 1) & ix.mask
	}
	return i
}

// replace puts e in the slot of the indexed entry with e's key.
func (ix *hashIndex[V]) replace(e *entry[V]) { ix.slots[ix.slot(e.key)] = e }

// remove unindexes key, which must be indexed.
func (ix *hashIndex[V]) remove(key string) {
	i := ix.slot(key)
	// Backward-shift deletion: move later members of the cluster whose home
	// slot is not in (i, j] into the hole, so probes never meet a gap early.
	for j := (i + 1) & ix.mask; ix.slots[j] != nil; j = (j + 1) & ix.mask {
		home := hashKey(ix.slots[j].key) & ix.mask
		if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			ix.slots[i] = ix.slots[j]
			i = j
		}
	}
	ix.slots[i] = nil
	ix.n--
}
