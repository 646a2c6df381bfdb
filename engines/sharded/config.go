package sharded

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
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

// Flags registers the engine's options. --isolation is shared with the
// other engines and registered centrally (engines.RegisterFlags); it is
// added here only when a caller builds a flag set without it.
func Flags(fs *pflag.FlagSet) {
	d := DefaultConfig()
	fs.Int("routers", d.Routers, "sharded: routers, spread over the AZs; clients connect to one in their AZ")
	fs.Int("shards", d.Shards, "sharded: shards, spread over the AZs; integer shard keys are placed by value modulo shards, others by hash")
	fs.Duration("deadlock-timeout", d.DeadlockTimeout, "sharded: lock wait after which the waiter's router checks every shard for a distributed deadlock (Limitless: 1s)")
	fs.Duration("shard-deadlock-timeout", d.ShardDeadlockTimeout, "sharded: lock wait after which a shard checks its own lock table for a deadlock (PostgreSQL's deadlock_timeout: 1s)")
	if fs.Lookup("isolation") == nil {
		fs.String("isolation", "", "isolation level (default: the engine's; sharded: repeatable-read or read-committed)")
	}
	fs.Int("sharded-storage-copies", d.StorageCopies, "sharded: storage nodes holding each shard's log, spread over the AZs (Aurora: 6)")
	fs.Int("sharded-write-quorum", d.WriteQuorum, "sharded: storage acknowledgements a log flush waits for (Aurora: 4 of 6)")
	fs.Int("sharded-cores", d.Cores, "sharded: cores per router, shard and storage node")
	fs.Duration("sharded-router-cpu", d.RouterCPU, "sharded: router CPU per statement or commit")
	fs.Duration("sharded-read-cpu", d.ReadCPU, "sharded: shard CPU per point read")
	fs.Duration("sharded-write-cpu", d.WriteCPU, "sharded: shard CPU per row written")
	fs.Duration("sharded-commit-cpu", d.CommitCPU, "sharded: shard CPU per commit, PREPARE or COMMIT PREPARED")
	fs.Duration("sharded-flush", d.FlushCPU, "sharded: storage-node CPU to persist one log record")
}

// ConfigFromFlags reads the options back; every problem is reported at once.
func ConfigFromFlags(fs *pflag.FlagSet) (Config, error) {
	c := DefaultConfig()
	o := engines.OptionsFrom(fs)
	o.Int("routers", &c.Routers)
	o.Int("shards", &c.Shards)
	o.Duration("deadlock-timeout", &c.DeadlockTimeout)
	o.Duration("shard-deadlock-timeout", &c.ShardDeadlockTimeout)
	iso := string(c.Isolation)
	o.String("isolation", &iso)
	c.Isolation = Isolation(iso)
	o.Int("sharded-storage-copies", &c.StorageCopies)
	o.Int("sharded-write-quorum", &c.WriteQuorum)
	o.Int("sharded-cores", &c.Cores)
	o.Duration("sharded-router-cpu", &c.RouterCPU)
	o.Duration("sharded-read-cpu", &c.ReadCPU)
	o.Duration("sharded-write-cpu", &c.WriteCPU)
	o.Duration("sharded-commit-cpu", &c.CommitCPU)
	o.Duration("sharded-flush", &c.FlushCPU)
	return c, c.Validate()
}

// Validate names every field out of range.
func (c Config) Validate() error {
	var ck engines.Checks
	ck.AtLeast1("routers", c.Routers)
	ck.AtLeast1("shards", c.Shards)
	ck.Positive("deadlock-timeout", c.DeadlockTimeout)
	ck.Positive("shard-deadlock-timeout", c.ShardDeadlockTimeout)
	ck.AtLeast1("sharded-storage-copies", c.StorageCopies)
	if c.WriteQuorum < 1 || (c.StorageCopies >= 1 && (c.WriteQuorum > c.StorageCopies || 2*c.WriteQuorum <= c.StorageCopies)) {
		ck.Addf("--sharded-write-quorum must be a majority of --sharded-storage-copies=%d (more than half, at most all), got %d", c.StorageCopies, c.WriteQuorum)
	}
	ck.AtLeast1("sharded-cores", c.Cores)
	ck.NonNegative("sharded-router-cpu", c.RouterCPU)
	ck.NonNegative("sharded-read-cpu", c.ReadCPU)
	ck.NonNegative("sharded-write-cpu", c.WriteCPU)
	ck.NonNegative("sharded-commit-cpu", c.CommitCPU)
	ck.NonNegative("sharded-flush", c.FlushCPU)
	if c.ScanRowCPU < 0 {
		ck.Addf("ScanRowCPU must not be negative, got %v", c.ScanRowCPU)
	}
	if c.GCInterval <= 0 {
		ck.Addf("GCInterval must be positive, got %v", c.GCInterval)
	}
	switch c.Isolation {
	case RepeatableRead, ReadCommitted:
	default:
		ck.Addf("--isolation: sharded supports %s (default) or %s, got %q", RepeatableRead, ReadCommitted, c.Isolation)
	}
	return ck.Err()
}
