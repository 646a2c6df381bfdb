package occ_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/sim"
)

var (
	table = enginetest.Table
	key   = enginetest.Key
	must  = enginetest.Must
	near  = enginetest.Near
)

type world = enginetest.Sim[*occ.Engine]

// newWorld is a jitter-free cluster with an occ engine and keys preloaded
// keys.
func newWorld(t testing.TB, preset string, cfg occ.Config, keys int) *world {
	return newWorldWith(t, preset, cfg, keys, sim.ClusterConfig{Jitter: false, Epsilon: sim.FixedEpsilon(0)})
}

func newWorldWith(t testing.TB, preset string, cfg occ.Config, keys int, cc sim.ClusterConfig) *world {
	return enginetest.NewSim(t, enginetest.SimConfig{Preset: preset, Cluster: cc}, func(cl *sim.Cluster) (*occ.Engine, error) { return occ.New(cl, cfg) }, keys)
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(c occ.Config) occ.Config {
	c.StatementCPU, c.ReadCPU, c.ScanRowCPU, c.ValidateCPU, c.ValidateKey, c.JournalAppend = 0, 0, 0, 0, 0, 0
	c.WriteCPU, c.CommitCPU, c.JournalFlush, c.JournalFlushP99 = 0, 0, 0, 0
	return c
}

const (
	a = 100 * time.Microsecond  // intra-AZ RTT in the presets
	x = 1000 * time.Microsecond // cross-AZ RTT
	c = a                       // client ↔ QP: same AZ
)

func runTxn(ctx context.Context, s engines.Session, ro bool, body func(tx engines.Txn) error) enginetest.Timed {
	return enginetest.RunTxn(ctx, s, engines.TxnOptions{ReadOnly: ro}, body)
}

func updates(ctx context.Context, keys ...int) func(engines.Txn) error {
	return enginetest.Updates(ctx, table, keys...)
}

func reads(ctx context.Context, keys ...int) func(engines.Txn) error {
	return enginetest.Reads(ctx, table, keys...)
}

// With one adjudicator in the client's AZ (region-3az): a statement costs
// c + a; the first read also waits for the closed timestamp to arrive
// through the journal (adjudicator → local journal replica → storage, less
// the QP→storage hop already spent); commit costs c + a + x, one cross-AZ
// majority round of the journal. None of it depends on the statement count.
func TestReadWriteLatencyIsFlatInStatements(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	cfg.Adjudicators = 1
	firstReadWait := (a/2 + a/2) - a/2
	for _, n := range []int{1, 2, 5, 10, 20} {
		w := newWorld(t, "region-3az", cfg, 100)
		var got enginetest.Timed
		w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
			keys := make([]int, n)
			for i := range keys {
				keys[i] = i
			}
			got = runTxn(ctx, s, false, updates(ctx, keys...))
		})
		w.Run()
		must(t, got.Err)
		near(t, fmt.Sprintf("n=%d statements", n), got.Stmts, time.Duration(n)*(c+a)+firstReadWait+time.Nanosecond)
		near(t, fmt.Sprintf("n=%d commit", n), got.Commit, c+a+x)
	}
}

// A read-only transaction commits with the client's round trip to its QP
// only, never aborts, and reads cost c + a each (plus the one-time wait).
func TestReadOnlyCommitHasNoNetworkBeyondTheQP(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	w := newWorld(t, "region-3az", cfg, 100)
	var ro enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		ro = runTxn(ctx, s, true, reads(ctx, 1, 2, 3))
	})
	// Concurrent writers hammer the same keys: the reader still commits.
	for i := 1; i <= 4; i++ {
		w.Client(t, i, "us-east-1b", func(ctx context.Context, s engines.Session) {
			for range 20 {
				runTxn(ctx, s, false, updates(ctx, 1, 2, 3))
			}
		})
	}
	w.Run()
	must(t, ro.Err)
	near(t, "read-only commit", ro.Commit, c)
	if st := w.E.Stats(); st.ReadOnlyCommits != 1 {
		t.Fatalf("read-only commits %d", st.ReadOnlyCommits)
	}
}

// In us-3 the journal's majority is the home region plus the nearest other
// voting region: a client next to the adjudicator commits in c + a + R₁; a
// client in the other full region also pays the trip to the adjudicator,
// which makes two R₁ (the brief's "one to two R₁").
func TestMultiRegionCommitIsOneToTwoR1(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	cfg.Adjudicators = 1
	const r1 = 11500 * time.Microsecond
	w := newWorld(t, "us-3", cfg, 100)
	var east1, east2 enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		east1 = runTxn(ctx, s, false, updates(ctx, 1))
	})
	w.Client(t, 1, "us-east-2a", func(ctx context.Context, s engines.Session) {
		east2 = runTxn(ctx, s, false, updates(ctx, 2))
	})
	w.Run()
	must(t, east1.Err)
	must(t, east2.Err)
	near(t, "us-east-1 commit", east1.Commit, c+a+r1)
	near(t, "us-east-2 commit", east2.Commit, c+r1+r1)
}

// Adjudicators live in both full regions (DSQL keeps each shard's leader
// in one region, and the shards' leaders in both), so the commit latency
// of either region is the same mixture: keys whose adjudicator is local
// commit in c + a + R₁, the others in c + R₁ + R₁ (Fig. 6: p99 alike in
// us-east-1 and us-east-2).
func TestMultiRegionCommitIsSymmetric(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	cfg.Adjudicators = 2
	const r1 = 11500 * time.Microsecond
	w := newWorld(t, "us-3", cfg, 100)
	count := map[string][2]int{}
	for i, az := range []string{"us-east-1a", "us-east-2a"} {
		w.Client(t, i, az, func(ctx context.Context, s engines.Session) {
			// One region after the other: the same keys, no conflicts.
			sim.ProcFrom(ctx).Sleep(time.Duration(i)*10*time.Second, sim.CatThink)
			for k := range 100 {
				got := runTxn(ctx, s, false, updates(ctx, k))
				must(t, got.Err)
				n := count[az]
				switch {
				case got.Commit > c+a+r1-time.Microsecond && got.Commit < c+a+r1+time.Microsecond:
					n[0]++
				case got.Commit > c+2*r1-time.Microsecond && got.Commit < c+2*r1+time.Microsecond:
					n[1]++
				default:
					t.Errorf("%s: commit of key %d took %v, neither one nor two R₁", az, k, got.Commit)
				}
				count[az] = n
			}
		})
	}
	w.Run()
	e1, e2 := count["us-east-1a"], count["us-east-2a"]
	if e1[0] != e2[1] || e1[1] != e2[0] || e1[0] < 30 || e1[1] < 30 {
		t.Errorf("one-R₁/two-R₁ commits: us-east-1 %v, us-east-2 %v; want mirror images, each side at least 30", e1, e2)
	}
}

// Keys owned by several adjudicators need a two-phase round first: one
// more QP↔adjudicator round trip than the single-adjudicator commit.
func TestSeveralAdjudicatorsAddOnePrepareRound(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	cfg.Adjudicators = 3
	w := newWorld(t, "single-az", cfg, 100)
	var one, many enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		one = runTxn(ctx, s, false, updates(ctx, 0))
		many = runTxn(ctx, s, false, updates(ctx, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	})
	w.Run()
	must(t, one.Err)
	must(t, many.Err)
	// single-az: every hop is a/2; journal majority = a.
	near(t, "one adjudicator", one.Commit, c+a+a)
	near(t, "several adjudicators", many.Commit, c+a+a+a)
	if w.E.Stats().TwoPhase != 1 {
		t.Fatalf("two-phase commits: %d", w.E.Stats().TwoPhase)
	}
}

// Two concurrent writers of one key: exactly one commits, the other gets
// DSQL's OC000, retryable, naming the key.
func TestConcurrentWritersOfOneKeyOneCommits(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 10)
	results := make([]enginetest.Timed, 2)
	for i := range results {
		w.Client(t, i, "us-east-1a", func(ctx context.Context, s engines.Session) {
			results[i] = runTxn(ctx, s, false, updates(ctx, 5))
		})
	}
	w.Run()
	ok, conflicts := 0, 0
	for _, r := range results {
		if r.Err == nil {
			ok++
			continue
		}
		ab, isAbort := engines.AsAbort(r.Err)
		if !isAbort || ab.Reason != engines.ReasonConflict || !ab.Retryable || ab.Table != "kv" || ab.Key != "(5)" {
			t.Fatalf("unexpected error %v", r.Err)
		}
		conflicts++
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d committed, %d conflicts; want 1 and 1", ok, conflicts)
	}
}

// DSQL's limits: more than MaxRows modified rows aborts with 54000, not
// retryable.
func TestRowLimit(t *testing.T) {
	cfg := occ.DefaultConfig()
	cfg.MaxRows = 5
	w := newWorld(t, "single-az", cfg, 10)
	var got enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		got = runTxn(ctx, s, false, updates(ctx, 0, 1, 2, 3, 4, 5))
	})
	w.Run()
	ab, ok := engines.AsAbort(got.Err)
	if !ok || ab.Reason != engines.ReasonLimit || ab.Retryable {
		t.Fatalf("got %v, want a non-retryable limit abort", got.Err)
	}
}

// Begin reuses the session's previous transaction record only once it is
// finished and nothing uses it: a statement cut off by a timeout runs on
// in its own process after the attempt rolled back, and must keep its
// transaction (a reuse would hand it the next transaction's state).
func TestBeginReusesOnlyAFinishedTransactionNothingUses(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 4)
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		p := sim.ProcFrom(ctx)
		begin := func() engines.Txn {
			tx, err := s.Begin(ctx, engines.TxnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return tx
		}
		// A finished transaction nothing holds is reused.
		t1 := begin()
		if _, _, err := t1.Get(ctx, table, key(1)); err != nil {
			t.Fatal(err)
		}
		if err := t1.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		t2 := begin()
		if t2 != t1 {
			t.Fatalf("a finished transaction nothing holds was not reused")
		}
		// A statement still running (cut off by the client) holds it.
		stmt := sim.Go(p.Kernel(), "cut-off", func(c *sim.Proc) error {
			_, _, err := t2.Get(sim.WithProc(ctx, c), table, key(2))
			return err
		})
		p.Sleep(time.Microsecond, sim.CatOther) // the statement is on its way
		if err := t2.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		t3 := begin()
		if t3 == t2 {
			t.Fatalf("a transaction whose statement still runs was reused")
		}
		sim.Await(p, stmt, sim.CatOther)
		if err := t3.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if t4 := begin(); t4 != t3 {
			t.Fatalf("the session's latest finished transaction was not reused")
		}
	})
	w.Run()
}

func TestGetInto(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 4)
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) { enginetest.CheckGetInto(t, ctx, s) })
	w.Run()
}
