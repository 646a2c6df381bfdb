package tpcc

import (
	"context"
	"math/rand/v2"
	"unsafe"

	"github.com/txbench/txbench/engines"
)

// loadBatch is how many rows Load hands to the callback at a time.
const loadBatch = 1000

// LoadFunc receives a batch of initial rows (the engine's bulk Load).
type LoadFunc = func(ctx context.Context, t *engines.Table, rows []engines.Row) error

// loader is one Load: where batches go, and the memory of the batches
// that came back to be refilled.
type loader struct {
	ctx  context.Context
	load LoadFunc
	// done hands back batches the engine is done with (see
	// workloads.Recycler); out are those handed over and not back yet,
	// oldest first.
	done <-chan []engines.Row
	out  []*batchMem
}

// batchMem is the memory of one batch: its rows, and their values (one
// allocation for the batch instead of one a row).
type batchMem struct {
	rows []engines.Row
	vals []engines.Value
}

// get returns a batch that came back, if one has, or a new one.
func (l *loader) get() *batchMem {
	var m *batchMem
	select {
	case rows := <-l.done: // never ready when done is nil
		for i, o := range l.out {
			if unsafe.SliceData(o.rows) == unsafe.SliceData(rows) {
				l.out, m = l.out[i+1:], o // older ones did not come back
				break
			}
		}
		if m == nil {
			panic("tpcc: a batch came back that Load did not hand over")
		}
	default:
		m = &batchMem{rows: make([]engines.Row, 0, loadBatch)}
	}
	return m
}

// batcher collects rows of one table and hands them over in batches.
type batcher struct {
	l    *loader
	t    *engines.Table
	m    *batchMem // the batch being filled, nil after a flush
	used int       // values of m.vals handed out by row
	err  error
}

func (l *loader) batcher(t *engines.Table) *batcher { return &batcher{l: l, t: t} }

// row returns a row of the table's width, all NULL, in the batch's memory:
// for add, before the batch's next flush.
func (b *batcher) row() engines.Row {
	b.fill()
	n := len(b.t.Columns)
	if b.used == 0 && len(b.m.vals) < loadBatch*n {
		b.m.vals = make([]engines.Value, loadBatch*n) // new, or a narrower table's
	}
	r := engines.Row(b.m.vals[b.used : b.used+n : b.used+n])
	clear(r) // a recycled batch holds old rows
	b.used += n
	return r
}

func (b *batcher) fill() {
	if b.m == nil {
		b.m, b.used = b.l.get(), 0
		b.m.rows = b.m.rows[:0]
	}
}

func (b *batcher) add(r engines.Row) {
	b.fill()
	b.m.rows = append(b.m.rows, r)
	if len(b.m.rows) == loadBatch {
		b.flush()
	}
}

// flush hands over what is buffered. The batch is the engine's from then
// on (the simulated ones pack the rows and hand it back, see loader).
func (b *batcher) flush() error {
	switch {
	case b.m == nil:
	case b.err != nil:
		b.m.rows, b.used = b.m.rows[:0], 0 // the load failed: drop the rest
	case len(b.m.rows) > 0:
		m := b.m
		b.m = nil
		if b.l.done != nil {
			b.l.out = append(b.l.out, m)
		}
		b.err = b.l.load(b.l.ctx, b.t, m.rows)
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
	return w.LoadRecycling(ctx, load, nil)
}

// LoadRecycling implements workloads.Recycler: Load, refilling the batches
// that came back on done instead of allocating new ones (the same rows).
func (w *Workload) LoadRecycling(ctx context.Context, load LoadFunc, done <-chan []engines.Row) error {
	l := &loader{ctx: ctx, load: load, done: done}
	if w.part == 0 {
		if err := w.loadShared(l); err != nil {
			return err
		}
	}
	for wh := int64(1); wh <= int64(w.opts.Warehouses); wh++ {
		if !w.owns(wh) {
			continue
		}
		for _, f := range []func(*loader, int64) error{
			w.loadWarehouse, w.loadStock, w.loadCustomers, w.loadOrders,
		} {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := f(l, wh); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadShared loads what every warehouse shares: the NURand constants and
// the items.
func (w *Workload) loadShared(l *loader) error {
	nu := l.batcher(w.t.nurand)
	for _, c := range []struct {
		name string
		c    int64
	}{{"c_last", w.c.CLoad}, {"c_id", w.c.CID}, {"ol_i_id", w.c.CItem}} {
		nu.add(engines.Row{engines.String(c.name), engines.Int(c.c)})
	}
	if err := nu.flush(); err != nil {
		return err
	}
	return w.loadItems(l)
}

func (w *Workload) loadItems(l *loader) error {
	rng := w.loadStream(0, 0)
	p := w.pools
	b := l.batcher(w.t.item)
	for i := int64(1); i <= w.size.items; i++ {
		r := b.row() // the columns in order: the draws are in column order
		r[0] = engines.Int(i)
		r[1] = engines.Int(uniform(rng, 1, 10000))
		r[2] = engines.String(p.astring(rng, 14, 24))
		r[3] = cents(uniform(rng, 100, 10000))
		r[4] = engines.String(p.data(rng))
		b.add(r)
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

func (w *Workload) loadWarehouse(l *loader, wh int64) error {
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
	b := l.batcher(w.t.warehouse)
	b.add(r)
	if err := b.flush(); err != nil {
		return err
	}

	b = l.batcher(w.t.district)
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

func (w *Workload) loadStock(l *loader, wh int64) error {
	rng := w.loadStream(2, wh)
	p := w.pools
	b := l.batcher(w.t.stock)
	zero := engines.Int(0)
	for i := int64(1); i <= w.size.items; i++ {
		r := b.row()
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
func (w *Workload) loadCustomers(l *loader, wh int64) error {
	rng := w.loadStream(3, wh)
	p := w.pools
	since := engines.Timestamp(Epoch)
	var (
		cb   = l.batcher(w.t.customer)
		hb   = l.batcher(w.t.history)
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
			r := cb.row()
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
			h := hb.row()
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
func (w *Workload) loadOrders(l *loader, wh int64) error {
	rng := w.loadStream(4, wh)
	p := w.pools
	entry := engines.Timestamp(Epoch)
	var (
		ob         = l.batcher(w.t.orders)
		lb         = l.batcher(w.t.orderLine)
		nb         = l.batcher(w.t.newOrder)
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
			r := ob.row()
			r[oID], r[oDID], r[oWID], r[oCID] = O, D, W, C
			r[oEntryD], r[oCarrierID], r[oOLCnt], r[oAllLocal] = entry, carrier, engines.Int(cnt), one
			ob.add(r)
			for n := int64(1); n <= cnt; n++ {
				line := lb.row()
				line[olOID], line[olDID], line[olWID], line[olNumber] = O, D, W, engines.Int(n)
				line[olIID] = engines.Int(uniform(rng, 1, w.size.items))
				line[olSupplyWID] = W
				line[olQuantity] = five
				if delivered {
					line[olDeliveryD], line[olAmount] = entry, zeroAmount
				} else {
					line[olDeliveryD] = engines.Null
					line[olAmount] = cents(uniform(rng, 1, 999999))
				}
				line[olDistInfo] = engines.String(p.astring(rng, 24, 24))
				lb.add(line)
			}
			if !delivered {
				r := nb.row()
				r[noOID], r[noDID], r[noWID] = O, D, W
				nb.add(r)
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
