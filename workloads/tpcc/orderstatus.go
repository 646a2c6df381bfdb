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

// Run follows clause 2.6.2.2 in the statements its SQL takes: the
// customer (by id, or by last name through the by_name index, which
// returns the rows), the customer's last order through the by_customer
// index (reversed, limit 1) and its lines: 3 statements.
func (t *orderStatus) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	c := t.c
	if t.last != "" {
		crow, err := t.w.customerByName(ctx, tx, t.wh, t.d, t.last)
		if err != nil {
			return err
		}
		c = crow[cID].Int()
	} else if _, err := get(ctx, tx, tb.customer, key3(t.wh, t.d, c)); err != nil {
		return err
	}
	ck := key3(t.wh, t.d, c)
	last, err := engines.RunQuery(ctx, tx, tb.orders, engines.Query{Index: indexByCustomer,
		Start: ck, End: ck, EndInclusivePrefix: true, Limit: 1, Reverse: true})
	if err != nil {
		return err
	}
	if len(last) == 0 {
		return notFound(tb.orders, ck)
	}
	_, err = tx.Scan(ctx, tb.orderLine, prefix(key3(t.wh, t.d, last[0][oID].Int())))
	return err
}
