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

// kv is the schema of these tests: a table of integer counters, placed by
// key (key i lives on shard i mod 4 with the default 4 shards), and a
// reference table every shard holds.
var kv = &engines.Schema{Tables: []*engines.Table{
	{
		Name:       "kv",
		Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
	},
	{
		Name:       "ref",
		Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
		Reference:  true,
	},
}}

func init() {
	if err := kv.Validate(); err != nil {
		panic(err)
	}
}

var table, ref = kv.Tables[0], kv.Tables[1]

func key(i int) engines.Key { return engines.Key{engines.Int(int64(i))} }

// The default layout on region-3az: shard i and router i in AZ i mod 3.
const (
	azA, azB, azC = "us-east-1a", "us-east-1b", "us-east-1c"
	a             = 100 * time.Microsecond  // intra-AZ RTT in the presets
	x             = 1000 * time.Microsecond // cross-AZ RTT
	c             = a                       // client ↔ router: same AZ
	// S is a shard's log flush: 6 copies, two per AZ, 4 acknowledgements
	// — the two in the shard's AZ and two across AZs: one cross-AZ round
	// trip (plus the storage node's flush CPU, zero here).
	S = x
)

// world is a cluster with a sharded engine and n preloaded keys (value 0)
// in kv and in ref.
type world struct {
	k   *sim.Kernel
	cl  *sim.Cluster
	e   *sharded.Engine
	ctx context.Context
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(cfg sharded.Config) sharded.Config {
	cfg.RouterCPU, cfg.ReadCPU, cfg.ScanRowCPU, cfg.WriteCPU, cfg.CommitCPU, cfg.FlushCPU = 0, 0, 0, 0, 0, 0
	return cfg
}

func newWorld(t testing.TB, cfg sharded.Config, eps sim.Epsilon, jitter bool, keys int) *world {
	t.Helper()
	topo, err := sim.Preset("region-3az")
	if err != nil {
		t.Fatal(err)
	}
	k := sim.NewKernel(1)
	cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: jitter, Epsilon: eps})
	e, err := sharded.New(cl, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must(t, e.CreateSchema(ctx, kv))
	rows := make([]engines.Row, keys)
	for i := range rows {
		rows[i] = engines.Row{engines.Int(int64(i)), engines.Int(0)}
	}
	must(t, e.Load(ctx, table, rows))
	must(t, e.Load(ctx, ref, rows))
	t.Cleanup(k.Shutdown)
	return &world{k: k, cl: cl, e: e, ctx: ctx}
}

// client runs body in a process as client id in az.
func (w *world) client(t testing.TB, id int, az string, body func(ctx context.Context, s engines.Session)) {
	s, err := w.e.Session(w.ctx, engines.Client{ID: id, AZ: az})
	if err != nil {
		t.Fatal(err)
	}
	w.k.Spawn(fmt.Sprintf("client-%d", id), func(p *sim.Proc) { body(sim.WithProc(w.ctx, p), s) })
}

func (w *world) run() { w.k.Run(10 * time.Minute) }

// keyOn returns the n-th key (from 0) that lives on shard.
func (w *world) keyOn(t testing.TB, shard, n int) int {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if w.e.ShardOf(table, key(i)) == shard {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("no key on shard %d", shard)
	return -1
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// timed measures one transaction: statements and commit separately, with
// the ledger of the commit.
type timed struct {
	stmts, commit time.Duration
	commitLedger  sim.Ledger
	info          engines.TxnInfo
	err           error
}

// runTxn runs body, sleeps pause (so that a commit timestamp taken from a
// shard's clock is above the snapshot whatever the clocks' offsets), and
// commits.
func runTxn(ctx context.Context, s engines.Session, o engines.TxnOptions, pause time.Duration, body func(tx engines.Txn) error) timed {
	p := sim.ProcFrom(ctx)
	start := p.Now()
	tx, err := s.Begin(ctx, o)
	if err != nil {
		return timed{err: err}
	}
	if err := body(tx); err != nil {
		if _, aborted := engines.AsAbort(err); !aborted {
			_ = tx.Rollback(ctx)
		}
		return timed{err: err, stmts: p.Now() - start}
	}
	mid := p.Now()
	p.Sleep(pause, sim.CatOther)
	cstart, before := p.Now(), p.Ledger()
	err = tx.Commit(ctx)
	return timed{stmts: mid - start, commit: p.Now() - cstart, commitLedger: p.Ledger().Sub(before), info: tx.(engines.InfoTxn).Info(), err: err}
}

var rw, ro = engines.TxnOptions{}, engines.TxnOptions{ReadOnly: true}

func updates(ctx context.Context, tb *engines.Table, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if err := tx.Update(ctx, tb, key(k), engines.Set{Col: 1, Val: engines.Int(int64(k) + 100)}); err != nil {
				return err
			}
		}
		return nil
	}
}

func reads(ctx context.Context, tb *engines.Table, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if _, _, err := tx.Get(ctx, tb, key(k)); err != nil {
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

// Every statement is the client's round trip to its router plus the
// router's round trip to the row's shard: n(c + a) on a shard in the
// router's AZ, n(c + x) on one in another AZ. A reference table is read on
// the shard nearest the router. Writes take their row lock at the shard in
// the same round trip.
func TestStatementsCostTheRouterAndShardRoundTrips(t *testing.T) {
	cases := []struct {
		name  string
		shard int // -1: the reference table
		write bool
		rtt   time.Duration
	}{
		{"reads on a shard in the router's AZ", 0, false, a},
		{"reads on a shard in another AZ", 1, false, x},
		{"updates on a shard in another AZ", 2, true, x},
		{"updates on the other shard in the router's AZ", 3, true, a},
		{"reads of a reference table", -1, false, a},
	}
	for _, tc := range cases {
		for _, n := range []int{1, 3, 5} {
			t.Run(fmt.Sprintf("%s/n=%d", tc.name, n), func(t *testing.T) {
				w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(0), false, 100)
				tb, keys := table, make([]int, n)
				for i := range keys {
					if tc.shard < 0 {
						tb, keys[i] = ref, i
					} else {
						keys[i] = w.keyOn(t, tc.shard, i)
					}
				}
				var got timed
				w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
					got = runTxn(ctx, s, rw, 0, func(tx engines.Txn) error {
						if tc.write {
							return updates(ctx, tb, keys...)(tx)
						}
						return reads(ctx, tb, keys...)(tx)
					})
				})
				w.run()
				must(t, got.err)
				near(t, "statements", got.stmts, time.Duration(n)*(c+tc.rtt))
			})
		}
	}
}

// A transaction that wrote nothing commits at its router: c, no shard, no
// participants.
func TestReadOnlyCommitStaysAtTheRouter(t *testing.T) {
	for _, o := range []engines.TxnOptions{ro, rw} {
		w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(20*time.Microsecond), false, 100)
		var got timed
		w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
			got = runTxn(ctx, s, o, 0, reads(ctx, table, 1, 2, 3))
		})
		w.run()
		must(t, got.err)
		near(t, fmt.Sprintf("commit (declared read-only %v)", o.ReadOnly), got.commit, c)
		if got.info.Participants != 0 {
			t.Errorf("read-only commit reported %d participants", got.info.Participants)
		}
		if st := w.e.Stats(); st.ReadOnlyCommits != 1 || st.Commits != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// One shard written: a one-phase commit there. The router forwards COMMIT
// (c + RTT to the shard); the shard picks s = its clock's latest bound,
// flushes the commit record to 4 of 6 storage nodes (S) and waits until
// its clock's earliest bound passes s (2ε, and 1 ns: TT.after(s) needs
// earliest > s), the two overlapped: commit = c + RTT + max(S, 2ε + 1ns).
// The breakdown shows S as replication and the rest of the wait as commit
// wait. Brief §5: c + x + max(S, 2ε).
func TestOneShardCommitIsOneFlushOverlappedWithCommitWait(t *testing.T) {
	cases := []struct {
		name  string
		shard int
		rtt   time.Duration
		eps   time.Duration
		flush time.Duration // storage node CPU
	}{
		{"shard in another AZ, ε=0", 1, x, 0, 0},
		{"shard in the router's AZ, ε=0", 0, a, 0, 0},
		{"ClockBound's ε=20µs, hidden by the flush", 2, x, 20 * time.Microsecond, 0},
		{"flush CPU 50µs adds to S", 1, x, 0, 50 * time.Microsecond},
		{"ε=5ms: commit wait dominates", 1, x, 5 * time.Millisecond, 0},
		{"ε=5ms, shard in the router's AZ", 3, a, 5 * time.Millisecond, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := zeroCPU(sharded.DefaultConfig())
			cfg.FlushCPU = tc.flush
			w := newWorld(t, cfg, sim.FixedEpsilon(tc.eps), false, 100)
			k1, k2 := w.keyOn(t, tc.shard, 0), w.keyOn(t, tc.shard, 1)
			var got timed
			w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, 3*tc.eps, updates(ctx, table, k1, k2))
			})
			w.run()
			must(t, got.err)
			s := S + tc.flush
			wait := 2*tc.eps + time.Nanosecond
			near(t, "statements", got.stmts, 2*(c+tc.rtt))
			near(t, "commit", got.commit, c+tc.rtt+max(s, wait))
			near(t, "replication in the breakdown", got.commitLedger[sim.CatReplication], s)
			near(t, "commit wait in the breakdown", got.commitLedger[sim.CatCommitWait], max(0, wait-s))
			if got.info.Participants != 1 {
				t.Errorf("participants %d, want 1", got.info.Participants)
			}
			if st := w.e.Stats(); st.SingleShard != 1 || st.MultiShard != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// Several shards written: two-phase commit. The others prepare in parallel
// (router ↔ shard and a flush each: the slowest RTT + S), then the lead —
// the written shard nearest the router — commits as one shard would (its
// RTT + max(S, commit wait)): c + max(RTT_others) + S + RTT_lead +
// max(S, W). Against one-phase commit on the lead shard that is one
// prepare round more — x + S with the others in another AZ, the brief's
// "+ x + max(S, 2ε)".
func TestMultiShardCommitAddsAPrepareRound(t *testing.T) {
	cases := []struct {
		name   string
		shards []int
		want   time.Duration
	}{
		{"lead in the router's AZ, one other", []int{0, 1}, c + x + S + a + S},
		{"lead and other both across AZs", []int{1, 2}, c + x + S + x + S},
		{"three shards: prepares in parallel", []int{0, 1, 2}, c + x + S + a + S},
		{"all four", []int{0, 1, 2, 3}, c + x + S + a + S},
		{"two shards in the router's AZ", []int{0, 3}, c + a + S + a + S},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(0), false, 100)
			var keys []int
			for _, sh := range tc.shards {
				keys = append(keys, w.keyOn(t, sh, 0))
			}
			var one, many timed
			w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
				one = runTxn(ctx, s, rw, 0, updates(ctx, table, keys[0]))
				many = runTxn(ctx, s, rw, 0, updates(ctx, table, keys...))
			})
			w.run()
			must(t, one.err)
			must(t, many.err)
			near(t, "commit", many.commit, tc.want)
			if many.info.Participants != len(tc.shards) {
				t.Errorf("participants %d, want %d", many.info.Participants, len(tc.shards))
			}
			if st := w.e.Stats(); st.SingleShard != 1 || st.MultiShard != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// With ε = 5 ms the lead's commit wait dominates its flush. The lead takes
// s = max(its clock's latest bound when COMMIT arrives, the other's prepare
// timestamp — its clock's latest bound when PREPARE arrived) and waits
// until its earliest bound passes s: W = s − earliest + 1 ns, derived here
// from the two shards' clocks (their offsets differ, so W may exceed 2ε).
func TestMultiShardCommitWaitFollowsThePrepareTimestamps(t *testing.T) {
	const eps = 5 * time.Millisecond
	w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(eps), false, 100)
	k0, k1 := w.keyOn(t, 0, 0), w.keyOn(t, 1, 0)
	var got timed
	var commitAt time.Duration
	w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		got = runTxn(ctx, s, rw, 3*eps, updates(ctx, table, k0, k1))
		commitAt = sim.ProcFrom(ctx).Now() - got.commit
	})
	w.run()
	must(t, got.err)
	lead, other := w.e.ShardNode(0).Clock, w.e.ShardNode(1).Clock
	prepareAt := commitAt + c/2 + x/2
	leadAt := prepareAt + S + x/2 + a/2
	s := max(lead.At(leadAt).Latest, other.At(prepareAt).Latest)
	wait := time.Duration(s-lead.At(leadAt).Earliest) + time.Nanosecond
	near(t, "commit", got.commit, c+x+S+a+max(S, wait))
	near(t, "commit wait in the breakdown", got.commitLedger[sim.CatCommitWait], max(0, wait-S))
	if wait < 2*eps {
		t.Errorf("commit wait %v below 2ε", wait)
	}
}

// A read that meets a row of a prepared transaction waits for its outcome
// when its snapshot may see it (at or above the prepare timestamp), then
// sees it if the commit timestamp is at or below the snapshot; a snapshot
// taken before the prepare reads the old version at once. T1 writes k0
// (shard 0, the lead) and k1 (shard 1) from AZ a: its prepare reaches
// shard 1 at 1.85 ms (prepare timestamp), the lead commits at 3.4 ms
// (commit timestamp), its answer reaches the router at 4.45 ms, and COMMIT
// PREPARED reaches shard 1 at 4.95 ms and is flushed by 5.95 ms. Readers in
// AZ b read k1 through router 1, whose shard 1 is local (c + a).
func TestReadersWaitForPreparedRows(t *testing.T) {
	w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(0), false, 100)
	k0, k1, other := w.keyOn(t, 0, 0), w.keyOn(t, 1, 0), w.keyOn(t, 2, 0)
	var writer timed
	w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		writer = runTxn(ctx, s, rw, 0, updates(ctx, table, k0, k1))
	})
	const us = time.Microsecond
	resolved := 5950 * us
	cases := []struct {
		name      string
		earlyRead bool          // take the snapshot at 0.05 ms with another read
		at        time.Duration // when the read of k1 starts
		v         int64
		latency   time.Duration
	}{
		{"snapshot before the prepare: no wait, old value", true, 2500 * us, 0, c + a},
		{"snapshot between prepare and commit timestamps: waits, old value", false, 2500 * us, 0, resolved - (2500*us + c/2 + a/2) + c + a},
		{"snapshot above the commit timestamp: waits, new value", false, 4000 * us, int64(k1) + 100, resolved - (4000*us + c/2 + a/2) + c + a},
	}
	type read struct {
		v       int64
		latency time.Duration
	}
	got := make([]read, len(cases))
	for i, tc := range cases {
		w.client(t, 1+i, azB, func(ctx context.Context, s engines.Session) {
			p := sim.ProcFrom(ctx)
			tx, _ := s.Begin(ctx, ro)
			if tc.earlyRead {
				_, _, err := tx.Get(ctx, table, key(other))
				must(t, err)
			}
			p.SleepUntil(tc.at, sim.CatOther)
			start := p.Now()
			r, _, err := tx.Get(ctx, table, key(k1))
			must(t, err)
			got[i] = read{r[1].Int(), p.Now() - start}
			must(t, tx.Commit(ctx))
		})
	}
	w.run()
	must(t, writer.err)
	near(t, "writer's commit", writer.commit, c+x+S+a+S)
	for i, tc := range cases {
		if got[i].v != tc.v {
			t.Errorf("%s: saw %d, want %d", tc.name, got[i].v, tc.v)
		}
		near(t, tc.name, got[i].latency, tc.latency)
	}
}

// Writing a reference table writes every shard: a statement fanned out to
// all of them (as slow as the farthest) and a two-phase commit over all.
// The next transaction reads the new value from its router's nearest
// shard, in any AZ.
func TestReferenceTableWritesTouchEveryShard(t *testing.T) {
	w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(0), false, 10)
	var write timed
	var seen []int64
	w.client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		write = runTxn(ctx, s, rw, 0, updates(ctx, ref, 7))
	})
	for i, az := range []string{azA, azB, azC} {
		w.client(t, 1+i, az, func(ctx context.Context, s engines.Session) {
			sim.ProcFrom(ctx).Sleep(20*time.Millisecond, sim.CatOther)
			tx, _ := s.Begin(ctx, ro)
			r, _, err := tx.Get(ctx, ref, key(7))
			must(t, err)
			seen = append(seen, r[1].Int())
			must(t, tx.Commit(ctx))
		})
	}
	w.run()
	must(t, write.err)
	near(t, "write statement", write.stmts, c+x)
	near(t, "commit", write.commit, c+x+S+a+S)
	if write.info.Participants != 4 {
		t.Errorf("participants %d, want every shard (4)", write.info.Participants)
	}
	if fmt.Sprint(seen) != "[107 107 107]" {
		t.Errorf("readers saw %v, want 107 everywhere", seen)
	}
}
