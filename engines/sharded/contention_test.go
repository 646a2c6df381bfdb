package sharded_test

import (
	"context"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/sim"
)

var azs3 = []string{azA, azB, azC}

func isolated(iso sharded.Isolation) sharded.Config {
	cfg := sharded.DefaultConfig()
	cfg.Isolation = iso
	return cfg
}

// Two concurrent read-modify-writes of one row under repeatable read: the
// second updater waits for the first's lock and, once it gets it, finds a
// version newer than its snapshot — a serialization failure (40001, first
// updater wins) naming the row. Retried, it commits on the new value.
func TestConcurrentReadModifyWriteFailsTheSecondUpdater(t *testing.T) {
	w := newWorld(t, isolated(sharded.RepeatableRead), sim.FixedEpsilon(20*time.Microsecond), true, 100)
	k := keyOn(t, w, 2, 0)
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
	var first, second enginetest.Timed
	var reasons []engines.Reason
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		first = runTxn(ctx, s, rw, 0, increment(ctx))
	})
	w.Client(t, 1, azB, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Millisecond, sim.CatOther)
		second = runTxn(ctx, s, rw, 0, increment(ctx))
		reasons = enginetest.Retry(t, ctx, s, rw, increment(ctx))
	})
	var final int64
	w.Client(t, 9, azC, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Second, sim.CatOther)
		final = enginetest.ReadValue(t, ctx, s, k)
	})
	w.Run()
	must(t, first.Err)
	a, ok := engines.AsAbort(second.Err)
	if !ok || a.Reason != engines.ReasonSerialization || a.Table != "kv" || a.Key != key(k).String() {
		t.Fatalf("second updater: %v; want serialization(40001) on kv%v", second.Err, key(k))
	}
	if final != 2 || len(reasons) != 0 {
		t.Fatalf("final %d (retry aborts %v), want 2", final, reasons)
	}
	if st := w.E.Stats(); st.SerializationFailures != 1 {
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
	k := keyOn(t, w, 1, 0)
	const think = 5 * time.Millisecond
	var results [2]enginetest.Timed
	for i := range 2 {
		w.Client(t, i, azs3[i], func(ctx context.Context, s engines.Session) {
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
	w.Client(t, 9, azC, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Second, sim.CatOther)
		final = enginetest.ReadValue(t, ctx, s, k)
	})
	w.Run()
	must(t, results[0].Err)
	must(t, results[1].Err)
	if final != 1 {
		t.Fatalf("final %d after two increments from 0; want 1 (a lost update)", final)
	}
	// The first releases the lock when its commit is flushed; the
	// second's update waits for that.
	release := 2*(c+x) + think + c/2 + x/2 + S
	updateSent := 3*time.Millisecond + c + a + think
	near(t, "second transaction's statements", results[1].Stmts, (c+a)+think+(release-updateSent)+a/2+c/2)
}

// Many clients increment one counter. Under repeatable read every
// increment survives (with retries, on serialization failures only); under
// read committed nothing ever aborts, and increments are lost.
func TestCounterUnderContention(t *testing.T) {
	for _, iso := range []sharded.Isolation{sharded.RepeatableRead, sharded.ReadCommitted} {
		t.Run(string(iso), func(t *testing.T) {
			w := newWorld(t, isolated(iso), sim.FixedEpsilon(20*time.Microsecond), true, 10)
			const clients, each = 8, 10
			final, count := enginetest.Increments(t, w, 3, clients, each, azs3...)
			t.Logf("%s: counter %d of %d, aborts %v", iso, final, clients*each, count)
			switch iso {
			case sharded.RepeatableRead:
				if final != clients*each || count[engines.ReasonSerialization] == 0 || len(count) != 1 {
					t.Fatalf("counter %d, aborts %v; want %d and serialization failures only", final, count, clients*each)
				}
			case sharded.ReadCommitted:
				if len(count) != 0 || w.E.Stats().SerializationFailures != 0 {
					t.Fatalf("aborts %v under read committed", count)
				}
				if final >= clients*each {
					t.Fatalf("counter %d: no update was lost", final)
				}
			}
		})
	}
}

// What the shared statement checks (enginetest) do not see: a commit's
// participants are the shards written (a row locked by an UPDATE that
// found nothing is not), a reference table is scanned on one shard, and
// nothing is left behind.
func TestParticipantsReferenceScansAndResidue(t *testing.T) {
	for _, iso := range []sharded.Isolation{sharded.RepeatableRead, sharded.ReadCommitted} {
		t.Run(string(iso), func(t *testing.T) {
			w := newWorld(t, isolated(iso), sim.FixedEpsilon(20*time.Microsecond), true, 10)
			w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
				tx, _ := s.Begin(ctx, engines.TxnOptions{})
				must(t, tx.Update(ctx, table, key(3), engines.Set{Col: 1, Val: engines.Int(33)}))
				must(t, tx.Delete(ctx, table, key(4)))
				must(t, tx.Insert(ctx, table, engines.Row{engines.Int(100), engines.Int(7)}))
				if err := tx.Update(ctx, table, key(55)); err != engines.ErrNotFound {
					t.Errorf("update of a missing row: %v", err)
				}
				r, ok, err := tx.GetForUpdate(ctx, table, key(100))
				if err != nil || !ok || r[1].Int() != 7 {
					t.Errorf("own insert through FOR UPDATE: %v %v %v", r, ok, err)
				}
				must(t, tx.Commit(ctx))
				if got := tx.(engines.InfoTxn).Info().Participants; got != 2 {
					t.Errorf("participants %d, want 2 (keys 3, 4 and 100 on shards 3, 0 and 0; the missing key 55 is locked, not written)", got)
				}
				tx2, _ := s.Begin(ctx, engines.TxnOptions{ReadOnly: true})
				rows, _ := tx2.Scan(ctx, ref, engines.ScanSpec{Start: key(8)})
				if got := enginetest.Ints(rows); got != "[8 9]" {
					t.Errorf("reference scan = %v", got)
				}
				must(t, tx2.Commit(ctx))
			})
			w.Run()
			if owners, keys, inflight, waiting, live := w.E.Residue(); owners+keys+inflight+waiting+live != 0 {
				t.Errorf("left behind: %d lock owners, %d locked keys, %d commits in progress, %d waiters, %d live", owners, keys, inflight, waiting, live)
			}
		})
	}
}
