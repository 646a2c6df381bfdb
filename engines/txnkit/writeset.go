package txnkit

import (
	"iter"
	"unicode/utf8"

	"github.com/txbench/txbench/engines"
)

// RowKey is a row's name across tables — in lock tables, adjudicators'
// validation sets and write sets: the table, then the key's
// order-preserving encoding, so one table's rows form one contiguous range
// [TablePrefix, TableEnd) and key ranges map to ranges of row keys.
func RowKey(t *engines.Table, enc string) string {
	var buf [64]byte
	return string(appendRowKey(buf[:0], t, enc)) // one allocation, not two concatenations
}

// Keys returns RowKey(t, k.Encode()) and k.Encode() in one allocation:
// the encoding is the row key's tail. A statement that writes a row, or
// locks it, needs both (the row key names it in lock tables and the write
// set); built apart they were two allocations and two encodings.
func Keys(t *engines.Table, k engines.Key) (rowKey, enc string) {
	var pre [utf8.UTFMax + 1]byte
	p := appendRowKey(pre[:0], t, "")
	b := make([]byte, 0, len(p)+k.EncodedLen())
	b = k.AppendEncoded(append(b, p...))
	rowKey = engines.BytesString(b) // built to size, never written again
	return rowKey, rowKey[len(p):]
}

func appendRowKey(b []byte, t *engines.Table, enc string) []byte {
	b = utf8.AppendRune(b, rune(t.ID))
	return append(append(b, 0), enc...)
}

// TablePrefix is where t's row keys begin.
func TablePrefix(t *engines.Table) string { return string(rune(t.ID)) + "\x00" }

// TableEnd is the first row key after t's.
func TableEnd(t *engines.Table) string { return string(rune(t.ID)) + "\x01" }

// Entry is one row a transaction changed or locked.
type Entry struct {
	Table *engines.Table
	Key   engines.Key
	Enc   string // Key's encoding
	// RowKey is RowKey(Table, Enc), the entry's name in the write set.
	RowKey string
	// Row is the new version; nil for a delete or a lock-only entry, and
	// for a version put packed until Version unpacks it.
	Row engines.Row
	// Packed is the new version packed, when it was put so (PutPacked: an
	// UPDATE that patched the stored row's bytes, engines.Packed.Patch);
	// committing it then packs nothing, and the row is unpacked only if
	// the transaction reads it again. Use Version and Pack, not the
	// fields.
	Packed  engines.Packed
	Deleted bool
	// LockOnly marks SELECT ... FOR UPDATE: the row conflicts (is
	// validated, or stays locked) like a write, and nothing is installed.
	LockOnly bool
}

// Version is the entry's new version (nil for a delete or a lock), a
// packed one unpacked on the first call.
func (e *Entry) Version() engines.Row {
	if e.Row == nil && e.Packed != "" {
		e.Row = e.Packed.Row()
	}
	return e.Row
}

// Pack is the new version packed, as storage keeps it ("" for a delete
// or a lock).
func (e *Entry) Pack() engines.Packed {
	if e.Packed != "" {
		return e.Packed
	}
	return engines.Pack(e.Row)
}

// WriteSet is a transaction's changes, by row, in first-touch order. The
// zero value is empty and ready to use.
type WriteSet struct {
	// index maps a row key to its position in order, once the set is
	// larger than smallSet; a smaller one is searched in order (most
	// transactions write a row or two: the map cost two allocations and a
	// hash of the key a write, a search a comparison or two).
	index map[string]int
	order []*Entry
	bytes int
	// Sized: the set counts the bytes it is written (Bytes), which only
	// occ's per-transaction limit reads; another engine's set skips sizing
	// every row (~1% of a 2pc YCSB-A run's instructions). Set it on an
	// empty set.
	Sized bool
	// first and orderBuf hold the first entry and back order while it has
	// one: most write sets have one row, which then costs no allocation
	// (the entry and the order slice were two of every writing attempt).
	// A WriteSet is not copied once used (its entries point into it).
	first    Entry
	orderBuf [1]*Entry
}

// smallSet is the largest write set searched without the index.
const smallSet = 8

// find is the position in order of the entry named rowKey, or -1.
func (w *WriteSet) find(rowKey string) int {
	if w.index != nil {
		if i, ok := w.index[rowKey]; ok {
			return i
		}
		return -1
	}
	for i, e := range w.order {
		if e.RowKey == rowKey {
			return i
		}
	}
	return -1
}

// Get returns the entry for the row (tb, enc), or nil. Every read of a
// transaction asks (read-your-writes), so the row key is built in a buffer
// on the stack (the same bytes as RowKey) instead of as a new string.
func (w *WriteSet) Get(tb *engines.Table, enc string) *Entry {
	if w == nil || len(w.order) == 0 {
		return nil
	}
	var buf [64]byte
	if i := w.find(string(appendRowKey(buf[:0], tb, enc))); i >= 0 {
		return w.order[i]
	}
	return nil
}

// Lookup returns the entry named rowKey (see RowKey), or nil.
func (w *WriteSet) Lookup(rowKey string) *Entry {
	if w == nil {
		return nil
	}
	if i := w.find(rowKey); i >= 0 {
		return w.order[i]
	}
	return nil
}

// Read is read-your-writes: when the transaction wrote the row (a lock
// alone does not count), own is true and row, exists are what it wrote.
func (w *WriteSet) Read(tb *engines.Table, enc string) (row engines.Row, exists, own bool) {
	e := w.Get(tb, enc)
	if e == nil || e.LockOnly {
		return nil, false, false
	}
	return e.Version(), !e.Deleted, true
}

// Put records a new version of the row (an insert or an update).
func (w *WriteSet) Put(tb *engines.Table, k engines.Key, enc string, row engines.Row) {
	w.set(Entry{Table: tb, Key: k, Enc: enc, Row: row})
}

// PutKeyed is Put with the row key already built: rowKey and enc as Keys
// returns them.
func (w *WriteSet) PutKeyed(tb *engines.Table, k engines.Key, rowKey, enc string, row engines.Row) {
	w.set(Entry{Table: tb, Key: k, Enc: enc, RowKey: rowKey, Row: row})
}

// PutPacked records a new version of the row, packed (Entry.Packed).
func (w *WriteSet) PutPacked(tb *engines.Table, k engines.Key, rowKey, enc string, p engines.Packed) {
	w.set(Entry{Table: tb, Key: k, Enc: enc, RowKey: rowKey, Packed: p})
}

// Delete records the row's deletion.
func (w *WriteSet) Delete(tb *engines.Table, k engines.Key, enc string) {
	w.set(Entry{Table: tb, Key: k, Enc: enc, Deleted: true})
}

// Lock records a FOR UPDATE lock on the row, unless the transaction has
// already written or locked it; it reports whether it added an entry.
func (w *WriteSet) Lock(tb *engines.Table, k engines.Key, enc string) bool {
	if w.Get(tb, enc) != nil {
		return false
	}
	w.set(Entry{Table: tb, Key: k, Enc: enc, LockOnly: true})
	return true
}

func (w *WriteSet) set(v Entry) {
	if v.RowKey == "" {
		v.RowKey = RowKey(v.Table, v.Enc)
	}
	var e *Entry
	if w.order == nil {
		// The first entry: an entry replacing it later is a new one (a
		// caller may hold the first).
		w.first = v
		e, w.order = &w.first, w.orderBuf[:0]
	} else {
		e = new(Entry)
		*e = v
	}
	if i := w.find(e.RowKey); i >= 0 {
		w.order[i] = e // the row keeps its first-touch place; the newest change wins
	} else {
		w.order = append(w.order, e)
		if w.index != nil {
			w.index[e.RowKey] = len(w.order) - 1
		} else if len(w.order) > smallSet {
			w.index = make(map[string]int, len(w.order))
			for i, e := range w.order {
				w.index[e.RowKey] = i
			}
		}
	}
	if w.Sized {
		if e.Packed != "" {
			w.bytes += e.Packed.Size()
		} else {
			w.bytes += e.Row.Size()
		}
	}
}

// Len is the number of rows the transaction changed or locked.
func (w *WriteSet) Len() int {
	if w == nil {
		return 0
	}
	return len(w.order)
}

// Bytes is the size of every version written so far (a row written twice
// counts twice, as a log of the statements would): what DSQL's
// per-transaction byte limit bounds. The set must be Sized.
func (w *WriteSet) Bytes() int {
	if w == nil {
		return 0
	}
	if !w.Sized {
		panic("txnkit: Bytes of a write set that is not Sized")
	}
	return w.bytes
}

// All yields the entries in first-touch order.
func (w *WriteSet) All() iter.Seq[*Entry] {
	return func(yield func(*Entry) bool) {
		if w == nil {
			return
		}
		for _, e := range w.order {
			if !yield(e) {
				return
			}
		}
	}
}

// Updated is an UPDATE's new version: a copy of row with sets applied.
func Updated(row engines.Row, sets []engines.Set) engines.Row {
	return applySets(row.Clone(), sets)
}

func applySets(row engines.Row, sets []engines.Set) engines.Row {
	for _, s := range sets {
		row[s.Col] = s.Val
	}
	return row
}
