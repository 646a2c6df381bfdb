package sharded

import (
	"fmt"
	"time"

	"github.com/txbench/txbench/internal/option"
)

// Isolation is the isolation level of every transaction, as PostgreSQL names
// it.
type Isolation string

const (
	// RepeatableRead is PostgreSQL's REPEATABLE READ (snapshot isolation),
	// Limitless's default: one snapshot per transaction, taken at the first
	// statement; a write whose row was changed after the snapshot fails
	// with a serialization failure (first updater wins). Write skew
	// commits; lost updates do not.
	RepeatableRead Isolation = "repeatable-read"
	// ReadCommitted is PostgreSQL's READ COMMITTED: a new snapshot per
	// statement; a write re-reads the newest version once it holds the row
	// lock and applies to that. No serialization failures; lost updates
	// are possible.
	ReadCommitted Isolation = "read-committed"
)

// Config holds the model's parameters. Defaults live in DefaultConfig only.
type Config struct {
	// Routers accept client connections; clients use a router in their AZ.
	Routers int
	// Shards hold the data; sharded tables are placed by shard-key value.
	Shards int
	// Isolation of every transaction.
	Isolation Isolation

	// ShardDeadlockTimeout is PostgreSQL's deadlock_timeout on a shard: a
	// lock wait that lasts this long runs the shard's deadlock check.
	ShardDeadlockTimeout time.Duration
	// DeadlockTimeout is Limitless's
	// rds_aurora.limitless_distributed_deadlock_timeout: a lock wait that
	// lasts this long makes the waiter's router look for a cycle across
	// every shard.
	DeadlockTimeout time.Duration

	// StorageCopies is the number of storage nodes that hold each shard's
	// log (Aurora: 6, two per AZ); WriteQuorum how many must acknowledge a
	// flush (Aurora: 4).
	StorageCopies, WriteQuorum int
	// Failover is how long a shard's node is down before a replica is
	// promoted (detection plus promotion; DefaultFailover); ClientLost how
	// long a silent client's transaction keeps its locks
	// (DefaultClientLost).
	Failover, ClientLost time.Duration

	// Cores per router, shard and storage node.
	Cores int
	// CPU service times.
	RouterCPU  time.Duration // router: parse, plan and route one statement (or COMMIT)
	ReadCPU    time.Duration // shard: one point read (or the fixed part of a scan)
	ScanRowCPU time.Duration // shard: each row a scan returns
	WriteCPU   time.Duration // shard: one row write (lock, new version)
	CommitCPU  time.Duration // shard: a commit, PREPARE or COMMIT PREPARED
	FlushCPU   time.Duration // storage node: persist one log record

	// GCInterval is how often the storage horizon advances and old
	// versions are swept.
	GCInterval time.Duration
}

// DefaultConfig is the documented default model.
func DefaultConfig() Config {
	return Config{
		Routers:              3,
		Shards:               4,
		Isolation:            RepeatableRead,
		ShardDeadlockTimeout: time.Second, // PostgreSQL's default
		DeadlockTimeout:      time.Second, // Limitless's default
		StorageCopies:        6,
		Failover:             DefaultFailover,
		ClientLost:           DefaultClientLost,
		WriteQuorum:          4,
		Cores:                8,
		RouterCPU:            20 * time.Microsecond,
		ReadCPU:              15 * time.Microsecond,
		ScanRowCPU:           1 * time.Microsecond,
		WriteCPU:             20 * time.Microsecond,
		CommitCPU:            10 * time.Microsecond,
		FlushCPU:             20 * time.Microsecond,
		GCInterval:           100 * time.Millisecond,
	}
}

// Declare declares the engine's options, bound to c's fields. Upper
// bounds keep a run within what one machine simulates.
func (c *Config) Declare(s *option.Set) {
	s.Choice((*string)(&c.Isolation), "isolation", []string{string(RepeatableRead), string(ReadCommitted)},
		"isolation level (PostgreSQL's, per shard)")
	s.Int(&c.Routers, "routers", 1, 256, "routers, spread over the AZs; clients connect to one in their AZ").WithUnit("nodes")
	s.Int(&c.Shards, "shards", 1, 1024, "shards, spread over the AZs; integer shard keys are placed by value modulo shards, others by hash").WithUnit("shards")
	s.Duration(&c.DeadlockTimeout, "deadlock-timeout", time.Millisecond, time.Hour,
		"lock wait after which the waiter's router checks every shard for a distributed deadlock (Limitless: 1s)")
	s.Duration(&c.ShardDeadlockTimeout, "shard-deadlock-timeout", time.Millisecond, time.Hour,
		"lock wait after which a shard checks its own lock table for a deadlock (PostgreSQL's deadlock_timeout: 1s)")
	s.Int(&c.StorageCopies, "sharded-storage-copies", 1, 16, "storage nodes holding each shard's log, spread over the AZs (Aurora: 6)").WithUnit("nodes")
	s.Int(&c.WriteQuorum, "sharded-write-quorum", 1, 16, "storage acknowledgements a log flush waits for (Aurora: 4 of 6)").WithUnit("nodes")
	s.Int(&c.Cores, "sharded-cores", 1, 1024, "cores per router, shard and storage node").WithUnit("cores")
	s.Duration(&c.RouterCPU, "sharded-router-cpu", 0, time.Second, "router CPU per statement or commit")
	s.Duration(&c.ReadCPU, "sharded-read-cpu", 0, time.Second, "shard CPU per point read")
	s.Duration(&c.WriteCPU, "sharded-write-cpu", 0, time.Second, "shard CPU per row written")
	s.Duration(&c.CommitCPU, "sharded-commit-cpu", 0, time.Second, "shard CPU per commit, PREPARE or COMMIT PREPARED")
	s.Duration(&c.FlushCPU, "sharded-flush", 0, time.Second, "storage-node CPU to persist one log record")
	s.Duration(&c.Failover, "sharded-failover", 10*time.Millisecond, time.Hour,
		"a shard down this long is promoted in the nearest live AZ: detection plus promotion (Aurora: typically within 30s)")
	s.Duration(&c.ClientLost, "sharded-client-lost", 10*time.Millisecond, time.Hour,
		"a silent client's open transaction is rolled back after this long (TCP keepalive; 10s is an assumption)")
	s.Rule(func() error {
		if c.WriteQuorum > c.StorageCopies || 2*c.WriteQuorum <= c.StorageCopies {
			return fmt.Errorf("--sharded-write-quorum must be a majority of --sharded-storage-copies=%d (more than half, at most all), got %d", c.StorageCopies, c.WriteQuorum)
		}
		if c.ScanRowCPU < 0 || c.GCInterval <= 0 {
			return fmt.Errorf("sharded: ScanRowCPU must not be negative (%v) and GCInterval must be positive (%v)", c.ScanRowCPU, c.GCInterval)
		}
		return nil
	})
}

// Validate names every field out of range (the declared bounds).
func (c Config) Validate() error {
	s := option.NewSet("engine sharded")
	c.Declare(s)
	return s.Check()
}
