package occ

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
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

	// DSQL's per-transaction limits (SQLSTATE 54000).
	MaxRows     int
	MaxBytes    int
	MaxDuration time.Duration

	// GCInterval is how often the storage horizon advances and the sweeper
	// and adjudicator state are trimmed.
	GCInterval time.Duration
}

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
		MaxRows:       3000,
		MaxBytes:      10 << 20,
		MaxDuration:   5 * time.Minute,
		GCInterval:    100 * time.Millisecond,
	}
}

// Flags registers the engine's options, prefixed "occ-" where the name
// would be ambiguous across engines.
func Flags(fs *pflag.FlagSet) {
	d := DefaultConfig()
	fs.Int("adjudicators", d.Adjudicators, "occ: adjudicators (key-space partitions for write-write validation)")
	fs.Int("occ-storage-nodes", d.StorageNodes, "occ: storage nodes per AZ")
	fs.Int("occ-cores", d.Cores, "occ: cores per adjudicator, storage and journal node")
	fs.Duration("occ-statement-cpu", d.StatementCPU, "occ: query-processor CPU per statement")
	fs.Duration("occ-read-cpu", d.ReadCPU, "occ: storage CPU per point read")
	fs.Duration("occ-validate-cpu", d.ValidateCPU, "occ: adjudicator CPU per commit")
	fs.Duration("occ-journal-append", d.JournalAppend, "occ: journal CPU to append and flush one commit record")
	fs.Int("occ-max-rows", d.MaxRows, "occ: rows a transaction may modify (DSQL: 3000)")
	fs.Int("occ-max-bytes", d.MaxBytes, "occ: bytes a transaction may modify (DSQL: 10 MiB)")
	fs.Duration("occ-max-duration", d.MaxDuration, "occ: longest transaction (DSQL: 5 min)")
}

// ConfigFromFlags reads the options back; every problem is reported at once.
func ConfigFromFlags(fs *pflag.FlagSet) (Config, error) {
	c := DefaultConfig()
	o := engines.OptionsFrom(fs)
	o.Int("adjudicators", &c.Adjudicators)
	o.Int("occ-storage-nodes", &c.StorageNodes)
	o.Int("occ-cores", &c.Cores)
	o.Duration("occ-statement-cpu", &c.StatementCPU)
	o.Duration("occ-read-cpu", &c.ReadCPU)
	o.Duration("occ-validate-cpu", &c.ValidateCPU)
	o.Duration("occ-journal-append", &c.JournalAppend)
	o.Int("occ-max-rows", &c.MaxRows)
	o.Int("occ-max-bytes", &c.MaxBytes)
	o.Duration("occ-max-duration", &c.MaxDuration)
	var ck engines.Checks
	iso := ""
	o.String("isolation", &iso)
	if iso != "" && iso != "repeatable-read" && iso != "snapshot" {
		ck.Addf("--isolation: occ runs snapshot isolation only (repeatable-read), got %q", iso)
	}
	return c, errors.Join(ck.Err(), c.Validate())
}

// Validate names every field out of range.
func (c Config) Validate() error {
	var ck engines.Checks
	ck.AtLeast1("adjudicators", c.Adjudicators)
	ck.AtLeast1("occ-storage-nodes", c.StorageNodes)
	ck.AtLeast1("occ-cores", c.Cores)
	ck.AtLeast1("occ-max-rows", c.MaxRows)
	ck.AtLeast1("occ-max-bytes", c.MaxBytes)
	ck.NonNegative("occ-statement-cpu", c.StatementCPU)
	ck.NonNegative("occ-read-cpu", c.ReadCPU)
	ck.NonNegative("occ-validate-cpu", c.ValidateCPU)
	ck.NonNegative("occ-journal-append", c.JournalAppend)
	ck.Positive("occ-max-duration", c.MaxDuration)
	return ck.Err()
}
