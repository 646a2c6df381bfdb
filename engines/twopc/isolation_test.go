package twopc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

var azs3 = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// retry runs body as one logical transaction until it commits, keeping the
// first attempt's start as its priority (what the runner does). It returns
// the abort reasons seen.
func retry(t *testing.T, ctx context.Context, s engines.Session, o engines.TxnOptions, body func(tx engines.Txn) error) []engines.Reason {
	p := sim.ProcFrom(ctx)
	o.FirstStart = p.Now()
	var reasons []engines.Reason
	for attempt := 1; ; attempt++ {
		o.Attempt = attempt
		err := runTxn(ctx, s, o, body).err
		if err == nil {
			return reasons
		}
		a, ok := engines.AsAbort(err)
		if !ok || !a.Retryable {
			t.Errorf("attempt %d: %v", attempt, err)
			return reasons
		}
		reasons = append(reasons, a.Reason)
		p.Sleep(time.Duration(attempt)*100*time.Microsecond, sim.CatBackoff)
	}
}

func isolated(iso twopc.Isolation) twopc.Config {
	c := twopc.DefaultConfig()
	c.Isolation = iso
	return c
}

// Write skew: two doctors on call (both 0); each transaction reads both
// and, if both are on call, takes itself off (1). Serializable execution
// leaves one on call whatever the interleaving; repeatable read lets both
// commit their write (Spanner's repeatable read, like snapshot isolation).
func TestWriteSkew(t *testing.T) {
	cases := []struct {
		iso       twopc.Isolation
		sameSplit bool
		offCall   int64
	}{
		{twopc.Serializable, true, 1},
		{twopc.Serializable, false, 1},
		{twopc.RepeatableRead, true, 2},
		{twopc.RepeatableRead, false, 2},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/same-split=%v", tc.iso, tc.sameSplit), func(t *testing.T) {
			w := newWorld(t, "region-3az", isolated(tc.iso), sim.FixedEpsilon(500*time.Microsecond), true, 400)
			k0 := w.keysIn(t, 0, 2, 400)
			doctors := []int{k0[0], k0[1]}
			if !tc.sameSplit {
				doctors[1] = w.keysIn(t, 1, 1, 400)[0]
			}
			var reasons []engines.Reason
			for i, me := range doctors {
				w.client(t, i, azs3[i], func(ctx context.Context, s engines.Session) {
					reasons = append(reasons, retry(t, ctx, s, rw, func(tx engines.Txn) error {
						onCall := 0
						for _, d := range doctors {
							r, _, err := tx.Get(ctx, table, key(d))
							if err != nil {
								return err
							}
							if r[1].Int() == 0 {
								onCall++
							}
						}
						// Both hold their reads while they decide, so
						// the two transactions surely overlap.
						sim.ProcFrom(ctx).Sleep(10*time.Millisecond, sim.CatOther)
						if onCall < 2 {
							return nil
						}
						return tx.Update(ctx, table, key(me), engines.Set{Col: 1, Val: engines.Int(1)})
					})...)
				})
			}
			var off int64
			w.client(t, 9, "us-east-1a", func(ctx context.Context, s engines.Session) {
				sim.ProcFrom(ctx).Sleep(time.Minute, sim.CatOther)
				must(t, runTxn(ctx, s, ro, func(tx engines.Txn) error {
					for _, d := range doctors {
						r, _, err := tx.Get(ctx, table, key(d))
						if err != nil {
							return err
						}
						off += r[1].Int()
					}
					return nil
				}).err)
			})
			w.run()
			if off != tc.offCall {
				t.Fatalf("%d doctors off call, want %d (aborts: %v)", off, tc.offCall, reasons)
			}
			if tc.iso == twopc.Serializable && len(reasons) == 0 {
				t.Fatal("no abort: the two transactions did not overlap")
			}
		})
	}
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
			count := map[engines.Reason]int{}
			for i := range clients {
				w.client(t, i, azs3[i%3], func(ctx context.Context, s engines.Session) {
					for range each {
						for _, r := range retry(t, ctx, s, rw, func(tx engines.Txn) error {
							r, _, err := tx.Get(ctx, table, key(0))
							if err != nil {
								return err
							}
							return tx.Update(ctx, table, key(0), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
						}) {
							count[r]++
						}
					}
				})
			}
			var final int64
			w.client(t, 99, "us-east-1a", func(ctx context.Context, s engines.Session) {
				sim.ProcFrom(ctx).Sleep(time.Minute, sim.CatOther)
				must(t, runTxn(ctx, s, ro, func(tx engines.Txn) error {
					r, _, err := tx.Get(ctx, table, key(0))
					final = r[1].Int()
					return err
				}).err)
			})
			w.run()
			if final != clients*each {
				t.Fatalf("counter = %d, want %d (lost updates)", final, clients*each)
			}
			if count[tc.reason] == 0 || len(count) != 1 {
				t.Fatalf("aborts by reason %v; want only %s", count, tc.reason)
			}
		})
	}
}

// A transaction that starts after another's commit returned sees it, from
// the other full region, with jitter and the sawtooth ε: s_read =
// TT.now().latest is above the commit timestamp because of commit wait,
// and the replica waits for its safe time to pass s_read.
func TestReadAfterCommitSeesIt(t *testing.T) {
	cases := []struct {
		iso    twopc.Isolation
		reader engines.TxnOptions
	}{
		{twopc.Serializable, ro},
		{twopc.Serializable, rw},
		{twopc.RepeatableRead, ro},
		{twopc.RepeatableRead, rw},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/read-only=%v", tc.iso, tc.reader.ReadOnly), func(t *testing.T) {
			topo, _ := sim.Preset("us-3")
			k := sim.NewKernel(5)
			cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: true, Epsilon: sim.SawtoothEpsilon(time.Millisecond, 7*time.Millisecond, 30*time.Second)})
			e, err := twopc.New(cl, isolated(tc.iso))
			must(t, err)
			ctx := context.Background()
			must(t, e.CreateSchema(ctx, kv))
			must(t, e.Load(ctx, table, []engines.Row{{engines.Int(0), engines.Int(0)}}))
			defer k.Shutdown()
			w := &world{k: k, cl: cl, e: e, ctx: ctx}
			var seen []int64
			commits := make([]*sim.Future[struct{}], 21)
			for i := range commits {
				commits[i] = sim.NewFuture[struct{}](k)
			}
			w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
				for i := 1; i <= 20; i++ {
					retry(t, ctx, s, rw, func(tx engines.Txn) error {
						return tx.Update(ctx, table, key(0), engines.Set{Col: 1, Val: engines.Int(int64(i))})
					})
					commits[i].Set(struct{}{})
				}
			})
			w.client(t, 1, "us-east-2c", func(ctx context.Context, s engines.Session) {
				p := sim.ProcFrom(ctx)
				for i := 1; i <= 20; i++ {
					sim.Await(p, commits[i], sim.CatOther)
					var v int64
					retry(t, ctx, s, tc.reader, func(tx engines.Txn) error {
						r, _, err := tx.Get(ctx, table, key(0))
						if err == nil {
							v = r[1].Int()
						}
						return err
					})
					if v < int64(i) {
						t.Errorf("a read that started after commit %d returned saw %d", i, v)
					}
					seen = append(seen, v)
				}
			})
			w.run()
			if len(seen) != 20 {
				t.Fatalf("reader finished %d reads, want 20", len(seen))
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
	var inserted timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		must(t, runTxn(ctx, s, rw, func(tx engines.Txn) error {
			var err error
			if first, err = count(ctx, tx); err != nil {
				return err
			}
			sim.ProcFrom(ctx).Sleep(50*time.Millisecond, sim.CatOther) // the insert happens meanwhile
			second, err = count(ctx, tx)
			return err
		}).err)
	})
	w.client(t, 1, "us-east-1b", func(ctx context.Context, s engines.Session) {
		p := sim.ProcFrom(ctx)
		p.Sleep(20*time.Millisecond, sim.CatOther)
		// Deleting a row inside the scanned range needs its exclusive lock
		// at commit: it waits for the older scanner.
		inserted = runTxn(ctx, s, engines.TxnOptions{FirstStart: p.Now()}, func(tx engines.Txn) error {
			return tx.Delete(ctx, table, key(50))
		})
		must(t, inserted.err)
		for _, k := range []int{50, 1000} { // back in the range, and one outside it
			must(t, runTxn(ctx, s, engines.TxnOptions{FirstStart: p.Now()}, func(tx engines.Txn) error {
				return tx.Insert(ctx, table, engines.Row{engines.Int(int64(k)), engines.Int(7)})
			}).err)
		}
		p.Sleep(time.Second, sim.CatOther)
		must(t, runTxn(ctx, s, ro, func(tx engines.Txn) error {
			var err error
			after, err = count(ctx, tx)
			return err
		}).err)
	})
	w.run()
	if first != 80 || second != 80 {
		t.Fatalf("scanner saw %d then %d rows, want 80 twice (a phantom)", first, second)
	}
	if after != 80 {
		t.Fatalf("after delete and re-insert: %d rows, want 80", after)
	}
	if inserted.commit < 10*time.Millisecond {
		t.Fatalf("the delete in the scanned range committed in %v: it did not wait for the range lock", inserted.commit)
	}
}

// Statements see the transaction's own writes; scans merge them in order;
// writes in a read-only transaction are refused.
func TestReadYourWritesAndScans(t *testing.T) {
	for _, iso := range []twopc.Isolation{twopc.Serializable, twopc.RepeatableRead} {
		t.Run(string(iso), func(t *testing.T) {
			w := newWorld(t, "region-3az", isolated(iso), sim.FixedEpsilon(time.Millisecond), true, 10)
			w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
				tx, _ := s.Begin(ctx, engines.TxnOptions{})
				must(t, tx.Update(ctx, table, key(3), engines.Set{Col: 1, Val: engines.Int(33)}))
				must(t, tx.Delete(ctx, table, key(4)))
				must(t, tx.Insert(ctx, table, engines.Row{engines.Int(100), engines.Int(7)}))
				if err := tx.Insert(ctx, table, engines.Row{engines.Int(5), engines.Int(7)}); err != engines.ErrDuplicateKey {
					t.Errorf("duplicate insert: %v", err)
				}
				if err := tx.Update(ctx, table, key(4)); err != engines.ErrNotFound {
					t.Errorf("update of a deleted row: %v", err)
				}
				r, ok, _ := tx.Get(ctx, table, key(3))
				if !ok || r[1].Int() != 33 {
					t.Errorf("own update not visible: %v", r)
				}
				rows, err := tx.Scan(ctx, table, engines.ScanSpec{Start: key(2), Limit: 4})
				must(t, err)
				if got := ints(rows); got != "[2 3 5 6]" {
					t.Errorf("scan from 2 limit 4 = %v, want [2 3 5 6]", got)
				}
				rows, _ = tx.Scan(ctx, table, engines.ScanSpec{Start: key(5), Reverse: true, Limit: 3})
				if got := ints(rows); got != "[100 9 8]" {
					t.Errorf("reverse scan = %v, want [100 9 8]", got)
				}
				must(t, tx.Commit(ctx))
				tx2, _ := s.Begin(ctx, engines.TxnOptions{ReadOnly: true})
				if _, ok, _ := tx2.Get(ctx, table, key(100)); !ok {
					t.Error("committed insert not visible to the next transaction")
				}
				rows, _ = tx2.Scan(ctx, table, engines.ScanSpec{})
				if got := ints(rows); got != "[0 1 2 3 5 6 7 8 9 100]" {
					t.Errorf("full scan after commit = %v", got)
				}
				if err := tx2.Update(ctx, table, key(1)); err != engines.ErrReadOnly {
					t.Errorf("write in a read-only transaction: %v", err)
				}
				must(t, tx2.Commit(ctx))
			})
			w.run()
		})
	}
}

func ints(rows []engines.Row) string {
	var ks []int64
	for _, r := range rows {
		ks = append(ks, r[0].Int())
	}
	return fmt.Sprint(ks)
}
