package occ

import (
	"context"
	"fmt"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

func init() {
	simengine.Register(engines.Meta{
		Name:            "occ",
		Aliases:         []string{"dsql"},
		Description:     "Aurora DSQL-style: optimistic CC, adjudicators (first committer wins), quorum-replicated journal; snapshot isolation",
		DefaultTopology: "region-3az",
		DefaultEpsilon:  "20us",
		// Snapshots are taken at the QP clock's latest bound and commits
		// wait out the uncertainty, so a transaction sees every commit that
		// returned before it began: strong snapshot isolation.
		Claims: map[string]string{"repeatable-read": "strong-snapshot-isolation"},
	}, DefaultConfig, (*Config).Declare, New)
}

// Engine is the simulated DSQL-style database.
type Engine struct {
	simengine.Base
	cfg     Config
	adjs    []*adjNode
	journal *journal
	// replicas: one storage replica per AZ of every full region, in
	// topology order (a slice, never a map, so iteration is deterministic).
	replicas []*replica
	stats    Stats

	// OnDurable, if set, is called when a commit's journal record becomes
	// durable on a quorum, with the rows it wrote (tests check that no
	// reader sees a version earlier).
	OnDurable func(rows []engines.Row, at sim.Time)
}

// Stats are engine-side counters exposed for tests and reports.
type Stats struct {
	Commits, ReadOnlyCommits, Conflicts, TwoPhase, LimitAborts int64
	// Failovers counts adjudicators moved to a new node.
	Failovers int64
}

type adjNode struct {
	*Adjudicator
	node *sim.Node
}

// replica is the storage fleet of one AZ: a view of the shared store with
// its own applied watermark, spread over StorageNodes nodes.
type replica struct {
	az    string
	nodes []*sim.Node
	view  *storage.Replica[engines.Packed]
	// journal is the index of the journal replica this AZ applies from.
	journal int
	// applyLag: journal replica → this AZ's storage (median one-way).
	applyLag time.Duration
	// durableLag[j]: news that journal replica j completed a record's
	// quorum reaches this replica after this long (median one-way).
	durableLag []time.Duration
	// closedLag[i]: adjudicator i's closed timestamp reaches this replica
	// through the journal after this long (median, continuous heartbeats).
	closedLag []time.Duration
	// settled: every journal record numbered up to it has aborted or is
	// visible here (replica.settles), so reads skip them.
	settled uint64
}

// New places the engine's nodes in the cluster's topology.
func New(cl *sim.Cluster, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	topo := cl.Topology()
	full := topo.FullRegions()
	if len(full) == 0 {
		return nil, fmt.Errorf("topology %s: occ needs a region that holds data", topo.Name)
	}
	e := &Engine{Base: simengine.NewBase(cl), cfg: cfg}

	// Adjudicators spread round robin over the full regions, then over each
	// region's AZs. DSQL keeps each shard's leader adjudicator in one region
	// at a time, and shards' leaders live in both full regions, so a commit
	// from either region meets a local adjudicator for some keys and a
	// remote one for others: commit latency is alike in both regions (DSQL
	// paper Fig. 6: p99 29.2 ms in us-east-1, 30.1 ms in us-east-2).
	for i := range cfg.Adjudicators {
		home := full[i%len(full)]
		az := home.AZs[(i/len(full))%len(home.AZs)]
		n := cl.AddNode(fmt.Sprintf("adjudicator-%d", i), az, cfg.Cores)
		e.adjs = append(e.adjs, &adjNode{Adjudicator: NewAdjudicator(i), node: n})
	}

	// Journal: 2 of 3 AZs in one region; one replica per region (witness
	// included) and a majority of regions when there are several.
	j := &journal{}
	if len(topo.Regions) == 1 {
		for _, az := range topo.Regions[0].AZs {
			j.nodes = append(j.nodes, cl.AddNode("journal-"+az, az, cfg.Cores))
		}
	} else {
		for _, r := range topo.Regions {
			j.nodes = append(j.nodes, cl.AddNode("journal-"+r.Name, r.AZs[0], cfg.Cores))
		}
	}
	j.quorum = len(j.nodes)/2 + 1
	for _, jn := range j.nodes {
		j.flush = append(j.flush, simengine.NewLatency(cl, jn.Name, cfg.JournalFlush, cfg.JournalFlushP99))
	}
	j.drawFlush = func(i int) time.Duration { return j.flush[i].Draw() }
	e.journal = j

	rtt := cl.MedianDelay
	for _, r := range full {
		for _, az := range r.AZs {
			rep := &replica{az: az}
			for i := range cfg.StorageNodes {
				rep.nodes = append(rep.nodes, cl.AddNode(fmt.Sprintf("storage-%s-%d", az, i), az, cfg.Cores))
			}
			for ji, jn := range j.nodes {
				if jn.AZ == az || (len(topo.Regions) > 1 && jn.Region == r.Name) {
					rep.journal = ji
					break
				}
			}
			rep.applyLag = rtt(j.nodes[rep.journal].AZ, az)
			for _, jn := range j.nodes {
				rep.durableLag = append(rep.durableLag, rtt(jn.AZ, az))
			}
			for _, a := range e.adjs {
				rep.closedLag = append(rep.closedLag, rtt(a.node.AZ, j.nodes[rep.journal].AZ)+rep.applyLag)
			}
			e.replicas = append(e.replicas, rep)
		}
	}
	e.watchAdjudicators()
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats }

// CreateSchema lays out one MVCC store for all tables, a view of it per
// replica, and starts the garbage collector.
func (e *Engine) CreateSchema(_ context.Context, s *engines.Schema) error {
	e.Base.CreateSchema(s, simengine.GC{Name: "occ-gc", Every: e.cfg.GCInterval, Trim: func(h storage.Timestamp) {
		// Adjudicators forget writes no snapshot can conflict with, and
		// the journal forgets records every replica has applied.
		for _, a := range e.adjs {
			a.Trim(h)
		}
		e.journal.prune(e.Kernel.Now(), e.maxApplyLag(), e.Cluster.Down)
	}})
	for _, r := range e.replicas {
		r.view = storage.NewReplica(e.Store)
	}
	return nil
}

func (e *Engine) maxApplyLag() time.Duration {
	var m time.Duration
	for _, r := range e.replicas {
		m = max(m, r.applyLag)
	}
	return m
}

func (e *Engine) replicaIn(az string) *replica {
	for _, r := range e.replicas {
		if r.az == az {
			return r
		}
	}
	return nil
}

// shardHash places a key: the hash of its table's shard-key value, so rows
// with the same shard key share an adjudicator and a storage node.
func shardHash(t *engines.Table, k engines.Key) uint64 {
	return engines.HashValue(t.ShardValue(k))
}

func (e *Engine) adjudicatorFor(t *engines.Table, k engines.Key) int {
	return int(shardHash(t, k) % uint64(len(e.adjs)))
}

func (r *replica) nodeFor(t *engines.Table, k engines.Key, adjs int) *sim.Node {
	return r.nodeForHash(shardHash(t, k), adjs)
}

// nodeForHash picks the storage node from a shard-key hash; other bits of
// the hash than the adjudicator's choice, so the two placements are
// independent.
func (r *replica) nodeForHash(h uint64, adjs int) *sim.Node {
	return r.nodes[int((h/uint64(adjs))%uint64(len(r.nodes)))]
}

// Tracked is the number of keys the adjudicators hold validation state for.
func (e *Engine) Tracked() int {
	n := 0
	for _, a := range e.adjs {
		n += a.Tracked()
	}
	return n
}
