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
	amount  int64  // cents
	history int64  // H_ID, the history row's surrogate key
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
	t.amount = uniform(c.rng, 100, 500000)
	t.history = runHistoryIDs + c.rng.Int64N(1<<62)
	return t
}

func (t *payment) Type() string   { return TypePayment }
func (t *payment) ReadOnly() bool { return false }

// Run follows clause 2.5.2.2 in the statements its SQL takes: W_YTD and
// D_YTD as UPDATE ... SET ytd = ytd + amount RETURNING (the names for the
// history row come back with them), the customer by last name through the
// by_name index, the customer read FOR UPDATE (C_CREDIT decides on C_DATA)
// and updated with expressions, and the history row: 5 statements, 6 by
// last name.
func (t *payment) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	amount := cents(t.amount)
	add := func(tbl *engines.Table, k engines.Key, col int) (engines.Row, error) {
		_, rows, err := engines.UpdateMany(ctx, tx, tbl, []engines.KeyUpdate{{Key: k,
			Assigns: []engines.Assign{{Col: col, Op: engines.AssignAdd, Val: amount}}}}, true)
		if err == nil && len(rows) == 0 {
			err = notFound(tbl, k)
		}
		if err != nil {
			return nil, err
		}
		return rows[0], nil
	}
	wrow, err := add(tb.warehouse, key1(t.wh), wYTD)
	if err != nil {
		return err
	}
	drow, err := add(tb.district, key2(t.wh, t.d), dYTD)
	if err != nil {
		return err
	}
	c := t.c
	if t.last != "" {
		crow, err := t.w.customerByName(ctx, tx, t.cw, t.cd, t.last)
		if err != nil {
			return err
		}
		c = crow[cID].Int()
	}
	ck := key3(t.cw, t.cd, c)
	crow, err := getForUpdate(ctx, tx, tb.customer, ck)
	if err != nil {
		return err
	}
	as := []engines.Assign{
		{Col: cBalance, Op: engines.AssignAdd, Val: cents(-t.amount)},
		{Col: cYTDPayment, Op: engines.AssignAdd, Val: amount},
		{Col: cPaymentCnt, Op: engines.AssignAdd, Val: engines.Int(1)},
	}
	if crow[cCredit].Str() == "BC" {
		// Bad credit: the payment's ids and amount go in front of C_DATA,
		// which keeps its first 500 characters.
		data := strconv.FormatInt(c, 10) + " " + strconv.FormatInt(t.cd, 10) + " " + strconv.FormatInt(t.cw, 10) + " " +
			strconv.FormatInt(t.d, 10) + " " + strconv.FormatInt(t.wh, 10) + " " +
			amount.Dec().String() + " | " + crow[cData].Str()
		if len(data) > 500 {
			data = data[:500]
		}
		as = append(as, engines.Assign{Col: cData, Val: engines.String(data)})
	}
	if _, _, err := engines.UpdateMany(ctx, tx, tb.customer, []engines.KeyUpdate{{Key: ck, Assigns: as}}, false); err != nil {
		return err
	}
	h := make(engines.Row, hCols)
	h[hCID], h[hCDID], h[hCWID] = engines.Int(c), engines.Int(t.cd), engines.Int(t.cw)
	h[hDID], h[hWID] = engines.Int(t.d), engines.Int(t.wh)
	h[hDate] = t.date
	h[hAmount] = amount
	h[hData] = engines.String(wrow[wName].Str() + "    " + drow[dName].Str())
	h[hID] = engines.Int(t.history)
	return tx.Insert(ctx, tb.history, h)
}
