package twopc_test

import (
	"context"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

// A one-shot transaction run at its home leader (--2pc-one-shot-home
// leader, Deneva's home server): when every row it touches lives on the
// leader's split it pays the client's round trip to that leader and the
// commit's majority round, nothing per statement (the leader's messages to
// itself are free) and no two-phase commit. Run at a coordinator node by
// the client instead, each statement pays the coordinator's round trip to
// the leader. A transaction that also touches a second split sends its
// rows there and commits through two-phase commit.
func TestOneShotAtTheHomeLeader(t *testing.T) {
	oneShot := engines.TxnOptions{OneShot: true}
	run := func(home twopc.OneShotHome, splits int) enginetest.Timed {
		cfg := zeroCPU(twopc.DefaultConfig())
		cfg.OneShotHome = home
		w := newWorld(t, "region-3az", cfg, sim.FixedEpsilon(0), false, 400)
		s := splitLedIn(t, w, "us-east-1b", 0)
		ks := keysIn(t, w, s, 3, 400)
		if splits == 2 {
			ks = append(ks, keysIn(t, w, splitLedIn(t, w, "us-east-1c", 0), 3, 400)...)
		}
		var got enginetest.Timed
		w.Client(t, 0, "us-east-1a", func(ctx context.Context, sess engines.Session) {
			got = runTxn(ctx, sess, oneShot, updates(ctx, ks...))
		})
		w.Run()
		must(t, got.Err)
		return got
	}
	leader := run(twopc.HomeLeader, 1)
	near(t, "one split at its leader: client round trip + majority round", leader.Total, 2*x)
	if leader.Info.Participants != 1 {
		t.Errorf("one split: %d participants", leader.Info.Participants)
	}
	// Coordinator in us-east-1a (the client's AZ holds leaders of other
	// splits): three statements and the commit each cross to us-east-1b.
	coord := run(twopc.HomeCoordinator, 1)
	near(t, "one split from a coordinator", coord.Total, a+3*x+x+x)
	two := run(twopc.HomeLeader, 2)
	t.Logf("one-shot totals: home leader %v, coordinator %v, home leader with a second split %v", leader.Total, coord.Total, two.Total)
	if two.Info.Participants != 2 || two.Total <= leader.Total+3*x {
		t.Errorf("two splits: %d participants, %v; want 2 and more than %v (three remote rows)", two.Info.Participants, two.Total, leader.Total+3*x)
	}
}
