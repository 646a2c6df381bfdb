package sharded_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/sim"
)

var azs3 = []string{azA, azB, azC}

// retry runs body as one logical transaction until it commits (what the
// runner does) and returns the abort reasons seen.
func retry(t *testing.T, ctx context.Context, s engines.Session, o engines.TxnOptions, body func(tx engines.Txn) error) []engines.Reason {
	p := sim.ProcFrom(ctx)
	o.FirstStart = p.Now()
	var reasons []engines.Reason
	for attempt := 1; ; attempt++ {
		o.Attempt = attempt
		err := runTxn(ctx, s, o, 0, body).err
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

func isolated(iso sharded.Isolation) sharded.Config {
	cfg := sharded.DefaultConfig()
	cfg.Isolation = iso
	return cfg
}

// readValue reads one row's value in a read-only transaction.
func readValue(t *testing.T, ctx context.Context, s engines.Session, k int) int64 {
	var v int64
	must(t, runTxn(ctx, s, ro, 0, func(tx engines.Txn) error {
		r, _, err := tx.Get(ctx, table, key(k))
		if err == nil {
			v = r[1].Int()
		}
		return err
	}).err)
	return v
}

// Write skew: two doctors on call (0); each transaction reads both and, if
// both are on call, takes itself off (1). Under repeatable read and read
// committed both commit — they write different rows — leaving nobody on
// call, on one shard or across two.
func TestWriteSkewCommits(t *testing.T) {
	for _, iso := range []sharded.Isolation{sharded.RepeatableRead, sharded.ReadCommitted} {
		for _, sameShard := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/same-shard=%v", iso, sameShard), func(t *testing.T) {
				w := newWorld(t, isolated(iso), sim.FixedEpsilon(20*time.Microsecond), true, 100)
				doctors := []int{w.keyOn(t, 1, 0), w.keyOn(t, 1, 1)}
				if !sameShard {
					doctors[1] = w.keyOn(t, 2, 0)
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
							// Both decide while the other has read: the
							// two surely overlap.
							sim.ProcFrom(ctx).Sleep(10*time.Millisecond, sim.CatOther)
							if onCall < 2 {
								return nil
							}
							return tx.Update(ctx, table, key(me), engines.Set{Col: 1, Val: engines.Int(1)})
						})...)
					})
				}
				var off int64
				w.client(t, 9, azA, func(ctx context.Context, s engines.Session) {
					sim.ProcFrom(ctx).Sleep(time.Second, sim.CatOther)
					for _, d := range doctors {
						off += readValue(t, ctx, s, d)
					}
				})
				w.run()
				if off != 2 || len(reasons) != 0 {
					t.Fatalf("%d doctors off call, aborts %v; want 2 (write skew) and no abort", off, reasons)
				}
			})
		}
	}
}

// Two concurrent read-modify-writes of one row under repeatable read: the
// second updater waits for the first's lock and, once it gets it, finds a
// version newer than its snapshot — a serialization failure (40001, first
// updater wins) naming the row. Retried, it commits on the new value.
func TestConcurrentReadModifyWriteFailsTheSecondUpdater(t *testing.T) {
	w := newWorld(t, isolated(sharded.RepeatableRead), sim.FixedEpsilon(20*time.Microsecond), true, 100)
	k := w.keyOn(t, 2, 0)
	increment := func(ctx context.Context) func(engines.Txn) error {
		return func(tx engines.Txn) error {
			r, _, err := tx.Get(ctx, table, key(k))
			if err != nil {
				return err
			}
			sim.ProcFrom(ctx).Sleep(5*time.Millisecond, sim.CatOther)
			return tx.Update(ctx, table, key(k), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
		}
	}
	var first, second timed
	var reasons []engines.Reason
	w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		first = runTxn(ctx, s, rw, 0, increment(ctx))
	})
	w.client(t, 1, azB, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Millisecond, sim.CatOther)
		second = runTxn(ctx, s, rw, 0, increment(ctx))
		reasons = retry(t, ctx, s, rw, increment(ctx))
	})
	var final int64
	w.client(t, 9, azC, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Second, sim.CatOther)
		final = readValue(t, ctx, s, k)
	})
	w.run()
	must(t, first.err)
	a, ok := engines.AsAbort(second.err)
	if !ok || a.Reason != engines.ReasonSerialization || a.Table != "kv" || a.Key != key(k).String() {
		t.Fatalf("second updater: %v; want serialization(40001) on kv%v", second.err, key(k))
	}
	if final != 2 || len(reasons) != 0 {
		t.Fatalf("final %d (retry aborts %v), want 2", final, reasons)
	}
	if st := w.e.Stats(); st.SerializationFailures != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A lost update under read committed: both transactions read 0; the first
// (from AZ a) locks the row, writes 1 and commits; the second (from AZ b,
// next to the row's shard, 3 ms later) waits for the row lock, then
// applies its change to the newest version — but its value was computed
// from its old read, so it writes 1 too. Nothing aborts.
func TestReadCommittedLosesAnUpdate(t *testing.T) {
	w := newWorld(t, zeroCPU(isolated(sharded.ReadCommitted)), sim.FixedEpsilon(0), false, 100)
	k := w.keyOn(t, 1, 0)
	const think = 5 * time.Millisecond
	var results [2]timed
	for i := range 2 {
		w.client(t, i, azs3[i], func(ctx context.Context, s engines.Session) {
			sim.ProcFrom(ctx).Sleep(time.Duration(3*i)*time.Millisecond, sim.CatOther)
			results[i] = runTxn(ctx, s, rw, 0, func(tx engines.Txn) error {
				r, _, err := tx.Get(ctx, table, key(k))
				if err != nil {
					return err
				}
				sim.ProcFrom(ctx).Sleep(think, sim.CatOther)
				return tx.Update(ctx, table, key(k), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
			})
		})
	}
	var final int64
	w.client(t, 9, azC, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Second, sim.CatOther)
		final = readValue(t, ctx, s, k)
	})
	w.run()
	must(t, results[0].err)
	must(t, results[1].err)
	if final != 1 {
		t.Fatalf("final %d after two increments from 0; want 1 (a lost update)", final)
	}
	// The first releases the lock when its commit is flushed; the
	// second's update waits for that.
	release := 2*(c+x) + think + c/2 + x/2 + S
	updateSent := 3*time.Millisecond + c + a + think
	near(t, "second transaction's statements", results[1].stmts, (c+a)+think+(release-updateSent)+a/2+c/2)
}

// Many clients increment one counter. Under repeatable read every
// increment survives (with retries, on serialization failures only); under
// read committed nothing ever aborts, and increments are lost.
func TestCounterUnderContention(t *testing.T) {
	cases := []struct {
		iso sharded.Isolation
	}{{sharded.RepeatableRead}, {sharded.ReadCommitted}}
	for _, tc := range cases {
		t.Run(string(tc.iso), func(t *testing.T) {
			w := newWorld(t, isolated(tc.iso), sim.FixedEpsilon(20*time.Microsecond), true, 10)
			const clients, each = 8, 10
			count := map[engines.Reason]int{}
			for i := range clients {
				w.client(t, i, azs3[i%3], func(ctx context.Context, s engines.Session) {
					for range each {
						for _, r := range retry(t, ctx, s, rw, func(tx engines.Txn) error {
							r, _, err := tx.Get(ctx, table, key(3))
							if err != nil {
								return err
							}
							return tx.Update(ctx, table, key(3), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
						}) {
							count[r]++
						}
					}
				})
			}
			var final int64
			w.client(t, 99, azA, func(ctx context.Context, s engines.Session) {
				sim.ProcFrom(ctx).Sleep(time.Minute, sim.CatOther)
				final = readValue(t, ctx, s, 3)
			})
			w.run()
			t.Logf("%s: counter %d of %d, aborts %v", tc.iso, final, clients*each, count)
			switch tc.iso {
			case sharded.RepeatableRead:
				if final != clients*each || count[engines.ReasonSerialization] == 0 || len(count) != 1 {
					t.Fatalf("counter %d, aborts %v; want %d and serialization failures only", final, count, clients*each)
				}
			case sharded.ReadCommitted:
				if len(count) != 0 || w.e.Stats().SerializationFailures != 0 {
					t.Fatalf("aborts %v under read committed", count)
				}
				if final >= clients*each {
					t.Fatalf("counter %d: no update was lost", final)
				}
			}
		})
	}
}

// A transaction that starts after another's commit returned sees it, from
// another AZ, with jitter and a clock uncertainty well above the flush
// (commit wait carries the guarantee), under both levels.
func TestReadAfterCommitSeesIt(t *testing.T) {
	for _, iso := range []sharded.Isolation{sharded.RepeatableRead, sharded.ReadCommitted} {
		for _, reader := range []engines.TxnOptions{ro, rw} {
			t.Run(fmt.Sprintf("%s/read-only=%v", iso, reader.ReadOnly), func(t *testing.T) {
				w := newWorld(t, isolated(iso), sim.FixedEpsilon(3*time.Millisecond), true, 100)
				k0, k1 := w.keyOn(t, 1, 0), w.keyOn(t, 2, 0)
				commits := make([]*sim.Future[struct{}], 21)
				for i := range commits {
					commits[i] = sim.NewFuture[struct{}](w.k)
				}
				w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
					for i := 1; i <= 20; i++ {
						keys := []int{k0}
						if i%2 == 0 {
							keys = append(keys, k1) // every other one is two-phase
						}
						retry(t, ctx, s, rw, func(tx engines.Txn) error {
							for _, k := range keys {
								if err := tx.Update(ctx, table, key(k), engines.Set{Col: 1, Val: engines.Int(int64(i))}); err != nil {
									return err
								}
							}
							return nil
						})
						commits[i].Set(struct{}{})
					}
				})
				var seen int
				w.client(t, 1, azC, func(ctx context.Context, s engines.Session) {
					p := sim.ProcFrom(ctx)
					for i := 1; i <= 20; i++ {
						sim.Await(p, commits[i], sim.CatOther)
						retry(t, ctx, s, reader, func(tx engines.Txn) error {
							for _, k := range []int{k0, k1} {
								r, _, err := tx.Get(ctx, table, key(k))
								if err != nil {
									return err
								}
								if want := int64(i); k == k0 || i%2 == 0 {
									if r[1].Int() < want {
										t.Errorf("a read that started after commit %d returned saw %d on kv(%d)", i, r[1].Int(), k)
									}
								}
							}
							return nil
						})
						seen++
					}
				})
				w.run()
				if seen != 20 {
					t.Fatalf("reader finished %d reads, want 20", seen)
				}
			})
		}
	}
}

// Statements see the transaction's own writes; scans merge them in key
// order across shards; writes in a declared read-only transaction are
// refused; a later transaction sees the commit.
func TestReadYourWritesAndScans(t *testing.T) {
	for _, iso := range []sharded.Isolation{sharded.RepeatableRead, sharded.ReadCommitted} {
		t.Run(string(iso), func(t *testing.T) {
			w := newWorld(t, isolated(iso), sim.FixedEpsilon(20*time.Microsecond), true, 10)
			w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
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
				if err := tx.Update(ctx, table, key(55)); err != engines.ErrNotFound {
					t.Errorf("update of a missing row: %v", err)
				}
				r, ok, _ := tx.Get(ctx, table, key(3))
				if !ok || r[1].Int() != 33 {
					t.Errorf("own update not visible: %v", r)
				}
				r, ok, err := tx.GetForUpdate(ctx, table, key(100))
				if err != nil || !ok || r[1].Int() != 7 {
					t.Errorf("own insert through FOR UPDATE: %v %v %v", r, ok, err)
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
				rows, _ = tx.Scan(ctx, table, engines.ScanSpec{Start: key(6), End: key(6), EndInclusivePrefix: true})
				if got := ints(rows); got != "[6]" {
					t.Errorf("one shard-key value = %v, want [6]", got)
				}
				must(t, tx.Commit(ctx))
				if got := tx.(engines.InfoTxn).Info().Participants; got != 2 {
					t.Errorf("participants %d, want 2 (keys 3, 4 and 100 on shards 3, 0 and 0; the missing key 55 is locked, not written)", got)
				}
				tx2, _ := s.Begin(ctx, engines.TxnOptions{ReadOnly: true})
				if _, ok, _ := tx2.Get(ctx, table, key(100)); !ok {
					t.Error("committed insert not visible to the next transaction")
				}
				rows, _ = tx2.Scan(ctx, table, engines.ScanSpec{})
				if got := ints(rows); got != "[0 1 2 3 5 6 7 8 9 100]" {
					t.Errorf("full scan after commit = %v", got)
				}
				rows, _ = tx2.Scan(ctx, ref, engines.ScanSpec{Start: key(8)})
				if got := ints(rows); got != "[8 9]" {
					t.Errorf("reference scan = %v", got)
				}
				if err := tx2.Update(ctx, table, key(1)); err != engines.ErrReadOnly {
					t.Errorf("write in a read-only transaction: %v", err)
				}
				must(t, tx2.Commit(ctx))
			})
			w.run()
			if owners, keys, inflight, waiting, live := w.e.Residue(); owners+keys+inflight+waiting+live != 0 {
				t.Errorf("left behind: %d lock owners, %d locked keys, %d commits in progress, %d waiters, %d live", owners, keys, inflight, waiting, live)
			}
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
