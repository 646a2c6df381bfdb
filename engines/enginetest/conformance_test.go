package enginetest_test

import (
	"testing"
	"time"

	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

// The conformance table: what each engine and isolation level allows
// (the pg rows are enginetest.PostgresTargets). Everything else in
// enginetest.Anomalies it must forbid.
//
//	                      write  lost    read  phantom  non-rep.  dirty  stale
//	                      skew   update  skew           read      read   read
//	occ (snapshot)         ✓
//	2pc serializable
//	2pc repeatable read    ✓
//	sharded repeatable rd  ✓
//	sharded read committed ✓      ✓       ✓     ✓        ✓
//	pg read committed      ✓      ✓       ✓     ✓        ✓
//	pg repeatable read     ✓
//	pg serializable
var (
	snapshotLike  = enginetest.SnapshotAnomalies
	readCommitted = enginetest.ReadCommittedAnomalies
)

func twopcAt(iso twopc.Isolation) func(*sim.Cluster) (*twopc.Engine, error) {
	return func(cl *sim.Cluster) (*twopc.Engine, error) {
		cfg := twopc.DefaultConfig()
		cfg.Isolation = iso
		return twopc.New(cl, cfg)
	}
}

func shardedAt(iso sharded.Isolation) func(*sim.Cluster) (*sharded.Engine, error) {
	return func(cl *sim.Cluster) (*sharded.Engine, error) {
		cfg := sharded.DefaultConfig()
		cfg.Isolation = iso
		return sharded.New(cl, cfg)
	}
}

func TestConformance(t *testing.T) {
	occAt := func(cl *sim.Cluster) (*occ.Engine, error) { return occ.New(cl, occ.DefaultConfig()) }
	enginetest.Conformance(t, append([]enginetest.Target{
		{Name: "occ/snapshot", Allows: snapshotLike, Open: enginetest.Sim3(occAt, 2*time.Millisecond)},
		// DSQL's multi-region case: readers in the other full region.
		{Name: "occ/snapshot/us-3", Allows: snapshotLike, Open: enginetest.SimTarget(occAt,
			enginetest.SimConfig{Preset: "us-3", Cluster: sim.ClusterConfig{Jitter: true, Epsilon: sim.FixedEpsilon(2 * time.Millisecond)}},
			"us-east-1a", "us-east-2c", "us-east-2a")},
		{Name: "2pc/serializable", Allows: nil, Open: enginetest.Sim3(twopcAt(twopc.Serializable), 2*time.Millisecond)},
		{Name: "2pc/repeatable-read", Allows: snapshotLike, Open: enginetest.Sim3(twopcAt(twopc.RepeatableRead), 2*time.Millisecond)},
		{Name: "sharded/repeatable-read", Allows: snapshotLike, Open: enginetest.Sim3(shardedAt(sharded.RepeatableRead), 2*time.Millisecond)},
		{Name: "sharded/read-committed", Allows: readCommitted, Open: enginetest.Sim3(shardedAt(sharded.ReadCommitted), 2*time.Millisecond)},
	}, enginetest.PostgresTargets(t)...))
}
