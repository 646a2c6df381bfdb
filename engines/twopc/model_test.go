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

var (
	table  = enginetest.Table
	key    = enginetest.Key
	must   = enginetest.Must
	near   = enginetest.Near
	rw, ro = enginetest.RW, enginetest.RO
	runTxn = enginetest.RunTxn
)

type world = enginetest.Sim[*twopc.Engine]

// newWorld is a cluster with a 2pc engine and keys preloaded keys (value 0).
func newWorld(t testing.TB, preset string, cfg twopc.Config, eps sim.Epsilon, jitter bool, keys int) *world {
	return enginetest.NewSim(t, enginetest.SimConfig{Preset: preset, Cluster: sim.ClusterConfig{Jitter: jitter, Epsilon: eps}}, func(cl *sim.Cluster) (*twopc.Engine, error) { return twopc.New(cl, cfg) }, keys)
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(c twopc.Config) twopc.Config {
	c.ReadCPU, c.ScanRowCPU, c.CommitCPU, c.LogAppend = 0, 0, 0, 0
	c.LogFlush, c.LogFlushP99 = 0, 0
	return c
}

// keysIn returns n keys of split, among the first limit keys.
func keysIn(t testing.TB, w *world, split, n, limit int) []int {
	t.Helper()
	var ks []int
	for i := 0; i < limit && len(ks) < n; i++ {
		if w.E.SplitOf(table, key(i)) == split {
			ks = append(ks, i)
		}
	}
	if len(ks) < n {
		t.Fatalf("only %d keys of split %d among %d", len(ks), split, limit)
	}
	return ks
}

// splitLedIn returns the first split (from `from` on) whose leader is in az.
func splitLedIn(t testing.TB, w *world, az string, from int) int {
	t.Helper()
	for s := from; s < w.E.Config().Splits; s++ {
		if w.E.Leader(s).AZ == az {
			return s
		}
	}
	t.Fatalf("no split led in %s from %d on", az, from)
	return -1
}

const (
	a  = 100 * time.Microsecond   // intra-AZ RTT in the presets
	x  = 1000 * time.Microsecond  // cross-AZ RTT
	r1 = 11500 * time.Microsecond // us-east-1 ↔ us-east-2
)

func updates(ctx context.Context, keys ...int) func(engines.Txn) error {
	return enginetest.Updates(ctx, table, keys...)
}

func reads(ctx context.Context, keys ...int) func(engines.Txn) error {
	return enginetest.Reads(ctx, table, keys...)
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
			ks := keysIn(t, w, splitLedIn(t, w, tc.leaderAZ, 0), 3, 400)
			var got enginetest.Timed
			w.Client(t, 0, tc.clientAZ, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, reads(ctx, ks...))
			})
			w.Run()
			must(t, got.Err)
			near(t, "3 reads", got.Stmts, 3*tc.rtt)
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
			ks := keysIn(t, w, splitLedIn(t, w, tc.leaderAZ, 0), 2, 400)
			var got enginetest.Timed
			w.Client(t, 0, tc.clientAZ, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, updates(ctx, ks...))
			})
			w.Run()
			must(t, got.Err)
			wait := max(0, 2*tc.eps-tc.p)
			if wait > 0 {
				wait += time.Nanosecond // TT.after(s) needs earliest > s
			}
			near(t, "commit", got.Commit, tc.rl+tc.p+wait)
			near(t, "commit wait in the breakdown", got.CommitLedger[sim.CatCommitWait], wait)
			near(t, "replication in the breakdown", got.CommitLedger[sim.CatReplication], tc.p)
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
	s0 := splitLedIn(t, w, "us-east-1a", 0)
	s1 := splitLedIn(t, w, "us-east-1a", s0+1)
	sb := splitLedIn(t, w, "us-east-1b", 0)
	k0, k1, kb := keysIn(t, w, s0, 2, 400), keysIn(t, w, s1, 1, 400), keysIn(t, w, sb, 1, 400)
	var one, sameAZ, otherAZ enginetest.Timed
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		one = runTxn(ctx, s, rw, updates(ctx, k0[0]))
		sameAZ = runTxn(ctx, s, rw, updates(ctx, k0[1], k1[0]))
		otherAZ = runTxn(ctx, s, rw, updates(ctx, k0[0], kb[0]))
	})
	w.Run()
	for _, r := range []enginetest.Timed{one, sameAZ, otherAZ} {
		must(t, r.Err)
	}
	near(t, "one split", one.Commit, a+x)
	near(t, "two splits led in the client's AZ", sameAZ.Commit, a/2+x+a/2+x+a/2)
	near(t, "difference", sameAZ.Commit-one.Commit, x+a/2)
	near(t, "two splits, one led in another AZ", otherAZ.Commit, x/2+x+x/2+x+a/2)
	if st := w.E.Stats(); st.TwoPhase != 2 || st.Commits != 3 {
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
			ks := keysIn(t, w, splitLedIn(t, w, tc.leaderAZ, 0), 1, 400)
			var got enginetest.Timed
			w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, ro, reads(ctx, ks[0]))
			})
			w.Run()
			must(t, got.Err)
			near(t, "read", got.Stmts, tc.read)
			near(t, "read-only commit", got.Commit, 0)
		})
	}
}

// A strong read-only transaction of one point read goes to its split's
// leader and reads at LastTS() there: one round trip to the leader, no
// wait for ε (Spanner OSDI'12 §4.2.2; Table 3's ~1.4 ms read-only), even
// with ε = 7 ms; it still sees a write committed just before it.
func TestSingleSplitReadOnlyReadsAtTheLeaderWithoutClockWait(t *testing.T) {
	cfg := zeroCPU(twopc.DefaultConfig())
	const eps = 7 * time.Millisecond
	w := newWorld(t, "region-3az", cfg, sim.FixedEpsilon(eps), false, 400)
	ks := keysIn(t, w, splitLedIn(t, w, "us-east-1b", 0), 1, 400)
	var got enginetest.Timed
	var seen int64
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) {
		must(t, runTxn(ctx, s, rw, updates(ctx, ks[0])).Err)
		got = runTxn(ctx, s, engines.TxnOptions{ReadOnly: true, SingleStatement: true}, func(tx engines.Txn) error {
			row, _, err := tx.Get(ctx, table, key(ks[0]))
			if err == nil {
				seen = row[1].Int()
			}
			return err
		})
	})
	w.Run()
	must(t, got.Err)
	near(t, "single-split read-only read", got.Stmts, x)
	if seen != int64(ks[0])+100 { // enginetest.Updates writes k+100
		t.Errorf("leader read saw %d, not the value just committed (%d)", seen, ks[0]+100)
	}
}

func TestGetInto(t *testing.T) {
	w := newWorld(t, "region-3az", twopc.DefaultConfig(), sim.FixedEpsilon(0), false, 4)
	w.Client(t, 0, "us-east-1a", func(ctx context.Context, s engines.Session) { enginetest.CheckGetInto(t, ctx, s) })
	w.Run()
}
