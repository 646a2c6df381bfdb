package tpcc

import (
	"context"

	"github.com/txbench/txbench/engines"
)

// delivery is the Delivery transaction (clause 2.7): the oldest undelivered
// order of each of the warehouse's 10 districts, in one database
// transaction (the spec allows one per district; one is the harder case).
// It runs directly rather than deferred through a queue (clause 2.7.2.1):
// the terminal's response is the transaction's.
type delivery struct {
	base
	wh, carrier int64
}

func (c *client) delivery(b base) *delivery {
	return &delivery{base: b, wh: c.home, carrier: uniform(c.rng, 1, 10)}
}

func (t *delivery) Type() string   { return TypeDelivery }
func (t *delivery) ReadOnly() bool { return false }

// claim finds the oldest NEW-ORDER row of each district (one query per
// district: ORDER BY no_o_id LIMIT 1) and deletes them in one statement;
// it returns the districts' order ids (0: the district has none). Under
// read committed a concurrent Delivery can take a row between the query
// and the delete (the delete waits for its lock, then finds the row
// gone); each statement sees the latest commits there, so querying that
// district again finds the next oldest order. Snapshot engines never get
// here: the delete sees the row and the conflict surfaces at commit or as
// a serialization failure.
func (t *delivery) claim(ctx context.Context, tx engines.Txn) ([districts + 1]int64, error) {
	tb := &t.w.t
	var oids [districts + 1]int64
	todo := make([]int64, 0, districts)
	for d := int64(1); d <= districts; d++ {
		todo = append(todo, d)
	}
	const rescans = 8
	for range rescans {
		var keys []engines.Key
		for _, d := range todo {
			oldest, err := tx.Scan(ctx, tb.newOrder, engines.ScanSpec{Start: key2(t.wh, d), End: key2(t.wh, d), EndInclusivePrefix: true, Limit: 1})
			if err != nil {
				return oids, err
			}
			if len(oldest) > 0 {
				keys = append(keys, key3(t.wh, d, oldest[0][noOID].Int()))
			}
		}
		if len(keys) == 0 {
			return oids, nil
		}
		gone, err := engines.DeleteMany(ctx, tx, tb.newOrder, keys)
		if err != nil {
			return oids, err
		}
		for _, k := range gone {
			oids[k[1].Int()] = k[2].Int()
		}
		todo = todo[:0]
		for _, k := range keys {
			if d := k[1].Int(); oids[d] == 0 {
				todo = append(todo, d)
			}
		}
		if len(todo) == 0 {
			return oids, nil
		}
	}
	// Still losing after several rescans: run the whole Delivery again.
	_ = tx.Rollback(ctx)
	return oids, &engines.AbortError{Reason: ReasonDeliveryRace, Retryable: true,
		Table: tb.newOrder.Name, Key: key2(t.wh, todo[0]).String(), Err: engines.ErrNotFound}
}

// ReasonDeliveryRace: a concurrent Delivery delivered the same order first
// (possible under read committed, where the scan takes no lock).
const ReasonDeliveryRace engines.Reason = "delivery-race"

// Run follows clause 2.7.4.2 with the ten districts' statements merged as
// SQL merges them: the ten oldest-order queries, one DELETE of the ten
// NEW-ORDER rows, one UPDATE of the ten orders' O_CARRIER_ID returning
// their customers and line counts, one UPDATE of all their lines'
// OL_DELIVERY_D returning the amounts (the SUM(OL_AMOUNT) is the client's
// sum of what comes back), and one UPDATE of the ten customers with
// C_BALANCE = C_BALANCE + sum: 14 statements. A district without
// undelivered orders is skipped, as the spec says.
func (t *delivery) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	oids, err := t.claim(ctx, tx)
	if err != nil {
		return err
	}
	var orders []engines.KeyUpdate
	carrier := []engines.Assign{{Col: oCarrierID, Val: engines.Int(t.carrier)}}
	for d := int64(1); d <= districts; d++ {
		if oids[d] != 0 {
			orders = append(orders, engines.KeyUpdate{Key: key3(t.wh, d, oids[d]), Assigns: carrier})
		}
	}
	if len(orders) == 0 {
		return nil
	}
	_, orows, err := engines.UpdateMany(ctx, tx, tb.orders, orders, true)
	if err != nil {
		return err
	}
	if len(orows) != len(orders) {
		return notFound(tb.orders, orders[0].Key)
	}
	var lines []engines.KeyUpdate
	deliveredAt := []engines.Assign{{Col: olDeliveryD, Val: t.date}}
	for _, o := range orows {
		for n := int64(1); n <= o[oOLCnt].Int(); n++ {
			lines = append(lines, engines.KeyUpdate{Key: key4(t.wh, o[oDID].Int(), o[oID].Int(), n), Assigns: deliveredAt})
		}
	}
	_, lrows, err := engines.UpdateMany(ctx, tx, tb.orderLine, lines, true)
	if err != nil {
		return err
	}
	var sums [districts + 1]engines.Decimal
	for _, l := range lrows {
		d := l[olDID].Int()
		sums[d] = sums[d].Add(l[olAmount].Dec())
	}
	custs := make([]engines.KeyUpdate, len(orows))
	for i, o := range orows {
		d := o[oDID].Int()
		custs[i] = engines.KeyUpdate{Key: key3(t.wh, d, o[oCID].Int()), Assigns: []engines.Assign{
			{Col: cBalance, Op: engines.AssignAdd, Val: engines.DecimalValue(sums[d].Rescale(2))},
			{Col: cDeliveryCnt, Op: engines.AssignAdd, Val: engines.Int(1)},
		}}
	}
	_, _, err = engines.UpdateMany(ctx, tx, tb.customer, custs, false)
	return err
}
