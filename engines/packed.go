package engines

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// Packed is a row as the simulated engines keep it in storage: its values
// encoded one after the other in a string. A Row costs 16 bytes a value
// plus a slice header, and every value holds a pointer the Go garbage
// collector must follow; a Packed row costs what its data costs (a few
// bytes per number, a string's own bytes) and holds no pointer, so the
// collector never scans it. Reading unpacks it into a fresh Row (Row),
// whose strings share the packed bytes.
//
// Layout: the number of values (uvarint), then per value a tag byte
// (kind in the low 3 bits, a size in the high 5) and its payload:
//
//	NULL       tag only
//	int        zigzag int64, size = payload bytes (0..8), little-endian
//	timestamp  like int (unix nanoseconds)
//	float      IEEE bits, size = payload bytes (0..8), little-endian
//	decimal    like int (units), then the scale byte
//	string     size = length if < 31 (then the bytes), else 31, the
//	           length (uvarint), then the bytes
//	shared     a string that is a substring of a pool registered with
//	           ShareStrings (see shared.go), when that is shorter than
//	           its bytes: the length as for a string, then the pool's id
//	           and the offset in it (uvarints)
//
// The empty Packed is a nil Row (a tombstone's row).
type Packed string

// Pack packs r.
func Pack(r Row) Packed {
	if r == nil {
		return ""
	}
	set := shared.set.Load()
	var scratch [packScratch]byte
	if b := appendPacked(scratch[:0], r, set); len(b) <= packScratch {
		return Packed(string(b))
	}
	return Packed(BytesString(appendPacked(make([]byte, 0, packedSize(r, set)), r, set)))
}

// packScratch is the size of the buffer on the stack that Pack and
// PackKeyed encode a row into before copying it to an allocation of its
// exact size: one pass over the row's values, where sizing the allocation
// first (packedSize) was a second, looking up every string's shared pool
// again (packedSize and the look-ups were 30% of the instructions of
// loading 100,000 YCSB rows). A row that does not fit (rare: long strings
// outside the shared pools) is encoded again, sized first.
const packScratch = 256

// BytesString returns b's bytes as a string without copying them: for a
// buffer built to its exact size and never written again, so that
// encoding a row or key allocates once (a []byte and then string(b) is
// two allocations and a copy; every written row is packed at commit).
// The caller must not write to b afterwards.
func BytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// EncodeKey is t.KeyOf(r).Encode() without building the Key.
func (t *Table) EncodeKey(r Row) string {
	return BytesString(t.appendKey(make([]byte, 0, t.keyLen(r)), r))
}

// keyLen is the length of r's encoded primary key.
func (t *Table) keyLen(r Row) int {
	n := 0
	for _, c := range t.PrimaryKey {
		n += keyPartLen(r[c])
	}
	return n
}

// appendKey appends r's encoded primary key to b.
func (t *Table) appendKey(b []byte, r Row) []byte {
	for _, c := range t.PrimaryKey {
		b = appendKeyPart(b, r[c])
	}
	return b
}

// PackKeyed returns r's encoded primary key and r packed, in one
// allocation (a loaded row's key and value live as long as each other).
func (t *Table) PackKeyed(r Row) (key string, p Packed) {
	set := shared.set.Load()
	var scratch [packScratch]byte
	b := t.appendKey(scratch[:0], r)
	k := len(b)
	var s string
	if b = appendPacked(b, r, set); len(b) <= packScratch {
		s = string(b)
	} else {
		s = BytesString(appendPacked(t.appendKey(make([]byte, 0, k+packedSize(r, set)), r), r, set))
	}
	return s[:k], Packed(s[k:])
}

const (
	packedInline = 31 // string sizes 0..30 are in the tag
	packedTagLen = 3  // bits of the kind
	// packedShared is the tag kind of a shared string; Types use 0..5.
	packedShared = 6
)

// refOf returns where string value v lies in a shared pool, and the
// bytes the reference takes, if it is shorter than v's own bytes.
func (s *sharedSet) refOf(v Value) (id int, off uint64, size int, ok bool) {
	if len(s.byAddr) == 0 || v.p == mark(TypeString) {
		return 0, 0, 0, false
	}
	id, off, ok = s.ref(v.p, v.n)
	if !ok {
		return 0, 0, 0, false
	}
	size = uvarintLen(uint64(id)) + uvarintLen(off)
	return id, off, size, size < int(v.n)
}

// packedSize is r's packed size in bytes, exactly: the packed string
// keeps its allocation's whole capacity alive.
func packedSize(r Row, set *sharedSet) int {
	n := uvarintLen(uint64(len(r)))
	for _, v := range r {
		n++ // the tag
		switch k := v.Kind(); k {
		case TypeNull:
		case TypeString:
			if v.n >= packedInline {
				n += uvarintLen(v.n)
			}
			if _, _, size, ok := set.refOf(v); ok {
				n += size
			} else if v.p != mark(TypeString) {
				n += int(v.n)
			}
		case TypeFloat:
			n += numberLen(v.n)
		default:
			n += numberLen(zigzag(v.n))
			if k == TypeDecimal {
				n++
			}
		}
	}
	return n
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }
func numberLen(n uint64) int  { return (bits.Len64(n) + 7) / 8 }
func zigzag(n uint64) uint64  { return n<<1 ^ uint64(int64(n)>>63) }

// AppendPacked appends r's packed form to b.
func AppendPacked(b []byte, r Row) []byte { return appendPacked(b, r, shared.set.Load()) }

func appendPacked(b []byte, r Row, set *sharedSet) []byte {
	return appendPackedValues(appendUvarint(b, uint64(len(r))), r, set)
}

// appendPackedValues appends r's values packed, without their count.
func appendPackedValues(b []byte, r []Value, set *sharedSet) []byte {
	pools := set.byAddr
	// last is the pool that held the row's last shared string: a row
	// draws its strings from one pool or two, so it is tried before the
	// search. Only where no two pools overlap: then the one pool holding
	// an address is the one the search finds.
	var last *sharedPool
	for i := range r {
		v := &r[i]
		if k := v.Kind(); k != TypeString {
			if k == TypeInt {
				b = appendPackedNumber(b, k, zigzag(v.n))
			} else {
				b = appendPackedScalar(b, *v)
			}
			continue
		}
		n := v.n
		if len(pools) > 0 && v.p != mark(TypeString) {
			// set.refOf(v) written out, the search inlined: two calls a
			// string were a third of packing's instructions.
			a := uintptr(v.p)
			q := last
			if q == nil || a-q.base >= uintptr(q.len) {
				q = nil
				if lo := set.search(a); lo > 0 {
					q = &pools[lo-1]
				}
			}
			// A reference takes at most 2*MaxVarintLen64 bytes.
			if q != nil {
				if o := uint64(a - q.base); o+n <= q.len &&
					(n > 2*binary.MaxVarintLen64 || uvarintLen(uint64(q.id))+uvarintLen(o) < int(n)) {
					if !set.overlap {
						last = q
					}
					if n < packedInline {
						b = append(b, byte(n)<<packedTagLen|packedShared)
					} else {
						b = appendUvarint(append(b, packedInline<<packedTagLen|packedShared), n)
					}
					b = appendUvarint(appendUvarint(b, uint64(q.id)), o)
					continue
				}
			}
		}
		if n < packedInline {
			b = append(b, byte(n)<<packedTagLen|byte(TypeString))
		} else {
			b = appendUvarint(append(b, packedInline<<packedTagLen|byte(TypeString)), n)
		}
		b = append(b, v.str()...)
	}
	return b
}

// appendPackedScalar appends a value that is neither a string nor an int:
// apart from appendPacked's loop, whose registers it would otherwise take
// (a YCSB load −0.8% of its instructions, a TPC-C load −0.6%).
func appendPackedScalar(b []byte, v Value) []byte {
	switch k := v.Kind(); k {
	case TypeNull:
		return append(b, byte(TypeNull))
	case TypeFloat:
		return appendPackedNumber(b, k, v.n)
	default: // int, timestamp, decimal: zigzag, so small negatives are short
		b = appendPackedNumber(b, k, zigzag(v.n))
		if k == TypeDecimal {
			s, _ := isDec(v.p)
			b = append(b, byte(s))
		}
		return b
	}
}

// appendUvarint is binary.AppendUvarint, inlined for the one-byte case
// (a pool's id, most strings' lengths); up to three bytes (a shared
// string's offset in its pool) without binary's loop.
func appendUvarint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	return appendUvarintLong(b, x)
}

func appendUvarintLong(b []byte, x uint64) []byte {
	switch {
	case x < 1<<14:
		return append(b, byte(x)|0x80, byte(x>>7))
	case x < 1<<21:
		return append(b, byte(x)|0x80, byte(x>>7)|0x80, byte(x>>14))
	}
	return binary.AppendUvarint(b, x)
}

func appendPackedNumber(b []byte, k Type, n uint64) []byte {
	size := numberLen(n)
	b = append(b, byte(size)<<packedTagLen|byte(k))
	for range size {
		b = append(b, byte(n))
		n >>= 8
	}
	return b
}

// Row unpacks p into a new Row. p must come from Pack or AppendPacked;
// anything else panics (a bug, not an input).
func (p Packed) Row() Row { return p.RowInto(nil) }

// RowInto unpacks p into dst's array when it is large enough (the Row
// returned is then dst[:n], and dst's earlier contents are gone), else
// into a new Row, as Row does. For dst Discard it returns Discard and
// unpacks nothing (nil still for a tombstone).
func (p Packed) RowInto(dst Row) Row {
	if p == "" {
		return nil
	}
	if discards(dst) {
		return dst
	}
	s := string(p)
	n, i := uvarint(s, 0)
	var r Row
	if dst != nil && uint64(cap(dst)) >= n {
		r = dst[:n]
		clear(r) // NULLs are left as they are below
	} else {
		r = make(Row, n)
	}
	var set *sharedSet
	for j := range r {
		tag := s[i]
		i++
		k, size := Type(tag&(1<<packedTagLen-1)), int(tag>>packedTagLen)
		switch k {
		case TypeNull:
			continue
		case TypeString, packedShared:
			if size == packedInline {
				var l uint64
				l, i = uvarint(s, i)
				size = int(l)
			}
			if k == TypeString {
				r[j] = String(s[i : i+size])
				i += size
				continue
			}
			if set == nil {
				set = shared.set.Load()
			}
			var id, off uint64
			id, i = uvarint(s, i)
			off, i = uvarint(s, i)
			r[j] = String(set.pools[id][off : off+uint64(size)])
			continue
		}
		var u uint64
		for b := range size {
			u |= uint64(s[i+b]) << (8 * b)
		}
		i += size
		switch k {
		case TypeFloat:
			r[j] = Value{p: mark(TypeFloat), n: u}
		case TypeInt, TypeTimestamp:
			r[j] = Value{p: mark(k), n: u>>1 ^ -(u & 1)}
		case TypeDecimal:
			r[j] = Value{p: decMark(int(s[i])), n: u>>1 ^ -(u & 1)}
			i++
		default:
			panic("engines: bad packed row")
		}
	}
	return r
}

// Patch is Pack of p's row with sets applied (the last set of a column
// wins), made without unpacking the row: the columns no set names keep
// their bytes, which are what packing their values again would write (a
// value's encoding depends on it alone, while no two shared pools share
// bytes; when two do, Patch packs the whole row again). An UPDATE of a
// column or two, the common one, so copies a few dozen bytes instead of
// unpacking and packing every column. p must not be a tombstone; a set
// of a column the row does not have panics, as assigning it would.
func (p Packed) Patch(sets []Set) Packed {
	return p.patch(len(sets), func(i int) (int, Value) { return sets[i].Col, sets[i].Val })
}

// PatchAssigns is Patch for assignments that all set a value (AssignSet);
// ok is false, and nothing done, if one is not.
func (p Packed) PatchAssigns(as []Assign) (_ Packed, ok bool) {
	for _, a := range as {
		if a.Op != AssignSet {
			return "", false
		}
	}
	return p.patch(len(as), func(i int) (int, Value) { return as[i].Col, as[i].Val }), true
}

// patch is Patch of the n sets set(0..n-1).
func (p Packed) patch(n int, set func(i int) (col int, v Value)) Packed {
	pools := shared.set.Load()
	s := string(p)
	cols, _ := uvarint(s, 0)
	repack := pools.overlap
	for i := range n {
		if c, _ := set(i); uint64(c) >= cols {
			repack = true
		}
	}
	if repack {
		r := p.Row()
		for i := range n {
			c, v := set(i)
			r[c] = v // a column past the row's end panics here
		}
		return Pack(r)
	}
	var scratch [packScratch]byte
	if b := appendPatched(scratch[:0], s, n, set, pools); len(b) <= packScratch {
		return Packed(string(b))
	}
	grow := 0
	for i := range n {
		_, v := set(i)
		grow += packedSize(Row{v}, pools)
	}
	return Packed(BytesString(appendPatched(make([]byte, 0, len(s)+grow), s, n, set, pools)))
}

// appendPatched appends patch's encoding of row s to b: the bytes up to
// the first column set, its new value, the bytes up to the next, and so
// on, and the rest of the row at once; it walks no further than the last
// column set.
func appendPatched(b []byte, s string, n int, set func(i int) (int, Value), pools *sharedSet) []byte {
	// The columns set, as bits when they fit (a look-up a column is then a
	// test, not a call a set), and the last of them.
	last, cols := -1, uint64(0)
	for k := range n {
		c, _ := set(k)
		last = max(last, c)
		if c < 64 {
			cols |= 1 << c
		}
	}
	_, i := uvarint(s, 0)
	from := 0 // the first byte of s not yet appended
	for c := 0; c <= last; c++ {
		j := skipPacked(s, i)
		if c < 64 && cols&(1<<c) == 0 {
			i = j
			continue
		}
		v, ok := Value{}, false
		for k := range n {
			if col, val := set(k); col == c {
				v, ok = val, true
			}
		}
		if ok {
			b = append(b, s[from:i]...)
			// The value packed as a row of one, whose length (one byte)
			// lands on b's last byte and is put back (b holds at least
			// the row's length).
			m := len(b) - 1
			keep := b[m]
			one := [1]Value{v}
			b = appendPacked(b[:m], one[:], pools)
			b[m] = keep
			from = j
		}
		i = j
	}
	return append(b, s[from:]...)
}

// Size is p.Row().Size(), read from the tags without unpacking.
func (p Packed) Size() int {
	s := string(p)
	if s == "" {
		return 0
	}
	cols, i := uvarint(s, 0)
	n := 0
	for range cols {
		tag := s[i]
		switch k, size := Type(tag&(1<<packedTagLen-1)), int(tag>>packedTagLen); k {
		case TypeNull:
			n++
		case TypeString, packedShared:
			if size == packedInline {
				l, _ := uvarint(s, i+1)
				size = int(l)
			}
			n += size
		default:
			n += 8
		}
		i = skipPacked(s, i)
	}
	return n
}

// skipPacked returns the index after the packed value at s[i:].
func skipPacked(s string, i int) int {
	tag := s[i]
	i++
	k, size := Type(tag&(1<<packedTagLen-1)), int(tag>>packedTagLen)
	switch k {
	case TypeNull:
		return i
	case packedShared: // its length, if not in the tag, the pool and the offset
		if size == packedInline {
			i = skipUvarint(s, i)
		}
		return skipUvarint(s, skipUvarint(s, i))
	case TypeString:
		if size == packedInline {
			var l uint64
			l, i = uvarint(s, i)
			size = int(l)
		}
		return i + size
	case TypeDecimal:
		return i + size + 1 // the scale
	}
	return i + size
}

// skipUvarint returns the index after the uvarint at s[i:].
func skipUvarint(s string, i int) int {
	for s[i] >= 0x80 {
		i++
	}
	return i + 1
}

// uvarint decodes the uvarint at s[i:] and returns it and the index after it.
func uvarint(s string, i int) (uint64, int) {
	var x uint64
	for shift := 0; ; shift += 7 {
		c := s[i]
		i++
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, i
		}
	}
}

// keyPartLen is the length appendKeyPart appends.
func keyPartLen(v Value) int {
	switch v.Kind() {
	case TypeNull:
		return 1
	case TypeString:
		s := v.str()
		return 3 + len(s) + strings.Count(s, "\x00")
	case TypeFloat:
		return 9
	}
	if x := int64(v.n); x < 0 {
		return 1 + numberLen(uint64(^x))
	}
	return 1 + numberLen(v.n)
}

// Unpacking adapts a scan callback over rows to one over packed rows.
func Unpacking(fn func(key string, r Row) bool) func(string, Packed) bool {
	return func(k string, p Packed) bool { return fn(k, p.Row()) }
}
