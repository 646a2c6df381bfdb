package twopc

import (
	"fmt"
	"time"

	"github.com/txbench/txbench/internal/option"
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

// LockPolicy is what a lock request that cannot be granted at once does.
type LockPolicy string

const (
	// WoundWait is Spanner's: wound younger holders, wait for older ones
	// (woundwait.go).
	WoundWait LockPolicy = "wound-wait"
	// NoWait aborts the requester at once (Deneva's NO_WAIT 2PL): no
	// waiting, so no deadlock; the retry is the runner's.
	NoWait LockPolicy = "no-wait"
)

// OneShotHome is where a one-shot transaction runs (oneshot.go).
type OneShotHome string

const (
	// HomeCoordinator: a coordinator node of the session's own, in the AZ
	// of the split leader nearest the client.
	HomeCoordinator OneShotHome = "coordinator"
	// HomeLeader: the leader of the split of the transaction's first row
	// (Deneva's home server).
	HomeLeader OneShotHome = "leader"
)

// Config holds the model's parameters. Defaults live in DefaultConfig only.
type Config struct {
	// Splits is the number of Paxos groups the key space is hashed into.
	Splits int
	// LeaderRegion holds every split leader; "" is the first full region.
	LeaderRegion string
	// Isolation of read-write transactions.
	Isolation Isolation
	// LockPolicy decides what a conflicting lock request does.
	LockPolicy LockPolicy
	// OneShotHome is where one-shot transactions run.
	OneShotHome OneShotHome
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
	// LogFlush is the latency (not CPU) of a durable Paxos log write at one
	// replica, log-normal with this median and p99 when the network has
	// jitter (exactly the median otherwise). Calibrated to Spanner OSDI'12
	// Table 3 (docs/models.md, "Calibration").
	LogFlush, LogFlushP99 time.Duration

	// LeaderLease is how long a crashed split leader keeps its lease (no
	// other replica leads before it runs out); IdleTimeout how long a
	// silent client's transaction keeps its locks. Defaults:
	// DefaultLeaderLease, DefaultIdleTimeout (failover.go, with sources).
	LeaderLease, IdleTimeout time.Duration

	// GCInterval is how often the storage horizon advances, old versions
	// are swept and finished Paxos records are forgotten.
	GCInterval time.Duration
}

// Calibrated defaults: Spanner OSDI'12 Table 3's write without commit wait
// (9.4 ms, zones under 1 ms apart) is almost all Paxos log write; the read
// cost is what remains of its read-only transaction (1.4 ms) after the
// round trip to the leader: a 4 KB read at the spanserver.
const (
	CalReadCPU     = 650 * time.Microsecond
	CalLogFlush    = 7700 * time.Microsecond
	CalLogFlushP99 = 12 * time.Millisecond
)

// DefaultConfig is the documented default model.
func DefaultConfig() Config {
	return Config{
		Splits:      8,
		Isolation:   Serializable,
		LockPolicy:  WoundWait,
		OneShotHome: HomeCoordinator,
		Cores:       8,
		ReadCPU:     CalReadCPU,
		ScanRowCPU:  1 * time.Microsecond,
		CommitCPU:   10 * time.Microsecond,
		LogAppend:   20 * time.Microsecond,
		LogFlush:    CalLogFlush,
		LogFlushP99: CalLogFlushP99,
		LeaderLease: DefaultLeaderLease,
		IdleTimeout: DefaultIdleTimeout,
		GCInterval:  100 * time.Millisecond,
	}
}

// Declare declares the engine's options, bound to c's fields. Upper
// bounds keep a run within what one machine simulates.
func (c *Config) Declare(s *option.Set) {
	s.Choice((*string)(&c.Isolation), "isolation", []string{string(Serializable), string(RepeatableRead)},
		"isolation level of read-write transactions")
	s.Choice((*string)(&c.LockPolicy), "lock-policy", []string{string(WoundWait), string(NoWait)},
		"a lock request that conflicts: wound-wait (Spanner: wound younger holders, wait for older) or no-wait (abort at once, Deneva's NO_WAIT)")
	s.Choice((*string)(&c.OneShotHome), "2pc-one-shot-home", []string{string(HomeCoordinator), string(HomeLeader)},
		"where a --one-shot transaction runs: coordinator (a node of the session's own near the leaders) or leader (the leader of its first row's split, Deneva's home server)")
	s.Int(&c.Splits, "splits", 1, 4096, "Paxos groups (splits) the key space is hashed into").WithUnit("splits")
	s.String(&c.LeaderRegion, "leader-region", nil, "region of the split leaders (default: the first full region; checked against the topology)")
	s.Duration(&c.StaleReads, "stale-reads", 0, time.Hour, "read-only transactions read this far in the past at the nearest replica (0 = strong reads)")
	s.Int(&c.Cores, "2pc-cores", 1, 1024, "cores per replica node").WithUnit("cores")
	s.Duration(&c.ReadCPU, "2pc-read-cpu", 0, time.Second, "CPU per point read at a replica or leader")
	s.Duration(&c.CommitCPU, "2pc-commit-cpu", 0, time.Second, "leader CPU per commit or prepare request")
	s.Duration(&c.LogAppend, "2pc-log-append", 0, time.Second, "replica CPU to append and flush one Paxos record")
	s.Duration(&c.LogFlush, "2pc-log-flush", 0, time.Second, "median latency of a durable Paxos log write at one replica")
	s.Duration(&c.LogFlushP99, "2pc-log-flush-p99", 0, time.Second, "p99 of that latency (log-normal; used with --jitter)")
	s.Duration(&c.LeaderLease, "2pc-leader-lease", 10*time.Millisecond, time.Hour,
		"a crashed split leader's lease: its split elects a new leader only after this long (Spanner OSDI'12 §4.1.1: 10s)")
	s.Duration(&c.IdleTimeout, "2pc-idle-timeout", 10*time.Millisecond, time.Hour,
		"a silent client's open transaction is aborted (idle(ABORTED)) after this long (Spanner: 10s)")
	s.Rule(func() error {
		if c.ScanRowCPU < 0 || c.GCInterval <= 0 {
			return fmt.Errorf("2pc: ScanRowCPU must not be negative (%v) and GCInterval must be positive (%v)", c.ScanRowCPU, c.GCInterval)
		}
		return nil
	})
}

// Validate names every field out of range (the declared bounds). The
// leader region is checked against the topology when the engine is built.
func (c Config) Validate() error {
	s := option.NewSet("engine 2pc")
	c.Declare(s)
	return s.Check()
}
