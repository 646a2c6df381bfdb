package sharded

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
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
	geti := func(name string, dst *int) {
		if v, err := fs.GetInt(name); err == nil {
			*dst = v
		}
	}
	getd := func(name string, dst *time.Duration) {
		if v, err := fs.GetDuration(name); err == nil {
			*dst = v
		}
	}
	geti("routers", &c.Routers)
	geti("shards", &c.Shards)
	getd("deadlock-timeout", &c.DeadlockTimeout)
	getd("shard-deadlock-timeout", &c.ShardDeadlockTimeout)
	if iso, err := fs.GetString("isolation"); err == nil && iso != "" {
		c.Isolation = Isolation(iso)
	}
	geti("sharded-storage-copies", &c.StorageCopies)
	geti("sharded-write-quorum", &c.WriteQuorum)
	geti("sharded-cores", &c.Cores)
	getd("sharded-router-cpu", &c.RouterCPU)
	getd("sharded-read-cpu", &c.ReadCPU)
	getd("sharded-write-cpu", &c.WriteCPU)
	getd("sharded-commit-cpu", &c.CommitCPU)
	getd("sharded-flush", &c.FlushCPU)
	return c, c.Validate()
}

// Validate names every field out of range.
func (c Config) Validate() error {
	var errs []error
	pos := func(flag string, v int) {
		if v < 1 {
			errs = append(errs, fmt.Errorf("--%s must be at least 1, got %d", flag, v))
		}
	}
	nonneg := func(flag string, v time.Duration) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("--%s must not be negative, got %v", flag, v))
		}
	}
	positive := func(flag string, v time.Duration) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, got %v", flag, v))
		}
	}
	pos("routers", c.Routers)
	pos("shards", c.Shards)
	positive("deadlock-timeout", c.DeadlockTimeout)
	positive("shard-deadlock-timeout", c.ShardDeadlockTimeout)
	pos("sharded-storage-copies", c.StorageCopies)
	if c.WriteQuorum < 1 || (c.StorageCopies >= 1 && (c.WriteQuorum > c.StorageCopies || 2*c.WriteQuorum <= c.StorageCopies)) {
		errs = append(errs, fmt.Errorf("--sharded-write-quorum must be a majority of --sharded-storage-copies=%d (more than half, at most all), got %d", c.StorageCopies, c.WriteQuorum))
	}
	pos("sharded-cores", c.Cores)
	nonneg("sharded-router-cpu", c.RouterCPU)
	nonneg("sharded-read-cpu", c.ReadCPU)
	nonneg("sharded-write-cpu", c.WriteCPU)
	nonneg("sharded-commit-cpu", c.CommitCPU)
	nonneg("sharded-flush", c.FlushCPU)
	if c.ScanRowCPU < 0 {
		errs = append(errs, fmt.Errorf("ScanRowCPU must not be negative, got %v", c.ScanRowCPU))
	}
	if c.GCInterval <= 0 {
		errs = append(errs, fmt.Errorf("GCInterval must be positive, got %v", c.GCInterval))
	}
	switch c.Isolation {
	case RepeatableRead, ReadCommitted:
	default:
		errs = append(errs, fmt.Errorf("--isolation: sharded supports %s (default) or %s, got %q", RepeatableRead, ReadCommitted, c.Isolation))
	}
	return errors.Join(errs...)
}
