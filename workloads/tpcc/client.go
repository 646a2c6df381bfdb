package tpcc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

// client is one terminal (clause 2.1.1 / 5.2.4): a home warehouse, a fixed
// district for Stock-Level, and a deck of cards that deals the mix.
type client struct {
	w          *Workload
	rng        *rand.Rand
	id         int64
	home       int64
	slDistrict int64
	deck       []int // indexes into txnTypes, one per card
	pos        int   // next card; len(deck) = shuffle first
	drawn      int64 // transactions drawn so far: the terminal's logical clock
}

// Next deals the next card (clause 5.2.4.2: the deck is reshuffled each time
// it is used up) and draws that transaction's inputs.
func (c *client) Next() workloads.Txn {
	if c.pos == len(c.deck) {
		c.rng.Shuffle(len(c.deck), func(i, j int) { c.deck[i], c.deck[j] = c.deck[j], c.deck[i] })
		c.pos = 0
	}
	kind := c.deck[c.pos]
	c.pos++
	c.drawn++
	b := base{w: c.w, date: c.date()}
	if c.w.opts.Wait {
		b.keying = keyingTime[kind]
		b.think = c.thinkTime(thinkMean[kind])
	}
	switch txnTypes[kind] {
	case TypeNewOrder:
		return c.newOrder(b)
	case TypePayment:
		return c.payment(b)
	case TypeOrderStatus:
		return c.orderStatus(b)
	case TypeDelivery:
		return c.delivery(b)
	default:
		return c.stockLevel(b)
	}
}

// date is what the transaction writes as "the current date and time"
// (O_ENTRY_D, H_DATE, OL_DELIVERY_D): a logical clock per terminal, the load
// date plus a day plus one millisecond per transaction drawn, so that the
// database state is a function of the seed in virtual time and in wall
// time alike. Nothing reads these dates back except for NULL-ness.
func (c *client) date() engines.Value {
	return engines.Timestamp(Epoch.Add(24*time.Hour + time.Duration(c.drawn)*time.Millisecond))
}

// thinkTime draws a think time from the negative exponential distribution
// with the given mean, truncated at ten times the mean (clause 5.2.5.4).
func (c *client) thinkTime(mean time.Duration) time.Duration {
	r := 1 - c.rng.Float64() // (0, 1]
	return time.Duration(math.Min(-math.Log(r), 10) * float64(mean))
}

// remote returns a warehouse other than home, uniformly (home itself when
// there is only one warehouse).
func (c *client) remote() int64 {
	W := int64(c.w.opts.Warehouses)
	if W == 1 {
		return c.home
	}
	x := uniform(c.rng, 1, W-1)
	if x >= c.home {
		x++
	}
	return x
}

// customer draws a customer: by last name with probability byName percent
// (the name drawn with the run-time C, clause 2.1.6.1), else by id.
func (c *client) customer(byNamePct int64) (id int64, last string) {
	s := c.w.size
	if uniform(c.rng, 1, 100) <= byNamePct {
		return 0, c.w.pools.names[NURand(c.rng, aLast, 0, s.names-1, c.w.c.CRun)]
	}
	return NURand(c.rng, aCID, 1, s.customers, c.w.c.CID), ""
}

// base is what every transaction carries.
type base struct {
	w             *Workload
	date          engines.Value
	keying, think time.Duration
}

func (b *base) Pacing() (keying, think time.Duration) { return b.keying, b.think }

// notFound reports a row the spec guarantees to exist: a broken database,
// not an abort.
func notFound(t *engines.Table, k engines.Key) error {
	return fmt.Errorf("tpcc: %s%s not found", t.Name, k)
}

// get reads a row that must exist.
func get(ctx context.Context, tx engines.Txn, t *engines.Table, k engines.Key) (engines.Row, error) {
	r, ok, err := tx.Get(ctx, t, k)
	if err == nil && !ok {
		err = notFound(t, k)
	}
	return r, err
}

// getForUpdate reads a row that must exist and that the transaction will
// write: SELECT ... FOR UPDATE, so a lock-based engine takes the write lock
// at once instead of upgrading a shared one (two upgraders deadlock).
func getForUpdate(ctx context.Context, tx engines.Txn, t *engines.Table, k engines.Key) (engines.Row, error) {
	r, ok, err := tx.GetForUpdate(ctx, t, k)
	if err == nil && !ok {
		err = notFound(t, k)
	}
	return r, err
}

// customerByName returns the customer in the middle of those with the last
// name, in C_FIRST order: position ceil(n/2) (clause 2.5.2.2), through the
// by_name index.
func (w *Workload) customerByName(ctx context.Context, tx engines.Txn, wh, d int64, last string) (engines.Row, error) {
	k := engines.Key{engines.Int(wh), engines.Int(d), engines.String(last)}
	rows, err := engines.RunQuery(ctx, tx, w.t.customer, engines.Query{Index: indexByName, Start: k, End: k, EndInclusivePrefix: true})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, notFound(w.t.customer, k)
	}
	return rows[(len(rows)-1)/2], nil
}
