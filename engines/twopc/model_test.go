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

// world is a cluster with a 2pc engine and n preloaded keys (value 0).
type world struct {
	k   *sim.Kernel
	cl  *sim.Cluster
	e   *twopc.Engine
	ctx context.Context
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(c twopc.Config) twopc.Config {
	c.ReadCPU, c.ScanRowCPU, c.CommitCPU, c.LogAppend = 0, 0, 0, 0
	return c
}

func newWorld(t testing.TB, preset string, cfg twopc.Config, eps sim.Epsilon, jitter bool, keys int) *world {
	t.Helper()
	topo, err := sim.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	k := sim.NewKernel(1)
	cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: jitter, Epsilon: eps})
	e, err := twopc.New(cl, cfg)
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

// keysIn returns n keys of split, among the first limit keys.
func (w *world) keysIn(t testing.TB, split, n, limit int) []int {
	t.Helper()
	var ks []int
	for i := 0; i < limit && len(ks) < n; i++ {
		if w.e.SplitOf(table, key(i)) == split {
			ks = append(ks, i)
		}
	}
	if len(ks) < n {
		t.Fatalf("only %d keys of split %d among %d", len(ks), split, limit)
	}
	return ks
}

// splitLedIn returns the first split (from `from` on) whose leader is in az.
func (w *world) splitLedIn(t testing.TB, az string, from int) int {
	t.Helper()
	for s := from; s < w.e.Config().Splits; s++ {
		if w.e.Leader(s).AZ == az {
			return s
		}
	}
	t.Fatalf("no split led in %s from %d on", az, from)
	return -1
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const (
	a  = 100 * time.Microsecond   // intra-AZ RTT in the presets
	x  = 1000 * time.Microsecond  // cross-AZ RTT
	r1 = 11500 * time.Microsecond // us-east-1 ↔ us-east-2
)

// timed measures one transaction: statements and commit separately, with
// the ledger of the commit.
type timed struct {
	stmts, commit time.Duration
	commitLedger  sim.Ledger
	err           error
}

func runTxn(ctx context.Context, s engines.Session, o engines.TxnOptions, body func(tx engines.Txn) error) timed {
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
	mid, before := p.Now(), p.Ledger()
	err = tx.Commit(ctx)
	return timed{stmts: mid - start, commit: p.Now() - mid, commitLedger: p.Ledger().Sub(before), err: err}
}

var rw, ro = engines.TxnOptions{}, engines.TxnOptions{ReadOnly: true}

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

// A read-write read costs the round trip to its split's leader: intra-AZ,
// cross-AZ, or across regions — however many reads, each pays it again
// (n_r·R_L).
func TestReadCostsTheRoundTripToItsLeader(t *testing.T) {
	cases := []struct {
		preset, leaderAZ, clientAZ string
		rtt                        time.Duration
	}{
		{"region-3az", "us-east-1a", "us-east-1a", a},
		{"region-3az", "us-east-1b", "us-east-1a", x},
		{"us-3", "us-east-1c", "us-east-1a", x},
		{"us-3", "us-east-1a", "us-east-2a", r1},
	}
	for _, tc := range cases {
		t.Run(tc.preset+"/"+tc.clientAZ+"->"+tc.leaderAZ, func(t *testing.T) {
			w := newWorld(t, tc.preset, zeroCPU(twopc.DefaultConfig()), sim.FixedEpsilon(0), false, 400)
			ks := w.keysIn(t, w.splitLedIn(t, tc.leaderAZ, 0), 3, 400)
			var got timed
			w.client(t, 0, tc.clientAZ, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, reads(ctx, ks...))
			})
			w.run()
			must(t, got.err)
			near(t, "3 reads", got.stmts, 3*tc.rtt)
		})
	}
}

// One split, no two-phase commit: commit = R_L + one majority round P +
// whatever of the commit wait (2ε from picking s) the round did not cover:
// R_L + P + max(0, 2ε − P). ε ≪ P adds nothing; ε ≫ P makes it R_L + 2ε.
// The commit wait shows in the breakdown as exactly that remainder.
func TestOneSplitCommitIsLeaderRoundPlusMajorityPlusRestOfCommitWait(t *testing.T) {
	cases := []struct {
		name, preset, clientAZ, leaderAZ string
		eps                              time.Duration
		rl, p                            time.Duration
	}{
		{"local leader, ε=0", "region-3az", "us-east-1a", "us-east-1a", 0, a, x},
		{"remote leader, ε=0", "region-3az", "us-east-1a", "us-east-1b", 0, x, x},
		{"ε much smaller than P", "region-3az", "us-east-1a", "us-east-1a", 20 * time.Microsecond, a, x},
		{"ε much larger than P", "region-3az", "us-east-1a", "us-east-1a", 10 * time.Millisecond, a, x},
		{"us-3: P is R1", "us-3", "us-east-1a", "us-east-1a", 0, a, r1},
		{"us-3 from the other region, 2ε a little over P", "us-3", "us-east-2b", "us-east-1a", 8 * time.Millisecond, r1, r1},
		{"single AZ: a majority of one", "single-az", "us-east-1a", "us-east-1a", 3 * time.Millisecond, a, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.preset, zeroCPU(twopc.DefaultConfig()), sim.FixedEpsilon(tc.eps), false, 400)
			ks := w.keysIn(t, w.splitLedIn(t, tc.leaderAZ, 0), 2, 400)
			var got timed
			w.client(t, 0, tc.clientAZ, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, updates(ctx, ks...))
			})
			w.run()
			must(t, got.err)
			wait := max(0, 2*tc.eps-tc.p)
			if wait > 0 {
				wait += time.Nanosecond // TT.after(s) needs earliest > s
			}
			near(t, "commit", got.commit, tc.rl+tc.p+wait)
			near(t, "commit wait in the breakdown", got.commitLedger[sim.CatCommitWait], wait)
			near(t, "replication in the breakdown", got.commitLedger[sim.CatReplication], tc.p)
		})
	}
}

// Several splits: two-phase commit. With the participants' leaders in the
// client's AZ (region-3az), a prepare round P and the hop to the
// coordinator come before the coordinator's own round: 1.5a + 2x, against
// a + x for one split — one replication round plus a leader hop more. With
// a participant led in another AZ its vote travels farther: 3x + a/2.
func TestMultiSplitCommitAddsAReplicationRoundAndALeaderHop(t *testing.T) {
	w := newWorld(t, "region-3az", zeroCPU(twopc.DefaultConfig()), sim.FixedEpsilon(0), false, 400)
	s0 := w.splitLedIn(t, "us-east-1a", 0)
	s1 := w.splitLedIn(t, "us-east-1a", s0+1)
	sb := w.splitLedIn(t, "us-east-1b", 0)
	k0, k1, kb := w.keysIn(t, s0, 2, 400), w.keysIn(t, s1, 1, 400), w.keysIn(t, sb, 1, 400)
	var one, sameAZ, otherAZ timed
	w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		one = runTxn(ctx, s, rw, updates(ctx, k0[0]))
		sameAZ = runTxn(ctx, s, rw, updates(ctx, k0[1], k1[0]))
		otherAZ = runTxn(ctx, s, rw, updates(ctx, k0[0], kb[0]))
	})
	w.run()
	for _, r := range []timed{one, sameAZ, otherAZ} {
		must(t, r.err)
	}
	near(t, "one split", one.commit, a+x)
	near(t, "two splits led in the client's AZ", sameAZ.commit, a/2+x+a/2+x+a/2)
	near(t, "difference", sameAZ.commit-one.commit, x+a/2)
	near(t, "two splits, one led in another AZ", otherAZ.commit, x/2+x+x/2+x+a/2)
	if st := w.e.Stats(); st.TwoPhase != 2 || st.Commits != 3 {
		t.Fatalf("stats %+v; want 2 two-phase commits of 3", st)
	}
}

// Read-only transactions read at TT.now().latest at the nearest replica.
// With ε = 0 the local replica of a split led elsewhere waits for the
// leader's closed timestamp to arrive (x/2 after the read timestamp, less
// the a/2 the request spent getting there); the leader's own AZ serves at
// once; a 10 s stale read never waits. The commit costs nothing.
func TestReadOnlyReadsAtTheNearestReplica(t *testing.T) {
	cases := []struct {
		name     string
		leaderAZ string
		stale    time.Duration
		read     time.Duration
	}{
		{"replica is the leader", "us-east-1a", 0, a},
		{"follower waits for the closed timestamp", "us-east-1b", 0, x/2 + a/2 + time.Nanosecond},
		{"stale read at a follower", "us-east-1b", 10 * time.Second, a},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := zeroCPU(twopc.DefaultConfig())
			cfg.StaleReads = tc.stale
			w := newWorld(t, "region-3az", cfg, sim.FixedEpsilon(0), false, 400)
			ks := w.keysIn(t, w.splitLedIn(t, tc.leaderAZ, 0), 1, 400)
			var got timed
			w.client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, ro, reads(ctx, ks[0]))
			})
			w.run()
			must(t, got.err)
			near(t, "read", got.stmts, tc.read)
			near(t, "read-only commit", got.commit, 0)
		})
	}
}
