// Package settest is the engine test suite for the set-oriented statement
// forms and secondary indexes (engines.SetTxn, engines.Index): every engine
// runs it, the simulated ones through the runner (a tiny workload,
// "settest", that holds its schema) and pg on a real server.
package settest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads"
)

// Columns of the suite's one table, item(id, grp, name, qty, price).
const (
	cID = iota
	cGrp
	cName
	cQty
	cPrice
)

// Rows in the initial load: ids 1..N, group id%3, name "n<id>", qty id,
// price id.50.
const N = 12

// Schema is item with a non-unique index on (grp, qty) and a unique index
// on name: one schema, whose table engines know by identity.
func Schema() (*engines.Schema, *engines.Table) { return schema, schema.Tables[0] }

var schema = newSchema()

func newSchema() *engines.Schema {
	t := &engines.Table{
		Name: "settest_item",
		Columns: []engines.Column{
			{Name: "id", Type: engines.TypeInt}, {Name: "grp", Type: engines.TypeInt},
			{Name: "name", Type: engines.TypeString, Size: 16}, {Name: "qty", Type: engines.TypeInt},
			{Name: "price", Type: engines.TypeDecimal, Size: 8, Scale: 2},
		},
		PrimaryKey: []int{cID}, ShardKey: -1,
		Indexes: []engines.Index{
			{Name: "by_grp", Columns: []int{cGrp, cQty}},
			{Name: "by_name", Columns: []int{cName}, Unique: true},
		},
	}
	return &engines.Schema{Tables: []*engines.Table{t}}
}

func row(id, grp, qty int64, name string) engines.Row {
	return engines.Row{engines.Int(id), engines.Int(grp), engines.String(name), engines.Int(qty),
		engines.DecimalValue(engines.Dec(id*100+50, 2))}
}

// Rows is the initial load.
func Rows() []engines.Row {
	var out []engines.Row
	for i := int64(1); i <= N; i++ {
		out = append(out, row(i, i%3, i, fmt.Sprintf("n%d", i)))
	}
	return out
}

func key(id int64) engines.Key { return engines.Key{engines.Int(id)} }

func ids(rows []engines.Row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r[cID].Int()
	}
	return out
}

// Exec runs fn with a fresh session of the engine under test.
type Exec func(fn func(ctx context.Context, sess engines.Session) error) error

// Run runs the suite. Every case but the last rolls back, so the cases
// see the initial load; the last commits and reads its effects back.
func Run(t *testing.T, exec Exec) {
	_, tb := Schema()
	inTxn := func(t *testing.T, readOnly bool, fn func(ctx context.Context, tx engines.Txn) error) {
		t.Helper()
		err := exec(func(ctx context.Context, sess engines.Session) error {
			tx, err := sess.Begin(ctx, engines.TxnOptions{Type: "settest", ReadOnly: readOnly, Attempt: 1})
			if err != nil {
				return err
			}
			if err := fn(ctx, tx); err != nil {
				if _, aborted := engines.AsAbort(err); !aborted {
					_ = tx.Rollback(ctx)
				}
				return err
			}
			return tx.Rollback(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := func(t *testing.T, what string, got []int64, want ...int64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: ids %v, want %v", what, got, want)
		}
	}

	t.Run("GetMany", func(t *testing.T) {
		inTxn(t, true, func(ctx context.Context, tx engines.Txn) error {
			got, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(7), key(2), key(99), key(2)}, engines.ReadOpts{})
			want(t, "keys 7, 2, 99 (missing), 2 again", ids(got), 2, 7)
			if err == nil && got[1][cPrice].Dec().String() != "7.50" {
				t.Errorf("price %s, want 7.50 exactly", got[1][cPrice])
			}
			return err
		})
	})
	t.Run("GetMany FOR UPDATE with a predicate", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			got, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(1), key(5), key(9), key(11)},
				engines.ReadOpts{ForUpdate: true, Where: []engines.Cond{{Col: cQty, Op: engines.OpGe, Val: engines.Int(5)}}})
			want(t, "qty >= 5 among 1, 5, 9, 11", ids(got), 5, 9, 11)
			return err
		})
	})
	t.Run("UpdateMany with expressions, RETURNING", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			var ups []engines.KeyUpdate
			for _, id := range []int64{4, 3, 98} {
				ups = append(ups, engines.KeyUpdate{Key: key(id), Assigns: []engines.Assign{
					{Col: cQty, Op: engines.AssignAdd, Val: engines.Int(10 * id)},
					{Col: cPrice, Op: engines.AssignAdd, Val: engines.DecimalValue(engines.Dec(1, 2))},
				}})
			}
			n, got, err := engines.UpdateMany(ctx, tx, tb, ups, true)
			if err != nil {
				return err
			}
			want(t, "updated 4, 3, 98 (missing)", ids(got), 3, 4)
			if n != 2 || got[0][cQty].Int() != 33 || got[1][cQty].Int() != 44 || got[1][cPrice].Dec().String() != "4.51" {
				t.Errorf("n %d, rows %v, want qty 33 and 44, price 4.51", n, got)
			}
			// The transaction reads its own update.
			again, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(4)}, engines.ReadOpts{})
			if err == nil && again[0][cQty].Int() != 44 {
				t.Errorf("read after update: qty %v, want 44", again[0][cQty])
			}
			return err
		})
	})
	t.Run("DeleteMany", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			gone, err := engines.DeleteMany(ctx, tx, tb, []engines.Key{key(8), key(97), key(6)})
			if err != nil {
				return err
			}
			if len(gone) != 2 || gone[0][0].Int() != 6 || gone[1][0].Int() != 8 {
				t.Errorf("deleted %v, want 6 and 8", gone)
			}
			left, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(6), key(7), key(8)}, engines.ReadOpts{})
			want(t, "6, 7, 8 after deleting 6 and 8", ids(left), 7)
			return err
		})
	})
	t.Run("InsertMany, a duplicate key skipped", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			err := engines.InsertMany(ctx, tx, tb, []engines.Row{row(20, 1, 1, "a"), row(3, 1, 1, "b"), row(21, 2, 2, "c")})
			if !errors.Is(err, engines.ErrDuplicateKey) {
				t.Errorf("inserting over key 3: %v, want ErrDuplicateKey", err)
			}
			got, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(20), key(21), key(3)}, engines.ReadOpts{})
			want(t, "20, 21 inserted, 3 kept", ids(got), 3, 20, 21)
			if err == nil && got[0][cName].Str() != "n3" {
				t.Errorf("row 3 overwritten: %v", got[0])
			}
			return err
		})
	})
	t.Run("Query by key range with predicate, order and limit", func(t *testing.T) {
		inTxn(t, true, func(ctx context.Context, tx engines.Txn) error {
			got, err := engines.RunQuery(ctx, tx, tb, engines.Query{Start: key(2), End: key(11), Reverse: true, Limit: 3,
				Where: []engines.Cond{{Col: cGrp, Op: engines.OpNe, Val: engines.Int(0)}}})
			want(t, "ids in [2, 11) with grp != 0, descending, limit 3", ids(got), 10, 8, 7)
			return err
		})
	})
	t.Run("Query by index", func(t *testing.T) {
		inTxn(t, true, func(ctx context.Context, tx engines.Txn) error {
			g := engines.Key{engines.Int(1)}
			got, err := engines.RunQuery(ctx, tx, tb, engines.Query{Index: "by_grp", Start: g, End: g, EndInclusivePrefix: true})
			want(t, "grp 1 by qty", ids(got), 1, 4, 7, 10)
			if err != nil {
				return err
			}
			got, err = engines.RunQuery(ctx, tx, tb, engines.Query{Index: "by_grp", Start: g, End: g, EndInclusivePrefix: true, Reverse: true, Limit: 1,
				Where: []engines.Cond{{Col: cQty, Op: engines.OpLt, Val: engines.Int(10)}}})
			want(t, "grp 1, qty < 10, last by qty", ids(got), 7)
			return err
		})
	})
	t.Run("a scan by index sees the transaction's own writes", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			if err := tx.Insert(ctx, tb, row(30, 1, 5, "new")); err != nil {
				return err
			}
			// Moves 4 from (1, 4) to (1, 50); deletes 7.
			if err := tx.Update(ctx, tb, key(4), engines.Set{Col: cQty, Val: engines.Int(50)}); err != nil {
				return err
			}
			if err := tx.Delete(ctx, tb, key(7)); err != nil {
				return err
			}
			g := engines.Key{engines.Int(1)}
			got, err := engines.RunQuery(ctx, tx, tb, engines.Query{Index: "by_grp", Start: g, End: g, EndInclusivePrefix: true})
			want(t, "grp 1 by qty after insert, update, delete", ids(got), 1, 30, 10, 4)
			if err != nil {
				return err
			}
			byName, err := engines.RunQuery(ctx, tx, tb, engines.Query{Index: "by_name", Start: engines.Key{engines.String("new")},
				End: engines.Key{engines.String("new")}, EndInclusivePrefix: true})
			want(t, "name 'new'", ids(byName), 30)
			return err
		})
	})
	t.Run("a unique index conflict", func(t *testing.T) {
		inTxn(t, false, func(ctx context.Context, tx engines.Txn) error {
			if err := tx.Insert(ctx, tb, row(40, 0, 1, "n5")); !errors.Is(err, engines.ErrDuplicateKey) {
				t.Errorf("insert of name n5 again: %v, want ErrDuplicateKey", err)
			}
			if err := engines.InsertMany(ctx, tx, tb, []engines.Row{row(41, 0, 1, "x"), row(42, 0, 1, "x")}); !errors.Is(err, engines.ErrDuplicateKey) {
				t.Errorf("two new rows with name x: %v, want ErrDuplicateKey", err)
			}
			got, err := engines.GetMany(ctx, tx, tb, []engines.Key{key(40), key(41), key(42)}, engines.ReadOpts{})
			want(t, "rows kept", ids(got), 41)
			return err
		})
	})
	t.Run("committed writes, read back", func(t *testing.T) {
		err := exec(func(ctx context.Context, sess engines.Session) error {
			tx, err := sess.Begin(ctx, engines.TxnOptions{Type: "settest", Attempt: 1})
			if err != nil {
				return err
			}
			if _, _, err := engines.UpdateMany(ctx, tx, tb, []engines.KeyUpdate{{Key: key(2), Assigns: []engines.Assign{
				{Col: cGrp, Op: engines.AssignSet, Val: engines.Int(1)}}}}, false); err != nil {
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			tx, err = sess.Begin(ctx, engines.TxnOptions{Type: "settest", ReadOnly: true, Attempt: 1})
			if err != nil {
				return err
			}
			g := engines.Key{engines.Int(1)}
			got, err := engines.RunQuery(ctx, tx, tb, engines.Query{Index: "by_grp", Start: g, End: g, EndInclusivePrefix: true})
			want(t, "grp 1 after moving 2 into it", ids(got), 1, 2, 4, 7, 10)
			if err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Workload is the suite's schema as a workload (no clients), so that the
// runner can build a simulated engine loaded with it.
type Workload struct{}

func (Workload) Schema() *engines.Schema { s, _ := Schema(); return s }
func (w Workload) Load(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.Row) error) error {
	s := w.Schema()
	return load(ctx, s.Tables[0], Rows())
}
func (Workload) TxnTypes() []string                         { return []string{"settest"} }
func (Workload) NewClient(int, *rand.Rand) workloads.Client { return nil }

// Register adds the workload "settest" (for tests that build simulations).
func Register() {
	if _, err := workloads.Lookup("settest"); err == nil {
		return
	}
	workloads.Register(&workloads.Meta{Name: "settest", Description: "the set-oriented statement suite's table (tests only)",
		Configure: func(*option.Set) workloads.Builder {
			return func(uint64) (workloads.Workload, error) { return Workload{}, nil }
		}})
}
