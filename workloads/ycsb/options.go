package ycsb

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
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

// Limits on sizes, to catch typos rather than to model anything.
const (
	maxFieldCount  = 1000
	maxFieldLength = 1 << 20
)

// RegisterFlags adds the ycsb options to fs; a flag another workload already
// added under the same name is reused.
func RegisterFlags(fs *pflag.FlagSet) {
	d := DefaultOptions()
	add := func(name string, f func()) {
		if fs.Lookup(name) == nil {
			f()
		}
	}
	add("records", func() {
		fs.Int64("records", d.Records, "ycsb*: rows loaded into usertable (YCSB's recordcount; its workload files use 1000, txbench defaults to 100000 for all ycsb workloads)")
	})
	add("field-count", func() {
		fs.Int("field-count", d.FieldCount, "ycsb*: value columns field0..fieldN-1 per row (YCSB's fieldcount)")
	})
	add("field-length", func() {
		fs.Int("field-length", d.FieldLength, "ycsb*: bytes per field value (YCSB's fieldlength)")
	})
	add("distribution", func() {
		fs.String("distribution", "", "ycsb*: request distribution, one of "+strings.Join(distributions, "|")+
			"; default per workload: scrambled-zipfian for ycsb-a/b/c/e/f (what YCSB's requestdistribution=zipfian is), latest for ycsb-d, zipfian for ycsb")
	})
	add("zipf-constant", func() {
		fs.Float64("zipf-constant", d.ZipfConstant, "ycsb-a..f: zipfian constant of the zipfian, scrambled-zipfian and latest distributions, in [0,1)")
	})
	add("hotspot-data-frac", func() {
		fs.Float64("hotspot-data-frac", d.HotspotDataFrac, "ycsb*: with --distribution hotspot, the fraction of keys that are hot")
	})
	add("hotspot-op-frac", func() {
		fs.Float64("hotspot-op-frac", d.HotspotOpFrac, "ycsb*: with --distribution hotspot, the fraction of requests that go to hot keys")
	})
	add("insert-order", func() {
		fs.String("insert-order", d.InsertOrder, "ycsb*: key naming, hashed (YCSB's default: user<fnv64(n)>) or ordered (user<n zero-padded>)")
	})
	add("max-scan-length", func() {
		fs.Int("max-scan-length", d.MaxScanLength, "ycsb-e: scans read a uniform 1..max-scan-length rows")
	})
	add("ops-per-txn", func() {
		fs.Int("ops-per-txn", d.OpsPerTxn, "ycsb: operations (on distinct keys) per transaction")
	})
	add("write-frac", func() {
		fs.Float64("write-frac", d.WriteFrac, "ycsb: probability that an operation is a read-modify-write rather than a read, in [0,1]")
	})
	add("theta", func() {
		fs.Float64("theta", d.Theta, "ycsb: zipfian constant of the key distribution, in [0,1) (0 = uniform)")
	})
	add("partitions", func() {
		fs.Int("partitions", d.Partitions, "ycsb*: logical partitions (0 = none): adds an integer shard-key column "+PartColumn+
			" = key number mod partitions, primary key ("+PartColumn+", "+KeyColumn+"); set it to the engine's shard count to place one partition per shard")
	})
	add("partitions-per-txn", func() {
		fs.Int("partitions-per-txn", d.PartitionsPerTxn, "ycsb: draw each transaction's keys from exactly this many distinct partitions (0 = anywhere; needs --partitions)")
	})
}

// OptionsFromFlags reads the options from a parsed flag set; flags that are
// not in fs keep their defaults. Values are parsed from their string form,
// so a shared flag registered with another numeric type still works.
func OptionsFromFlags(fs *pflag.FlagSet) (Options, error) {
	o := DefaultOptions()
	var errs []error
	str := func(name string, dst *string) {
		if f := fs.Lookup(name); f != nil {
			*dst = f.Value.String()
		}
	}
	i64 := func(name string, dst *int64) {
		if f := fs.Lookup(name); f != nil {
			v, err := strconv.ParseInt(f.Value.String(), 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("--%s must be an integer, got %q", name, f.Value.String()))
				return
			}
			*dst = v
		}
	}
	integer := func(name string, dst *int) {
		v := int64(*dst)
		i64(name, &v)
		if v > math.MaxInt32 || v < math.MinInt32 {
			errs = append(errs, fmt.Errorf("--%s is out of range, got %d", name, v))
			return
		}
		*dst = int(v)
	}
	float := func(name string, dst *float64) {
		if f := fs.Lookup(name); f != nil {
			v, err := strconv.ParseFloat(f.Value.String(), 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("--%s must be a number, got %q", name, f.Value.String()))
				return
			}
			*dst = v
		}
	}
	i64("records", &o.Records)
	integer("field-count", &o.FieldCount)
	integer("field-length", &o.FieldLength)
	str("distribution", &o.Distribution)
	float("zipf-constant", &o.ZipfConstant)
	float("hotspot-data-frac", &o.HotspotDataFrac)
	float("hotspot-op-frac", &o.HotspotOpFrac)
	str("insert-order", &o.InsertOrder)
	integer("max-scan-length", &o.MaxScanLength)
	integer("ops-per-txn", &o.OpsPerTxn)
	float("write-frac", &o.WriteFrac)
	float("theta", &o.Theta)
	integer("partitions", &o.Partitions)
	integer("partitions-per-txn", &o.PartitionsPerTxn)
	return o, errors.Join(errs...)
}

// Validate checks the options the named workload uses (ycsb, ycsb-a ..
// ycsb-f) and returns every problem, each naming its flag.
func (o Options) Validate(workload string) error {
	spec, err := lookupSpec(workload)
	if err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	unit := func(name string, v float64) { // [0,1]; also rejects NaN
		if !(v >= 0 && v <= 1) {
			bad("--%s must be in [0,1], got %v", name, v)
		}
	}
	halfOpen := func(name string, v float64) { // [0,1)
		if !(v >= 0 && v < 1) {
			bad("--%s must be in [0,1), got %v", name, v)
		}
	}
	if o.Records < 1 {
		bad("--records must be at least 1, got %d", o.Records)
	}
	if o.FieldCount < 1 || o.FieldCount > maxFieldCount {
		bad("--field-count must be in [1,%d], got %d", maxFieldCount, o.FieldCount)
	}
	if o.FieldLength < 1 || o.FieldLength > maxFieldLength {
		bad("--field-length must be in [1,%d], got %d", maxFieldLength, o.FieldLength)
	}
	if o.Distribution != "" && !contains(distributions, o.Distribution) {
		bad("--distribution must be one of %s, got %q", strings.Join(distributions, "|"), o.Distribution)
	}
	unit("hotspot-data-frac", o.HotspotDataFrac)
	unit("hotspot-op-frac", o.HotspotOpFrac)
	if o.InsertOrder != InsertHashed && o.InsertOrder != InsertOrdered {
		bad("--insert-order must be %s or %s, got %q", InsertHashed, InsertOrdered, o.InsertOrder)
	}
	o.validatePartitions(spec, bad)
	if spec.transactional {
		halfOpen("theta", o.Theta)
		unit("write-frac", o.WriteFrac)
		if o.OpsPerTxn < 1 || (o.Records >= 1 && int64(o.OpsPerTxn) > o.Records) {
			bad("--ops-per-txn must be in [1,--records=%d] (keys are distinct), got %d", o.Records, o.OpsPerTxn)
		}
	} else {
		halfOpen("zipf-constant", o.ZipfConstant)
		if spec.scan > 0 && o.MaxScanLength < 1 {
			bad("--max-scan-length must be at least 1, got %d", o.MaxScanLength)
		}
	}
	return errors.Join(errs...)
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
