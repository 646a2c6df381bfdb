package storage

import (
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

	// probe is the search key for lookups. It lives in the Store so that a
	// Get does not allocate (a stack probe would escape through the tree's
	// less function).
	probe entry[V]

	// Entries are carved from slabs rather than allocated one by one: bulk
	// loads do one allocation per slab, entries of neighbouring keys share
	// cache lines, and no size-class rounding is paid per row. Entries of
	// removed keys go to free and are reused first; the price is that slab
	// memory follows the peak number of keys, not the current one.
	slab  []entry[V]
	slabN int
	free  []*entry[V]

	// Incremental sweep position for Collect.
	gcTable  int
	gcAfter  string // last key swept in gcTable
	gcResume bool   // gcAfter is meaningful (keys may be "")
	gcDead   []*entry[V]
}

// slabBytes is the size of one slab. It is a Go size class, so a slab
// wastes less than one entry.
const slabBytes = 8192

// treeDegree sets the B-tree fan-out. Items are pointers, so wide nodes are
// cheap; a higher degree means fewer levels (fewer cache misses per lookup).
const treeDegree = 64

// entry is one key. The newest version is kept inline because almost every
// key has exactly one version; older versions (and the rare tombstone flag)
// live behind more, which is nil for a single live version. The tree stores
// *entry so that writes update a key in place with one lookup, and so that
// the tree's per-slot overhead is one word (tidwall/btree's node splits leave
// spare capacity in node slices; with pointer items that slack is cheap).
type entry[V any] struct {
	key  string
	ts   Timestamp // of the newest version
	more *history[V]
	v    V // of the newest version
}

// history holds what does not fit the single-live-version fast path.
type history[V any] struct {
	deleted bool         // the newest (inline) version is a tombstone
	older   []version[V] // older versions, newest first
}

type version[V any] struct {
	ts      Timestamp
	deleted bool
	v       V
}

type table[V any] struct {
	tree *btree.BTreeG[*entry[V]]
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
func (t *table[V]) indexed() *hashIndex[V] {
	if t.unindexed {
		t.unindexed = false
		t.index.build(t.tree)
	}
	return &t.index
}

func lessEntry[V any](a, b *entry[V]) bool { return a.key < b.key }

// New returns a Store with tables numbered 0..tables-1.
func New[V any](tables int) *Store[V] {
	s := &Store[V]{
		tables: make([]table[V], tables),
		slabN:  max(8, slabBytes/int(unsafe.Sizeof(entry[V]{}))),
	}
	for i := range s.tables {
		s.tables[i].tree = btree.NewBTreeGOptions(lessEntry[V], btree.Options{Degree: treeDegree, NoLocks: true})
	}
	return s
}

// Tables returns the number of tables.
func (s *Store[V]) Tables() int { return len(s.tables) }

// Stats returns the number of keys and versions held.
func (s *Store[V]) Stats() Stats { return Stats{Keys: s.keys, Versions: s.vers} }

func (s *Store[V]) alloc() *entry[V] {
	if n := len(s.free); n > 0 {
		e := s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
		return e
	}
	if len(s.slab) == 0 {
		s.slab = make([]entry[V], s.slabN)
	}
	e := &s.slab[0]
	s.slab = s.slab[1:]
	return e
}

// release recycles an entry that is no longer in any tree. Zeroing drops the
// references to the key and value so they can be collected.
func (s *Store[V]) release(e *entry[V]) {
	*e = entry[V]{}
	s.free = append(s.free, e)
}

// Load installs an initial row at ts without history checks: the bulk-load
// fast path. Keys loaded in ascending order append to the tree's rightmost
// leaf without a search. Loading a key that already exists replaces its whole
// history with this single version.
func (s *Store[V]) Load(table int, key string, ts Timestamp, v V) {
	e := s.alloc()
	e.key, e.ts, e.v = key, ts, v
	t := &s.tables[table]
	prev, replaced := t.tree.Load(e)
	s.keys++
	s.vers++
	if t.index.n == 0 {
		t.unindexed = true
	}
	if replaced {
		if !t.unindexed {
			t.index.replace(e)
		}
		s.keys--
		s.vers -= prev.versions()
		s.release(prev)
	} else if !t.unindexed {
		t.index.add(e)
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
	e := t.indexed().get(key)
	if e == nil && t.implicit != nil {
		s.materialize(table, key) // a Load: the index may need a rebuild
		e = t.indexed().get(key)
	}
	ix := t.indexed()
	if e == nil {
		if deleted && ts <= s.horizon {
			// Every reader allowed from now on sees this key as absent anyway.
			return
		}
		e = s.alloc()
		e.key, e.ts, e.v = key, ts, v
		if deleted {
			e.more = &history[V]{deleted: true}
		}
		t.tree.SetHint(e, &t.hint)
		ix.add(e)
		s.keys++
		s.vers++
		return
	}
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
		h.older = append(h.older, version[V]{})
		copy(h.older[1:], h.older)
		h.older[0] = version[V]{ts: e.ts, deleted: h.deleted, v: e.v}
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
			h.older = append(h.older, version[V]{})
			copy(h.older[i+1:], h.older[i:])
			h.older[i] = version[V]{ts: ts, deleted: deleted, v: v}
			s.vers++
		}
	}
	freed, dead := e.trim(s.horizon)
	if dead && s.bury(table, e) {
		freed, dead = freed-1, false
	}
	s.vers -= freed
	if dead {
		t.tree.DeleteHint(e, &t.hint)
		ix.remove(e.key)
		s.keys--
		s.release(e)
	} else if h := e.more; h != nil && !h.deleted && len(h.older) == 0 {
		e.more = nil
	}
}

// hist returns e's history, creating it if needed.
func (e *entry[V]) hist() *history[V] {
	if e.more == nil {
		e.more = &history[V]{}
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
	e := s.tables[table].indexed().get(key)
	if e == nil {
		return s.implicitAt(table, key, ts)
	}
	return e.at(ts)
}

// Latest returns the newest version regardless of timestamp, its ts, and
// whether it is live (not a tombstone). exists=false if the key has no
// version at all (including when its last tombstone fell below the horizon
// and was collected).
func (s *Store[V]) Latest(table int, key string) (v V, ts Timestamp, live bool, exists bool) {
	e := s.tables[table].indexed().get(key)
	if e == nil {
		if im := s.tables[table].implicit; im != nil {
			if v, ok := im.row(key); ok {
				return v, im.ts, true, true
			}
		}
		return v, 0, false, false
	}
	return e.v, e.ts, e.live(), true
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
	tr := s.tables[table].tree
	n := 0
	if !reverse {
		visit := func(e *entry[V]) bool {
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
		s.probe.key = from
		tr.Ascend(&s.probe, visit)
		s.probe.key = ""
		return
	}
	visit := func(e *entry[V]) bool {
		if e.key < from {
			return false
		}
		if e.key == to {
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
	s.probe.key = to
	tr.Descend(&s.probe, visit)
	s.probe.key = ""
}
