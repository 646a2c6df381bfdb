package tpcc

import (
	"context"
	"errors"

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

// claimOldest deletes the district's oldest NEW-ORDER row and returns its
// key; found is false when the district has none. Under read committed a
// concurrent Delivery can take the row between the scan and the delete
// (the delete waits for its lock, then finds the row gone); each statement
// sees the latest commits there, so scanning again finds the next oldest
// order. Snapshot engines never get here: the delete sees the row and the
// conflict surfaces at commit or as a serialization failure.
func (t *delivery) claimOldest(ctx context.Context, tx engines.Txn, d int64) (engines.Key, bool, error) {
	tb := &t.w.t
	const rescans = 8
	var err error
	for range rescans {
		var oldest []engines.Row
		oldest, err = tx.Scan(ctx, tb.newOrder, engines.ScanSpec{Start: key2(t.wh, d), End: key2(t.wh, d), EndInclusivePrefix: true, Limit: 1})
		if err != nil {
			return nil, false, err
		}
		if len(oldest) == 0 {
			return nil, false, nil
		}
		ok := key3(t.wh, d, oldest[0][noOID].Int())
		err = tx.Delete(ctx, tb.newOrder, ok)
		if err == nil {
			return ok, true, nil
		}
		if !errors.Is(err, engines.ErrNotFound) {
			return nil, false, err
		}
	}
	// Still losing after several rescans: run the whole Delivery again.
	_ = tx.Rollback(ctx)
	return nil, false, &engines.AbortError{Reason: ReasonDeliveryRace, Retryable: true,
		Table: tb.newOrder.Name, Key: key2(t.wh, d).String(), Err: err}
}

// ReasonDeliveryRace: a concurrent Delivery delivered the same order first
// (possible under read committed, where the scan takes no lock).
const ReasonDeliveryRace engines.Reason = "delivery-race"

// Run follows clause 2.7.4.2. A district without undelivered orders is
// skipped, as the spec says.
func (t *delivery) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	carrier := engines.Int(t.carrier)
	for d := int64(1); d <= districts; d++ {
		ok, found, err := t.claimOldest(ctx, tx, d)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		oid := ok[2].Int()
		orow, err := getForUpdate(ctx, tx, tb.orders, ok)
		if err != nil {
			return err
		}
		if err := tx.Update(ctx, tb.orders, ok, engines.Set{Col: oCarrierID, Val: carrier}); err != nil {
			return err
		}
		lines, err := tx.Scan(ctx, tb.orderLine, prefix(ok))
		if err != nil {
			return err
		}
		var sum float64
		for _, l := range lines {
			sum += l[olAmount].Float()
			lk := key4(t.wh, d, oid, l[olNumber].Int())
			if err := tx.Update(ctx, tb.orderLine, lk, engines.Set{Col: olDeliveryD, Val: t.date}); err != nil {
				return err
			}
		}
		ck := key3(t.wh, d, orow[oCID].Int())
		crow, err := getForUpdate(ctx, tx, tb.customer, ck)
		if err != nil {
			return err
		}
		if err := tx.Update(ctx, tb.customer, ck,
			engines.Set{Col: cBalance, Val: engines.Float(money(crow[cBalance].Float() + sum))},
			engines.Set{Col: cDeliveryCnt, Val: engines.Int(crow[cDeliveryCnt].Int() + 1)},
		); err != nil {
			return err
		}
	}
	return nil
}
