package twopc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

func init() {
	simengine.Register(engines.Meta{
		Name:            "2pc",
		Aliases:         []string{"spanner"},
		Description:     "Spanner-style: 2PL with wound-wait at split leaders, two-phase commit over Paxos groups, TrueTime commit wait; strictly serializable",
		DefaultTopology: "region-3az",
		// The 2012 paper's TrueTime: ε grows from 1 to 7 ms between
		// time-master polls every 30 s.
		DefaultEpsilon: "sawtooth:1ms-7ms/30s",
		// External consistency for read-write and read-only transactions;
		// the repeatable-read mode checks write-write conflicts only.
		Claims: map[string]string{"serializable": "strict-serializable", "repeatable-read": "snapshot-isolation"},
	}, DefaultConfig, (*Config).Declare, New)
}

// Engine is the simulated Spanner-style database.
type Engine struct {
	// Base's Snaps holds the read timestamps of live snapshot readers and
	// a guard per commit in progress, so the GC horizon stays below both.
	simengine.Base
	cfg    Config
	groups []*group
	// live maps lock owners to their transactions, for wound-wait. A
	// transaction leaves it when it finishes; a lock it still holds then
	// is on its way to being released.
	live  liveTxns
	stats Stats
}

// Stats are engine-side counters exposed for tests and reports.
type Stats struct {
	// Commits counts read-write commits, ReadOnlyCommits the others;
	// TwoPhase counts two-phase commit attempts.
	Commits, ReadOnlyCommits, TwoPhase int64
	// Wounds counts wound decisions; WoundedAborts the attempts that ended
	// because of one; Conflicts the repeatable-read write-write aborts.
	Wounds, WoundedAborts, Conflicts int64
	// NoWaitAborts counts the lock requests the no-wait policy refused
	// (an attempt refused at several splits at once counts each).
	NoWaitAborts int64
	// Failovers counts leader changes (after a lease ran out, or a
	// handoff); Handoffs those a handoff fault made.
	Failovers, Handoffs int64
	// OrphanLocks counts the lock owners a new leader dropped because
	// their transactions had finished (their release was lost with the
	// old leader).
	OrphanLocks int64
}

// New places the Paxos groups in the cluster's topology: a replica of each
// split in every AZ of a single-region topology, or in every region of a
// multi-region one (witness regions hold voting replicas without data),
// with the leader in the leader region. Leaders are spread over the leader
// region's AZs by split number.
func New(cl *sim.Cluster, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	topo := cl.Topology()
	full := topo.FullRegions()
	if len(full) == 0 {
		return nil, fmt.Errorf("topology %s: 2pc needs a region that holds data", topo.Name)
	}
	home := full[0]
	if cfg.LeaderRegion != "" {
		home = topo.Region(cfg.LeaderRegion)
		if home == nil {
			var names []string
			for _, r := range topo.Regions {
				names = append(names, r.Name)
			}
			return nil, fmt.Errorf("--leader-region: topology %s has no region %q (it has %s)", topo.Name, cfg.LeaderRegion, strings.Join(names, ", "))
		}
		if home.Witness {
			return nil, fmt.Errorf("--leader-region: %q is a witness region of topology %s; leaders need a region that holds data", cfg.LeaderRegion, topo.Name)
		}
	}
	e := &Engine{Base: simengine.NewBase(cl), cfg: cfg}
	for i := range cfg.Splits {
		g := &group{id: i, locks: lock.New[*waitSlot]()}
		g.drawFlush = func(i int) time.Duration { return g.replicas[i].flush.Draw() }
		add := func(az string, witness bool) *replica {
			r := &replica{node: cl.AddNode(fmt.Sprintf("split-%d-%s", i, az), az, cfg.Cores), data: -1}
			r.flush = simengine.NewLatency(cl, r.node.Name, cfg.LogFlush, cfg.LogFlushP99)
			if !witness {
				r.data = len(g.data)
				g.data = append(g.data, r)
			}
			g.replicas = append(g.replicas, r)
			g.nodes = append(g.nodes, r.node)
			return r
		}
		if len(topo.Regions) == 1 {
			for j, az := range home.AZs {
				r := add(az, false)
				if j == i%len(home.AZs) {
					g.leader = r
				}
			}
		} else {
			for _, reg := range topo.Regions {
				r := add(reg.AZs[i%len(reg.AZs)], reg.Witness)
				if reg.Name == home.Name {
					g.leader = r
				}
			}
		}
		g.quorum = len(g.replicas)/2 + 1
		for _, r := range g.replicas {
			r.lag = topo.RTT(g.leader.node.AZ, r.node.AZ).Median / 2
		}
		e.groups = append(e.groups, g)
	}
	e.watchLeaders()
	e.watchHandoffs()
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats }

// Config returns the configuration the engine runs with.
func (e *Engine) Config() Config { return e.cfg }

// SplitOf returns the split that owns a row.
func (e *Engine) SplitOf(t *engines.Table, k engines.Key) int { return e.groupOf(t, k).id }

// Leader returns the node leading a split.
func (e *Engine) Leader(split int) *sim.Node { return e.groups[split].leader.node }

// Residue counts what finished transactions must not leave behind: lock
// owners and locked keys over every split's lock table, Paxos records
// still tracked, and live transactions.
func (e *Engine) Residue() (owners, keys, records, live int) {
	for _, g := range e.groups {
		owners += g.locks.Owners()
		keys += g.locks.Keys() + g.locks.Ranges()
		records += len(g.inflight)
	}
	return owners, keys, records, e.live.len()
}

// CreateSchema lays out one MVCC store for all tables, a replica view per
// data replica of every split, and starts the garbage collector. A future
// strong snapshot is at least true time (clients take the latest bound of
// their clock), a future stale one at least true time minus the
// staleness; read-write reads take the newest version, which GC never
// removes.
func (e *Engine) CreateSchema(_ context.Context, s *engines.Schema) error {
	e.Base.CreateSchema(s, simengine.GC{Name: "2pc-gc", Every: e.cfg.GCInterval, Lag: e.cfg.StaleReads, Trim: func(storage.Timestamp) {
		for _, g := range e.groups {
			g.prune() // Paxos records every replica has applied
		}
	}})
	for _, g := range e.groups {
		for _, r := range g.data {
			r.view = storage.NewReplica(e.Store)
		}
	}
	return nil
}

// groupOf places a row by the hash of its table's shard-key value, so rows
// with the same shard key share a split (like Spanner's interleaved tables).
func (e *Engine) groupOf(t *engines.Table, k engines.Key) *group {
	return e.groupOfValue(t.ShardValue(k))
}

// groupOfRow is groupOf for a full row, without building its key.
func (e *Engine) groupOfRow(t *engines.Table, r engines.Row) *group {
	return e.groupOfValue(t.ShardValueOfRow(r))
}

func (e *Engine) groupOfValue(v engines.Value) *group {
	return e.groups[engines.HashValue(v)%uint64(len(e.groups))]
}
