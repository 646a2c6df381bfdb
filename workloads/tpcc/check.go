package tpcc

import (
	"context"
	"fmt"
	"strings"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

// The consistency conditions of clause 3.3.2, in order. (The secondary
// indexes are the engine's: the engine tests check them.)
var conditionRules = []struct{ name, rule, unit string }{
	{"3.3.2.1", "W_YTD = sum(D_YTD)", "warehouse"},
	{"3.3.2.2", "D_NEXT_O_ID - 1 = max(O_ID) = max(NO_O_ID)", "district"},
	{"3.3.2.3", "max(NO_O_ID) - min(NO_O_ID) + 1 = rows in NEW-ORDER", "district"},
	{"3.3.2.4", "sum(O_OL_CNT) = rows in ORDER-LINE", "district"},
	{"3.3.2.5", "O_CARRIER_ID is null iff a NEW-ORDER row exists", "order"},
	{"3.3.2.6", "O_OL_CNT = the order's rows in ORDER-LINE", "order"},
	{"3.3.2.7", "OL_DELIVERY_D is null iff O_CARRIER_ID is null", "order line"},
	{"3.3.2.8", "W_YTD = sum(H_AMOUNT)", "warehouse"},
	{"3.3.2.9", "D_YTD = sum(H_AMOUNT)", "district"},
	{"3.3.2.10", "C_BALANCE = sum(delivered OL_AMOUNT) - sum(H_AMOUNT)", "customer"},
	{"3.3.2.11", "rows in ORDER - rows in NEW-ORDER = 2100 (initial population only)", "district"},
	{"3.3.2.12", "C_BALANCE + C_YTD_PAYMENT = sum(delivered OL_AMOUNT)", "customer"},
}

// condition accumulates one condition's evaluation.
type condition struct {
	checked, skipped, failures int
	examples                   []string
}

const maxExamples = 3

func (c *condition) fail(format string, args ...any) {
	c.failures++
	if len(c.examples) < maxExamples {
		c.examples = append(c.examples, fmt.Sprintf(format, args...))
	}
}

// check compares and records one evaluation.
func (c *condition) expect(ok bool, format string, args ...any) {
	c.checked++
	if !ok {
		c.fail(format, args...)
	}
}

// Check evaluates consistency conditions 3.3.2.1 to 3.3.2.12 on every
// warehouse, reading the database through sess in one read-only
// transaction, so every condition sees the same snapshot even while
// transactions still in flight commit. Condition 11 holds only until the
// first Delivery, so it is evaluated on the districts where none has run
// (order D_NEXT_O_ID of the load still undelivered) and skipped on the
// others. Money is compared exactly, in cents: every amount the workload
// stores is a numeric of scale 2.
func (w *Workload) Check(ctx context.Context, sess engines.Session) ([]workloads.CheckResult, error) {
	const attempts = 5
	var err error
	for n := 1; n <= attempts; n++ {
		var tx engines.Txn
		tx, err = sess.Begin(ctx, engines.TxnOptions{Type: "check", ReadOnly: true, Attempt: n})
		if err != nil {
			return nil, err
		}
		var res []workloads.CheckResult
		res, err = w.check(ctx, tx)
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err == nil {
			return res, nil
		}
		a, aborted := engines.AsAbort(err)
		if !aborted {
			_ = tx.Rollback(ctx)
		}
		if !aborted || !a.Retryable {
			break
		}
	}
	return nil, fmt.Errorf("tpcc: reading the database for the check: %w", err)
}

// custIndex numbers customers densely for per-customer sums.
func (w *Workload) custIndex(wh, d, c int64) (int, bool) {
	W, C := int64(w.opts.Warehouses), w.size.customers
	if wh < 1 || wh > W || d < 1 || d > districts || c < 1 || c > C {
		return 0, false
	}
	return int(((wh-1)*districts+d-1)*C + c - 1), true
}

// orderState is what the check keeps about one order of a district.
type orderState struct {
	exists, carrierNull, newOrder bool
	olCnt, lines                  int64
	customer                      int64
	delivered                     int64 // cents of its delivered lines
}

func (w *Workload) check(ctx context.Context, tx engines.Txn) ([]workloads.CheckResult, error) {
	tb := &w.t
	conds := make([]condition, len(conditionRules))
	c := func(n int) *condition { return &conds[n-1] } // c(1) is 3.3.2.1
	W := int64(w.opts.Warehouses)
	scan := func(t *engines.Table, k engines.Key) ([]engines.Row, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return tx.Scan(ctx, t, prefix(k))
	}

	// History first, for every warehouse: a remote payment's row lives with
	// the paying warehouse but counts for the customer's (condition 10).
	histW := make([]int64, W+1)
	histD := make([][districts + 1]int64, W+1)
	histC := make([]int64, W*districts*w.size.customers)
	for wh := int64(1); wh <= W; wh++ {
		rows, err := scan(tb.history, key1(wh))
		if err != nil {
			return nil, err
		}
		for _, h := range rows {
			amt := centsOf(h[hAmount])
			histW[wh] += amt
			if d := h[hDID].Int(); d >= 1 && d <= districts {
				histD[wh][d] += amt
			}
			if i, ok := w.custIndex(h[hCWID].Int(), h[hCDID].Int(), h[hCID].Int()); ok {
				histC[i] += amt
			} else {
				c(10).fail("history row %d of warehouse %d names customer (%d, %d, %d), which does not exist",
					h[hID].Int(), wh, h[hCWID].Int(), h[hCDID].Int(), h[hCID].Int())
			}
		}
	}

	for wh := int64(1); wh <= W; wh++ {
		wrow, ok, err := tx.Get(ctx, tb.warehouse, key1(wh))
		if err != nil {
			return nil, err
		}
		if !ok {
			c(1).fail("warehouse %d is missing", wh)
			continue
		}
		wYTDc := centsOf(wrow[wYTD])
		c(8).expect(wYTDc == histW[wh], "warehouse %d: W_YTD %s, sum(H_AMOUNT) %s", wh, fmtCents(wYTDc), fmtCents(histW[wh]))
		var sumD int64
		for d := int64(1); d <= districts; d++ {
			dytd, err := w.checkDistrict(ctx, tx, wh, d, conds, histD[wh][d], histC)
			if err != nil {
				return nil, err
			}
			sumD += dytd
		}
		c(1).expect(wYTDc == sumD, "warehouse %d: W_YTD %s, sum(D_YTD) %s", wh, fmtCents(wYTDc), fmtCents(sumD))
	}

	out := make([]workloads.CheckResult, len(conds))
	for i, r := range conditionRules {
		out[i] = conds[i].result(r.name, r.rule, r.unit)
	}
	if n := &conds[10]; n.checked == 0 && n.failures == 0 {
		out[10].Status = workloads.CheckSkipped
		out[10].Detail = "a Delivery has run in every district; the spec applies this condition to the initial population only"
	}
	return out, nil
}

// checkDistrict evaluates the district-level conditions and returns D_YTD
// in cents for condition 1.
func (w *Workload) checkDistrict(ctx context.Context, tx engines.Txn, wh, d int64, conds []condition,
	histD int64, histC []int64) (int64, error) {
	tb := &w.t
	c := func(n int) *condition { return &conds[n-1] }
	where := fmt.Sprintf("warehouse %d district %d", wh, d)
	dk := key2(wh, d)
	drow, ok, err := tx.Get(ctx, tb.district, dk)
	if err != nil {
		return 0, err
	}
	if !ok {
		c(1).fail("%s is missing", where)
		return 0, nil
	}
	dYTDc := centsOf(drow[dYTD])
	next := drow[dNextOID].Int()
	c(9).expect(dYTDc == histD, "%s: D_YTD %s, sum(H_AMOUNT) %s", where, fmtCents(dYTDc), fmtCents(histD))

	// Orders, indexed by O_ID.
	var orders []orderState
	at := func(o int64) *orderState {
		if o < 0 {
			o = 0
		}
		for int64(len(orders)) <= o {
			orders = append(orders, orderState{})
		}
		return &orders[o]
	}
	rows, err := tx.Scan(ctx, tb.orders, prefix(dk))
	if err != nil {
		return 0, err
	}
	var maxO, sumOL int64
	for _, r := range rows {
		o := at(r[oID].Int())
		o.exists, o.carrierNull = true, r[oCarrierID].IsNull()
		o.olCnt, o.customer = r[oOLCnt].Int(), r[oCID].Int()
		maxO = max(maxO, r[oID].Int())
		sumOL += o.olCnt
	}
	orderCount := int64(len(rows))

	rows, err = tx.Scan(ctx, tb.newOrder, prefix(dk))
	if err != nil {
		return 0, err
	}
	newOrders := int64(len(rows))
	minNO, maxNO := int64(0), int64(0)
	for i, r := range rows {
		o := r[noOID].Int()
		if i == 0 || o < minNO {
			minNO = o
		}
		maxNO = max(maxNO, o)
		s := at(o)
		s.newOrder = true
		if !s.exists {
			c(5).fail("%s: NEW-ORDER row %d has no order", where, o)
		}
	}
	if newOrders > 0 {
		c(2).expect(next-1 == maxO && maxO == maxNO, "%s: D_NEXT_O_ID - 1 = %d, max(O_ID) = %d, max(NO_O_ID) = %d", where, next-1, maxO, maxNO)
		c(3).expect(maxNO-minNO+1 == newOrders, "%s: max(NO_O_ID) - min(NO_O_ID) + 1 = %d, NEW-ORDER rows %d", where, maxNO-minNO+1, newOrders)
	} else {
		// No outstanding new orders: the NEW-ORDER part does not apply.
		c(2).expect(next-1 == maxO, "%s: D_NEXT_O_ID - 1 = %d, max(O_ID) = %d", where, next-1, maxO)
	}
	// Condition 11 holds until the first Delivery of the district, which
	// delivers the oldest order the load left undelivered.
	if first := w.size.delivered + 1; first < int64(len(orders)) && orders[first].exists && orders[first].carrierNull {
		c(11).expect(orderCount-newOrders == w.size.delivered, "%s: ORDER rows %d - NEW-ORDER rows %d = %d, want %d",
			where, orderCount, newOrders, orderCount-newOrders, w.size.delivered)
	} else {
		c(11).skipped++
	}

	rows, err = tx.Scan(ctx, tb.orderLine, prefix(dk))
	if err != nil {
		return 0, err
	}
	c(4).expect(sumOL == int64(len(rows)), "%s: sum(O_OL_CNT) %d, ORDER-LINE rows %d", where, sumOL, len(rows))
	for _, r := range rows {
		oid := r[olOID].Int()
		o := at(oid)
		o.lines++
		if !o.exists {
			c(6).fail("%s: order line (%d, %d) has no order", where, oid, r[olNumber].Int())
			continue
		}
		delivered := !r[olDeliveryD].IsNull()
		c(7).expect(delivered == !o.carrierNull, "%s: order %d line %d: OL_DELIVERY_D %s but O_CARRIER_ID %s",
			where, oid, r[olNumber].Int(), nullness(!delivered), nullness(o.carrierNull))
		if delivered {
			o.delivered += centsOf(r[olAmount])
		}
	}

	// Per customer: delivered amounts, from the orders.
	delivered := make([]int64, w.size.customers+1)
	for oid := range orders {
		o := &orders[oid]
		if !o.exists {
			continue
		}
		c(5).expect(o.carrierNull == o.newOrder, "%s: order %d: O_CARRIER_ID %s but NEW-ORDER row %s",
			where, oid, nullness(o.carrierNull), presence(o.newOrder))
		c(6).expect(o.olCnt == o.lines, "%s: order %d: O_OL_CNT %d, ORDER-LINE rows %d", where, oid, o.olCnt, o.lines)
		if o.customer >= 1 && o.customer <= w.size.customers {
			delivered[o.customer] += o.delivered
		}
	}

	custs, err := tx.Scan(ctx, tb.customer, prefix(dk))
	if err != nil {
		return 0, err
	}
	for _, r := range custs {
		cid := r[cID].Int()
		i, ok := w.custIndex(wh, d, cid)
		if !ok {
			c(10).fail("%s: customer %d is outside the population", where, cid)
			continue
		}
		bal, ytd := centsOf(r[cBalance]), centsOf(r[cYTDPayment])
		c(10).expect(bal == delivered[cid]-histC[i], "%s customer %d: C_BALANCE %s, delivered OL_AMOUNT %s - H_AMOUNT %s",
			where, cid, fmtCents(bal), fmtCents(delivered[cid]), fmtCents(histC[i]))
		c(12).expect(bal+ytd == delivered[cid], "%s customer %d: C_BALANCE + C_YTD_PAYMENT %s, delivered OL_AMOUNT %s",
			where, cid, fmtCents(bal+ytd), fmtCents(delivered[cid]))
	}

	return dYTDc, nil
}

// result turns the accumulated evaluation into a report line.
func (c *condition) result(name, rule, unit string) workloads.CheckResult {
	r := workloads.CheckResult{Name: name, Rule: rule, Status: workloads.CheckPass}
	r.Detail = "checked " + count(c.checked, unit)
	if c.skipped > 0 {
		r.Detail += fmt.Sprintf(", skipped %s (a Delivery has run there)", count(c.skipped, unit))
	}
	if c.failures > 0 {
		r.Status = workloads.CheckFail
		r.Detail = fmt.Sprintf("%d violated of %s checked: %s", c.failures, count(c.checked, unit), strings.Join(c.examples, "; "))
		if c.failures > len(c.examples) {
			r.Detail += "; …"
		}
	}
	return r
}

// count says "1 district", "10 districts".
func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func nullness(null bool) string {
	if null {
		return "is null"
	}
	return "is set"
}

func presence(exists bool) string {
	if exists {
		return "present"
	}
	return "absent"
}

func fmtCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}
