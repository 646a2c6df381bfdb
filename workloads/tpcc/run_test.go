package tpcc

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// simulatedEngines lists every simulated engine linked into this test.
func simulatedEngines() []string {
	var out []string
	for _, m := range engines.All() {
		if m.Simulated {
			out = append(out, m.Name)
		}
	}
	return out
}

// runChecked runs cfg and checks the consistency conditions of the state
// it leaves, through the engine, inside the simulation (after cfg.Observe,
// if any).
func runChecked(t *testing.T, cfg runner.Config) (*runner.Result, []workloads.CheckResult) {
	t.Helper()
	var res []workloads.CheckResult
	var cerr error
	observe := cfg.Observe
	cfg.Observe = func(s *runner.Simulation) {
		if observe != nil {
			observe(s)
		}
		cerr = s.Exec(context.Background(), func(ctx context.Context, sess engines.Session) error {
			var err error
			res, err = s.Workload.(workloads.Checker).Check(ctx, sess)
			return err
		})
	}
	r, err := runner.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cerr != nil {
		t.Fatal(cerr)
	}
	return r, res
}

// After a run on every simulated engine, every applicable condition holds:
// 1-10 and 12 pass, and 11 is skipped once Deliveries have run. Every
// transaction type commits, including remote New-Order lines and Payments
// (two warehouses).
func TestEveryEngineKeepsTheConditions(t *testing.T) {
	names := simulatedEngines()
	if len(names) == 0 {
		t.Fatal("no simulated engine registered")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cfg := short(config(t, name, map[string]string{"scale": "0.05", "warehouses": "2"}))
			r, res := runChecked(t, cfg)
			for _, ty := range r.TxnTypes {
				t.Logf("%-12s committed %5d failed %3d aborts %v", ty.Name, ty.Committed, ty.Failed, ty.AbortReasons)
				if ty.Committed == 0 {
					t.Errorf("%s: no %s committed", name, ty.Name)
				}
			}
			logResults(t, res)
			for _, c := range res {
				ok := c.Status == workloads.CheckPass || (c.Name == "3.3.2.11" && c.Status == workloads.CheckSkipped)
				if !ok {
					t.Errorf("%s %s: %s", c.Name, c.Status, c.Detail)
				}
			}
		})
	}
}

// The check does not change the run's figures: it runs after they are
// final. And the same seed gives the same results file.
func TestSameSeedSameResultWithOrWithoutCheck(t *testing.T) {
	cfg := config(t, "occ", map[string]string{"scale": "0.02", "warehouses": "2"})
	cfg.Clients, cfg.Warmup, cfg.Duration = 8, 100*time.Millisecond, 500*time.Millisecond
	stable := func(r *runner.Result) []byte {
		c := *r
		c.Wall = runner.WallFacts{}
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain, err := runner.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := runner.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checked, _ := runChecked(t, cfg)
	if !bytes.Equal(stable(plain), stable(again)) {
		t.Error("two runs with the same seed differ")
	}
	if !bytes.Equal(stable(plain), stable(checked)) {
		t.Error("checking after the run changed the results")
	}
	if len(plain.WorkloadMetrics) == 0 || !strings.Contains(strings.Join(plain.Notes, "\n"), "non-compliant: --scale 0.02") {
		t.Errorf("metrics %v, notes %v: want tpmC and the non-compliance note", plain.WorkloadMetrics, plain.Notes)
	}
}

// run executes one logical transaction in its own session and commits it.
func run(ctx context.Context, sess engines.Session, txn workloads.Txn) error {
	return inTxn(ctx, sess, func(tx engines.Txn) error { return txn.Run(ctx, tx) })
}

// Delivery and New-Order interplay: a Delivery takes the oldest new order of
// every district out of NEW-ORDER, sets its carrier and delivery dates and
// credits the customer; a New-Order's order is delivered after the ones
// before it; once NEW-ORDER is empty a Delivery skips every district.
func TestDeliveryTakesTheOldestNewOrders(t *testing.T) {
	s := prepare(t, "occ", map[string]string{"scale": "0.01"}) // 30 customers: orders 22..30 undelivered
	w := s.Workload.(*Workload)
	first, last := w.size.delivered+1, w.size.customers
	b := base{w: w, date: engines.Timestamp(Epoch.Add(48 * time.Hour))}
	no := &newOrder{base: b, wh: 1, d: 3, c: 7, allLocal: true, lines: []orderLine{{item: 1, supply: 1, qty: 2}, {item: 2, supply: 1, qty: 3}}}
	dl := &delivery{base: b, wh: 1, carrier: 4}
	newOrders := func(ctx context.Context, tx engines.Txn, d int64) []int64 {
		rows, err := tx.Scan(ctx, w.t.newOrder, prefix(key2(1, d)))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r[noOID].Int())
		}
		return ids
	}
	exec(t, s, func(ctx context.Context, sess engines.Session) error {
		if err := run(ctx, sess, no); err != nil {
			return err
		}
		var balance engines.Decimal
		var before []int64
		if err := inTxn(ctx, sess, func(tx engines.Txn) error {
			before = newOrders(ctx, tx, 3)
			o, _ := get(ctx, tx, w.t.orders, key3(1, 3, first))
			c, _ := get(ctx, tx, w.t.customer, key3(1, 3, o[oCID].Int()))
			balance = c[cBalance].Dec()
			return nil
		}); err != nil {
			return err
		}
		if len(before) != int(last-first+2) || before[0] != first || before[len(before)-1] != last+1 {
			t.Fatalf("district 3 new orders %v, want %d..%d", before, first, last+1)
		}
		if err := run(ctx, sess, dl); err != nil {
			return err
		}
		return inTxn(ctx, sess, func(tx engines.Txn) error {
			for d := int64(1); d <= districts; d++ {
				ids := newOrders(ctx, tx, d)
				if len(ids) == 0 || ids[0] != first+1 {
					t.Errorf("district %d: after one Delivery new orders start at %v, want %d", d, ids, first+1)
				}
			}
			o, _ := get(ctx, tx, w.t.orders, key3(1, 3, first))
			if o[oCarrierID].IsNull() || o[oCarrierID].Int() != 4 {
				t.Errorf("delivered order carrier %v, want 4", o[oCarrierID])
			}
			lines, _ := tx.Scan(ctx, w.t.orderLine, prefix(key3(1, 3, first)))
			var sum engines.Decimal
			for _, l := range lines {
				sum = sum.Add(l[olAmount].Dec())
				if l[olDeliveryD] != b.date {
					t.Errorf("line %d delivery date %v, want the delivery's", l[olNumber].Int(), l[olDeliveryD])
				}
			}
			c, _ := get(ctx, tx, w.t.customer, key3(1, 3, o[oCID].Int()))
			if c[cBalance].Dec().Cmp(balance.Add(sum)) != 0 || c[cDeliveryCnt].Int() != 1 {
				t.Errorf("customer balance %v (was %v, order %v), delivery count %v", c[cBalance], balance, sum, c[cDeliveryCnt])
			}
			return nil
		})
	})
	// Deliver everything: the loaded new orders and the new one.
	exec(t, s, func(ctx context.Context, sess engines.Session) error {
		for range last - first + 1 {
			if err := run(ctx, sess, dl); err != nil {
				return err
			}
		}
		return inTxn(ctx, sess, func(tx engines.Txn) error {
			for d := int64(1); d <= districts; d++ {
				if ids := newOrders(ctx, tx, d); len(ids) != 0 {
					t.Errorf("district %d still has new orders %v", d, ids)
				}
			}
			o, _ := get(ctx, tx, w.t.orders, key3(1, 3, last+1))
			if o[oCarrierID].IsNull() {
				t.Error("the New-Order's order was not delivered")
			}
			return nil
		})
	})
	// With nothing to deliver, a Delivery commits and changes nothing.
	exec(t, s, func(ctx context.Context, sess engines.Session) error { return run(ctx, sess, dl) })
	res := check(t, s)
	for _, r := range res {
		if r.Status == workloads.CheckFail {
			t.Errorf("%s: %s", r.Name, r.Detail)
		}
	}
}

// The 1% New-Order with an unused item rolls back everything it did and
// reports a non-retryable user abort.
func TestNewOrderRollback(t *testing.T) {
	s := prepare(t, "occ", map[string]string{"scale": "0.01"})
	w := s.Workload.(*Workload)
	b := base{w: w, date: engines.Timestamp(Epoch)}
	no := &newOrder{base: b, wh: 1, d: 1, c: 1, allLocal: true,
		lines: []orderLine{{item: 5, supply: 1, qty: 1}, {item: w.size.items + 1, supply: 1, qty: 1}}}
	exec(t, s, func(ctx context.Context, sess engines.Session) error {
		tx, err := sess.Begin(ctx, engines.TxnOptions{Type: TypeNewOrder, Attempt: 1})
		if err != nil {
			return err
		}
		err = no.Run(ctx, tx)
		a, ok := engines.AsAbort(err)
		if !ok || a.Reason != engines.ReasonUser || a.Retryable {
			t.Fatalf("Run = %v, want a non-retryable %s abort", err, engines.ReasonUser)
		}
		if err := tx.Commit(ctx); err == nil {
			t.Error("the rolled-back transaction committed")
		}
		return nil
	})
	for _, r := range check(t, s) {
		if r.Status != workloads.CheckPass {
			t.Errorf("%s %s after a rollback: %s", r.Name, r.Status, r.Detail)
		}
	}
}

// Payment by last name picks the customer in the middle of those with the
// name, in first-name order: position ceil(n/2) (clause 2.5.2.2). At half
// scale 1500 customers per district share the 1000 names, so names are
// held by one, two or more customers.
func TestCustomerByNameTakesTheMiddleOne(t *testing.T) {
	s := prepare(t, "occ", map[string]string{"scale": "0.5"})
	w := s.Workload.(*Workload)
	exec(t, s, func(ctx context.Context, sess engines.Session) error {
		return inTxn(ctx, sess, func(tx engines.Txn) error {
			custs, err := tx.Scan(ctx, w.t.customer, prefix(key2(1, 2)))
			if err != nil {
				return err
			}
			byName := map[string][]engines.Row{}
			for _, c := range custs {
				byName[c[cLast].Str()] = append(byName[c[cLast].Str()], c)
			}
			sizes := map[int]int{}
			for n := range int64(1000) {
				name := LastName(n)
				same := byName[name]
				if len(same) == 0 {
					continue
				}
				sizes[len(same)]++
				// Order by (first name, id), as the index does.
				slices.SortFunc(same, func(a, b engines.Row) int {
					if c := strings.Compare(a[cFirst].Str(), b[cFirst].Str()); c != 0 {
						return c
					}
					return int(a[cID].Int() - b[cID].Int())
				})
				want := same[(len(same)+1)/2-1][cID].Int()
				row, err := w.customerByName(ctx, tx, 1, 2, name)
				if err != nil {
					return err
				}
				if got := row[cID].Int(); got != want {
					t.Errorf("%s: %d customers, picked %d, want %d", name, len(same), got, want)
				}
			}
			t.Logf("names by number of customers holding them: %v", sizes)
			if sizes[2] == 0 || sizes[3] == 0 {
				t.Errorf("want names held by 2 and by 3 customers, got %v", sizes)
			}
			return nil
		})
	})
}

// tpmC counts completed New-Orders per minute, the 1% rolled back on
// purpose included; efficiency divides by 12.86 per warehouse and is given
// only with the spec's wait times.
func TestMetrics(t *testing.T) {
	w := newTestWorkload(t, Options{Warehouses: 2, Scale: 1, Mix: DefaultMix, Wait: true})
	byType := map[string]workloads.TypeCounts{
		TypeNewOrder: {Committed: 990, Failed: 30, Aborts: map[string]int64{string(engines.ReasonUser): 10, "conflict(OC000)": 500}},
		TypePayment:  {Committed: 950, Failed: 5, Aborts: map[string]int64{"conflict(OC000)": 100}},
		TypeDelivery: {Committed: 60},
	}
	got := map[string]float64{}
	for _, m := range w.Metrics(byType, 2*time.Minute) {
		got[m.Name] = m.Value
	}
	want := map[string]float64{
		"tpmC":                500, // (990 + 10) / 2
		"tpmTotal":            (1000 + 950 + 60) / 2.0,
		"efficiency":          100 * 500 / (12.86 * 2),
		"new_order_rollbacks": 1,
	}
	for k, v := range want {
		if diff := got[k] - v; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if m := w.Metrics(nil, 0); m[0].Value != 0 {
		t.Errorf("no time measured: tpmC %v", m[0].Value)
	}
	noWait := newTestWorkload(t, Options{Warehouses: 2, Scale: 1, Mix: DefaultMix})
	for _, m := range noWait.Metrics(byType, 2*time.Minute) {
		if m.Name == "efficiency" {
			t.Errorf("efficiency %v given for a run without --wait", m.Value)
		}
	}
}

// The summary prints the workload's figures on one line.
func TestSummaryShowsTheWorkloadMetrics(t *testing.T) {
	r := &runner.Result{Workload: "tpcc", WorkloadMetrics: []runner.Metric{
		{Name: "tpmC", Value: 12918.4, Unit: "txn/min"},
		{Name: "efficiency", Value: 96.43, Unit: "%"},
	}}
	var buf bytes.Buffer
	runner.WriteSummary(&buf, r)
	if !strings.Contains(buf.String(), "tpcc: tpmC 12918 txn/min · efficiency 96.4%\n") {
		t.Errorf("summary:\n%s", buf.String())
	}
}
