package tpcc

import (
	"context"
	"slices"

	"github.com/txbench/txbench/engines"
)

// stockLevel is the Stock-Level transaction (clause 2.8), read-only.
type stockLevel struct {
	base
	wh, d, threshold int64
}

func (c *client) stockLevel(b base) *stockLevel {
	return &stockLevel{base: b, wh: c.home, d: c.slDistrict, threshold: uniform(c.rng, 10, 20)}
}

func (t *stockLevel) Type() string   { return TypeStockLevel }
func (t *stockLevel) ReadOnly() bool { return true }

// Run follows clause 2.8.2.2: the items of the district's last 20 orders,
// and how many of them are below the threshold in the home warehouse. SQL
// does the second part as one join with COUNT(DISTINCT); here it is two
// statements — the order lines' range scan, then one many-key read of the
// distinct items' stock rows with the predicate s_quantity < threshold
// evaluated where they are stored — counted by the client: 3 statements
// with the district read.
func (t *stockLevel) Run(ctx context.Context, tx engines.Txn) error {
	tb := &t.w.t
	drow, err := get(ctx, tx, tb.district, key2(t.wh, t.d))
	if err != nil {
		return err
	}
	next := drow[dNextOID].Int()
	lines, err := tx.Scan(ctx, tb.orderLine, engines.ScanSpec{Start: key3(t.wh, t.d, next-20), End: key3(t.wh, t.d, next)})
	if err != nil {
		return err
	}
	items := make([]int64, 0, len(lines))
	for _, l := range lines {
		items = append(items, l[olIID].Int())
	}
	slices.Sort(items)
	items = slices.Compact(items)
	keys := make([]engines.Key, len(items))
	for i, it := range items {
		keys[i] = key2(t.wh, it)
	}
	low, err := engines.GetMany(ctx, tx, tb.stock, keys, engines.ReadOpts{
		Where: []engines.Cond{{Col: sQuantity, Op: engines.OpLt, Val: engines.Int(t.threshold)}}})
	_ = len(low) // the terminal's output
	return err
}
