package sharded_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/sim"
)

// The tests use enginetest's schema: a table of integer counters placed by
// key (key i lives on shard i mod 4 with the default 4 shards), and a
// reference table every shard holds.
var (
	table, ref = enginetest.Table, enginetest.Ref
	key        = enginetest.Key
	must       = enginetest.Must
	near       = enginetest.Near
	rw, ro     = enginetest.RW, enginetest.RO
	runTxn     = enginetest.RunTxnPaused
	updates    = enginetest.Updates
	reads      = enginetest.Reads
)

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

type world = enginetest.Sim[*sharded.Engine]

// newWorld is region-3az with a sharded engine and keys preloaded keys
// (value 0) in kv and in ref.
func newWorld(t testing.TB, cfg sharded.Config, eps sim.Epsilon, jitter bool, keys int) *world {
	return enginetest.NewSim(t, enginetest.SimConfig{Cluster: sim.ClusterConfig{Jitter: jitter, Epsilon: eps}}, func(cl *sim.Cluster) (*sharded.Engine, error) { return sharded.New(cl, cfg) }, keys)
}

// zeroCPU makes service times zero so latencies are pure network formulas.
func zeroCPU(cfg sharded.Config) sharded.Config {
	cfg.RouterCPU, cfg.ReadCPU, cfg.ScanRowCPU, cfg.WriteCPU, cfg.CommitCPU, cfg.FlushCPU = 0, 0, 0, 0, 0, 0
	return cfg
}

// keyOn returns the n-th key (from 0) that lives on shard.
func keyOn(t testing.TB, w *world, shard, n int) int {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if w.E.ShardOf(table, key(i)) == shard {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("no key on shard %d", shard)
	return -1
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
						keys[i] = keyOn(t, w, tc.shard, i)
					}
				}
				var got enginetest.Timed
				w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
					got = runTxn(ctx, s, rw, 0, func(tx engines.Txn) error {
						if tc.write {
							return updates(ctx, tb, keys...)(tx)
						}
						return reads(ctx, tb, keys...)(tx)
					})
				})
				w.Run()
				must(t, got.Err)
				near(t, "statements", got.Stmts, time.Duration(n)*(c+tc.rtt))
			})
		}
	}
}

// A transaction that wrote nothing commits at its router: c, no shard, no
// participants.
func TestReadOnlyCommitStaysAtTheRouter(t *testing.T) {
	for _, o := range []engines.TxnOptions{ro, rw} {
		w := newWorld(t, zeroCPU(sharded.DefaultConfig()), sim.FixedEpsilon(20*time.Microsecond), false, 100)
		var got enginetest.Timed
		w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
			got = runTxn(ctx, s, o, 0, reads(ctx, table, 1, 2, 3))
		})
		w.Run()
		must(t, got.Err)
		near(t, fmt.Sprintf("commit (declared read-only %v)", o.ReadOnly), got.Commit, c)
		if got.Info.Participants != 0 {
			t.Errorf("read-only commit reported %d participants", got.Info.Participants)
		}
		if st := w.E.Stats(); st.ReadOnlyCommits != 1 || st.Commits != 0 {
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
			k1, k2 := keyOn(t, w, tc.shard, 0), keyOn(t, w, tc.shard, 1)
			var got enginetest.Timed
			w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
				got = runTxn(ctx, s, rw, 3*tc.eps, updates(ctx, table, k1, k2))
			})
			w.Run()
			must(t, got.Err)
			s := S + tc.flush
			wait := 2*tc.eps + time.Nanosecond
			near(t, "statements", got.Stmts, 2*(c+tc.rtt))
			near(t, "commit", got.Commit, c+tc.rtt+max(s, wait))
			near(t, "replication in the breakdown", got.CommitLedger[sim.CatReplication], s)
			near(t, "commit wait in the breakdown", got.CommitLedger[sim.CatCommitWait], max(0, wait-s))
			if got.Info.Participants != 1 {
				t.Errorf("participants %d, want 1", got.Info.Participants)
			}
			if st := w.E.Stats(); st.SingleShard != 1 || st.MultiShard != 0 {
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
				keys = append(keys, keyOn(t, w, sh, 0))
			}
			var one, many enginetest.Timed
			w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
				one = runTxn(ctx, s, rw, 0, updates(ctx, table, keys[0]))
				many = runTxn(ctx, s, rw, 0, updates(ctx, table, keys...))
			})
			w.Run()
			must(t, one.Err)
			must(t, many.Err)
			near(t, "commit", many.Commit, tc.want)
			if many.Info.Participants != len(tc.shards) {
				t.Errorf("participants %d, want %d", many.Info.Participants, len(tc.shards))
			}
			if st := w.E.Stats(); st.SingleShard != 1 || st.MultiShard != 1 {
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
	k0, k1 := keyOn(t, w, 0, 0), keyOn(t, w, 1, 0)
	var got enginetest.Timed
	var commitAt time.Duration
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		got = runTxn(ctx, s, rw, 3*eps, updates(ctx, table, k0, k1))
		commitAt = sim.ProcFrom(ctx).Now() - got.Commit
	})
	w.Run()
	must(t, got.Err)
	lead, other := w.E.ShardNode(0).Clock, w.E.ShardNode(1).Clock
	prepareAt := commitAt + c/2 + x/2
	leadAt := prepareAt + S + x/2 + a/2
	s := max(lead.At(leadAt).Latest, other.At(prepareAt).Latest)
	wait := time.Duration(s-lead.At(leadAt).Earliest) + time.Nanosecond
	near(t, "commit", got.Commit, c+x+S+a+max(S, wait))
	near(t, "commit wait in the breakdown", got.CommitLedger[sim.CatCommitWait], max(0, wait-S))
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
	k0, k1, other := keyOn(t, w, 0, 0), keyOn(t, w, 1, 0), keyOn(t, w, 2, 0)
	var writer enginetest.Timed
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
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
		w.Client(t, 1+i, azB, func(ctx context.Context, s engines.Session) {
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
	w.Run()
	must(t, writer.Err)
	near(t, "writer's commit", writer.Commit, c+x+S+a+S)
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
	var write enginetest.Timed
	var seen []int64
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) {
		write = runTxn(ctx, s, rw, 0, updates(ctx, ref, 7))
	})
	for i, az := range []string{azA, azB, azC} {
		w.Client(t, 1+i, az, func(ctx context.Context, s engines.Session) {
			sim.ProcFrom(ctx).Sleep(20*time.Millisecond, sim.CatOther)
			tx, _ := s.Begin(ctx, ro)
			r, _, err := tx.Get(ctx, ref, key(7))
			must(t, err)
			seen = append(seen, r[1].Int())
			must(t, tx.Commit(ctx))
		})
	}
	w.Run()
	must(t, write.Err)
	near(t, "write statement", write.Stmts, c+x)
	near(t, "commit", write.Commit, c+x+S+a+S)
	if write.Info.Participants != 4 {
		t.Errorf("participants %d, want every shard (4)", write.Info.Participants)
	}
	if fmt.Sprint(seen) != "[107 107 107]" {
		t.Errorf("readers saw %v, want 107 everywhere", seen)
	}
}

func TestGetInto(t *testing.T) {
	w := newWorld(t, sharded.DefaultConfig(), sim.FixedEpsilon(0), false, 4)
	w.Client(t, 0, azA, func(ctx context.Context, s engines.Session) { enginetest.CheckGetInto(t, ctx, s) })
	w.Run()
}
