package engines

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// IndexKeeper is implemented by engines that keep secondary indexes
// themselves (pg: CREATE INDEX). WithIndexes keeps them for the others.
type IndexKeeper interface {
	KeepsIndexes()
}

// WithIndexes returns e with the schema's secondary indexes kept for it,
// unless e keeps them itself. Each index is a hidden table in the engine's
// own storage, keyed by the index's columns (then the primary key, unless
// the index is unique), written in the same transaction as its row: its
// entries are MVCC versions like any row, a unique entry conflicts like a
// primary key, and a scan by the index sees the transaction's own writes
// through the engine's write set — what DSQL, Spanner and Limitless do
// with their index key ranges.
func WithIndexes(e Engine) Engine {
	if _, ok := e.(IndexKeeper); ok {
		return e
	}
	return &indexed{Engine: e, hidden: map[*Table][]*hiddenIndex{}}
}

// Unwrap returns the engine WithIndexes wrapped (tests that inspect an
// engine's own state use it).
func Unwrap(e Engine) Engine {
	if x, ok := e.(*indexed); ok {
		return x.Engine
	}
	return e
}

type indexed struct {
	Engine
	hidden map[*Table][]*hiddenIndex
}

// hiddenIndex is one index's table: the index's columns, then the primary
// key's columns that are not among them.
type hiddenIndex struct {
	ix    *Index
	base  *Table
	t     *Table
	cols  []int // base column of each hidden column
	pkPos []int // hidden position of each base primary-key column
}

func newHidden(base *Table, ix *Index) *hiddenIndex {
	h := &hiddenIndex{ix: ix, base: base}
	h.cols = append(h.cols, ix.Columns...)
	for _, c := range base.PrimaryKey {
		if !slices.Contains(h.cols, c) {
			h.cols = append(h.cols, c)
		}
	}
	t := &Table{Name: base.Name + "$" + ix.Name, ShardKey: -1, Reference: base.Reference}
	for i, c := range h.cols {
		col := base.Columns[c]
		t.Columns = append(t.Columns, col)
		if c == base.shardCol() {
			t.ShardKey = i
		}
	}
	n := len(h.cols)
	if ix.Unique {
		n = len(ix.Columns)
	}
	for i := range n {
		t.PrimaryKey = append(t.PrimaryKey, i)
	}
	if t.ShardKey >= n {
		t.ShardKey = -1 // the shard column must be part of the key
	}
	for _, c := range base.PrimaryKey {
		h.pkPos = append(h.pkPos, slices.Index(h.cols, c))
	}
	h.t = t
	return h
}

func (t *Table) shardCol() int {
	if t.ShardKey < 0 {
		return t.PrimaryKey[0]
	}
	return t.ShardKey
}

// entry is the index row of a base row.
func (h *hiddenIndex) entry(r Row) Row {
	e := make(Row, len(h.cols))
	for i, c := range h.cols {
		e[i] = r[c]
	}
	return e
}

// baseKey is the base row's primary key from an index row.
func (h *hiddenIndex) baseKey(e Row) Key {
	k := make(Key, len(h.pkPos))
	for i, p := range h.pkPos {
		k[i] = e[p]
	}
	return k
}

// touches reports whether an update of these columns changes the entry.
func (h *hiddenIndex) touches(cols []int) bool {
	for _, c := range cols {
		if slices.Contains(h.cols, c) {
			return true
		}
	}
	return false
}

func (x *indexed) CreateSchema(ctx context.Context, s *Schema) error {
	all := &Schema{Tables: slices.Clone(s.Tables)}
	for _, t := range s.Tables {
		for i := range t.Indexes {
			h := newHidden(t, &t.Indexes[i])
			x.hidden[t] = append(x.hidden[t], h)
			all.Tables = append(all.Tables, h.t)
		}
	}
	if err := all.Validate(); err != nil {
		return fmt.Errorf("secondary indexes: %w", err)
	}
	return x.Engine.CreateSchema(ctx, all)
}

func (x *indexed) Load(ctx context.Context, t *Table, rows []Row) error {
	if err := x.Engine.Load(ctx, t, rows); err != nil {
		return err
	}
	for _, h := range x.hidden[t] {
		entries := make([]Row, len(rows))
		for i, r := range rows {
			entries[i] = h.entry(r)
		}
		if err := x.Engine.Load(ctx, h.t, entries); err != nil {
			return err
		}
	}
	return nil
}

// LoadPacked forwards to the engine's LoadPacked: LoadsPacked offers it
// only when no table has secondary indexes (their entries are made from
// rows).
func (x *indexed) LoadPacked(ctx context.Context, t *Table, rows []PackedRow) error {
	return x.Engine.(PackedLoader).LoadPacked(ctx, t, rows)
}

// LoadCopies forwards: the index entries Load makes are fresh rows, and
// the rows themselves go to the engine.
func (x *indexed) LoadCopies() bool { return LoadCopies(x.Engine) }

// Flush forwards to an engine that loads in the background.
func (x *indexed) Flush(ctx context.Context) error {
	if f, ok := x.Engine.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Notes forwards the engine's notes.
func (x *indexed) Notes() []string {
	if n, ok := x.Engine.(interface{ Notes() []string }); ok {
		return n.Notes()
	}
	return nil
}

func (x *indexed) Session(ctx context.Context, c Client) (Session, error) {
	s, err := x.Engine.Session(ctx, c)
	if err != nil {
		return nil, err
	}
	return &indexedSession{Session: s, x: x}, nil
}

type indexedSession struct {
	Session
	x *indexed
}

func (s *indexedSession) Begin(ctx context.Context, o TxnOptions) (Txn, error) {
	tx, err := s.Session.Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, ok := tx.(Grouper); ok && len(s.x.hidden) == 0 {
		// No index to keep: the wrapper would only forward (a Grouper's
		// statements and row operations are the wrapper's own forwards),
		// and it cost an allocation and an indirection every attempt.
		return tx, nil
	}
	return &indexedTxn{Txn: tx, x: s.x}, nil
}

// indexedTxn maintains the indexes of the rows it writes, inside the
// statement that writes them.
type indexedTxn struct {
	Txn
	x *indexed
}

// Info forwards the engine's commit information.
func (t *indexedTxn) Info() TxnInfo {
	if it, ok := t.Txn.(InfoTxn); ok {
		return it.Info()
	}
	return TxnInfo{}
}

func (t *indexedTxn) Statement(ctx context.Context, body func(ctx context.Context) error) error {
	if g, ok := t.Txn.(Grouper); ok {
		return g.Statement(ctx, body)
	}
	return body(ctx)
}

func (t *indexedTxn) Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if g, ok := t.Txn.(Grouper); ok {
		return g.Parallel(ctx, n, fn)
	}
	errs := make([]error, n)
	for i := range n {
		errs[i] = fn(ctx, i)
	}
	return FirstError(errs)
}

func (t *indexedTxn) Modify(ctx context.Context, tb *Table, k Key, as []Assign) (Row, bool, error) {
	cols := make([]int, len(as))
	for i, a := range as {
		cols[i] = a.Col
	}
	g, native := t.Txn.(Grouper)
	if native && !t.touches(tb, cols) {
		return g.Modify(ctx, tb, k, as)
	}
	var row Row
	var ok bool
	err := t.Statement(ctx, func(ctx context.Context) error {
		old, found, err := t.Txn.GetForUpdate(ctx, tb, k)
		if err != nil || !found {
			return err
		}
		row = Apply(old, as)
		sets := make([]Set, len(as))
		for i, a := range as {
			sets[i] = Set{Col: a.Col, Val: row[a.Col]}
		}
		err = t.update(ctx, tb, k, old, sets)
		ok = err == nil
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		return err
	})
	return row, ok, err
}

func (t *indexedTxn) touches(tb *Table, cols []int) bool {
	for _, h := range t.x.hidden[tb] {
		if h.touches(cols) {
			return true
		}
	}
	return false
}

// checkUnique reports ErrDuplicateKey when another row holds one of r's
// unique index entries.
func (t *indexedTxn) checkUnique(ctx context.Context, tb *Table, r Row, self Key) error {
	for _, h := range t.x.hidden[tb] {
		if !h.ix.Unique {
			continue
		}
		e := h.entry(r)
		got, ok, err := t.Txn.Get(ctx, h.t, h.t.KeyOf(e))
		if err != nil {
			return err
		}
		if ok && (self == nil || h.baseKey(got).Encode() != self.Encode()) {
			return ErrDuplicateKey
		}
	}
	return nil
}

func (t *indexedTxn) Insert(ctx context.Context, tb *Table, r Row) error {
	if len(t.x.hidden[tb]) == 0 {
		return t.Txn.Insert(ctx, tb, r)
	}
	if err := tb.CheckRow(r); err != nil {
		return err
	}
	return t.Statement(ctx, func(ctx context.Context) error {
		if err := t.checkUnique(ctx, tb, r, nil); err != nil {
			return err
		}
		if err := t.Txn.Insert(ctx, tb, r); err != nil {
			return err
		}
		for _, h := range t.x.hidden[tb] {
			if err := t.Txn.Insert(ctx, h.t, h.entry(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *indexedTxn) Update(ctx context.Context, tb *Table, k Key, sets ...Set) error {
	cols := make([]int, len(sets))
	for i, s := range sets {
		cols[i] = s.Col
	}
	if !t.touches(tb, cols) {
		return t.Txn.Update(ctx, tb, k, sets...)
	}
	return t.Statement(ctx, func(ctx context.Context) error {
		old, err := t.current(ctx, tb, k)
		if err != nil {
			return err
		}
		return t.update(ctx, tb, k, old, sets)
	})
}

// current reads the row a write replaces, locked; ErrNotFound if none.
func (t *indexedTxn) current(ctx context.Context, tb *Table, k Key) (Row, error) {
	old, ok, err := t.Txn.GetForUpdate(ctx, tb, k)
	if err == nil && !ok {
		err = ErrNotFound
	}
	return old, err
}

// update replaces old's index entries that the sets change, then the row.
func (t *indexedTxn) update(ctx context.Context, tb *Table, k Key, old Row, sets []Set) error {
	row := old.Clone()
	for _, s := range sets {
		row[s.Col] = s.Val
	}
	if err := t.checkUnique(ctx, tb, row, k); err != nil {
		return err
	}
	if err := t.Txn.Update(ctx, tb, k, sets...); err != nil {
		return err
	}
	for _, h := range t.x.hidden[tb] {
		before, after := h.entry(old), h.entry(row)
		if Key(before).Encode() == Key(after).Encode() {
			continue
		}
		if err := t.Txn.Delete(ctx, h.t, h.t.KeyOf(before)); err != nil {
			return err
		}
		if err := t.Txn.Insert(ctx, h.t, after); err != nil {
			return err
		}
	}
	return nil
}

func (t *indexedTxn) Delete(ctx context.Context, tb *Table, k Key) error {
	if len(t.x.hidden[tb]) == 0 {
		return t.Txn.Delete(ctx, tb, k)
	}
	return t.Statement(ctx, func(ctx context.Context) error {
		old, err := t.current(ctx, tb, k)
		if err != nil {
			return err
		}
		if err := t.Txn.Delete(ctx, tb, k); err != nil {
			return err
		}
		for _, h := range t.x.hidden[tb] {
			if err := t.Txn.Delete(ctx, h.t, h.t.KeyOf(h.entry(old))); err != nil {
				return err
			}
		}
		return nil
	})
}

// The set-oriented forms run row by row through the index maintenance
// above, as one statement.

func (t *indexedTxn) GetMany(ctx context.Context, tb *Table, keys []Key, o ReadOpts) ([]Row, error) {
	return RowWise{t}.GetMany(ctx, tb, keys, o)
}

func (t *indexedTxn) UpdateMany(ctx context.Context, tb *Table, ups []KeyUpdate, returning bool) (int, []Row, error) {
	return RowWise{t}.UpdateMany(ctx, tb, ups, returning)
}

func (t *indexedTxn) DeleteMany(ctx context.Context, tb *Table, keys []Key) ([]Key, error) {
	return RowWise{t}.DeleteMany(ctx, tb, keys)
}

// InsertMany leaves out a row whose unique entry an earlier row of the
// statement holds (its parallel inserts would not see each other).
func (t *indexedTxn) InsertMany(ctx context.Context, tb *Table, rows []Row) error {
	kept, dup := rows, false
	for _, h := range t.x.hidden[tb] {
		if !h.ix.Unique {
			continue
		}
		seen := map[string]bool{}
		var next []Row
		for _, r := range kept {
			enc := h.t.EncodeKey(h.entry(r))
			if seen[enc] {
				dup = true
				continue
			}
			seen[enc] = true
			next = append(next, r)
		}
		kept = next
	}
	err := RowWise{t}.InsertMany(ctx, tb, kept)
	if err == nil && dup {
		err = ErrDuplicateKey
	}
	return err
}

// Query by a secondary index scans the index's range, then reads the rows
// it names, in one statement; the predicate applies to the rows, then the
// limit.
func (t *indexedTxn) Query(ctx context.Context, tb *Table, q Query) ([]Row, error) {
	if q.Index == "" {
		return RowWise{t}.Query(ctx, tb, q)
	}
	var h *hiddenIndex
	for _, c := range t.x.hidden[tb] {
		if c.ix.Name == q.Index {
			h = c
		}
	}
	if h == nil {
		return nil, fmt.Errorf("engines: table %s has no index %q", tb.Name, q.Index)
	}
	var out []Row
	err := t.Statement(ctx, func(ctx context.Context) error {
		spec := q.Spec()
		if len(q.Where) > 0 {
			spec.Limit = 0
		}
		entries, err := t.Txn.Scan(ctx, h.t, spec)
		if err != nil || len(entries) == 0 {
			return err
		}
		keys := make([]Key, len(entries))
		for i, e := range entries {
			keys[i] = h.baseKey(e)
		}
		rows := make([]Row, len(keys))
		err = t.Parallel(ctx, len(keys), func(ctx context.Context, i int) error {
			r, ok, err := t.Txn.Get(ctx, tb, keys[i])
			if ok {
				rows[i] = r
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r != nil && Match(r, q.Where) && (q.Limit <= 0 || len(out) < q.Limit) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
