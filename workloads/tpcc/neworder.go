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

// Run follows clause 2.4.2.2 in the statements its SQL takes: the
// warehouse and customer reads, the district's next order id as one UPDATE
// ... RETURNING, the order and its new_order row, then the lines as sets —
// every item in one read, every stock row in one read FOR UPDATE and one
// UPDATE, every order line in one INSERT. 9 statements whatever the line
// count (the reference formulation takes 8 plus 1 per line). An unused
// item shows in the item read, after the order's inserts; the transaction
// then rolls back.
func (t *newOrder) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	// W_TAX, D_TAX and C_DISCOUNT only go to the terminal's display, but
	// the reads are part of the transaction's footprint.
	if _, err := get(ctx, tx, tb.warehouse, key1(t.wh)); err != nil {
		return err
	}
	dk := key2(t.wh, t.d)
	_, drows, err := engines.UpdateMany(ctx, tx, tb.district, []engines.KeyUpdate{{Key: dk,
		Assigns: []engines.Assign{{Col: dNextOID, Op: engines.AssignAdd, Val: engines.Int(1)}}}}, true)
	if err != nil {
		return err
	}
	if len(drows) == 0 {
		return notFound(tb.district, dk)
	}
	oid := drows[0][dNextOID].Int() - 1
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

	itemKeys := make([]engines.Key, len(t.lines))
	stockKeys := make([]engines.Key, len(t.lines))
	for i, l := range t.lines {
		itemKeys[i] = key1(l.item)
		stockKeys[i] = key2(l.supply, l.item)
	}
	irows, err := engines.GetMany(ctx, tx, tb.item, itemKeys, engines.ReadOpts{})
	if err != nil {
		return err
	}
	price := make(map[int64]engines.Decimal, len(irows))
	for _, r := range irows {
		price[r[iID].Int()] = r[iPrice].Dec()
	}
	for _, l := range t.lines {
		if _, ok := price[l.item]; !ok {
			// The business transaction ends here, rolled back. The runner
			// does not roll back a transaction that returns an abort, so
			// the workload does, as the application would.
			if err := tx.Rollback(ctx); err != nil {
				return err
			}
			// No Table/Key: the row is missing, not contended.
			return &engines.AbortError{Reason: engines.ReasonUser, Retryable: false, Err: ErrUnusedItem}
		}
	}
	srows, err := engines.GetMany(ctx, tx, tb.stock, stockKeys, engines.ReadOpts{ForUpdate: true})
	if err != nil {
		return err
	}
	type stockState struct {
		row                 engines.Row
		qty                 int64 // S_QUANTITY after the lines so far
		ordered, cnt, remot int64
		order               int // first line's position: updates go in line order
	}
	stock := make(map[[2]int64]*stockState, len(srows))
	for _, r := range srows {
		stock[[2]int64{r[sWID].Int(), r[sIID].Int()}] = &stockState{row: r, qty: r[sQuantity].Int(), order: -1}
	}
	lines := make([]engines.Row, len(t.lines))
	var ups []engines.KeyUpdate
	var touched []*stockState
	for n, l := range t.lines {
		st := stock[[2]int64{l.supply, l.item}]
		if st == nil {
			return notFound(tb.stock, stockKeys[n])
		}
		// Clause 2.4.2.2: restock by 91 when the quantity would fall
		// below 10. An item ordered twice updates its stock twice, in
		// line order, as the reference's per-line UPDATEs do.
		if st.qty >= l.qty+10 {
			st.qty -= l.qty
		} else {
			st.qty = st.qty - l.qty + 91
		}
		st.ordered += l.qty
		st.cnt++
		if l.supply != t.wh {
			st.remot++
		}
		if st.order < 0 {
			st.order = len(touched)
			touched = append(touched, st)
		}
		amount := price[l.item].MulInt(l.qty)
		lines[n] = engines.Row{
			O, D, W, engines.Int(int64(n + 1)), engines.Int(l.item), engines.Int(l.supply),
			engines.Null, engines.Int(l.qty), engines.DecimalValue(amount), st.row[sDist01+int(t.d)-1],
		}
	}
	for _, st := range touched {
		ups = append(ups, engines.KeyUpdate{Key: key2(st.row[sWID].Int(), st.row[sIID].Int()), Assigns: []engines.Assign{
			{Col: sQuantity, Op: engines.AssignSet, Val: engines.Int(st.qty)},
			{Col: sYTD, Op: engines.AssignAdd, Val: engines.Int(st.ordered)},
			{Col: sOrderCnt, Op: engines.AssignAdd, Val: engines.Int(st.cnt)},
			{Col: sRemoteCnt, Op: engines.AssignAdd, Val: engines.Int(st.remot)},
		}})
	}
	if _, _, err := engines.UpdateMany(ctx, tx, tb.stock, ups, false); err != nil {
		return err
	}
	return engines.InsertMany(ctx, tx, tb.orderLine, lines)
}
