package tpcc

import (
	"context"
	"errors"

	"github.com/txbench/txbench/engines"
)

// newOrder is the New-Order transaction (clause 2.4).
type newOrder struct {
	base
	wh, d, c int64
	lines    []orderLine
	allLocal bool
}

type orderLine struct {
	item, supply, qty int64
}

// ErrUnusedItem is the "item not found" that rolls back 1% of New-Orders
// (clause 2.4.2.3).
var ErrUnusedItem = errors.New("tpcc: new-order with an unused item number rolled back")

func (c *client) newOrder(b base) *newOrder {
	s := c.w.size
	t := &newOrder{
		base:     b,
		wh:       c.home,
		d:        uniform(c.rng, 1, districts),
		c:        NURand(c.rng, aCID, 1, s.customers, c.w.c.CID),
		allLocal: true,
	}
	n := uniform(c.rng, 5, 15)
	rollback := uniform(c.rng, 1, 100) == 1
	t.lines = make([]orderLine, n)
	for i := range t.lines {
		l := orderLine{
			item:   NURand(c.rng, aItem, 1, s.items, c.w.c.CItem),
			supply: c.home,
			qty:    uniform(c.rng, 1, 10),
		}
		if i == len(t.lines)-1 && rollback {
			l.item = s.items + 1 // unused: not in ITEM
		}
		// 1% of lines are supplied by a remote warehouse (clause 2.4.1.5).
		if uniform(c.rng, 1, 100) == 1 && c.w.opts.Warehouses > 1 {
			l.supply = c.remote()
			t.allLocal = false
		}
		t.lines[i] = l
	}
	return t
}

func (t *newOrder) Type() string   { return TypeNewOrder }
func (t *newOrder) ReadOnly() bool { return false }

// Run follows clause 2.4.2.2 statement by statement. The order, its
// new_order row and the orders_by_customer index row are inserted before
// the lines, as the spec orders it; the unused item is the last line, so a
// rolled-back New-Order has done all its other work first.
func (t *newOrder) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	// W_TAX, D_TAX and C_DISCOUNT only go to the terminal's display, but
	// the reads are part of the transaction's footprint.
	if _, err := get(ctx, tx, tb.warehouse, key1(t.wh)); err != nil {
		return err
	}
	dk := key2(t.wh, t.d)
	drow, err := getForUpdate(ctx, tx, tb.district, dk)
	if err != nil {
		return err
	}
	oid := drow[dNextOID].Int()
	if err := tx.Update(ctx, tb.district, dk, engines.Set{Col: dNextOID, Val: engines.Int(oid + 1)}); err != nil {
		return err
	}
	if _, err := get(ctx, tx, tb.customer, key3(t.wh, t.d, t.c)); err != nil {
		return err
	}
	W, D, O, C := engines.Int(t.wh), engines.Int(t.d), engines.Int(oid), engines.Int(t.c)
	allLocal := int64(0)
	if t.allLocal {
		allLocal = 1
	}
	order := engines.Row{O, D, W, C, t.date, engines.Null, engines.Int(int64(len(t.lines))), engines.Int(allLocal)}
	if err := tx.Insert(ctx, tb.orders, order); err != nil {
		return err
	}
	if err := tx.Insert(ctx, tb.newOrder, engines.Row{O, D, W}); err != nil {
		return err
	}
	if err := tx.Insert(ctx, tb.ordersByCustomer, engines.Row{W, D, C, O}); err != nil {
		return err
	}

	for n, l := range t.lines {
		irow, ok, err := tx.Get(ctx, tb.item, key1(l.item))
		if err != nil {
			return err
		}
		if !ok {
			// The business transaction ends here, rolled back. The runner
			// does not roll back a transaction that returns an abort, so
			// the workload does, as the application would.
			if err := tx.Rollback(ctx); err != nil {
				return err
			}
			// No Table/Key: the row is missing, not contended.
			return &engines.AbortError{Reason: engines.ReasonUser, Retryable: false, Err: ErrUnusedItem}
		}
		sk := key2(l.supply, l.item)
		srow, err := getForUpdate(ctx, tx, tb.stock, sk)
		if err != nil {
			return err
		}
		// Clause 2.4.2.2: restock by 91 when the quantity would fall
		// below 10.
		q := srow[sQuantity].Int()
		if q >= l.qty+10 {
			q -= l.qty
		} else {
			q = q - l.qty + 91
		}
		sets := []engines.Set{
			{Col: sQuantity, Val: engines.Int(q)},
			{Col: sYTD, Val: engines.Int(srow[sYTD].Int() + l.qty)},
			{Col: sOrderCnt, Val: engines.Int(srow[sOrderCnt].Int() + 1)},
		}
		if l.supply != t.wh {
			sets = append(sets, engines.Set{Col: sRemoteCnt, Val: engines.Int(srow[sRemoteCnt].Int() + 1)})
		}
		if err := tx.Update(ctx, tb.stock, sk, sets...); err != nil {
			return err
		}
		amount := money(float64(l.qty) * irow[iPrice].Float())
		line := engines.Row{
			O, D, W, engines.Int(int64(n + 1)), engines.Int(l.item), engines.Int(l.supply),
			engines.Null, engines.Int(l.qty), engines.Float(amount), srow[sDist01+int(t.d)-1],
		}
		if err := tx.Insert(ctx, tb.orderLine, line); err != nil {
			return err
		}
	}
	return nil
}
