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

// step is one update at a given time, in a transaction that crosses
// another's.
type step struct {
	at  time.Duration
	key int
}

// crossing runs two transactions that lock their first key, then ask for
// each other's: T1 from AZ a (router 0), T2 from AZ b (router 1). It
// returns, per transaction, the error its second update got and how long
// that update took.
func crossing(t *testing.T, w *world, t1, t2 [2]step) (errs [2]error, took [2]time.Duration) {
	for i, st := range [2][2]step{t1, t2} {
		az := []string{azA, azB}[i]
		w.Client(t, i, az, func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			tx, err := s.Begin(ctx, engines.TxnOptions{FirstStart: p.Now()})
			must(t, err)
			p.SleepUntil(st[0].at, sim.CatOther)
			must(t, tx.Update(ctx, table, key(st[0].key), engines.Set{Col: 1, Val: engines.Int(int64(i + 1))}))
			p.SleepUntil(st[1].at, sim.CatOther)
			start := p.Now()
			errs[i] = tx.Update(ctx, table, key(st[1].key), engines.Set{Col: 1, Val: engines.Int(int64(i + 1))})
			took[i] = p.Now() - start
			if errs[i] == nil {
				must(t, tx.Commit(ctx))
			}
		})
	}
	w.Run()
	return errs, took
}

func wantAbort(t *testing.T, err error, reason engines.Reason, k int) {
	t.Helper()
	a, ok := engines.AsAbort(err)
	if !ok || a.Reason != reason || !a.Retryable || a.Table != "kv" || a.Key != key(k).String() {
		t.Fatalf("error %v; want a retryable %s on kv%v", err, reason, key(k))
	}
}

// Both rows on shard 1 (AZ b): the shard's own deadlock check finds the
// cycle when T1's wait reaches deadlock_timeout and aborts the requester,
// T1, with 40P01; T1 hears after the shard's answer travels back
// (c + x + timeout in all); T2 gets the lock at that instant.
func TestShardDeadlockAbortsTheRequesterAfterDeadlockTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{time.Second, 200 * time.Millisecond} {
		cfg := zeroCPU(sharded.DefaultConfig())
		cfg.ShardDeadlockTimeout = timeout
		w := newWorld(t, cfg, sim.FixedEpsilon(0), false, 100)
		k1, k2 := keyOn(t, w, 1, 0), keyOn(t, w, 1, 1)
		const ms = time.Millisecond
		errs, took := crossing(t, w, [2]step{{0, k1}, {2 * ms, k2}}, [2]step{{0, k2}, {3 * ms, k1}})
		wantAbort(t, errs[0], engines.ReasonDeadlock, k2)
		must(t, errs[1])
		near(t, "T1's update", took[0], c+x+timeout)
		// T2 sent its request at 3 ms (router 1 and shard 1 share AZ b);
		// T1 was aborted there at 2.55 ms + timeout, and T2's answer
		// travels a/2 + c/2 back.
		near(t, "T2's update", took[1], 2550*time.Microsecond+timeout+a/2+c/2-3*time.Millisecond)
		if st := w.E.Stats(); st.LocalDeadlocks != 1 || st.DistributedDeadlocks != 0 || st.DeadlockChecks != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// Rows on shards 1 (AZ b) and 2 (AZ c): neither shard sees a cycle. When
// T1's wait at shard 2 reaches --deadlock-timeout, the shard notifies T1's
// router (x/2), which gathers every shard's waits-for edges (one round
// trip to the farthest, x), finds the cycle and aborts its own
// transaction: the router answers the client at once (c/2). So the
// deadlock is broken timeout + x/2 + x after the wait began, and T1 hears
// c/2 later: c + 2x + timeout after it sent the statement. T1's rollback
// reaches shard 1 x/2 after the decision, and T2 proceeds.
func TestDistributedDeadlockIsBrokenByTheRouterAfterTheTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{time.Second, 300 * time.Millisecond} {
		cfg := zeroCPU(sharded.DefaultConfig())
		cfg.DeadlockTimeout = timeout
		w := newWorld(t, cfg, sim.FixedEpsilon(0), false, 100)
		k1, k2 := keyOn(t, w, 1, 0), keyOn(t, w, 2, 0)
		const ms = time.Millisecond
		errs, took := crossing(t, w, [2]step{{0, k1}, {2 * ms, k2}}, [2]step{{0, k2}, {12 * ms, k1}})
		wantAbort(t, errs[0], sharded.ReasonDistributedDeadlock, k2)
		must(t, errs[1])
		waitBegan := 2*ms + c/2 + x/2
		broken := waitBegan + timeout + x/2 + x
		near(t, "T1's update", took[0], broken+c/2-2*ms)
		near(t, "broken after the wait began", broken-waitBegan, timeout+x/2+x)
		// T2's request (sent at 12 ms; shard 1 is in router 1's AZ) is
		// granted when T1's rollback arrives (broken + x/2).
		near(t, "T2's update", took[1], broken+x/2+a/2+c/2-12*ms)
		if st := w.E.Stats(); st.LocalDeadlocks != 0 || st.DistributedDeadlocks != 1 || st.DeadlockChecks != 1 {
			t.Errorf("stats %+v", st)
		}
	}
}

// Waits that end before the timeouts run no check, and a wait for a
// transaction that is merely slow is not a deadlock: the router's check
// finds no cycle and the waiter keeps waiting until the holder commits.
func TestSlowHolderIsNoDeadlock(t *testing.T) {
	cfg := zeroCPU(sharded.DefaultConfig())
	cfg.DeadlockTimeout, cfg.ShardDeadlockTimeout = 100*time.Millisecond, 100*time.Millisecond
	cfg.Isolation = sharded.ReadCommitted
	w := newWorld(t, cfg, sim.FixedEpsilon(0), false, 100)
	k := keyOn(t, w, 1, 0)
	var waiter enginetest.Timed
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		must(t, runTxn(ctx, s, rw, 500*time.Millisecond, updates(ctx, table, k)).Err)
	})
	w.Client(t, 1, azB, func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(10*time.Millisecond, sim.CatOther)
		waiter = runTxn(ctx, s, rw, 0, updates(ctx, table, k))
	})
	w.Run()
	must(t, waiter.Err)
	if st := w.E.Stats(); st.DeadlockChecks != 1 || st.DistributedDeadlocks+st.LocalDeadlocks != 0 {
		t.Errorf("stats %+v; want one check and no deadlock", st)
	}
	// T0 holds the lock from 0.55 ms to its commit: 1.1 ms + 500 ms +
	// c/2 + x/2 to reach the shard, S to flush.
	release := 1100*time.Microsecond + 500*time.Millisecond + c/2 + x/2 + S
	near(t, "the waiter's update", waiter.Stmts, release+a/2+c/2-10*time.Millisecond)
}
