package twopc

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
)

// Isolation is the isolation level of read-write transactions.
type Isolation string

const (
	// Serializable is Spanner's default: two-phase locking, reads take
	// shared locks at the split leader; with commit wait, strict
	// serializability (external consistency).
	Serializable Isolation = "serializable"
	// RepeatableRead is the level Spanner added later: reads are lock-free
	// snapshot reads, and at commit the writes are checked for write-write
	// conflicts (first committer wins). Write skew commits.
	RepeatableRead Isolation = "repeatable-read"
)

// Config holds the model's parameters. Defaults live in DefaultConfig only.
type Config struct {
	// Splits is the number of Paxos groups the key space is hashed into.
	Splits int
	// LeaderRegion holds every split leader; "" is the first full region.
	LeaderRegion string
	// Isolation of read-write transactions.
	Isolation Isolation
	// StaleReads > 0 makes read-only transactions read at now − StaleReads
	// (Spanner's exact-staleness reads), served by the nearest replica
	// without waiting in practice; 0 is strong reads at TT.now().latest.
	StaleReads time.Duration

	// Cores per replica node.
	Cores int
	// CPU service times.
	ReadCPU    time.Duration // replica or leader: one point read (with its lock)
	ScanRowCPU time.Duration // each row a scan returns
	CommitCPU  time.Duration // leader: a commit or prepare request (locks, timestamp)
	LogAppend  time.Duration // replica: append and flush one Paxos record

	// GCInterval is how often the storage horizon advances, old versions
	// are swept and finished Paxos records are forgotten.
	GCInterval time.Duration
}

// DefaultConfig is the documented default model.
func DefaultConfig() Config {
	return Config{
		Splits:     8,
		Isolation:  Serializable,
		Cores:      8,
		ReadCPU:    15 * time.Microsecond,
		ScanRowCPU: 1 * time.Microsecond,
		CommitCPU:  10 * time.Microsecond,
		LogAppend:  20 * time.Microsecond,
		GCInterval: 100 * time.Millisecond,
	}
}

// Flags registers the engine's options. --isolation is shared with other
// lock-based engines, so it is added only once, with an empty default that
// means "the engine's own".
func Flags(fs *pflag.FlagSet) {
	d := DefaultConfig()
	fs.Int("splits", d.Splits, "2pc: Paxos groups (splits) the key space is hashed into")
	fs.String("leader-region", d.LeaderRegion, "2pc: region of the split leaders (default: the first full region)")
	fs.Duration("stale-reads", d.StaleReads, "2pc: read-only transactions read this far in the past at the nearest replica (0 = strong reads)")
	if fs.Lookup("isolation") == nil {
		fs.String("isolation", "", "isolation level of read-write transactions (default: the engine's; 2pc: serializable or repeatable-read)")
	}
	fs.Int("2pc-cores", d.Cores, "2pc: cores per replica node")
	fs.Duration("2pc-read-cpu", d.ReadCPU, "2pc: CPU per point read at a replica or leader")
	fs.Duration("2pc-commit-cpu", d.CommitCPU, "2pc: leader CPU per commit or prepare request")
	fs.Duration("2pc-log-append", d.LogAppend, "2pc: replica CPU to append and flush one Paxos record")
}

// ConfigFromFlags reads the options back; every problem is reported at once.
func ConfigFromFlags(fs *pflag.FlagSet) (Config, error) {
	c := DefaultConfig()
	o := engines.OptionsFrom(fs)
	o.Int("splits", &c.Splits)
	o.String("leader-region", &c.LeaderRegion)
	o.Duration("stale-reads", &c.StaleReads)
	iso := string(c.Isolation)
	o.String("isolation", &iso)
	c.Isolation = Isolation(iso)
	o.Int("2pc-cores", &c.Cores)
	o.Duration("2pc-read-cpu", &c.ReadCPU)
	o.Duration("2pc-commit-cpu", &c.CommitCPU)
	o.Duration("2pc-log-append", &c.LogAppend)
	return c, c.Validate()
}

// Validate names every field out of range. The leader region is checked
// against the topology by New.
func (c Config) Validate() error {
	var ck engines.Checks
	ck.AtLeast1("splits", c.Splits)
	ck.AtLeast1("2pc-cores", c.Cores)
	ck.NonNegative("stale-reads", c.StaleReads)
	ck.NonNegative("2pc-read-cpu", c.ReadCPU)
	ck.NonNegative("2pc-commit-cpu", c.CommitCPU)
	ck.NonNegative("2pc-log-append", c.LogAppend)
	if c.ScanRowCPU < 0 {
		ck.Addf("ScanRowCPU must not be negative, got %v", c.ScanRowCPU)
	}
	if c.GCInterval <= 0 {
		ck.Addf("GCInterval must be positive, got %v", c.GCInterval)
	}
	switch c.Isolation {
	case Serializable, RepeatableRead:
	default:
		ck.Addf("--isolation: 2pc supports %s (default) or %s, got %q", Serializable, RepeatableRead, c.Isolation)
	}
	return ck.Err()
}
