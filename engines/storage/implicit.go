package storage

// Implicit rows: a table whose rows exist without being stored. A
// benchmark's table can be far larger than memory (Deneva's YCSB table has
// 2^28 rows) while a run touches a small part of it; the rows nobody has
// written are a pure function of their key (the loader's row, drawn from
// the seed), so the store asks for them when it finds no entry instead of
// holding them. A write installs a real version over the implicit one, which
// stays readable below it; from then on the key is an ordinary stored key.
//
// What implicit rows cannot do: scans see only stored keys (callers refuse
// scanning workloads), and Stats counts only stored keys.

// Implicit returns the row stored at key in a table whose rows are implicit,
// and false for a key that is not one of the table's rows. It must be a pure
// function of the key: the store calls it on every read of an unwritten key.
type Implicit[V any] func(key string) (V, bool)

// implicitRows is one table's source of implicit rows.
type implicitRows[V any] struct {
	row Implicit[V]
	ts  Timestamp // the rows' commit timestamp (the load's)
}

// SetImplicit makes the table's unwritten rows those of row, committed at ts
// (the load's timestamp). Call it before the table is read or written.
func (s *Store[V]) SetImplicit(table int, ts Timestamp, row Implicit[V]) {
	s.tables[table].implicit = &implicitRows[V]{row: row, ts: ts}
}

// implicitAt reads an unstored key: its implicit row, if the table has one
// for key and it is visible at ts.
func (s *Store[V]) implicitAt(table int, key string, ts Timestamp) (v V, found bool) {
	im := s.tables[table].implicit
	if im == nil || ts < im.ts {
		return v, false
	}
	return im.row(key)
}

// materialize stores an unstored key's implicit row as an ordinary loaded
// version before the first write installs over it, so that snapshots older
// than the write still read the implicit row.
func (s *Store[V]) materialize(table int, key string) {
	im := s.tables[table].implicit
	if im == nil {
		return
	}
	if v, ok := im.row(key); ok {
		s.Load(table, key, im.ts, v)
	}
}

// bury keeps a key whose only remaining version is a collected tombstone
// when the key is one of the table's implicit rows: removing it would bring
// the implicit row back. It reports whether it kept the key (as a single
// tombstone version).
func (s *Store[V]) bury(table int, e *entry[V]) bool {
	im := s.tables[table].implicit
	if im == nil {
		return false
	}
	if _, ok := im.row(e.key); !ok {
		return false
	}
	e.more = newHistory[V](true)
	return true
}
