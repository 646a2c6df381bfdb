package occ

import (
	"time"

	"github.com/txbench/txbench/internal/option"
)

// Config holds the model's parameters. Defaults live in DefaultConfig only.
type Config struct {
	// Adjudicators partition the key space by the hash of the shard key.
	Adjudicators int
	// StorageNodes per AZ holding data; each holds a hash share of the keys.
	StorageNodes int
	// Cores per adjudicator, storage and journal node (a QP has one core per
	// session, like DSQL's per-session query processor).
	Cores int

	// CPU service times.
	StatementCPU  time.Duration // QP: parse, plan, execute one statement
	ReadCPU       time.Duration // storage: one point read
	ScanRowCPU    time.Duration // storage: each row a scan returns
	ValidateCPU   time.Duration // adjudicator: per commit
	ValidateKey   time.Duration // adjudicator: per key checked
	JournalAppend time.Duration // journal replica: append and flush one record
	WriteCPU      time.Duration // QP: per row an UPDATE/INSERT/DELETE writes (tuple, index keys)
	CommitCPU     time.Duration // QP: a read-write COMMIT's own work before the adjudicator is asked
	// JournalFlush is the latency (not CPU) of making a record durable at
	// one journal replica, log-normal with this median and p99 when the
	// network has jitter (exactly the median otherwise).
	JournalFlush, JournalFlushP99 time.Duration

	// DSQL's per-transaction limits (SQLSTATE 54000).
	MaxRows     int
	MaxBytes    int
	MaxDuration time.Duration

	// AdjudicatorFailover is how long an adjudicator's node is down before
	// another node takes its key ranges over; QPLost how long the
	// adjudicators hold a silent QP's two-phase round. Defaults:
	// DefaultAdjudicatorFailover, DefaultQPLost (failover.go).
	AdjudicatorFailover, QPLost time.Duration

	// GCInterval is how often the storage horizon advances and the sweeper
	// and adjudicator state are trimmed.
	GCInterval time.Duration
}

// Calibrated defaults (docs/models.md, "Calibration"): fitted so that
// bench validate's DSQL set-ups reproduce Fig. 6 of the DSQL paper.
const (
	CalWriteCPU        = 1900 * time.Microsecond
	CalCommitCPU       = 4700 * time.Microsecond
	CalJournalFlush    = 0
	CalJournalFlushP99 = 0
)

// DefaultConfig is the documented default model.
func DefaultConfig() Config {
	return Config{
		Adjudicators:  3,
		StorageNodes:  2,
		Cores:         8,
		StatementCPU:  30 * time.Microsecond,
		ReadCPU:       15 * time.Microsecond,
		ScanRowCPU:    1 * time.Microsecond,
		ValidateCPU:   10 * time.Microsecond,
		ValidateKey:   1 * time.Microsecond,
		JournalAppend: 20 * time.Microsecond,
		// Calibrated to Aurora DSQL's Fig. 6 (docs/models.md, "Calibration").
		WriteCPU:        CalWriteCPU,
		CommitCPU:       CalCommitCPU,
		JournalFlush:    CalJournalFlush,
		JournalFlushP99: CalJournalFlushP99,
		MaxRows:         3000,
		MaxBytes:        10 << 20,
		MaxDuration:     5 * time.Minute,
		// Assumptions: DSQL publishes neither (docs/models.md).
		AdjudicatorFailover: DefaultAdjudicatorFailover,
		QPLost:              DefaultQPLost,
		GCInterval:          100 * time.Millisecond,
	}
}

// Declare declares the engine's options, bound to c's fields, prefixed
// "occ-" where the name would be ambiguous across engines. Upper bounds
// keep a run within what one machine simulates (every node is simulated
// in this process).
func (c *Config) Declare(s *option.Set) {
	// occ runs one level; declaring it lets --isolation name it (and the
	// results record it) like the engines that have a choice.
	iso := "repeatable-read"
	s.Choice(&iso, "isolation", []string{"repeatable-read", "snapshot"},
		"isolation level: strong snapshot isolation only (PostgreSQL's repeatable read)")
	s.Int(&c.Adjudicators, "adjudicators", 1, 256, "adjudicators (key-space partitions for write-write validation)").WithUnit("nodes")
	s.Int(&c.StorageNodes, "occ-storage-nodes", 1, 256, "storage nodes per AZ").WithUnit("nodes")
	s.Int(&c.Cores, "occ-cores", 1, 1024, "cores per adjudicator, storage and journal node").WithUnit("cores")
	s.Duration(&c.StatementCPU, "occ-statement-cpu", 0, time.Second, "query-processor CPU per statement")
	s.Duration(&c.ReadCPU, "occ-read-cpu", 0, time.Second, "storage CPU per point read")
	s.Duration(&c.ValidateCPU, "occ-validate-cpu", 0, time.Second, "adjudicator CPU per commit")
	s.Duration(&c.JournalAppend, "occ-journal-append", 0, time.Second, "journal CPU to append and flush one commit record")
	s.Duration(&c.WriteCPU, "occ-write-cpu", 0, time.Second, "query-processor CPU per row an UPDATE, INSERT or DELETE writes")
	s.Duration(&c.CommitCPU, "occ-commit-cpu", 0, time.Second, "query-processor CPU of a read-write COMMIT before it goes to the adjudicators")
	s.Duration(&c.JournalFlush, "occ-journal-flush", 0, time.Second, "median latency to make a commit record durable at one journal replica")
	s.Duration(&c.JournalFlushP99, "occ-journal-flush-p99", 0, time.Second, "p99 of that latency (log-normal; used with --jitter)")
	s.Int(&c.MaxRows, "occ-max-rows", 1, 1<<30, "rows a transaction may modify (DSQL: 3000)").WithUnit("rows")
	s.Int(&c.MaxBytes, "occ-max-bytes", 1, 1<<30, "bytes a transaction may modify (DSQL: 10 MiB)").WithUnit("bytes")
	s.Duration(&c.MaxDuration, "occ-max-duration", time.Millisecond, 24*time.Hour, "longest transaction (DSQL: 5 min)")
	s.Duration(&c.AdjudicatorFailover, "occ-adjudicator-failover", 10*time.Millisecond, time.Hour,
		"an adjudicator down this long moves to a node in the nearest live AZ (DSQL publishes no figure; 5s is an assumption)")
	s.Duration(&c.QPLost, "occ-qp-lost", 10*time.Millisecond, time.Hour,
		"a two-phase commit round whose query processor is down this long is abandoned, its keys released (qp-lost; an assumption)")
}

// Validate names every field out of range (the declared bounds).
func (c Config) Validate() error {
	s := option.NewSet("engine occ")
	c.Declare(s)
	return s.Check()
}
