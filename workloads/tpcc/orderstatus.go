package tpcc

import (
	"context"

	"github.com/txbench/txbench/engines"
)

// orderStatus is the Order-Status transaction (clause 2.6), read-only.
type orderStatus struct {
	base
	wh, d int64
	c     int64
	last  string
}

func (c *client) orderStatus(b base) *orderStatus {
	t := &orderStatus{base: b, wh: c.home, d: uniform(c.rng, 1, districts)}
	t.c, t.last = c.customer(60)
	return t
}

func (t *orderStatus) Type() string   { return TypeOrderStatus }
func (t *orderStatus) ReadOnly() bool { return true }

// Run follows clause 2.6.2.2; the customer's last order comes from the
// orders_by_customer index (a reverse scan with limit 1).
func (t *orderStatus) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	c := t.c
	if t.last != "" {
		var err error
		if c, err = t.w.customerByName(ctx, tx, t.wh, t.d, t.last); err != nil {
			return err
		}
	}
	if _, err := get(ctx, tx, tb.customer, key3(t.wh, t.d, c)); err != nil {
		return err
	}
	ck := key3(t.wh, t.d, c)
	last, err := tx.Scan(ctx, tb.ordersByCustomer, engines.ScanSpec{Start: ck, End: ck, EndInclusivePrefix: true, Limit: 1, Reverse: true})
	if err != nil {
		return err
	}
	if len(last) == 0 {
		return notFound(tb.ordersByCustomer, ck)
	}
	oid := last[0][ocOID].Int()
	if _, err := get(ctx, tx, tb.orders, key3(t.wh, t.d, oid)); err != nil {
		return err
	}
	_, err = tx.Scan(ctx, tb.orderLine, prefix(key3(t.wh, t.d, oid)))
	return err
}
