package engines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The set-oriented statement forms. Each is ONE statement, shaped so that
// pg runs it as exactly one SQL statement and a simulated engine as one
// client round trip whose rows are fetched in parallel where they are
// stored (docs/models.md, "Statements"). Workloads call the package
// functions (GetMany, UpdateMany, ...): an engine that implements SetTxn
// runs them natively, any other through its row-at-a-time methods, grouped
// into one statement when the transaction implements Grouper.

// CmpOp is a comparison in a statement's predicate.
type CmpOp uint8

const (
	OpEq CmpOp = iota
	OpLt
	OpLe
	OpGt
	OpGe
	OpNe
)

var opSQL = [...]string{OpEq: "=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpNe: "<>"}

// SQL is the operator as written in SQL.
func (o CmpOp) SQL() string { return opSQL[o] }

// Cond is one column comparison: Columns[Col] Op Val. A statement's Where
// is the conjunction of its Conds, evaluated where the rows are stored.
type Cond struct {
	Col int
	Op  CmpOp
	Val Value
}

// Match reports whether r satisfies every cond (SQL semantics: a
// comparison with NULL is not true).
func Match(r Row, where []Cond) bool {
	for _, c := range where {
		v := r[c.Col]
		if v.IsNull() || c.Val.IsNull() {
			return false
		}
		cmp := Compare(v, c.Val)
		ok := false
		switch c.Op {
		case OpEq:
			ok = cmp == 0
		case OpLt:
			ok = cmp < 0
		case OpLe:
			ok = cmp <= 0
		case OpGt:
			ok = cmp > 0
		case OpGe:
			ok = cmp >= 0
		case OpNe:
			ok = cmp != 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// Compare orders two non-NULL values of one kind like SQL does.
func Compare(a, b Value) int {
	switch a.Kind() {
	case TypeString:
		return strings.Compare(a.str(), b.str())
	case TypeInt, TypeTimestamp:
		x, y := int64(a.n), int64(b.n)
		return cmpInt(x, y)
	case TypeFloat:
		x, y := a.Float(), b.Float()
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case TypeDecimal:
		return a.Dec().Cmp(b.Dec())
	}
	return 0
}

func cmpInt(x, y int64) int {
	if x < y {
		return -1
	} else if x > y {
		return 1
	}
	return 0
}

// AssignOp is how an UPDATE assigns a column.
type AssignOp uint8

const (
	// AssignSet: col = Val.
	AssignSet AssignOp = iota
	// AssignAdd: col = col + Val (int or decimal), so a read-modify-write
	// need not read first.
	AssignAdd
)

// Assign is one column assignment of an UPDATE.
type Assign struct {
	Col int
	Op  AssignOp
	Val Value
}

// Apply returns old with the assignments made (a fresh row).
func Apply(old Row, as []Assign) Row { return ApplyInPlace(old.Clone(), as) }

// ApplyInPlace is Apply on row itself, which it returns: for a row only
// the caller holds, such as one just unpacked from storage (a read-modify-
// write then allocates one row, not two).
func ApplyInPlace(row Row, as []Assign) Row {
	for _, a := range as {
		if a.Op == AssignAdd {
			row[a.Col] = Add(row[a.Col], a.Val)
			continue
		}
		row[a.Col] = a.Val
	}
	return row
}

// Add is a + b for ints and decimals (the result has a's scale).
func Add(a, b Value) Value {
	switch a.Kind() {
	case TypeInt:
		return Int(a.Int() + b.Int())
	case TypeDecimal:
		return DecimalValue(a.Dec().Add(b.Dec()))
	case TypeFloat:
		return Float(a.Float() + b.Float())
	}
	panic(fmt.Sprintf("engines: cannot add to a value of kind %s", a.Kind()))
}

// KeyUpdate is the UPDATE of one row: its key and its assignments. The
// updates of one UpdateMany have the same shape (columns and ops, in
// order); their values may differ, as in UPDATE ... FROM (VALUES ...).
type KeyUpdate struct {
	Key     Key
	Assigns []Assign
}

// ReadOpts qualify a many-key read.
type ReadOpts struct {
	// ForUpdate locks the rows read (SELECT ... FOR UPDATE).
	ForUpdate bool
	// Where keeps only the rows that satisfy it (evaluated at storage).
	Where []Cond
}

// Query is a scan by primary-key range or by a secondary index, with an
// optional predicate, order and limit: SELECT * FROM t WHERE <range on the
// index's columns> AND <Where> ORDER BY <index columns, then key> LIMIT n.
type Query struct {
	// Index names a secondary index of the table; "" is the primary key.
	Index string
	// Start, End, EndInclusivePrefix, Reverse and Limit are ScanSpec's, over
	// the index's columns (a secondary index's columns are followed by the
	// primary key's, so its keys are unique).
	Start, End         Key
	EndInclusivePrefix bool
	Reverse            bool
	Limit              int
	Where              []Cond
}

// Spec is the query's range as a ScanSpec.
func (q Query) Spec() ScanSpec {
	return ScanSpec{Start: q.Start, End: q.End, EndInclusivePrefix: q.EndInclusivePrefix, Reverse: q.Reverse, Limit: q.Limit}
}

// SetTxn is implemented by transactions that run the set-oriented forms
// natively. Rows come back in primary-key order, each once.
type SetTxn interface {
	// GetMany reads the rows with these keys (SELECT ... WHERE key IN
	// (...) [AND where] [FOR UPDATE]); missing or filtered rows are left out.
	GetMany(ctx context.Context, t *Table, keys []Key, o ReadOpts) ([]Row, error)
	// UpdateMany applies each update to its row (missing rows are skipped)
	// and returns the new rows when returning is set (UPDATE ... RETURNING).
	UpdateMany(ctx context.Context, t *Table, ups []KeyUpdate, returning bool) (n int, rows []Row, err error)
	// DeleteMany deletes the rows with these keys and returns the keys it
	// deleted (DELETE ... RETURNING key), in key order.
	DeleteMany(ctx context.Context, t *Table, keys []Key) ([]Key, error)
	// InsertMany inserts the rows (INSERT ... VALUES (...), (...) ON
	// CONFLICT DO NOTHING): a row whose key or unique index entry exists is
	// skipped, and the call returns ErrDuplicateKey after inserting the others.
	InsertMany(ctx context.Context, t *Table, rows []Row) error
	// Query runs a scan by key range or secondary index.
	Query(ctx context.Context, t *Table, q Query) ([]Row, error)
}

// Grouper is implemented by simulated transactions: Statement makes the
// row operations body calls on the transaction one statement (one client
// round trip, the statement CPU once), and Parallel runs n row operations
// of the statement as parallel requests to where the rows are stored.
//
// Modify is the row operation of an UPDATE that assigns expressions: it
// reads the row where it is stored (locking it as the engine's writes do),
// applies the assignments and buffers the new row, in one request; ok is
// false when there is no row.
type Grouper interface {
	Statement(ctx context.Context, body func(ctx context.Context) error) error
	Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error
	Modify(ctx context.Context, t *Table, k Key, as []Assign) (row Row, ok bool, err error)
}

// ErrShape: the updates of one UpdateMany differ in shape.
var ErrShape = errors.New("engines: the updates of one statement assign different columns")

// SameShape reports whether every update assigns the same columns with the
// same ops, in the same order.
func SameShape(ups []KeyUpdate) bool {
	for _, u := range ups[1:] {
		if len(u.Assigns) != len(ups[0].Assigns) {
			return false
		}
		for i, a := range u.Assigns {
			if b := ups[0].Assigns[i]; a.Col != b.Col || a.Op != b.Op {
				return false
			}
		}
	}
	return true
}

// GetMany is SetTxn.GetMany on any transaction.
func GetMany(ctx context.Context, tx Txn, t *Table, keys []Key, o ReadOpts) ([]Row, error) {
	if s, ok := tx.(SetTxn); ok {
		return s.GetMany(ctx, t, keys, o)
	}
	return RowWise{tx}.GetMany(ctx, t, keys, o)
}

// UpdateMany is SetTxn.UpdateMany on any transaction.
func UpdateMany(ctx context.Context, tx Txn, t *Table, ups []KeyUpdate, returning bool) (int, []Row, error) {
	if len(ups) > 0 && !SameShape(ups) {
		return 0, nil, ErrShape
	}
	if s, ok := tx.(SetTxn); ok {
		return s.UpdateMany(ctx, t, ups, returning)
	}
	return RowWise{tx}.UpdateMany(ctx, t, ups, returning)
}

// DeleteMany is SetTxn.DeleteMany on any transaction.
func DeleteMany(ctx context.Context, tx Txn, t *Table, keys []Key) ([]Key, error) {
	if s, ok := tx.(SetTxn); ok {
		return s.DeleteMany(ctx, t, keys)
	}
	return RowWise{tx}.DeleteMany(ctx, t, keys)
}

// InsertMany is SetTxn.InsertMany on any transaction.
func InsertMany(ctx context.Context, tx Txn, t *Table, rows []Row) error {
	if s, ok := tx.(SetTxn); ok {
		return s.InsertMany(ctx, t, rows)
	}
	return RowWise{tx}.InsertMany(ctx, t, rows)
}

// RunQuery is SetTxn.Query on any transaction.
func RunQuery(ctx context.Context, tx Txn, t *Table, q Query) ([]Row, error) {
	if s, ok := tx.(SetTxn); ok {
		return s.Query(ctx, t, q)
	}
	return RowWise{tx}.Query(ctx, t, q)
}

// RowWise runs the set-oriented forms through a transaction's row-at-a-time
// methods: as one statement with parallel row requests when the
// transaction is a Grouper (the simulated engines), else one after another.
type RowWise struct{ Txn Txn }

func (w RowWise) statement(ctx context.Context, body func(ctx context.Context) error) error {
	if g, ok := w.Txn.(Grouper); ok {
		return g.Statement(ctx, body)
	}
	return body(ctx)
}

// each runs fn for every i in parallel (Grouper) or in order; the error
// returned is the first abort, else the first error, by index.
func (w RowWise) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	if g, ok := w.Txn.(Grouper); ok {
		return g.Parallel(ctx, n, fn)
	}
	for i := range n {
		if err := fn(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// FirstError picks a statement's error from its rows' errors: the first
// abort (the transaction is over), else the first other error.
func FirstError(errs []error) error {
	var first error
	for _, err := range errs {
		if _, ok := AsAbort(err); ok {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// sortByKey puts rows in primary-key order and drops the nils; if distinct,
// also every row after the first of its key (a key asked for twice is read
// once in SQL).
func sortByKey(t *Table, rows []Row, distinct bool) []Row {
	type kr struct {
		enc string
		r   Row
	}
	ks := make([]kr, 0, len(rows))
	for _, r := range rows {
		if r != nil {
			ks = append(ks, kr{t.EncodeKey(r), r})
		}
	}
	byKey := func(a, b kr) int { return strings.Compare(a.enc, b.enc) }
	if distinct {
		slices.SortStableFunc(ks, byKey) // a key's first row leads its run
		ks = slices.CompactFunc(ks, func(a, b kr) bool { return a.enc == b.enc })
	} else {
		slices.SortFunc(ks, byKey)
	}
	out := make([]Row, len(ks))
	for i, k := range ks {
		out[i] = k.r
	}
	return out
}

func (w RowWise) GetMany(ctx context.Context, t *Table, keys []Key, o ReadOpts) ([]Row, error) {
	got := make([]Row, len(keys))
	err := w.statement(ctx, func(ctx context.Context) error {
		return w.each(ctx, len(keys), func(ctx context.Context, i int) error {
			get := w.Txn.Get
			if o.ForUpdate {
				get = w.Txn.GetForUpdate
			}
			r, ok, err := get(ctx, t, keys[i])
			if ok && Match(r, o.Where) {
				got[i] = r
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return sortByKey(t, got, true), nil
}

func (w RowWise) UpdateMany(ctx context.Context, t *Table, ups []KeyUpdate, returning bool) (int, []Row, error) {
	got := make([]Row, len(ups))
	err := w.statement(ctx, func(ctx context.Context) error {
		return w.each(ctx, len(ups), func(ctx context.Context, i int) error {
			row, ok, err := w.modify(ctx, t, ups[i])
			if ok {
				got[i] = row
			}
			return err
		})
	})
	if err != nil {
		return 0, nil, err
	}
	rows := sortByKey(t, got, false)
	if !returning {
		return len(rows), nil, nil
	}
	return len(rows), rows, nil
}

// modify is one row's update: the engine's own read-modify-write when it
// has one, else a locking read and an update.
func (w RowWise) modify(ctx context.Context, t *Table, u KeyUpdate) (Row, bool, error) {
	if g, ok := w.Txn.(Grouper); ok {
		return g.Modify(ctx, t, u.Key, u.Assigns)
	}
	old, ok, err := w.Txn.GetForUpdate(ctx, t, u.Key)
	if err != nil || !ok {
		return nil, false, err
	}
	row := Apply(old, u.Assigns)
	sets := make([]Set, len(u.Assigns))
	for j, a := range u.Assigns {
		sets[j] = Set{Col: a.Col, Val: row[a.Col]}
	}
	if err := w.Txn.Update(ctx, t, u.Key, sets...); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return row, true, nil
}

func (w RowWise) DeleteMany(ctx context.Context, t *Table, keys []Key) ([]Key, error) {
	gone := make([]bool, len(keys))
	err := w.statement(ctx, func(ctx context.Context) error {
		return w.each(ctx, len(keys), func(ctx context.Context, i int) error {
			err := w.Txn.Delete(ctx, t, keys[i])
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			gone[i] = err == nil
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return SortKeys(keys, gone), nil
}

// SortKeys returns the keys marked in keep, in key order, each once.
func SortKeys(keys []Key, keep []bool) []Key {
	type ke struct {
		enc string
		k   Key
	}
	var ks []ke
	for i, k := range keys {
		if keep == nil || keep[i] {
			ks = append(ks, ke{k.Encode(), k})
		}
	}
	slices.SortFunc(ks, func(a, b ke) int { return strings.Compare(a.enc, b.enc) })
	ks = slices.CompactFunc(ks, func(a, b ke) bool { return a.enc == b.enc })
	out := make([]Key, len(ks))
	for i, k := range ks {
		out[i] = k.k
	}
	return out
}

func (w RowWise) InsertMany(ctx context.Context, t *Table, rows []Row) error {
	for _, r := range rows {
		if err := t.CheckRow(r); err != nil {
			return err
		}
	}
	// A key repeated within the statement is a duplicate of its first row
	// (the rows' inserts run in parallel, so none would see the other).
	dup := make([]bool, len(rows))
	seen := make(map[string]bool, len(rows))
	for i, r := range rows {
		enc := t.EncodeKey(r)
		dup[i] = seen[enc]
		seen[enc] = true
	}
	err := w.statement(ctx, func(ctx context.Context) error {
		return w.each(ctx, len(rows), func(ctx context.Context, i int) error {
			if dup[i] {
				return nil
			}
			err := w.Txn.Insert(ctx, t, rows[i])
			if errors.Is(err, ErrDuplicateKey) {
				dup[i] = true
				return nil
			}
			return err
		})
	})
	if err != nil {
		return err
	}
	if slices.Contains(dup, true) {
		return ErrDuplicateKey
	}
	return nil
}

// Query on the primary key is a Scan with the predicate applied to its
// rows (then the limit); a transaction that keeps secondary indexes
// implements SetTxn itself.
func (w RowWise) Query(ctx context.Context, t *Table, q Query) ([]Row, error) {
	if q.Index != "" {
		return nil, fmt.Errorf("engines: table %s: index %q: this engine keeps no secondary indexes", t.Name, q.Index)
	}
	spec := q.Spec()
	if len(q.Where) > 0 {
		spec.Limit = 0
	}
	rows, err := w.Txn.Scan(ctx, t, spec)
	if err != nil || len(q.Where) == 0 {
		return rows, err
	}
	kept := rows[:0]
	for _, r := range rows {
		if Match(r, q.Where) && (q.Limit <= 0 || len(kept) < q.Limit) {
			kept = append(kept, r)
		}
	}
	return kept, nil
}
