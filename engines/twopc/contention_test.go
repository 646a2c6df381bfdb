package twopc_test

import (
	"context"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

var azs3 = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func isolated(iso twopc.Isolation) twopc.Config {
	c := twopc.DefaultConfig()
	c.Isolation = iso
	return c
}

// No lost update: concurrent read-modify-write increments of one counter,
// each retried until it commits, sum exactly, under both isolation levels;
// the losers abort for the level's reason.
func TestNoLostUpdates(t *testing.T) {
	cases := []struct {
		iso    twopc.Isolation
		reason engines.Reason
	}{
		{twopc.Serializable, engines.ReasonWounded},
		{twopc.RepeatableRead, twopc.ReasonWriteConflict},
	}
	for _, tc := range cases {
		t.Run(string(tc.iso), func(t *testing.T) {
			w := newWorld(t, "region-3az", isolated(tc.iso), sim.SawtoothEpsilon(time.Millisecond, 7*time.Millisecond, 30*time.Second), true, 1)
			const clients, each = 8, 10
			final, count := enginetest.Increments(t, w, 0, clients, each, azs3...)
			if final != clients*each {
				t.Fatalf("counter = %d, want %d (lost updates)", final, clients*each)
			}
			if count[tc.reason] == 0 || len(count) != 1 {
				t.Fatalf("aborts by reason %v; want only %s", count, tc.reason)
			}
		})
	}
}

// A locked scan holds a range lock over what it read: an insert into the
// range by a younger transaction waits until the scanner finishes, so the
// scanner's second scan sees the same rows (no phantom); afterwards the
// insert commits and is visible.
func TestScansSeeNoPhantoms(t *testing.T) {
	w := newWorld(t, "region-3az", twopc.DefaultConfig(), sim.FixedEpsilon(time.Millisecond), true, 100)
	count := func(ctx context.Context, tx engines.Txn) (int, error) {
		rows, err := tx.Scan(ctx, table, engines.ScanSpec{Start: key(10), End: key(90)})
		return len(rows), err
	}
	var first, second, after int
	var inserted enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		must(t, runTxn(ctx, s, rw, func(tx engines.Txn) error {
			var err error
			if first, err = count(ctx, tx); err != nil {
				return err
			}
			sim.ProcFrom(ctx).Sleep(50*time.Millisecond, sim.CatOther) // the insert happens meanwhile
			second, err = count(ctx, tx)
			return err
		}).Err)
	})
	w.Client(t, 1, "us-east-1b", func(ctx context.Context, s engines.Session) {
		p := sim.ProcFrom(ctx)
		p.Sleep(20*time.Millisecond, sim.CatOther)
		// Deleting a row inside the scanned range needs its exclusive lock
		// at commit: it waits for the older scanner.
		inserted = runTxn(ctx, s, engines.TxnOptions{FirstStart: p.Now()}, func(tx engines.Txn) error {
			return tx.Delete(ctx, table, key(50))
		})
		must(t, inserted.Err)
		for _, k := range []int{50, 1000} { // back in the range, and one outside it
			must(t, runTxn(ctx, s, engines.TxnOptions{FirstStart: p.Now()}, func(tx engines.Txn) error {
				return tx.Insert(ctx, table, engines.Row{engines.Int(int64(k)), engines.Int(7)})
			}).Err)
		}
		p.Sleep(time.Second, sim.CatOther)
		must(t, runTxn(ctx, s, ro, func(tx engines.Txn) error {
			var err error
			after, err = count(ctx, tx)
			return err
		}).Err)
	})
	w.Run()
	if first != 80 || second != 80 {
		t.Fatalf("scanner saw %d then %d rows, want 80 twice (a phantom)", first, second)
	}
	if after != 80 {
		t.Fatalf("after delete and re-insert: %d rows, want 80", after)
	}
	if inserted.Commit < 10*time.Millisecond {
		t.Fatalf("the delete in the scanned range committed in %v: it did not wait for the range lock", inserted.Commit)
	}
}
