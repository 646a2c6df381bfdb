package simengine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/sim"
)

// Register adds a simulated engine to the registry: m describes it,
// defaults gives its configuration, declare declares the configuration's
// options (see package option), build places it on the run's cluster.
func Register[C any, E engines.Engine](m engines.Meta, defaults func() C, declare func(*C, *option.Set), build func(*sim.Cluster, C) (E, error)) {
	m.Simulated = true
	m.Configure = func(s *option.Set) engines.Builder {
		cfg := defaults()
		declare(&cfg, s)
		return func(env engines.Env) (engines.Engine, error) {
			cl, ok := env.Sim.(*sim.Cluster)
			if !ok {
				return nil, fmt.Errorf("%s: a simulated engine needs a simulated cluster", m.Name)
			}
			e, err := build(cl, cfg)
			if err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	engines.Register(&m)
}

// Base is embedded by every simulated engine.
type Base struct {
	Kernel  *sim.Kernel
	Cluster *sim.Cluster
	Schema  *engines.Schema
	// Store holds every table's committed versions (see engines/storage:
	// replicas are views of it).
	Store *storage.Store[engines.Packed]
	// Snaps registers the live snapshots (and commits in progress) the
	// garbage collector must not pass.
	Snaps *storage.Snapshots
	// Reads are the records of replica reads served at the end of their
	// service (ReplicaRead), reused.
	Reads    ReplicaReads
	txns     uint64
	sessions int
}

// NewBase starts an engine on cl; the store comes with the schema.
func NewBase(cl *sim.Cluster) Base {
	return Base{Kernel: cl.Kernel(), Cluster: cl, Snaps: storage.NewSnapshots()}
}

// GC configures the garbage collector.
type GC struct {
	// Name names the collector's process.
	Name  string
	Every time.Duration
	// Lag is how far below true time a future snapshot may read (stale
	// reads); 0 when snapshots come from a clock's latest bound.
	Lag time.Duration
	// Trim, if set, drops the engine's own state no snapshot at or above
	// the new horizon can need (adjudicator write sets, Paxos records).
	Trim func(h storage.Timestamp)
}

// CreateSchema lays out one MVCC store for every table and starts the
// garbage collector.
func (b *Base) CreateSchema(s *engines.Schema, gc GC) {
	b.Schema = s
	b.Store = storage.New[engines.Packed](len(s.Tables))
	b.Kernel.Spawn(gc.Name, func(p *sim.Proc) {
		RunGC(p, gc.Every, b.Store, func() storage.Timestamp { return b.Horizon(gc.Lag) }, gc.Trim)
	})
}

// Horizon is the oldest timestamp anyone may still read or install at: a
// future snapshot is at least true time less lag, and live snapshots and
// commits in progress are registered in Snaps.
func (b *Base) Horizon(lag time.Duration) storage.Timestamp {
	return Horizon(storage.Timestamp(sim.TrueTime(b.Kernel.Now())-int64(lag)), b.Snaps)
}

// LoadTS is the commit timestamp of the initial population.
const LoadTS storage.Timestamp = 1

// Load installs initial rows directly (like a restore, not transactions).
func (b *Base) Load(_ context.Context, t *engines.Table, rows []engines.Row) error {
	if b.Store == nil {
		return errors.New("load before CreateSchema")
	}
	for _, r := range rows {
		key, p := t.PackKeyed(r)
		b.Store.Load(t.ID, key, LoadTS, p)
	}
	return nil
}

// LoadPacked implements engines.PackedLoader: Load of rows the workload
// packed (engines.RowBuilder).
func (b *Base) LoadPacked(_ context.Context, t *engines.Table, rows []engines.PackedRow) error {
	if b.Store == nil {
		return errors.New("load before CreateSchema")
	}
	for _, r := range rows {
		b.Store.Load(t.ID, r.Key, LoadTS, r.Row)
	}
	return nil
}

// LoadCopies implements engines.Copier: Load packs every row (its key
// and values copied into the packed string, or a reference into a shared
// pool) and keeps nothing of the row itself.
func (b *Base) LoadCopies() bool { return true }

// Close ends nothing by itself: the kernel owns the processes.
func (b *Base) Close() error { return nil }

// NextTxn numbers a new transaction attempt (from 1).
func (b *Base) NextTxn() uint64 {
	b.txns++
	return b.txns
}

// CheckAZ rejects a client placed in an AZ the topology does not have.
func (b *Base) CheckAZ(engine string, c engines.Client) error {
	if topo := b.Cluster.Topology(); topo.RegionOf(c.AZ) == "" {
		return fmt.Errorf("%s: client %d is in AZ %q, which topology %s does not have", engine, c.ID, c.AZ, topo.Name)
	}
	return nil
}

// SessionNodes numbers a new session of client c and adds its nodes, one
// per kind ("client", "qp", ...), named kind-ID-session, with one core, in
// the client's AZ.
func (b *Base) SessionNodes(c engines.Client, kinds ...string) []*sim.Node {
	b.sessions++
	nodes := make([]*sim.Node, len(kinds))
	for i, kind := range kinds {
		nodes[i] = b.Cluster.AddNode(fmt.Sprintf("%s-%d-%d", kind, c.ID, b.sessions), c.AZ, 1)
	}
	return nodes
}
