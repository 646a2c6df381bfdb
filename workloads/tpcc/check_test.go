package tpcc

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

// Right after the load, at the spec's cardinalities, every condition holds,
// condition 11 included (no Delivery has run).
func TestConditionsHoldAfterLoad(t *testing.T) {
	s := prepare(t, "occ", nil)
	res := check(t, s)
	logResults(t, res)
	for _, r := range res {
		if r.Status != workloads.CheckPass {
			t.Errorf("%s %s: %s", r.Name, r.Status, r.Detail)
		}
	}
	// Every warehouse, district, order and customer was evaluated.
	for _, c := range []struct{ name, detail string }{
		{"3.3.2.1", "checked 1 warehouse"},
		{"3.3.2.5", "checked 30000 orders"},
		{"3.3.2.10", "checked 30000 customers"},
		{"3.3.2.11", "checked 10 districts"},
	} {
		if r := res[slices.IndexFunc(res, func(r workloads.CheckResult) bool { return r.Name == c.name })]; r.Detail != c.detail {
			t.Errorf("%s: %q, want %q", c.name, r.Detail, c.detail)
		}
	}
}

// update adds delta to a numeric column of one row (cents for money).
func update(table, col string, k engines.Key, delta int64) func(context.Context, *Workload, engines.Txn) error {
	return func(ctx context.Context, w *Workload, tx engines.Txn) error {
		t := w.schema.Table(table)
		r, ok, err := tx.Get(ctx, t, k)
		if err != nil || !ok {
			return errorOr(err, "no row")
		}
		c := t.Col(col)
		v := r[c]
		if v.Kind() == engines.TypeInt {
			v = engines.Int(v.Int() + delta)
		} else {
			v = engines.DecimalValue(v.Dec().Add(engines.Dec(delta, 2)))
		}
		return tx.Update(ctx, t, k, engines.Set{Col: c, Val: v})
	}
}

func set(table, col string, k engines.Key, v engines.Value) func(context.Context, *Workload, engines.Txn) error {
	return func(ctx context.Context, w *Workload, tx engines.Txn) error {
		t := w.schema.Table(table)
		return tx.Update(ctx, t, k, engines.Set{Col: t.Col(col), Val: v})
	}
}

func del(table string, k engines.Key) func(context.Context, *Workload, engines.Txn) error {
	return func(ctx context.Context, w *Workload, tx engines.Txn) error {
		return tx.Delete(ctx, w.schema.Table(table), k)
	}
}

func errorOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return &engines.AbortError{Reason: "test: " + engines.Reason(msg)}
}

// A deliberately corrupted state fails the conditions that state breaks,
// and only those: each condition can fail, a failure does not stop the
// others from being evaluated, and warehouse 2 is checked as well as 1.
// Population at --scale 0.02: 60 customers and orders per district, orders
// 1..42 delivered, 43..60 in NEW-ORDER, D_NEXT_O_ID 61.
func TestCorruptedStateFailsTheMatchingConditions(t *testing.T) {
	type corruption = func(context.Context, *Workload, engines.Txn) error
	all := func(fs ...corruption) corruption {
		return func(ctx context.Context, w *Workload, tx engines.Txn) error {
			for _, f := range fs {
				if err := f(ctx, w, tx); err != nil {
					return err
				}
			}
			return nil
		}
	}
	ts := engines.Timestamp(Epoch)
	cases := []struct {
		name    string
		corrupt corruption
		fails   []string
	}{
		{"D_YTD off by a cent", update(TableDistrict, "d_ytd", key2(2, 3), 1), []string{"3.3.2.1", "3.3.2.9"}},
		{"W_YTD off by one", update(TableWarehouse, "w_ytd", key1(1), 100), []string{"3.3.2.1", "3.3.2.8"}},
		{"D_NEXT_O_ID skips one", update(TableDistrict, "d_next_o_id", key2(2, 10), 1), []string{"3.3.2.2"}},
		{"a NEW-ORDER row lost in the middle", del(TableNewOrder, key3(1, 1, 50)), []string{"3.3.2.3", "3.3.2.5", "3.3.2.11"}},
		{"the newest NEW-ORDER row lost", del(TableNewOrder, key3(2, 4, 60)), []string{"3.3.2.2", "3.3.2.5", "3.3.2.11"}},
		{"an order line lost", del(TableOrderLine, key4(1, 1, 10, 1)), []string{"3.3.2.4", "3.3.2.6"}},
		{"a carrier on an undelivered order", set(TableOrders, "o_carrier_id", key3(1, 2, 50), engines.Int(3)), []string{"3.3.2.5", "3.3.2.7"}},
		{"a delivery date on an undelivered line", set(TableOrderLine, "ol_delivery_d", key4(2, 2, 50, 1), ts), []string{"3.3.2.7", "3.3.2.10", "3.3.2.12"}},
		{"a payment only in HISTORY", func(ctx context.Context, w *Workload, tx engines.Txn) error {
			return tx.Insert(ctx, w.t.history, engines.Row{engines.Int(1), engines.Int(1), engines.Int(1), engines.Int(1), engines.Int(1),
				ts, cents(500), engines.String("x"), engines.Int(runHistoryIDs)})
		}, []string{"3.3.2.8", "3.3.2.9", "3.3.2.10"}},
		{"C_BALANCE off", update(TableCustomer, "c_balance", key3(2, 1, 5), -1), []string{"3.3.2.10", "3.3.2.12"}},
		{"C_YTD_PAYMENT off", update(TableCustomer, "c_ytd_payment", key3(1, 7, 5), 1), []string{"3.3.2.12"}},
		{"a delivered order vanished whole", func(ctx context.Context, w *Workload, tx engines.Txn) error {
			o, _, err := tx.Get(ctx, w.t.orders, key3(1, 1, 5)) // its line count
			if err != nil {
				return err
			}
			fs := []corruption{del(TableOrders, key3(1, 1, 5))}
			for n := int64(1); n <= o[oOLCnt].Int(); n++ {
				fs = append(fs, del(TableOrderLine, key4(1, 1, 5, n)))
			}
			return all(fs...)(ctx, w, tx)
		}, []string{"3.3.2.11"}},
		{"several at once", all(
			update(TableWarehouse, "w_ytd", key1(2), 1),
			del(TableOrderLine, key4(2, 5, 20, 1)),
			update(TableCustomer, "c_ytd_payment", key3(1, 1, 1), 1),
		), []string{"3.3.2.1", "3.3.2.4", "3.3.2.6", "3.3.2.8", "3.3.2.12"}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := prepare(t, "occ", map[string]string{"scale": "0.02", "warehouses": "2"})
			w := s.Workload.(*Workload)
			exec(t, s, func(ctx context.Context, sess engines.Session) error {
				return inTxn(ctx, sess, func(tx engines.Txn) error { return c.corrupt(ctx, w, tx) })
			})
			res := check(t, s)
			got := failing(res)
			want := map[string]bool{}
			for _, n := range c.fails {
				want[n], covered[n] = true, true
			}
			if !maps.Equal(got, want) || testing.Verbose() {
				logResults(t, res)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("failing %v, want %v", slices.Sorted(maps.Keys(got)), c.fails)
			}
			for _, r := range res {
				if r.Status == workloads.CheckFail && !strings.Contains(r.Detail, "warehouse") {
					t.Errorf("%s: the failure does not say where: %s", r.Name, r.Detail)
				}
			}
		})
	}
	for _, r := range conditionRules {
		if !covered[r.name] {
			t.Errorf("no corruption makes %s fail", r.name)
		}
	}
}
