package occ_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/sim"
)

// kv is the schema of these tests: one table of integer counters.
var kv = &engines.Schema{Tables: []*engines.Table{{
	Name:       "kv",
	Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}},
	PrimaryKey: []int{0},
	ShardKey:   -1,
}}}

func init() {
	if err := kv.Validate(); err != nil {
		panic(err)
	}
}

var table = kv.Tables[0]

func key(i int) engines.Key { return engines.Key{engines.Int(int64(i))} }

// world is a jitter-free cluster with an occ engine and n preloaded keys.
type world struct {
	k   *sim.Kernel
	cl  *sim.Cluster
	e   *occ.Engine
	ctx context.Context
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(c occ.Config) occ.Config {
	c.StatementCPU, c.ReadCPU, c.ScanRowCPU, c.ValidateCPU, c.ValidateKey, c.JournalAppend = 0, 0, 0, 0, 0, 0
	return c
}

func newWorld(t testing.TB, preset string, cfg occ.Config, keys int) *world {
	t.Helper()
	return newWorldWith(t, preset, cfg, keys, sim.ClusterConfig{Jitter: false, Epsilon: sim.FixedEpsilon(0)})
}

func newWorldWith(t testing.TB, preset string, cfg occ.Config, keys int, cc sim.ClusterConfig) *world {
	t.Helper()
	topo, err := sim.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	k := sim.NewKernel(1)
	cl := sim.NewCluster(k, topo, cc)
	e, err := occ.New(cl, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.CreateSchema(ctx, kv); err != nil {
		t.Fatal(err)
	}
	var rows []engines.Row
	for i := range keys {
		rows = append(rows, engines.Row{engines.Int(int64(i)), engines.Int(0)})
	}
	if err := e.Load(ctx, table, rows); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Shutdown)
	return &world{k: k, cl: cl, e: e, ctx: ctx}
}

// client runs body in a process as a client in az; returns when the
// simulation has run until every client finished (or limit).
func (w *world) client(t testing.TB, id int, az string, body func(ctx context.Context, s engines.Session)) *sim.Proc {
	s, err := w.e.Session(w.ctx, engines.Client{ID: id, AZ: az})
	if err != nil {
		t.Fatal(err)
	}
	return w.k.Spawn(fmt.Sprintf("client-%d", id), func(p *sim.Proc) { body(sim.WithProc(w.ctx, p), s) })
}

func (w *world) run() { w.k.Run(10 * time.Minute) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const (
	a = 100 * time.Microsecond  // intra-AZ RTT in the presets
	x = 1000 * time.Microsecond // cross-AZ RTT
	c = a                       // client ↔ QP: same AZ
)

// timed measures one transaction: statements and commit separately.
type timed struct {
	stmts, commit, total time.Duration
	err                  error
}

func runTxn(ctx context.Context, s engines.Session, ro bool, body func(tx engines.Txn) error) timed {
	p := sim.ProcFrom(ctx)
	start := p.Now()
	tx, err := s.Begin(ctx, engines.TxnOptions{ReadOnly: ro})
	if err != nil {
		return timed{err: err}
	}
	if err := body(tx); err != nil {
		return timed{err: err, total: p.Now() - start}
	}
	mid := p.Now()
	err = tx.Commit(ctx)
	return timed{stmts: mid - start, commit: p.Now() - mid, total: p.Now() - start, err: err}
}

func updates(ctx context.Context, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if err := tx.Update(ctx, table, key(k), engines.Set{Col: 1, Val: engines.Int(int64(k))}); err != nil {
				return err
			}
		}
		return nil
	}
}

func reads(ctx context.Context, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if _, _, err := tx.Get(ctx, table, key(k)); err != nil {
				return err
			}
		}
		return nil
	}
}

func near(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if d := got - want; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
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
		var got timed
		w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
			keys := make([]int, n)
			for i := range keys {
				keys[i] = i
			}
			got = runTxn(ctx, s, false, updates(ctx, keys...))
		})
		w.run()
		must(t, got.err)
		near(t, fmt.Sprintf("n=%d statements", n), got.stmts, time.Duration(n)*(c+a)+firstReadWait+time.Nanosecond)
		near(t, fmt.Sprintf("n=%d commit", n), got.commit, c+a+x)
	}
}

// A read-only transaction commits with the client's round trip to its QP
// only, never aborts, and reads cost c + a each (plus the one-time wait).
func TestReadOnlyCommitHasNoNetworkBeyondTheQP(t *testing.T) {
	cfg := zeroCPU(occ.DefaultConfig())
	w := newWorld(t, "region-3az", cfg, 100)
	var ro timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		ro = runTxn(ctx, s, true, reads(ctx, 1, 2, 3))
	})
	// Concurrent writers hammer the same keys: the reader still commits.
	for i := 1; i <= 4; i++ {
		w.client(t, i, "us-east-1b", func(ctx context.Context, s engines.Session) {
			for range 20 {
				runTxn(ctx, s, false, updates(ctx, 1, 2, 3))
			}
		})
	}
	w.run()
	must(t, ro.err)
	near(t, "read-only commit", ro.commit, c)
	if st := w.e.Stats(); st.ReadOnlyCommits != 1 {
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
	var east1, east2 timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		east1 = runTxn(ctx, s, false, updates(ctx, 1))
	})
	w.client(t, 1, "us-east-2a", func(ctx context.Context, s engines.Session) {
		east2 = runTxn(ctx, s, false, updates(ctx, 2))
	})
	w.run()
	must(t, east1.err)
	must(t, east2.err)
	near(t, "us-east-1 commit", east1.commit, c+a+r1)
	near(t, "us-east-2 commit", east2.commit, c+r1+r1)
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
		w.client(t, i, az, func(ctx context.Context, s engines.Session) {
			// One region after the other: the same keys, no conflicts.
			sim.ProcFrom(ctx).Sleep(time.Duration(i)*10*time.Second, sim.CatThink)
			for k := range 100 {
				got := runTxn(ctx, s, false, updates(ctx, k))
				must(t, got.err)
				n := count[az]
				switch {
				case got.commit > c+a+r1-time.Microsecond && got.commit < c+a+r1+time.Microsecond:
					n[0]++
				case got.commit > c+2*r1-time.Microsecond && got.commit < c+2*r1+time.Microsecond:
					n[1]++
				default:
					t.Errorf("%s: commit of key %d took %v, neither one nor two R₁", az, k, got.commit)
				}
				count[az] = n
			}
		})
	}
	w.run()
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
	var one, many timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		one = runTxn(ctx, s, false, updates(ctx, 0))
		many = runTxn(ctx, s, false, updates(ctx, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	})
	w.run()
	must(t, one.err)
	must(t, many.err)
	// single-az: every hop is a/2; journal majority = a.
	near(t, "one adjudicator", one.commit, c+a+a)
	near(t, "several adjudicators", many.commit, c+a+a+a)
	if w.e.Stats().TwoPhase != 1 {
		t.Fatalf("two-phase commits: %d", w.e.Stats().TwoPhase)
	}
}

// Two concurrent writers of one key: exactly one commits, the other gets
// DSQL's OC000, retryable, naming the key.
func TestConcurrentWritersOfOneKeyOneCommits(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 10)
	results := make([]timed, 2)
	for i := range results {
		w.client(t, i, "us-east-1a", func(ctx context.Context, s engines.Session) {
			results[i] = runTxn(ctx, s, false, updates(ctx, 5))
		})
	}
	w.run()
	ok, conflicts := 0, 0
	for _, r := range results {
		if r.err == nil {
			ok++
			continue
		}
		ab, isAbort := engines.AsAbort(r.err)
		if !isAbort || ab.Reason != engines.ReasonConflict || !ab.Retryable || ab.Table != "kv" || ab.Key != "(5)" {
			t.Fatalf("unexpected error %v", r.err)
		}
		conflicts++
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d committed, %d conflicts; want 1 and 1", ok, conflicts)
	}
}

// Snapshot isolation allows write skew: two transactions each read both
// keys and write a different one; both commit.
func TestWriteSkewCommits(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 2)
	errs := make([]error, 2)
	for i := range errs {
		w.client(t, i, "us-east-1a", func(ctx context.Context, s engines.Session) {
			errs[i] = runTxn(ctx, s, false, func(tx engines.Txn) error {
				if err := reads(ctx, 0, 1)(tx); err != nil {
					return err
				}
				return tx.Update(ctx, table, key(i), engines.Set{Col: 1, Val: engines.Int(-1)})
			}).err
		})
	}
	w.run()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("txn %d: %v (write skew should commit under SI)", i, err)
		}
	}
}

// No lost update: concurrent read-modify-write increments, each retried
// until it commits, sum exactly.
func TestNoLostUpdates(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 1)
	const clients, each = 8, 10
	aborts := 0
	for i := range clients {
		w.client(t, i, []string{"us-east-1a", "us-east-1b", "us-east-1c"}[i%3], func(ctx context.Context, s engines.Session) {
			for range each {
				for {
					err := runTxn(ctx, s, false, func(tx engines.Txn) error {
						r, _, err := tx.Get(ctx, table, key(0))
						if err != nil {
							return err
						}
						return tx.Update(ctx, table, key(0), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
					}).err
					if err == nil {
						break
					}
					if _, ok := engines.AsAbort(err); !ok {
						t.Error(err)
						return
					}
					aborts++
				}
			}
		})
	}
	var final int64
	w.client(t, 99, "us-east-1a", func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Minute, sim.CatOther)
		runTxn(ctx, s, true, func(tx engines.Txn) error {
			r, _, err := tx.Get(ctx, table, key(0))
			final = r[1].Int()
			return err
		})
	})
	w.run()
	if final != clients*each {
		t.Fatalf("counter = %d, want %d (lost updates)", final, clients*each)
	}
	if aborts == 0 {
		t.Fatal("no conflicts at all: the test did not exercise concurrency")
	}
}

// A transaction that starts after another's commit returned sees it, even
// from another AZ (strong snapshot isolation through τ_start = latest and
// commit wait).
func TestReadAfterCommitSeesIt(t *testing.T) {
	cfg := occ.DefaultConfig()
	topo, _ := sim.Preset("us-3")
	k := sim.NewKernel(5)
	cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: true, Epsilon: sim.FixedEpsilon(2 * time.Millisecond)})
	e, err := occ.New(cl, cfg)
	must(t, err)
	ctx := context.Background()
	must(t, e.CreateSchema(ctx, kv))
	must(t, e.Load(ctx, table, []engines.Row{{engines.Int(0), engines.Int(0)}}))
	defer k.Shutdown()
	w := &world{k: k, cl: cl, e: e, ctx: ctx}
	committed := sim.NewFuture[struct{}](k)
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		for i := 1; i <= 20; i++ {
			must(t, runTxn(ctx, s, false, func(tx engines.Txn) error {
				return tx.Update(ctx, table, key(0), engines.Set{Col: 1, Val: engines.Int(int64(i))})
			}).err)
		}
		committed.Set(struct{}{})
	})
	var seen int64
	w.client(t, 1, "us-east-2c", func(ctx context.Context, s engines.Session) {
		sim.Await(sim.ProcFrom(ctx), committed, sim.CatOther)
		must(t, runTxn(ctx, s, true, func(tx engines.Txn) error {
			r, _, err := tx.Get(ctx, table, key(0))
			seen = r[1].Int()
			return err
		}).err)
	})
	w.run()
	if seen != 20 {
		t.Fatalf("a read that started after the commit returned saw %d, want 20", seen)
	}
}

// DSQL's limits: more than MaxRows modified rows aborts with 54000, not
// retryable.
func TestRowLimit(t *testing.T) {
	cfg := occ.DefaultConfig()
	cfg.MaxRows = 5
	w := newWorld(t, "single-az", cfg, 10)
	var got timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		got = runTxn(ctx, s, false, updates(ctx, 0, 1, 2, 3, 4, 5))
	})
	w.run()
	ab, ok := engines.AsAbort(got.err)
	if !ok || ab.Reason != engines.ReasonLimit || ab.Retryable {
		t.Fatalf("got %v, want a non-retryable limit abort", got.err)
	}
}

// Statements see the transaction's own writes; scans merge them in order.
func TestReadYourWritesAndScans(t *testing.T) {
	w := newWorld(t, "region-3az", occ.DefaultConfig(), 10)
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
		var ks []int64
		for _, r := range rows {
			ks = append(ks, r[0].Int())
		}
		if fmt.Sprint(ks) != "[2 3 5 6]" {
			t.Errorf("scan from 2 limit 4 = %v, want [2 3 5 6]", ks)
		}
		rows, _ = tx.Scan(ctx, table, engines.ScanSpec{Start: key(5), Reverse: true, Limit: 3})
		ks = ks[:0]
		for _, r := range rows {
			ks = append(ks, r[0].Int())
		}
		if fmt.Sprint(ks) != "[100 9 8]" {
			t.Errorf("reverse scan = %v, want [100 9 8]", ks)
		}
		must(t, tx.Commit(ctx))
		tx2, _ := s.Begin(ctx, engines.TxnOptions{ReadOnly: true})
		if _, ok, _ := tx2.Get(ctx, table, key(100)); !ok {
			t.Error("committed insert not visible to the next transaction")
		}
		if err := tx2.Update(ctx, table, key(1)); err != engines.ErrReadOnly {
			t.Errorf("write in a read-only transaction: %v", err)
		}
		must(t, tx2.Commit(ctx))
	})
	w.run()
}
