package engines

import (
	"context"
	"encoding/binary"
	"unsafe"
)

// Loading rows packed by the workload. The simulated engines pack every
// row they load (PackKeyed); a workload whose values are substrings of its
// shared pools at offsets it drew (YCSB's fields) can write those rows'
// packed form itself with a RowBuilder, and skip building each row's
// values and finding each value's pool again (half of the instructions of
// loading 100,000 YCSB rows). The bytes are the same either way
// (TestRowBuilderIsPackKeyed), so what an engine stores is too.

// PackedRow is one row packed for loading: PackKeyed's two results.
type PackedRow struct {
	Key string // the encoded primary key (Key.Encode)
	Row Packed
}

// PackedLoader is implemented by engines that store rows packed (the
// simulated ones): LoadPacked stores rows exactly as Load stores the rows
// they were packed from. The strings are the engine's once handed over;
// rows itself is the caller's again when LoadPacked returns.
type PackedLoader interface {
	LoadPacked(ctx context.Context, t *Table, rows []PackedRow) error
}

// LoadsPacked returns e's PackedLoader, if it has one: through
// WithIndexes' wrapper while the schema has no secondary indexes (call it
// after CreateSchema).
func LoadsPacked(e Engine) (PackedLoader, bool) {
	if x, ok := e.(*indexed); ok {
		if _, ok := x.Engine.(PackedLoader); ok && len(x.hidden) == 0 {
			return x, true
		}
		return nil, false
	}
	l, ok := e.(PackedLoader)
	return l, ok
}

// SharedPool is a pool registered with ShareStrings, for RowBuilder.Shared.
type SharedPool struct {
	pool string
	id   uint64
}

// PoolOf returns the registration of pool, which must be ShareStrings'
// result; ok is false when pool is not registered (past the registry's
// bound) or when registered pools overlap (then which pool a substring is
// packed against depends on its address, which only Pack looks at).
func PoolOf(pool string) (SharedPool, bool) {
	set := shared.set.Load()
	if set.overlap || len(pool) == 0 {
		return SharedPool{}, false
	}
	a := uintptr(unsafe.Pointer(unsafe.StringData(pool)))
	lo := set.search(a)
	if lo == 0 {
		return SharedPool{}, false
	}
	if q := set.byAddr[lo-1]; q.base == a && q.len == uint64(len(pool)) {
		return SharedPool{pool: pool, id: uint64(q.id)}, true
	}
	return SharedPool{}, false
}

// RowBuilder packs rows one value at a time into the bytes PackKeyed
// makes of them: Begin, then every value in column order (Value or
// Shared), then Finish. Its buffer is reused from row to row.
type RowBuilder struct {
	b   []byte
	key int // the encoded key's length, at the start of b
	set *sharedSet
	// chunk holds finished rows, one after the other: a row is a
	// substring of it, never written again, so that rows cost an
	// allocation a chunk, not one each (a quarter of the instructions
	// left in building a YCSB row). A row keeps its chunk alive; loaded
	// rows are most of a table, and a chunk is freed once all of its rows
	// have been rewritten and their old versions trimmed.
	chunk []byte
}

// rowChunk is the size of a RowBuilder's chunks: a few hundred YCSB rows.
const rowChunk = 64 << 10

// Begin starts a row of n values whose primary key is key (the values of
// its table's primary key columns, as Table.KeyOf gives them).
func (rb *RowBuilder) Begin(key Key, n int) {
	rb.set = shared.set.Load()
	rb.b = key.AppendEncoded(rb.b[:0])
	rb.key = len(rb.b)
	rb.b = appendUvarint(rb.b, uint64(n))
}

// Value adds v, packed as Pack packs it.
func (rb *RowBuilder) Value(v Value) {
	one := [1]Value{v}
	rb.b = appendPackedValues(rb.b, one[:], rb.set)
}

// Shared adds the string p's pool[off:off+n] — what Value of that
// substring adds, without looking for its pool.
func (rb *RowBuilder) Shared(p SharedPool, off, n int) {
	o, l := uint64(off), uint64(n)
	if l <= 2*binary.MaxVarintLen64 && uvarintLen(p.id)+uvarintLen(o) >= n {
		rb.Value(String(p.pool[off : off+n])) // a reference would not be shorter
		return
	}
	_ = p.pool[off : off+n] // in the pool, as the reference claims
	b := rb.b
	if l < packedInline {
		b = append(b, byte(l)<<packedTagLen|packedShared)
	} else {
		b = appendUvarint(append(b, packedInline<<packedTagLen|packedShared), l)
	}
	rb.b = appendUvarint(appendUvarint(b, p.id), o)
}

// SharedAll adds the strings p's pool[off:off+n] for each off in offs, in
// order: Shared of each, in one call (YCSB's fields; a call a field was
// about a third of building a row). For a length of one byte from one of
// the first pools, each reference is one append (one capacity check, not
// four).
func (rb *RowBuilder) SharedAll(p SharedPool, n int, offs []int) {
	l := uint64(n)
	if l < packedInline || l >= 1<<7 || p.id >= 1<<7 {
		for _, off := range offs {
			rb.Shared(p, off, n)
		}
		return
	}
	tag := byte(packedInline<<packedTagLen | packedShared)
	b := rb.b
	for _, off := range offs {
		_ = p.pool[off : off+n] // in the pool, as the reference claims
		switch o := uint64(off); {
		case o < 1<<7:
			b = append(b, tag, byte(l), byte(p.id), byte(o))
		case o < 1<<14:
			b = append(b, tag, byte(l), byte(p.id), byte(o)|0x80, byte(o>>7))
		case o < 1<<21:
			b = append(b, tag, byte(l), byte(p.id), byte(o)|0x80, byte(o>>7)|0x80, byte(o>>14))
		default:
			rb.b = b
			rb.Shared(p, off, n)
			b = rb.b
		}
	}
	rb.b = b
}

// Finish returns the row, its key and values one string, as PackKeyed
// returns them (a substring of the builder's current chunk).
func (rb *RowBuilder) Finish() PackedRow {
	n := len(rb.b)
	if cap(rb.chunk)-len(rb.chunk) < n {
		rb.chunk = make([]byte, 0, max(rowChunk, n))
	}
	at := len(rb.chunk)
	rb.chunk = append(rb.chunk, rb.b...)
	s := BytesString(rb.chunk[at : at+n : at+n])
	return PackedRow{Key: s[:rb.key], Row: Packed(s[rb.key:])}
}
