package tpcc

import (
	"context"
	"math/rand/v2"

	"github.com/txbench/txbench/engines"
)

// loadBatch is how many rows Load hands to the callback at a time.
const loadBatch = 1000

// LoadFunc receives a batch of initial rows (the engine's bulk Load).
type LoadFunc = func(ctx context.Context, t *engines.Table, rows []engines.Row) error

// batcher collects rows of one table and hands them over in batches.
type batcher struct {
	ctx  context.Context
	load LoadFunc
	t    *engines.Table
	rows []engines.Row
	err  error
}

func (w *Workload) batcher(ctx context.Context, load LoadFunc, t *engines.Table) *batcher {
	return &batcher{ctx: ctx, load: load, t: t, rows: make([]engines.Row, 0, loadBatch)}
}

func (b *batcher) add(r engines.Row) {
	b.rows = append(b.rows, r)
	if len(b.rows) == loadBatch {
		b.flush()
	}
}

// flush hands over what is buffered; the slice is not reused, because an
// engine may keep the rows (the simulated ones install them as they are).
func (b *batcher) flush() error {
	switch {
	case b.err != nil:
		b.rows = b.rows[:0] // the load failed: drop the rest
	case len(b.rows) > 0:
		b.err = b.load(b.ctx, b.t, b.rows)
		b.rows = make([]engines.Row, 0, loadBatch)
	}
	return b.err
}

// loadStream returns the random stream of one table of one warehouse, so a
// warehouse's rows do not depend on how many warehouses are loaded.
func (w *Workload) loadStream(table int, warehouse int64) *rand.Rand {
	return rand.New(rand.NewPCG(w.seed, streamLoad+uint64(table)<<32+uint64(warehouse)))
}

// Load generates the initial population of clause 4.3.3.1, deterministically
// from the seed, and hands it to load in batches (bulk installation, not
// transactions). Stream per table and warehouse: the population of
// warehouse 3 is the same whether 3 or 300 are loaded.
func (w *Workload) Load(ctx context.Context, load LoadFunc) error {
	if w.part == 0 {
		if err := w.loadShared(ctx, load); err != nil {
			return err
		}
	}
	for wh := int64(1); wh <= int64(w.opts.Warehouses); wh++ {
		if !w.owns(wh) {
			continue
		}
		for _, f := range []func(context.Context, LoadFunc, int64) error{
			w.loadWarehouse, w.loadStock, w.loadCustomers, w.loadOrders,
		} {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := f(ctx, load, wh); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadShared loads what every warehouse shares: the NURand constants and
// the items.
func (w *Workload) loadShared(ctx context.Context, load LoadFunc) error {
	nu := w.batcher(ctx, load, w.t.nurand)
	for _, c := range []struct {
		name string
		c    int64
	}{{"c_last", w.c.CLoad}, {"c_id", w.c.CID}, {"ol_i_id", w.c.CItem}} {
		nu.add(engines.Row{engines.String(c.name), engines.Int(c.c)})
	}
	if err := nu.flush(); err != nil {
		return err
	}
	return w.loadItems(ctx, load)
}

func (w *Workload) loadItems(ctx context.Context, load LoadFunc) error {
	rng := w.loadStream(0, 0)
	p := w.pools
	b := w.batcher(ctx, load, w.t.item)
	for i := int64(1); i <= w.size.items; i++ {
		b.add(engines.Row{
			engines.Int(i),
			engines.Int(uniform(rng, 1, 10000)),
			engines.String(p.astring(rng, 14, 24)),
			cents(uniform(rng, 100, 10000)),
			engines.String(p.data(rng)),
		})
	}
	return b.flush()
}

// address fills street 1, street 2, city, state and zip starting at col.
func (p *pools) address(rng *rand.Rand, r engines.Row, col int) {
	r[col] = engines.String(p.astring(rng, 10, 20))
	r[col+1] = engines.String(p.astring(rng, 10, 20))
	r[col+2] = engines.String(p.astring(rng, 10, 20))
	r[col+3] = engines.String(p.state(rng))
	r[col+4] = engines.String(p.zip(rng))
}

// tax is random [0.0000 .. 0.2000].
func tax(rng *rand.Rand) engines.Value { return rate(uniform(rng, 0, 2000)) }

func (w *Workload) loadWarehouse(ctx context.Context, load LoadFunc, wh int64) error {
	rng := w.loadStream(1, wh)
	p := w.pools
	// The YTD amounts equal the history rows the load creates (10.00 per
	// customer), as consistency conditions 8 and 9 require.
	perDistrict := w.size.customers * 1000 // cents

	r := make(engines.Row, wCols)
	r[wID] = engines.Int(wh)
	r[wName] = engines.String(p.astring(rng, 6, 10))
	p.address(rng, r, wStreet1)
	r[wTax] = tax(rng)
	r[wYTD] = cents(perDistrict * districts)
	b := w.batcher(ctx, load, w.t.warehouse)
	b.add(r)
	if err := b.flush(); err != nil {
		return err
	}

	b = w.batcher(ctx, load, w.t.district)
	for d := int64(1); d <= districts; d++ {
		r := make(engines.Row, dCols)
		r[dID] = engines.Int(d)
		r[dWID] = engines.Int(wh)
		r[dName] = engines.String(p.astring(rng, 6, 10))
		p.address(rng, r, dStreet1)
		r[dTax] = tax(rng)
		r[dYTD] = cents(perDistrict)
		r[dNextOID] = engines.Int(w.size.customers + 1)
		b.add(r)
	}
	return b.flush()
}

func (w *Workload) loadStock(ctx context.Context, load LoadFunc, wh int64) error {
	rng := w.loadStream(2, wh)
	p := w.pools
	b := w.batcher(ctx, load, w.t.stock)
	zero := engines.Int(0)
	for i := int64(1); i <= w.size.items; i++ {
		r := make(engines.Row, sCols)
		r[sIID] = engines.Int(i)
		r[sWID] = engines.Int(wh)
		r[sQuantity] = engines.Int(uniform(rng, 10, 100))
		for d := range districts {
			r[sDist01+d] = engines.String(p.astring(rng, 24, 24))
		}
		r[sYTD], r[sOrderCnt], r[sRemoteCnt] = zero, zero, zero
		r[sData] = engines.String(p.data(rng))
		b.add(r)
	}
	return b.flush()
}

// loadCustomers loads customer and history.
func (w *Workload) loadCustomers(ctx context.Context, load LoadFunc, wh int64) error {
	rng := w.loadStream(3, wh)
	p := w.pools
	since := engines.Timestamp(Epoch)
	var (
		cb   = w.batcher(ctx, load, w.t.customer)
		hb   = w.batcher(ctx, load, w.t.history)
		gc   = engines.String("GC")
		bc   = engines.String("BC")
		oe   = engines.String("OE")
		lim  = cents(5000000)
		bal  = cents(-1000)
		ytd  = cents(1000)
		one  = engines.Int(1)
		zero = engines.Int(0)
		W    = engines.Int(wh)
	)
	for d := int64(1); d <= districts; d++ {
		D := engines.Int(d)
		for c := int64(1); c <= w.size.customers; c++ {
			// The first 1000 customers take every name once; the others
			// draw them with NURand (clause 4.3.3.1).
			n := c - 1
			if c > w.size.names {
				n = NURand(rng, aLast, 0, w.size.names-1, w.c.CLoad)
			}
			last := engines.String(w.pools.names[n])
			first := engines.String(p.astring(rng, 8, 16))
			credit := gc
			if rng.IntN(10) == 0 {
				credit = bc
			}
			C := engines.Int(c)
			r := make(engines.Row, cCols)
			r[cID], r[cDID], r[cWID] = C, D, W
			r[cFirst], r[cMiddle], r[cLast] = first, oe, last
			p.address(rng, r, cStreet1)
			r[cPhone] = engines.String(p.nstring(rng, 16, 16))
			r[cSince] = since
			r[cCredit] = credit
			r[cCreditLim] = lim
			r[cDiscount] = rate(uniform(rng, 0, 5000))
			r[cBalance], r[cYTDPayment] = bal, ytd
			r[cPaymentCnt], r[cDeliveryCnt] = one, zero
			r[cData] = engines.String(p.astring(rng, 300, 500))
			cb.add(r)
			h := make(engines.Row, hCols)
			h[hCID], h[hCDID], h[hCWID], h[hDID], h[hWID] = C, D, W, D, W
			h[hDate] = since
			h[hAmount] = ytd
			h[hData] = engines.String(p.astring(rng, 12, 24))
			h[hID] = engines.Int((d-1)*w.size.customers + c)
			hb.add(h)
		}
	}
	for _, b := range []*batcher{cb, hb} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

// loadOrders loads orders, order lines and new orders.
func (w *Workload) loadOrders(ctx context.Context, load LoadFunc, wh int64) error {
	rng := w.loadStream(4, wh)
	p := w.pools
	entry := engines.Timestamp(Epoch)
	var (
		ob         = w.batcher(ctx, load, w.t.orders)
		lb         = w.batcher(ctx, load, w.t.orderLine)
		nb         = w.batcher(ctx, load, w.t.newOrder)
		W          = engines.Int(wh)
		one        = engines.Int(1)
		five       = engines.Int(5)
		zeroAmount = cents(0)
	)
	for d := int64(1); d <= districts; d++ {
		D := engines.Int(d)
		// O_C_ID is a random permutation of the customers.
		perm := rng.Perm(int(w.size.customers))
		for o := int64(1); o <= w.size.customers; o++ {
			O := engines.Int(o)
			C := engines.Int(int64(perm[o-1]) + 1)
			delivered := o <= w.size.delivered
			cnt := uniform(rng, 5, 15)
			carrier := engines.Null
			if delivered {
				carrier = engines.Int(uniform(rng, 1, 10))
			}
			r := make(engines.Row, oCols)
			r[oID], r[oDID], r[oWID], r[oCID] = O, D, W, C
			r[oEntryD], r[oCarrierID], r[oOLCnt], r[oAllLocal] = entry, carrier, engines.Int(cnt), one
			ob.add(r)
			for n := int64(1); n <= cnt; n++ {
				l := make(engines.Row, olCols)
				l[olOID], l[olDID], l[olWID], l[olNumber] = O, D, W, engines.Int(n)
				l[olIID] = engines.Int(uniform(rng, 1, w.size.items))
				l[olSupplyWID] = W
				l[olQuantity] = five
				if delivered {
					l[olDeliveryD], l[olAmount] = entry, zeroAmount
				} else {
					l[olDeliveryD] = engines.Null
					l[olAmount] = cents(uniform(rng, 1, 999999))
				}
				l[olDistInfo] = engines.String(p.astring(rng, 24, 24))
				lb.add(l)
			}
			if !delivered {
				nb.add(engines.Row{O, D, W})
			}
		}
	}
	for _, b := range []*batcher{ob, lb, nb} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}
