package engines

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Shared strings. Workloads draw their filler text as substrings of a few
// seeded pools (TPC-C's a-strings and n-strings, YCSB's field values): the
// data model is "a substring of the pool", and a Go substring costs a
// 16-byte header, not its length. A packed row would copy those bytes; a
// pool registered with ShareStrings lets it store where the substring lies
// in the pool instead (a few bytes), and Row hands back the same substring
// of the same pool. Values read are identical either way: this is how the
// bytes are kept, not what they are.
//
// Pools are registered for the life of the process (a packed row holds no
// pointer, so nothing else would keep a pool alive), and interned by
// content: workloads built with the same seed share one copy, so the
// registry grows with the number of distinct pools, not of runs.

// maxShared bounds the registry: beyond it, ShareStrings still returns its
// argument, and its substrings are packed as plain bytes.
const maxShared = 1 << 12

type sharedPool struct {
	base uintptr // address of the first byte
	len  uint64  // the pool's length (kept here: one cache line less per look-up)
	id   int
}

// sharedSet is an immutable snapshot of the registry: readers load it
// without locking (parallel runs pack and unpack rows at the same time).
type sharedSet struct {
	pools  []string     // by id
	byAddr []sharedPool // sorted by base, for Pack's "is it in a pool" test
	// overlap: two pools share bytes (one was registered as a substring
	// of another), so a substring of one may be packed as a reference to
	// the other, and packing a value read back can change its bytes
	// (Packed.Patch then packs the whole row again).
	overlap bool
}

var shared struct {
	mu        sync.Mutex
	byContent map[string]int
	set       atomic.Pointer[sharedSet]
}

func init() { shared.set.Store(&sharedSet{}) }

// ShareStrings registers s as a pool that string values are substrings of,
// and returns the registered copy: callers must take their substrings from
// the returned string (a pool with the same content registered earlier is
// returned instead of s).
func ShareStrings(s string) string {
	if len(s) == 0 {
		return s
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.byContent == nil {
		shared.byContent = map[string]int{}
	}
	old := shared.set.Load()
	if id, ok := shared.byContent[s]; ok {
		return old.pools[id]
	}
	if len(old.pools) == maxShared {
		return s
	}
	next := &sharedSet{
		pools:  append(slices.Clip(old.pools), s),
		byAddr: slices.Clone(old.byAddr),
	}
	p := sharedPool{base: uintptr(unsafe.Pointer(unsafe.StringData(s))), len: uint64(len(s)), id: len(old.pools)}
	i, _ := slices.BinarySearchFunc(next.byAddr, p.base, func(q sharedPool, b uintptr) int {
		return cmp.Compare(q.base, b)
	})
	next.byAddr = slices.Insert(next.byAddr, i, p)
	next.overlap = old.overlap ||
		i > 0 && next.byAddr[i-1].base+uintptr(next.byAddr[i-1].len) > p.base ||
		i+1 < len(next.byAddr) && p.base+uintptr(p.len) > next.byAddr[i+1].base
	shared.byContent[s] = p.id
	shared.set.Store(next)
	return s
}

// sharedRef says where the n bytes at p lie in a registered pool, if they
// do. The address decides, so equal bytes outside a pool are not found;
// which pool holds a value never changes what Row reads back.
func (s *sharedSet) ref(p unsafe.Pointer, n uint64) (id int, off uint64, ok bool) {
	a := uintptr(p)
	lo := s.search(a)
	if lo == 0 {
		return 0, 0, false
	}
	q := &s.byAddr[lo-1]
	off = uint64(a - q.base)
	if off+n > q.len {
		return 0, 0, false
	}
	return q.id, off, true
}

// search returns how many pools start at or before address a: the last of
// them is the only one that can hold a. A binary search written out
// (slices.BinarySearchFunc's calls of a comparison function were most of
// Pack's time in TPC-C's load), small enough to be inlined.
func (s *sharedSet) search(a uintptr) int {
	lo, hi := 0, len(s.byAddr)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.byAddr[m].base <= a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
