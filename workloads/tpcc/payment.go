package tpcc

import (
	"context"
	"strconv"

	"github.com/txbench/txbench/engines"
)

// payment is the Payment transaction (clause 2.5).
type payment struct {
	base
	wh, d   int64  // where the payment is made
	cw, cd  int64  // the customer's warehouse and district
	c       int64  // customer id, when chosen by id
	last    string // customer last name, when chosen by name
	amount  float64
	history int64 // H_ID, the history row's surrogate key
}

// Run-time history ids start above every loaded one (at most 3000 × 10 per
// warehouse) and are drawn at random, so terminals never coordinate.
const runHistoryIDs = 1 << 32

func (c *client) payment(b base) *payment {
	t := &payment{base: b, wh: c.home, d: uniform(c.rng, 1, districts)}
	// 85% home, 15% a customer of a remote warehouse (clause 2.5.1.2).
	t.cw, t.cd = t.wh, t.d
	if uniform(c.rng, 1, 100) > 85 && c.w.opts.Warehouses > 1 {
		t.cw, t.cd = c.remote(), uniform(c.rng, 1, districts)
	}
	t.c, t.last = c.customer(60)
	t.amount = float64(uniform(c.rng, 100, 500000)) / 100
	t.history = runHistoryIDs + c.rng.Int64N(1<<62)
	return t
}

func (t *payment) Type() string   { return TypePayment }
func (t *payment) ReadOnly() bool { return false }

// Run follows clause 2.5.2.2.
func (t *payment) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	wk := key1(t.wh)
	wrow, err := getForUpdate(ctx, tx, tb.warehouse, wk)
	if err != nil {
		return err
	}
	if err := tx.Update(ctx, tb.warehouse, wk, engines.Set{Col: wYTD, Val: engines.Float(money(wrow[wYTD].Float() + t.amount))}); err != nil {
		return err
	}
	dk := key2(t.wh, t.d)
	drow, err := getForUpdate(ctx, tx, tb.district, dk)
	if err != nil {
		return err
	}
	if err := tx.Update(ctx, tb.district, dk, engines.Set{Col: dYTD, Val: engines.Float(money(drow[dYTD].Float() + t.amount))}); err != nil {
		return err
	}
	c := t.c
	if t.last != "" {
		if c, err = t.w.customerByName(ctx, tx, t.cw, t.cd, t.last); err != nil {
			return err
		}
	}
	ck := key3(t.cw, t.cd, c)
	crow, err := getForUpdate(ctx, tx, tb.customer, ck)
	if err != nil {
		return err
	}
	sets := []engines.Set{
		{Col: cBalance, Val: engines.Float(money(crow[cBalance].Float() - t.amount))},
		{Col: cYTDPayment, Val: engines.Float(money(crow[cYTDPayment].Float() + t.amount))},
		{Col: cPaymentCnt, Val: engines.Int(crow[cPaymentCnt].Int() + 1)},
	}
	if crow[cCredit].Str() == "BC" {
		// Bad credit: the payment's ids and amount go in front of C_DATA,
		// which keeps its first 500 characters.
		data := strconv.FormatInt(c, 10) + " " + strconv.FormatInt(t.cd, 10) + " " + strconv.FormatInt(t.cw, 10) + " " +
			strconv.FormatInt(t.d, 10) + " " + strconv.FormatInt(t.wh, 10) + " " +
			strconv.FormatFloat(t.amount, 'f', 2, 64) + " | " + crow[cData].Str()
		if len(data) > 500 {
			data = data[:500]
		}
		sets = append(sets, engines.Set{Col: cData, Val: engines.String(data)})
	}
	if err := tx.Update(ctx, tb.customer, ck, sets...); err != nil {
		return err
	}
	h := make(engines.Row, hCols)
	h[hCID], h[hCDID], h[hCWID] = engines.Int(c), engines.Int(t.cd), engines.Int(t.cw)
	h[hDID], h[hWID] = engines.Int(t.d), engines.Int(t.wh)
	h[hDate] = t.date
	h[hAmount] = engines.Float(t.amount)
	h[hData] = engines.String(wrow[wName].Str() + "    " + drow[dName].Str())
	h[hID] = engines.Int(t.history)
	return tx.Insert(ctx, tb.history, h)
}
