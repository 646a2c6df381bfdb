package occ_test

import (
	"context"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/sim"
)

// Visibility follows durability: in us-3 with jitter on, writers in both
// full regions update a few keys with unique values while readers in every
// AZ poll them; no reader may receive a value before the commit that wrote
// it is durable on a quorum of journal replicas (BRIEF §8.9). Without the
// rule a reader next to the adjudicator saw a new value about 5 ms before
// it was durable outside its region.
func TestReaderNeverSeesAVersionBeforeItIsDurable(t *testing.T) {
	w := newWorldWith(t, "us-3", occ.DefaultConfig(), 4,
		sim.ClusterConfig{Jitter: true, Epsilon: sim.FixedEpsilon(20 * time.Microsecond)})
	durable := map[int64]sim.Time{} // value → when its record became durable
	w.E.OnDurable = func(rows []engines.Row, at sim.Time) {
		for _, r := range rows {
			durable[r[1].Int()] = at
		}
	}
	const horizon = 3 * time.Second
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-2a", "us-east-2b", "us-east-2c"}
	next := int64(1)
	for i := range 4 {
		w.Client(t, i, azs[i*2%len(azs)], func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			for p.Now() < horizon {
				v := next
				next++
				runTxn(ctx, s, false, func(tx engines.Txn) error {
					return tx.Update(ctx, table, key(int(v)%4), engines.Set{Col: 1, Val: engines.Int(v)})
				})
			}
		})
	}
	checked := 0
	for i, az := range azs {
		w.Client(t, 100+i, az, func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			for p.Now() < horizon {
				runTxn(ctx, s, true, func(tx engines.Txn) error {
					for k := range 4 {
						row, _, err := tx.Get(ctx, table, key(k))
						if err != nil {
							return err
						}
						v := row[1].Int()
						if v == 0 {
							continue // the loaded value
						}
						checked++
						at, ok := durable[v]
						if !ok || at > p.Now() {
							t.Errorf("reader in %s received value %d at %v; durable on a quorum at %v (known %v)", az, v, p.Now(), at, ok)
						}
					}
					return nil
				})
			}
		})
	}
	w.Run()
	if checked < 1000 {
		t.Fatalf("only %d reads of written values; the test shows nothing", checked)
	}
}
