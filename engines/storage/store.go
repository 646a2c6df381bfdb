package storage

import (
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/tidwall/btree"
)

// Timestamp is a commit/snapshot timestamp: nanoseconds of (simulated) clock
// time. 0 = "before everything".
type Timestamp int64

// Stats counts what a Store holds, for memory tests and reports.
type Stats struct {
	Keys     int // keys with at least one version (tombstones included)
	Versions int // versions over all keys, tombstones included
}

// Store is one MVCC store: an ordered set of versioned rows per table. V is
// the row type; the store never looks inside it, and keeps the value it is
// given (callers must not mutate a V after handing it over).
//
// A Store is not safe for concurrent use: it belongs to the single-threaded
// simulation loop. Callbacks passed to Scan must not modify the Store.
type Store[V any] struct {
	tables  []table[V]
	horizon Timestamp
	keys    int
	vers    int

	// Entries live in an arena of fixed chunks and are named by their
	// index (a ref): the B-trees and hash indexes hold 4-byte refs instead
	// of 8-byte pointers (a tree item adds a key prefix, see item), and
	// hold no pointer at all, so the Go collector
	// never scans them (a TPC-C warehouse has ~560,000 keys, each in a tree
	// and an index). Bulk loads do one allocation per chunk, entries of
	// neighbouring keys share cache lines, and no size-class rounding is
	// paid per row. Entries of removed keys go to free and are reused
	// first; the price is that the arena follows the peak number of keys,
	// not the current one. Entry 0 is the probe: the search key for tree
	// look-ups, kept here so that a search does not allocate.
	arena [][]entry[V]
	used  uint32 // entries handed out, the probe included
	free  []ref

	// The keys with something to trim, for Collect (gc.go): a FIFO from
	// multiNext; track drops stale items once its length reaches
	// multiStaleAt.
	multi        []pending[V]
	multiNext    int
	multiStaleAt int
}

// ref names an entry of a Store's arena; 0 is the probe, never a key.
type ref uint32

// chunkLen is the number of entries in an arena chunk (12 KiB of 48-byte
// entries, a Go size class).
const (
	chunkBits = 8
	chunkLen  = 1 << chunkBits
)

// treeDegree sets the B-tree fan-out. Items are 12 bytes, so wide nodes
// are cheap; a higher degree means fewer levels (fewer cache misses per
// lookup).
const treeDegree = 64

// item is a B-tree slot: an entry's ref and the first 8 bytes of its key
// (big-endian, zero-padded), so that most comparisons on a descent are
// one integer comparison within the node instead of a hop to each
// entry's key in the arena and then to its bytes (two cache misses
// each where the entries are far apart: a TPC-C run's inserts descend
// by binary search through nodes of refs to random entries). Only keys
// with the same first 8 bytes compare their strings (TPC-C's keys
// differ within them: an order line's (warehouse, district, order) take
// 7 bytes). The prefix orders keys as their strings do: a key that is
// a prefix of another pads with zeros, so it is never greater.
//
// The price is memory: 12 bytes an item instead of a 4-byte ref, and
// tidwall/btree's splits leave nodes half full (a loaded tree's node
// arrays hold about two slots a key), so about 16 bytes more a key in a
// built tree: a TPC-C run of 10 warehouses peaked about 100 MB higher.
// A 16-byte item (a uint64 prefix) compared no faster and cost 8 more.
type item struct {
	hi, lo uint32 // the prefix's halves: 4-byte alignment keeps an item 12 bytes
	r      ref
}

// prefixOf is the prefix an item with key holds.
func prefixOf(key string) uint64 {
	if len(key) >= 8 {
		_ = key[7]
		return uint64(key[0])<<56 | uint64(key[1])<<48 | uint64(key[2])<<40 | uint64(key[3])<<32 |
			uint64(key[4])<<24 | uint64(key[5])<<16 | uint64(key[6])<<8 | uint64(key[7])
	}
	var p uint64
	for i := range len(key) {
		p |= uint64(key[i]) << (56 - 8*i)
	}
	return p
}

// itemOf returns the item of r, whose key is key.
func itemOf(key string, r ref) item {
	p := prefixOf(key)
	return item{uint32(p >> 32), uint32(p), r}
}

// item returns r's tree item.
func (s *Store[V]) item(r ref) item { return itemOf(s.at(r).key, r) }

// entry is one key. The newest version is kept inline because almost every
// key has exactly one version; older versions (and the rare tombstone flag)
// live behind more, which is nil for a single live version. The tree stores
// refs to entries (in items) so that writes update a key in place with one
// lookup, and so that the tree's per-slot overhead is 12 bytes
// (tidwall/btree's node splits leave spare capacity in node slices; with
// small items that slack is cheap).
type entry[V any] struct {
	key  string
	ts   Timestamp // of the newest version
	more *history[V]
	v    V // of the newest version
}

// history holds what does not fit the single-live-version fast path.
type history[V any] struct {
	deleted bool         // the newest (inline) version is a tombstone
	listed  bool         // in the Collect list (track)
	older   []version[V] // older versions, newest first
	// first backs older while it holds one version, the usual history of
	// an updated key until the horizon passes: the history and its
	// version are one allocation, not two.
	first [1]version[V]
}

func newHistory[V any](deleted bool) *history[V] {
	h := &history[V]{deleted: deleted}
	h.older = h.first[:0]
	return h
}

// insert puts v into older at i. Once older has moved off first, first
// is cleared: its stale copy would keep a trimmed version's value alive.
func (h *history[V]) insert(i int, v version[V]) {
	h.older = append(h.older, version[V]{})
	copy(h.older[i+1:], h.older[i:])
	h.older[i] = v
	if len(h.older) == 2 {
		h.first = [1]version[V]{}
	}
}

type version[V any] struct {
	ts      Timestamp
	deleted bool
	v       V
}

type table[V any] struct {
	tree *btree.BTreeG[item]
	// treeless: the tree is not built yet, and loose holds the refs of all
	// the table's keys in the order they came. Most reads and writes go by
	// key (the hash index), so the tree is built only when something needs
	// the keys' order or a key's removal (ordered): a scan, a deletion, the
	// sweeper burying a tombstone. A YCSB-A run never does, and its 100,000
	// hashed keys loaded one by one into a B-tree (a search and about 17
	// key comparisons each, every one a hop through the arena) were 40% of
	// a run's fixed cost; TPC-C's loads come in key order, which costs the
	// build nothing beyond what loading into the tree did. looseSorted says
	// loose is in strictly ascending key order, so the build needs no sort.
	treeless    bool
	looseSorted bool
	loose       []ref
	// hint remembers the path of the last write, so that writes near each
	// other (sequential inserts: new orders, history rows) skip most of the
	// search; a wrong hint costs only a couple of comparisons per level.
	hint btree.PathHint
	// index holds the same entries as tree, by key (see hashIndex), unless
	// unindexed: keys bulk-loaded into an empty index are only put in the
	// tree, and the first access by key builds the index from the tree in
	// one pass at its final size. Growing it key by key would rehash every
	// key at each doubling, chasing each entry's pointer to its key: about
	// a quarter of a TPC-C load's CPU.
	index     hashIndex[V]
	unindexed bool
	// implicit, if set, answers for the keys not stored (implicit.go).
	implicit *implicitRows[V]
}

// indexed returns table's hash index, building it first if a bulk load
// left it out.
func (s *Store[V]) indexed(table int) *hashIndex[V] {
	t := &s.tables[table]
	if t.unindexed {
		t.unindexed = false
		if t.treeless {
			s.indexLoose(table)
		} else {
			t.index.build(s, t.tree)
		}
	}
	return &t.index
}

// ordered returns table's tree, building it first if the table is treeless:
// the index is built (which settles keys loaded twice), then the loose refs
// are sorted unless they came in order, and appended to the empty tree in
// that order (its rightmost-leaf fast path).
func (s *Store[V]) ordered(table int) *btree.BTreeG[item] {
	t := &s.tables[table]
	if t.treeless {
		s.indexed(table)
		t.treeless = false
		if !t.looseSorted {
			slices.SortFunc(t.loose, func(a, b ref) int { return strings.Compare(s.at(a).key, s.at(b).key) })
		}
		for _, r := range t.loose {
			t.tree.Load(s.item(r))
		}
		t.loose = nil
	}
	return t.tree
}

// addLoose adds r, a key the table does not hold, to a treeless table.
func (t *table[V]) addLoose(s *Store[V], r ref) {
	if n := len(t.loose); n > 0 && t.looseSorted && s.at(t.loose[n-1]).key >= s.at(r).key {
		t.looseSorted = false
	}
	t.loose = append(t.loose, r)
}

// indexLoose builds a treeless table's index from its loose refs. A key
// loaded twice keeps its later load, as Load does with a tree: the earlier
// entry is released and leaves loose.
func (s *Store[V]) indexLoose(table int) {
	t := &s.tables[table]
	ix := &t.index
	ix.sizeFor(len(t.loose))
	var replaced map[ref]bool
	for _, r := range t.loose {
		if prev := ix.put(s, r); prev != 0 {
			if replaced == nil {
				replaced = map[ref]bool{}
			}
			replaced[prev] = true
			s.keys--
			s.vers -= s.at(prev).versions()
		}
	}
	if replaced == nil {
		return
	}
	t.loose = slices.DeleteFunc(t.loose, func(r ref) bool { return replaced[r] })
	for r := range replaced { // after the look-ups: a released entry is zeroed
		s.release(r)
	}
}

// New returns a Store with tables numbered 0..tables-1.
func New[V any](tables int) *Store[V] {
	s := &Store[V]{tables: make([]table[V], tables)}
	s.alloc() // the probe
	less := func(a, b item) bool {
		if a.hi != b.hi {
			return a.hi < b.hi
		}
		if a.lo != b.lo {
			return a.lo < b.lo
		}
		return s.at(a.r).key < s.at(b.r).key
	}
	for i := range s.tables {
		t := &s.tables[i]
		t.tree = btree.NewBTreeGOptions(less, btree.Options{Degree: treeDegree, NoLocks: true})
		t.treeless, t.looseSorted = true, true
	}
	return s
}

// at returns the entry r names.
func (s *Store[V]) at(r ref) *entry[V] { return &s.arena[r>>chunkBits][r&(chunkLen-1)] }

// probe returns the probe's item after setting its key.
func (s *Store[V]) probe(key string) item {
	s.arena[0][0].key = key
	return itemOf(key, 0)
}

// Tables returns the number of tables.
func (s *Store[V]) Tables() int { return len(s.tables) }

// Stats returns the number of keys and versions held.
func (s *Store[V]) Stats() Stats { return Stats{Keys: s.keys, Versions: s.vers} }

func (s *Store[V]) alloc() (ref, *entry[V]) {
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		return r, s.at(r)
	}
	if s.used == math.MaxUint32 {
		panic("storage: more than 2^32 keys in one store")
	}
	r := ref(s.used)
	if r%chunkLen == 0 {
		s.arena = append(s.arena, make([]entry[V], chunkLen))
	}
	s.used++
	return r, s.at(r)
}

// release recycles an entry that is no longer in any tree. Zeroing drops the
// references to the key and value so they can be collected.
func (s *Store[V]) release(r ref) {
	e := s.at(r)
	if m := e.more; m != nil {
		m.older = nil // a stale item of the Collect list may hold m a while
	}
	*e = entry[V]{}
	s.free = append(s.free, r)
}

// Load installs an initial row at ts without history checks: the bulk-load
// fast path. Into a table not indexed yet, it neither searches the tree
// nor the index: the key goes to the loose refs of a treeless table, or is
// appended to the tree's rightmost leaf when keys come in ascending order.
// Loading a key that already exists replaces its whole history with this
// single version.
func (s *Store[V]) Load(table int, key string, ts Timestamp, v V) {
	r, e := s.alloc()
	e.key, e.ts, e.v = key, ts, v
	t := &s.tables[table]
	s.keys++
	s.vers++
	if t.treeless && t.index.n == 0 {
		// Repeats are settled when the index is built (indexLoose).
		t.unindexed = true
		t.addLoose(s, r)
		return
	}
	prev, replaced := s.ordered(table).Load(itemOf(key, r))
	if t.index.n == 0 {
		t.unindexed = true
	}
	if replaced {
		if !t.unindexed {
			t.index.replace(s, r)
		}
		s.keys--
		s.vers -= s.at(prev.r).versions()
		s.release(prev.r)
	} else if !t.unindexed {
		t.index.add(s, r)
	}
}

// Install adds a committed version (deleted=true is a tombstone). Versions of
// one key are kept ordered by ts; an install older than the newest version is
// inserted in order (commits may reach the store out of order). Installing
// the same (key, ts) twice replaces. The key's own chain is then pruned
// against the horizon, so hot keys stay short without waiting for Collect.
//
// The store keeps the newest version's key string (a copy, if the caller
// passes the one the store already holds).
//
// ts must be >= Horizon(): a commit below the horizon may arrive after the
// tombstone that should hide it was collected, and then be visible where it
// should not be. Engines keep the horizon below every commit still in flight.
func (s *Store[V]) Install(table int, key string, ts Timestamp, v V, deleted bool) {
	t := &s.tables[table]
	r := s.indexed(table).get(s, key)
	if r == 0 && t.implicit != nil {
		s.materialize(table, key) // a Load: the index may need a rebuild
		r = s.indexed(table).get(s, key)
	}
	ix := s.indexed(table)
	if r == 0 {
		if deleted && ts <= s.horizon {
			// Every reader allowed from now on sees this key as absent anyway.
			return
		}
		r, e := s.alloc()
		e.key, e.ts, e.v = key, ts, v
		if deleted {
			e.more = newHistory[V](true)
			s.track(table, r, e.more)
		}
		if t.treeless {
			t.addLoose(s, r)
		} else {
			t.tree.SetHint(itemOf(key, r), &t.hint)
		}
		ix.add(s, r)
		s.keys++
		s.vers++
		return
	}
	e := s.at(r)
	switch {
	case ts > e.ts:
		// The entry takes a key string of its own: a loaded key may share
		// its allocation with the loaded value (the simulated engines pack
		// both into one), which can then be freed once the old version is
		// trimmed. The install's key is fresh unless the caller had it
		// from this store (a scan); then it is copied.
		if unsafe.StringData(key) == unsafe.StringData(e.key) {
			key = strings.Clone(key)
		}
		e.key = key
		h := e.hist()
		h.insert(0, version[V]{ts: e.ts, deleted: h.deleted, v: e.v})
		e.ts, e.v, h.deleted = ts, v, deleted
		s.vers++
	case ts == e.ts:
		e.v = v
		if deleted || e.more != nil {
			e.hist().deleted = deleted
		}
	default:
		h := e.hist()
		i := 0
		for i < len(h.older) && h.older[i].ts > ts {
			i++
		}
		if i < len(h.older) && h.older[i].ts == ts {
			h.older[i] = version[V]{ts: ts, deleted: deleted, v: v}
		} else {
			h.insert(i, version[V]{ts: ts, deleted: deleted, v: v})
			s.vers++
		}
	}
	freed, dead := e.trim(s.horizon)
	buried := dead && s.bury(table, e)
	if buried {
		freed, dead = freed-1, false
	}
	s.vers -= freed
	switch h := e.more; {
	case dead:
		s.ordered(table).DeleteHint(s.item(r), &t.hint)
		ix.remove(s, e.key)
		s.keys--
		s.release(r)
	case h == nil || buried:
		// One live version, or a buried tombstone, which no horizon trims.
	case !h.deleted && len(h.older) == 0:
		e.more = nil // a tombstone replaced by a live version at its ts
	case !h.listed:
		s.track(table, r, h)
	}
}

// hist returns e's history, creating it if needed.
func (e *entry[V]) hist() *history[V] {
	if e.more == nil {
		e.more = newHistory[V](false)
	}
	return e.more
}

func (e *entry[V]) versions() int {
	if e.more == nil {
		return 1
	}
	return 1 + len(e.more.older)
}

func (e *entry[V]) live() bool { return e.more == nil || !e.more.deleted }

// at returns the version visible at ts.
func (e *entry[V]) at(ts Timestamp) (v V, found bool) {
	if e.ts <= ts {
		if e.live() {
			return e.v, true
		}
		return v, false
	}
	if e.more == nil {
		return v, false
	}
	for i := range e.more.older {
		o := &e.more.older[i]
		if o.ts <= ts {
			if o.deleted {
				return v, false
			}
			return o.v, true
		}
	}
	return v, false
}

// Get returns the newest version with version.ts <= ts; found=false if none
// or it is a tombstone. Reads at ts < Horizon() are unspecified.
func (s *Store[V]) Get(table int, key string, ts Timestamp) (v V, found bool) {
	r := s.indexed(table).get(s, key)
	if r == 0 {
		return s.implicitAt(table, key, ts)
	}
	return s.at(r).at(ts)
}

// Latest returns the newest version regardless of timestamp, its ts, and
// whether it is live (not a tombstone). exists=false if the key has no
// version at all (including when its last tombstone fell below the horizon
// and was collected).
func (s *Store[V]) Latest(table int, key string) (v V, ts Timestamp, live bool, exists bool) {
	r := s.indexed(table).get(s, key)
	if r == 0 {
		return s.latestImplicit(table, key)
	}
	e := s.at(r)
	return e.v, e.ts, e.live(), true
}

// LatestAndGet returns what Latest and Get(ts) return, with one look-up of
// the key: an UPDATE under snapshot isolation checks both the version its
// snapshot sees and whether a newer one exists, and a look-up in a large
// table is several cache misses.
func (s *Store[V]) LatestAndGet(table int, key string, ts Timestamp) (latest V, latestTS Timestamp, live, exists bool, v V, found bool) {
	r := s.indexed(table).get(s, key)
	if r == 0 {
		latest, latestTS, live, exists = s.latestImplicit(table, key)
		v, found = s.implicitAt(table, key, ts)
		return latest, latestTS, live, exists, v, found
	}
	e := s.at(r)
	v, found = e.at(ts)
	return e.v, e.ts, e.live(), true, v, found
}

// latestImplicit is Latest for a key with no entry: its implicit row, if
// the table has one for it.
func (s *Store[V]) latestImplicit(table int, key string) (v V, ts Timestamp, live bool, exists bool) {
	if im := s.tables[table].implicit; im != nil {
		if v, ok := im.row(key); ok {
			return v, im.ts, true, true
		}
	}
	return v, 0, false, false
}

// Scan calls fn for each key in [from, to) (to == "" means unbounded above;
// from == "" unbounded below) in ascending order (descending if reverse),
// with the version visible at ts, skipping keys with no visible live version,
// stopping after limit visible rows (limit <= 0: no limit) or when fn returns
// false. fn must not modify the Store.
func (s *Store[V]) Scan(table int, from, to string, ts Timestamp, limit int, reverse bool, fn func(key string, v V) bool) {
	if to != "" && from >= to {
		return
	}
	tr := s.ordered(table)
	n := 0
	if !reverse {
		visit := func(it item) bool {
			e := s.at(it.r)
			if to != "" && e.key >= to {
				return false
			}
			v, ok := e.at(ts)
			if !ok {
				return true
			}
			n++
			return fn(e.key, v) && (limit <= 0 || n < limit)
		}
		if from == "" {
			tr.Scan(visit)
			return
		}
		// The tree compares against the pivot only while descending to the
		// first item, before fn first runs, so fn may read the Store (which
		// reuses the probe) during the scan.
		tr.Ascend(s.probe(from), visit)
		s.probe("")
		return
	}
	visit := func(it item) bool {
		e := s.at(it.r)
		if e.key < from {
			return false
		}
		if to != "" && e.key == to {
			return true // Descend starts at <= to; the bound is exclusive
		}
		v, ok := e.at(ts)
		if !ok {
			return true
		}
		n++
		return fn(e.key, v) && (limit <= 0 || n < limit)
	}
	if to == "" {
		tr.Reverse(visit)
		return
	}
	tr.Descend(s.probe(to), visit)
	s.probe("")
}
