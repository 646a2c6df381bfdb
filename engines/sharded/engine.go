package sharded

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/sim"
)

func init() {
	simengine.Register(engines.Meta{
		Name:            "sharded",
		Aliases:         []string{"limitless"},
		Description:     "Aurora Limitless-style: routers over hash-sharded PostgreSQL-like shards, row locks, 4-of-6 storage quorum, one-phase or two-phase commit; repeatable read or read committed",
		DefaultTopology: "region-3az",
		// Bounded clocks from the Time Sync service (ClockBound), as occ.
		DefaultEpsilon: "20us",
		// Limitless documents PostgreSQL's levels: repeatable read is
		// snapshot isolation; it makes no real-time claim.
		Claims: map[string]string{"repeatable-read": "snapshot-isolation", "read-committed": "read-committed"},
	}, DefaultConfig, (*Config).Declare, New)
}

// Engine is the simulated Limitless-style database.
type Engine struct {
	// Base's Snaps holds the snapshots of live transactions and statements
	// and a guard per commit in progress, so the GC horizon stays below
	// both.
	simengine.Base
	cfg     Config
	routers []*router
	shards  []*shard
	live    map[uint64]*txn
	stats   Stats
}

// router is a stateless front end: it holds session state only.
type router struct {
	id   int
	node *sim.Node
}

// Stats are engine-side counters exposed for tests and reports.
type Stats struct {
	// Commits counts read-write commits, ReadOnlyCommits the others;
	// SingleShard and MultiShard split Commits by the shards written
	// (one-phase and two-phase commits), and SingleShardTime and
	// MultiShardTime sum those attempts' durations from BEGIN to the end of
	// COMMIT.
	Commits, ReadOnlyCommits        int64
	SingleShard, MultiShard         int64
	SingleShardTime, MultiShardTime time.Duration
	// SerializationFailures are repeatable read's first-updater-wins
	// aborts; LocalDeadlocks those found by a shard, DistributedDeadlocks
	// those found by a router, out of DeadlockChecks routers ran.
	SerializationFailures                int64
	LocalDeadlocks, DistributedDeadlocks int64
	DeadlockChecks                       int64
	// Failovers counts shard primaries replaced.
	Failovers int64
}

// New places routers and shards over the AZs of the topology's first full
// region, round robin, and each shard's storage copies over the same AZs
// starting from the shard's own (Aurora: two per AZ).
func New(cl *sim.Cluster, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	topo := cl.Topology()
	full := topo.FullRegions()
	if len(full) == 0 {
		return nil, fmt.Errorf("topology %s: sharded needs a region that holds data", topo.Name)
	}
	azs := full[0].AZs
	e := &Engine{Base: simengine.NewBase(cl), cfg: cfg, live: map[uint64]*txn{}}
	for i := range cfg.Routers {
		e.routers = append(e.routers, &router{id: i, node: cl.AddNode(fmt.Sprintf("router-%d", i), azs[i%len(azs)], cfg.Cores)})
	}
	for i := range cfg.Shards {
		sh := &shard{
			id:      i,
			node:    cl.AddNode(fmt.Sprintf("shard-%d", i), azs[i%len(azs)], cfg.Cores),
			locks:   lock.New[*waitSlot](),
			byKey:   map[string][]*pending{},
			waiting: map[lock.Owner]*waitSlot{},
			moved:   sim.NewFuture[struct{}](cl.Kernel()),
		}
		for j := range cfg.StorageCopies {
			sh.copies = append(sh.copies, cl.AddNode(fmt.Sprintf("storage-%d-%d", i, j), azs[(i+j)%len(azs)], cfg.Cores))
		}
		e.shards = append(e.shards, sh)
	}
	e.watchShards()
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats }

// Config returns the configuration the engine runs with.
func (e *Engine) Config() Config { return e.cfg }

// ShardOf returns the shard that holds a row of a sharded table (-1 for a
// reference table, which every shard holds).
func (e *Engine) ShardOf(t *engines.Table, k engines.Key) int {
	if t.Reference {
		return -1
	}
	return e.shardOf(t, k).id
}

// ShardNode and RouterNode return where a shard or router runs.
func (e *Engine) ShardNode(i int) *sim.Node  { return e.shards[i].node }
func (e *Engine) RouterNode(i int) *sim.Node { return e.routers[i].node }

// Residue counts what finished transactions must not leave behind: lock
// owners and locked keys over every shard, commits in progress, waiters,
// and live transactions.
func (e *Engine) Residue() (owners, keys, inflight, waiting, live int) {
	for _, sh := range e.shards {
		owners += sh.locks.Owners()
		keys += sh.locks.Keys()
		inflight += len(sh.inflight)
		waiting += len(sh.waiting)
	}
	return owners, keys, inflight, waiting, len(e.live)
}

// Notes summarise the run by commit shape, for the results file: how many
// read-write commits touched one shard or several, and their mean attempt
// time from BEGIN to the end of COMMIT.
func (e *Engine) Notes() []string {
	st := e.stats
	mean := func(d time.Duration, n int64) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f ms", float64(d)/float64(n)/1e6)
	}
	return []string{
		fmt.Sprintf("sharded: %d single-shard commits (mean attempt %s), %d multi-shard (mean attempt %s), %d read-only",
			st.SingleShard, mean(st.SingleShardTime, st.SingleShard), st.MultiShard, mean(st.MultiShardTime, st.MultiShard), st.ReadOnlyCommits),
		fmt.Sprintf("sharded: %d serialization failures, %d shard deadlocks, %d distributed deadlocks (%d router checks)",
			st.SerializationFailures, st.LocalDeadlocks, st.DistributedDeadlocks, st.DeadlockChecks),
	}
}

// CreateSchema lays out one MVCC store for every shard's rows and starts
// the garbage collector: a future snapshot is at least true time (routers
// take their clock's latest bound); writes lock the row and read its
// newest version, which GC never removes.
func (e *Engine) CreateSchema(_ context.Context, s *engines.Schema) error {
	e.Base.CreateSchema(s, simengine.GC{Name: "sharded-gc", Every: e.cfg.GCInterval})
	return nil
}

// shardOf places a row of a sharded table by its shard-key value, so rows
// with the same shard key share a shard (collocated tables).
func (e *Engine) shardOf(t *engines.Table, k engines.Key) *shard {
	return e.shards[placement(t.ShardValue(k), len(e.shards))]
}

// shardOfRow is shardOf for a full row, without building its key.
func (e *Engine) shardOfRow(t *engines.Table, r engines.Row) *shard {
	col := t.ShardKey
	if col < 0 {
		col = t.PrimaryKey[0]
	}
	return e.shards[placement(r[col], len(e.shards))]
}

// placement maps a shard-key value to one of n shards. Integer (and
// timestamp) values go by value modulo n, so that n consecutive values —
// warehouse ids, YCSB's --partitions — land on n distinct shards and
// experiments control exactly how many shards a transaction touches;
// Limitless hashes every key into hash ranges, which for integers is a
// balanced but not collision-free spread. Other values (strings, floats)
// are hashed (FNV-1a; -0 hashes like 0, as SQL compares them).
func placement(v engines.Value, n int) int {
	mod := func(x int64) int { return int((x%int64(n) + int64(n)) % int64(n)) }
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	add := func(b byte) { h = (h ^ uint64(b)) * prime }
	switch v.Kind() {
	case engines.TypeInt:
		return mod(v.Int())
	case engines.TypeTimestamp:
		return mod(v.Time().UnixNano())
	case engines.TypeString:
		s := v.Str()
		for i := 0; i < len(s); i++ {
			add(s[i])
		}
	case engines.TypeFloat:
		bits := math.Float64bits(v.Float())
		if v.Float() == 0 {
			bits = 0 // -0 equals 0 in SQL
		}
		for i := range 8 {
			add(byte(bits >> (8 * i)))
		}
	}
	return int(h % uint64(n))
}
