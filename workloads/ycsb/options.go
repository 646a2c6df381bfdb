package ycsb

import (
	"errors"
	"fmt"

	"github.com/txbench/txbench/internal/option"
)

// Request distributions (--distribution).
const (
	// DistZipfian is a plain zipfian over key numbers: key 0 is the most
	// popular, and popular keys are adjacent in --insert-order ordered. It
	// follows a growing key space (ζ extended incrementally).
	DistZipfian = "zipfian"
	// DistScrambledZipfian is YCSB's requestdistribution=zipfian: the
	// zipfian item is hashed over the key numbers (ScrambledZipfian).
	DistScrambledZipfian = "scrambled-zipfian"
	// DistUniform is uniform over the loaded keys.
	DistUniform = "uniform"
	// DistLatest favours the newest inserted keys (SkewedLatest).
	DistLatest = "latest"
	// DistHotspot sends --hotspot-op-frac of the requests to the first
	// --hotspot-data-frac of the loaded keys.
	DistHotspot = "hotspot"
)

var distributions = []string{DistZipfian, DistScrambledZipfian, DistUniform, DistLatest, DistHotspot}

// Insert orders (--insert-order).
const (
	// InsertHashed names key number n "user" + FNVHash64(n) in decimal,
	// YCSB's default insertorder=hashed: consecutive key numbers land far
	// apart in key order.
	InsertHashed = "hashed"
	// InsertOrdered names key number n "user" + n zero-padded to 19 digits,
	// so key order is number order (YCSB's insertorder=ordered with
	// zeropadding). 19 digits also makes the keys as long as most hashed
	// ones.
	InsertOrdered = "ordered"
)

// Options are the workload's parameters; each field is one flag.
type Options struct {
	Records         int64   // --records
	FieldCount      int     // --field-count
	FieldLength     int     // --field-length
	Distribution    string  // --distribution; "" = the workload's own
	ZipfConstant    float64 // --zipf-constant (ycsb-a..f)
	HotspotDataFrac float64 // --hotspot-data-frac
	HotspotOpFrac   float64 // --hotspot-op-frac
	InsertOrder     string  // --insert-order
	MaxScanLength   int     // --max-scan-length (ycsb-e)
	OpsPerTxn       int     // --ops-per-txn (ycsb)
	WriteFrac       float64 // --write-frac (ycsb)
	Theta           float64 // --theta (ycsb)
	// Partitions > 0 adds an integer shard-key column, PartColumn = key
	// number mod Partitions, so engines place rows by logical partition.
	Partitions int // --partitions
	// PartitionsPerTxn > 0 draws the keys of a ycsb transaction from
	// exactly that many distinct partitions.
	PartitionsPerTxn int // --partitions-per-txn (ycsb)
	// ImplicitRows leaves the rows unloaded: engines answer a read of a
	// row nobody wrote with the row the seed gives it (implicit.go).
	ImplicitRows bool // --implicit-rows
}

// DefaultOptions returns the flag defaults.
func DefaultOptions() Options {
	return Options{
		Records:         100000,
		FieldCount:      10,
		FieldLength:     100,
		ZipfConstant:    DefaultZipfianConstant,
		HotspotDataFrac: 0.2,
		HotspotOpFrac:   0.8,
		InsertOrder:     InsertHashed,
		MaxScanLength:   100,
		OpsPerTxn:       10,
		WriteFrac:       0.5,
		Theta:           0.6,
	}
}

// Upper bounds: sizes beyond these would not fit one machine's memory in
// the simulator (the runner also estimates a load's memory up front).
const (
	maxRecords     = 1 << 30
	maxFieldCount  = 1000
	maxFieldLength = 1 << 20
	maxOpsPerTxn   = 10000
	maxScanLength  = 1 << 20
	maxPartitions  = 1 << 20
)

// Declare declares the options the named workload uses (ycsb, ycsb-a ..
// ycsb-f), bound to o's fields. An empty Distribution becomes the
// workload's own, so the results record the one that ran.
func (o *Options) Declare(s *option.Set, spec *spec) {
	if o.Distribution == "" {
		o.Distribution = spec.dist
	}
	s.Int64(&o.Records, "records", 1, maxRecords, "rows loaded into usertable (YCSB's recordcount; its workload files use 1000, txbench defaults to 100000)").
		WithUnit("rows").ChangesData()
	s.Int(&o.FieldCount, "field-count", 1, maxFieldCount, "value columns field0..fieldN-1 per row (YCSB's fieldcount)").
		WithUnit("columns").ChangesData()
	s.Int(&o.FieldLength, "field-length", 1, maxFieldLength, "bytes per field value (YCSB's fieldlength)").
		WithUnit("bytes").ChangesData()
	s.Choice(&o.InsertOrder, "insert-order", []string{InsertHashed, InsertOrdered},
		"key naming: hashed (YCSB's default: user<fnv64(n)>) or ordered (user<n zero-padded>)").ChangesData()
	s.Int(&o.Partitions, "partitions", 0, maxPartitions, "logical partitions (0 = none): adds an integer shard-key column "+PartColumn+
		" = key number mod partitions, primary key ("+PartColumn+", "+KeyColumn+"); set it to the engine's shard count to place one partition per shard").
		ChangesData()
	s.Bool(&o.ImplicitRows, "implicit-rows", "rows exist without being loaded: an engine reads an unwritten row as a function of its key and the seed, "+
		"so --records can be far larger than memory (needs --insert-order ordered; simulated engines only; no scans)").ChangesData()
	s.Choice(&o.Distribution, "distribution", distributions, "request distribution (default per workload: scrambled-zipfian for ycsb-a/b/c/e/f, "+
		"what YCSB's requestdistribution=zipfian is; latest for ycsb-d; zipfian for ycsb)")
	s.Float(&o.HotspotDataFrac, "hotspot-data-frac", 0, 1, "with --distribution hotspot, the fraction of keys that are hot")
	s.Float(&o.HotspotOpFrac, "hotspot-op-frac", 0, 1, "with --distribution hotspot, the fraction of requests that go to hot keys")
	if spec.transactional {
		s.Float(&o.Theta, "theta", 0, 1, "zipfian constant of the key distribution (0 = uniform)").Below().StandsFor("zipf-constant")
		s.Float(&o.WriteFrac, "write-frac", 0, 1, "probability that an operation is a read-modify-write rather than a read")
		s.Int(&o.OpsPerTxn, "ops-per-txn", 1, maxOpsPerTxn, "operations (on distinct keys) per transaction").WithUnit("operations")
		s.Int(&o.PartitionsPerTxn, "partitions-per-txn", 0, maxPartitions,
			"draw each transaction's keys from exactly this many distinct partitions (0 = anywhere; needs --partitions)").WithUnit("partitions")
	} else {
		s.Float(&o.ZipfConstant, "zipf-constant", 0, 1, "zipfian constant of the zipfian, scrambled-zipfian and latest distributions").Below().StandsFor("theta")
		if spec.scan > 0 {
			s.Int(&o.MaxScanLength, "max-scan-length", 1, maxScanLength, "scans read a uniform 1..max-scan-length rows").WithUnit("rows")
		}
	}
	s.Rule(func() error {
		var errs []error
		bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
		if spec.transactional && int64(o.OpsPerTxn) > o.Records {
			bad("--ops-per-txn must be at most --records=%d (keys are distinct), got %d", o.Records, o.OpsPerTxn)
		}
		o.validatePartitions(spec, bad)
		if o.ImplicitRows {
			if o.InsertOrder != InsertOrdered {
				bad("--implicit-rows needs --insert-order %s (an implicit row is found by the key number its name spells)", InsertOrdered)
			}
			if spec.scan > 0 {
				bad("--implicit-rows: %s scans, and scans see only the rows written during the run", spec.name)
			}
		}
		return errors.Join(errs...)
	})
}

// Validate checks the options the named workload uses (ycsb, ycsb-a ..
// ycsb-f) against their declarations and returns every problem, each
// naming its option.
func (o Options) Validate(workload string) error {
	spec, err := lookupSpec(workload)
	if err != nil {
		return err
	}
	s := option.NewSet("workload " + workload)
	o.Declare(s, spec)
	return s.Check()
}

// validatePartitions checks --partitions and --partitions-per-txn: each of
// a transaction's partitions must hold as many keys as the operations it
// gets (keys are distinct).
func (o Options) validatePartitions(spec *spec, bad func(format string, args ...any)) {
	p, k := o.Partitions, o.PartitionsPerTxn
	if p < 0 {
		bad("--partitions must be at least 0, got %d", p)
	} else if o.Records >= 1 && int64(p) > o.Records {
		bad("--partitions must be at most --records=%d, got %d", o.Records, p)
	}
	switch {
	case k < 0:
		bad("--partitions-per-txn must be at least 0, got %d", k)
	case k == 0:
	case p == 0:
		bad("--partitions-per-txn needs --partitions (the number of logical partitions, e.g. the engine's shard count)")
	case k > p:
		bad("--partitions-per-txn must be at most --partitions=%d, got %d", p, k)
	case !spec.transactional && k > 1:
		bad("--partitions-per-txn applies to ycsb (the transactional variant); %s transactions have one operation, got %d", spec.name, k)
	case spec.transactional && k > o.OpsPerTxn:
		bad("--partitions-per-txn must be at most --ops-per-txn=%d (each partition gets an operation), got %d", o.OpsPerTxn, k)
	case spec.transactional && o.Records >= 1 && o.Records/int64(p) < int64((o.OpsPerTxn+k-1)/k):
		bad("--partitions-per-txn %d: --records=%d gives %d keys per partition, fewer than the %d distinct keys a transaction draws from one partition",
			k, o.Records, o.Records/int64(p), (o.OpsPerTxn+k-1)/k)
	}
}
