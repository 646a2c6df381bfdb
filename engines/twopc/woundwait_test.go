package twopc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

func rmw(ctx context.Context, tx engines.Txn, k int, pause time.Duration) error {
	r, _, err := tx.Get(ctx, table, key(k))
	if err != nil {
		return err
	}
	sim.ProcFrom(ctx).Sleep(pause, sim.CatOther)
	return tx.Update(ctx, table, key(k), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
}

// Clients read-modify-write the same keys in opposite orders — the classic
// deadlock — within one split and across splits (two-phase commit), with
// jitter and the sawtooth ε. Wound-wait keeps every run moving: every
// transaction commits, the counters add up, and nothing is left behind
// (locks, Paxos records, live transactions).
func TestCrossedLockOrdersNeverStall(t *testing.T) {
	for _, splits := range []string{"one split", "three splits"} {
		t.Run(splits, func(t *testing.T) {
			w := newWorld(t, "region-3az", twopc.DefaultConfig(), sim.SawtoothEpsilon(time.Millisecond, 7*time.Millisecond, 30*time.Second), true, 400)
			reasons := crossed(t, w, splits == "three splits", 8, 15)
			if len(reasons) == 0 {
				t.Fatal("no transaction was wounded: the lock orders never crossed")
			}
		})
	}
}

// crossed runs clients that each read-modify-write three hot keys (in one
// split, or one in each of three) in crossed orders, each transaction
// retried to its commit, and checks that every one finished, the counters
// add up and nothing is left behind; it returns the aborts by reason.
func crossed(t *testing.T, w *world, threeSplits bool, clients, each int) map[engines.Reason]int {
	t.Helper()
	var hot []int
	if !threeSplits {
		hot = keysIn(t, w, 0, 3, 400)
	} else {
		for s := range 3 {
			hot = append(hot, keysIn(t, w, s, 1, 400)[0])
		}
	}
	orders := [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}}
	done := 0
	reasons := map[engines.Reason]int{}
	for i := range clients {
		order := orders[i%len(orders)]
		w.Client(t, i, azs3[i%3], func(ctx context.Context, s engines.Session) {
			for range each {
				for _, r := range enginetest.Retry(t, ctx, s, rw, func(tx engines.Txn) error {
					for _, j := range order {
						if err := rmw(ctx, tx, hot[j], time.Millisecond); err != nil {
							return err
						}
					}
					return nil
				}) {
					reasons[r]++
				}
				done++
			}
		})
	}
	w.Run()
	if done != clients*each {
		t.Fatalf("%d of %d transactions finished in 10 virtual minutes: a stall", done, clients*each)
	}
	var sum int64
	for _, k := range hot {
		r, _ := w.E.Store.Get(table.ID, key(k).Encode(), 1<<62)
		sum += r.Row()[1].Int()
	}
	if want := int64(3 * clients * each); sum != want {
		t.Fatalf("counters sum to %d, want %d", sum, want)
	}
	if o, k, r, l := w.E.Residue(); o+k+r+l != 0 {
		t.Fatalf("left behind: %d lock owners, %d locked keys, %d Paxos records, %d live transactions", o, k, r, l)
	}
	return reasons
}

// The oldest transaction always finishes: a slow transaction that started
// first keeps its locks against a crowd of younger ones hammering the same
// keys, and commits at its first attempt.
func TestOldestTransactionFinishesFirstTime(t *testing.T) {
	w := newWorld(t, "region-3az", twopc.DefaultConfig(), sim.FixedEpsilon(2*time.Millisecond), true, 400)
	var hot []int
	for s := range 4 {
		hot = append(hot, keysIn(t, w, s, 1, 400)[0])
	}
	var oldest []engines.Reason
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		oldest = enginetest.Retry(t, ctx, s, rw, func(tx engines.Txn) error {
			for _, k := range hot {
				if err := rmw(ctx, tx, k, 5*time.Millisecond); err != nil {
					return err
				}
			}
			return nil
		})
	})
	younger := 0
	for i := 1; i <= 8; i++ {
		w.Client(t, i, azs3[i%3], func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			p.Sleep(time.Duration(i)*time.Millisecond, sim.CatOther)
			for n := range 10 {
				younger += len(enginetest.Retry(t, ctx, s, rw, func(tx engines.Txn) error {
					return rmw(ctx, tx, hot[(i+n)%len(hot)], 0)
				}))
			}
		})
	}
	w.Run()
	if len(oldest) != 0 {
		t.Fatalf("the oldest transaction aborted: %v", oldest)
	}
	if younger == 0 {
		t.Fatal("the younger transactions never conflicted with the oldest")
	}
}

// A retried transaction keeps its first attempt's start as its priority:
// on its second attempt it still wounds a transaction Z that began after
// its first attempt. With a fresh priority it would be the younger one, and
// Z would wound it.
func TestRetryKeepsItsPriority(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			w := newWorld(t, "region-3az", zeroCPU(twopc.DefaultConfig()), sim.FixedEpsilon(0), false, 10)
			var z, y enginetest.Timed
			// Z starts at 10 ms and holds a shared lock on key 1 for 50 ms.
			w.Client(t, 1, "us-east-1b", func(ctx context.Context, s engines.Session) {
				p := sim.ProcFrom(ctx)
				p.Sleep(10*time.Millisecond, sim.CatOther)
				z = runTxn(ctx, s, engines.TxnOptions{FirstStart: p.Now()}, func(tx engines.Txn) error {
					return rmw(ctx, tx, 1, 50*time.Millisecond)
				})
			})
			// Y's second attempt starts at 20 ms; its first began at 1 ms.
			w.Client(t, 2, "us-east-1c", func(ctx context.Context, s engines.Session) {
				p := sim.ProcFrom(ctx)
				p.Sleep(20*time.Millisecond, sim.CatOther)
				first := time.Millisecond
				if !keep {
					first = p.Now()
				}
				y = runTxn(ctx, s, engines.TxnOptions{Attempt: 2, FirstStart: first}, func(tx engines.Txn) error {
					return rmw(ctx, tx, 1, 0)
				})
			})
			w.Run()
			// Both read key 1 and upgrade at commit: the older one wounds
			// the other.
			older, younger := y, z
			if !keep {
				older, younger = z, y
			}
			must(t, older.Err)
			if a, ok := engines.AsAbort(younger.Err); !ok || a.Reason != engines.ReasonWounded {
				t.Fatalf("younger: %v; want wounded", younger.Err)
			}
		})
	}
}

// A holder that has prepared cannot be wounded, but it must not then wait
// for the older transaction waiting for it: T (younger) has prepared at
// split h and waits at split g for O's shared lock; O then asks for T's
// key at h. Plain "wait for prepared holders" would deadlock; T aborts
// instead and O finishes.
func TestPreparedHolderThatWouldCloseACycleAborts(t *testing.T) {
	w := newWorld(t, "region-3az", zeroCPU(twopc.DefaultConfig()), sim.FixedEpsilon(500*time.Microsecond), false, 400)
	kg, kh := keysIn(t, w, 0, 1, 400)[0], keysIn(t, w, 1, 1, 400)[0]
	var o, first enginetest.Timed
	var tReasons []engines.Reason
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		o = runTxn(ctx, s, engines.TxnOptions{FirstStart: 0}, func(tx engines.Txn) error {
			if _, _, err := tx.Get(ctx, table, key(kg)); err != nil {
				return err
			}
			sim.ProcFrom(ctx).Sleep(50*time.Millisecond, sim.CatOther)
			return rmw(ctx, tx, kh, 0)
		})
	})
	w.Client(t, 1, "us-east-1b", func(ctx context.Context, s engines.Session) {
		p := sim.ProcFrom(ctx)
		p.Sleep(time.Millisecond, sim.CatOther)
		opts := engines.TxnOptions{FirstStart: p.Now()}
		body := func(tx engines.Txn) error {
			if err := rmw(ctx, tx, kg, 0); err != nil {
				return err
			}
			return rmw(ctx, tx, kh, 0)
		}
		first = runTxn(ctx, s, opts, body)
		if first.Err != nil {
			tReasons = enginetest.Retry(t, ctx, s, opts, body)
		}
	})
	w.Run()
	must(t, o.Err)
	if a, ok := engines.AsAbort(first.Err); !ok || a.Reason != engines.ReasonWounded {
		t.Fatalf("T's first attempt: %v; want wounded", first.Err)
	}
	if len(tReasons) > 3 {
		t.Fatalf("T retried %d times", len(tReasons))
	}
	if o, k, r, l := w.E.Residue(); o+k+r+l != 0 {
		t.Fatalf("left behind: %d lock owners, %d locked keys, %d Paxos records, %d live transactions", o, k, r, l)
	}
}

// A wound names the wounding request's row in the victim's abort, as it
// was when the wound happened: the requester's key belongs to its
// workload, which may reuse the key's storage once the requester's
// transaction is over (YCSB draws keys into a reused buffer), before the
// victim hears of the wound.
func TestWoundNamesTheRowItWasFor(t *testing.T) {
	w := newWorld(t, "region-3az", twopc.DefaultConfig(), sim.FixedEpsilon(2*time.Millisecond), true, 400)
	hot := keysIn(t, w, 0, 1, 400)[0]
	var victim error
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		// The older transaction: it begins first, asks for the row later.
		p := sim.ProcFrom(ctx)
		o := rw
		o.FirstStart = p.Now()
		tx, err := s.Begin(ctx, o)
		must(t, err)
		p.Sleep(5*time.Millisecond, sim.CatOther)
		k := engines.Key{engines.Int(int64(hot))} // its own storage
		if err := tx.Update(ctx, table, k, engines.Set{Col: 1, Val: engines.Int(1)}); err != nil {
			t.Errorf("the older transaction's update: %v", err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Errorf("the older transaction's commit: %v", err)
		}
		k[0] = engines.Int(99999) // the storage reused for another key
	})
	w.Client(t, 1, "us-east-1b", func(ctx context.Context, s engines.Session) {
		p := sim.ProcFrom(ctx)
		p.Sleep(time.Millisecond, sim.CatOther)
		o := rw
		o.FirstStart = p.Now()
		tx, err := s.Begin(ctx, o)
		must(t, err)
		if err := tx.Update(ctx, table, key(hot), engines.Set{Col: 1, Val: engines.Int(2)}); err != nil {
			t.Errorf("the younger transaction's update: %v", err)
		}
		p.Sleep(200*time.Millisecond, sim.CatOther) // wounded meanwhile
		victim = tx.Commit(ctx)
	})
	w.Run()
	a, ok := engines.AsAbort(victim)
	if !ok || a.Reason != engines.ReasonWounded {
		t.Fatalf("the younger transaction's commit: %v, want a wound", victim)
	}
	if want := key(hot).String(); a.Key != want || a.Table != table.Name {
		t.Errorf("the wound names %s %s, want %s %s", a.Table, a.Key, table.Name, want)
	}
}
