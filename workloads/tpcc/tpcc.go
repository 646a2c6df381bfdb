package tpcc

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads"
)

func init() {
	workloads.Register(&workloads.Meta{
		Name:        "tpcc",
		Aliases:     []string{"tpc-c"},
		Description: "TPC-C: the nine tables, the five transactions in the standard 45/43/4/4/4 mix, tpmC and the consistency conditions (bench check)",
		Configure: func(s *option.Set) workloads.Builder {
			o := DefaultOptions()
			o.Declare(s)
			return func(seed uint64) (workloads.Workload, error) { return New(o, seed) }
		},
	})
}

// Independent random streams derived from the seed.
const (
	streamPools     uint64 = 0x7bcc_0000_0000_0001
	streamConstants uint64 = 0x7bcc_0000_0000_0002
	streamLoad      uint64 = 0x7bcc_0000_0000_0100 // + table and warehouse, see loader
)

// Epoch is the load's "current date and time" (C_SINCE, O_ENTRY_D,
// H_DATE): fixed, so that the population is a function of the seed.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Workload is a configured TPC-C. It implements workloads.Workload,
// workloads.Reporter and workloads.Checker. After New it is read-only, so
// clients may run concurrently (the wall-time runner uses goroutines).
type Workload struct {
	opts   Options
	seed   uint64
	mix    Mix
	size   sizes
	c      Constants
	pools  *pools
	schema *engines.Schema
	t      tables
	// part of parts: this process's share of the warehouses (--partition).
	part, parts int
}

// SetPartition implements workloads.Partitioned: partition i of n loads
// warehouses w with (w-1) mod n = i (partition 0 also the item and NURand
// tables every warehouse shares), and its clients — those with id ≡ i
// mod n — have home warehouses among them (home = id mod W + 1), which is
// why W must be a multiple of n. Remote warehouses (1% of order lines, 15%
// of payments) stay any warehouse, as the spec wants.
func (w *Workload) SetPartition(i, n int) error {
	if n < 1 || i < 0 || i >= n {
		return fmt.Errorf("partition %d of %d", i, n)
	}
	if w.opts.Warehouses%n != 0 {
		return fmt.Errorf("--warehouses (%d) must be a multiple of the number of partitions (%d), so each process's terminals stay on its own warehouses", w.opts.Warehouses, n)
	}
	w.part, w.parts = i, n
	return nil
}

// owns reports whether this process loads warehouse wh.
func (w *Workload) owns(wh int64) bool {
	return w.parts <= 1 || int((wh-1)%int64(w.parts)) == w.part
}

// New validates the options and prepares the workload; nothing is loaded.
func New(o Options, seed uint64) (*Workload, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	mix, _ := ParseMix(o.Mix)
	w := &Workload{
		opts:  o,
		seed:  seed,
		mix:   mix,
		size:  sizesFor(o.Scale),
		c:     NewConstants(rand.New(rand.NewPCG(seed, streamConstants))),
		pools: newPools(rand.New(rand.NewPCG(seed, streamPools))),
	}
	w.schema, w.t = newSchema()
	return w, nil
}

// Options returns the workload's options.
func (w *Workload) Options() Options { return w.opts }

// Constants returns the NURand constants of the load and the run.
func (w *Workload) Constants() Constants { return w.c }

func (w *Workload) Schema() *engines.Schema { return w.schema }

func (w *Workload) TxnTypes() []string { return append([]string(nil), txnTypes...) }

// NewClient returns terminal id. Terminals are spread over the warehouses
// round robin (client i's home warehouse is i mod W + 1) and, within a
// warehouse, over the districts for Stock-Level, which the spec fixes per
// terminal (clause 2.8.1.1).
func (w *Workload) NewClient(id int, rng *rand.Rand) workloads.Client {
	W := int64(w.opts.Warehouses)
	c := &client{
		w:          w,
		rng:        rng,
		id:         int64(id),
		home:       int64(id)%W + 1,
		slDistrict: (int64(id)/W)%districts + 1,
	}
	for i, n := range w.mix {
		for range n {
			c.deck = append(c.deck, i)
		}
	}
	c.pos = len(c.deck) // shuffle before the first draw
	return c
}

// Notes says what a reader of the results must know to compare them: the
// warehouses, whether wait times were on, and anything non-compliant.
func (w *Workload) Notes() []string {
	wait := "keying/think times off (--wait=false)"
	if w.opts.Wait {
		wait = "keying/think times on"
	}
	whs := "1 warehouse"
	if w.opts.Warehouses != 1 {
		whs = fmt.Sprintf("%d warehouses", w.opts.Warehouses)
	}
	notes := []string{fmt.Sprintf("tpcc: %s, %s", whs, wait)}
	if w.opts.Scale != 1 {
		notes = append(notes, fmt.Sprintf("tpcc: non-compliant: --scale %v (%d items, %d customers per district)",
			w.opts.Scale, w.size.items, w.size.customers))
	}
	if !w.mix.compliant() {
		notes = append(notes, fmt.Sprintf("tpcc: non-compliant: --mix %s is below the spec's minimum percentages", w.mix))
	}
	return notes
}

// maxTpmCPerWarehouse is the highest tpmC a warehouse can reach with the
// spec's keying and think times (clause 5.4: 12.86 tpmC per warehouse).
const maxTpmCPerWarehouse = 12.86

// Metrics computes tpmC, tpmTotal and the efficiency.
//
// tpmC counts New-Orders that completed, per measured minute. A New-Order
// rolled back on purpose (the 1% with an unused item, clause 2.4.2.3) is a
// completed business transaction and counts, as in the spec's throughput;
// any other New-Order that did not commit (gave up after conflicts) does
// not. tpmTotal counts every completed transaction the same way.
// Efficiency is tpmC / (12.86 × warehouses), given only when the run kept
// the spec's keying and think times (--wait): without them it is not
// bounded by 100% and means nothing ("efficiency 77356%").
func (w *Workload) Metrics(byType map[string]workloads.TypeCounts, measured time.Duration) []workloads.Metric {
	minutes := measured.Minutes()
	completed := func(c workloads.TypeCounts) float64 {
		return float64(c.Committed + c.Aborts[string(engines.ReasonUser)])
	}
	per := func(x float64) float64 {
		if minutes <= 0 {
			return 0
		}
		return x / minutes
	}
	no := byType[TypeNewOrder]
	var total float64
	for _, t := range txnTypes {
		total += completed(byType[t])
	}
	tpmC := per(completed(no))
	rollbacks := 0.0
	if n := completed(no); n > 0 {
		rollbacks = 100 * float64(no.Aborts[string(engines.ReasonUser)]) / n
	}
	out := []workloads.Metric{
		{Name: "tpmC", Value: tpmC, Unit: "txn/min"},
		{Name: "tpmTotal", Value: per(total), Unit: "txn/min"},
	}
	if w.opts.Wait {
		out = append(out, workloads.Metric{Name: "efficiency", Value: 100 * tpmC / (maxTpmCPerWarehouse * float64(w.opts.Warehouses)), Unit: "%"})
	}
	return append(out, workloads.Metric{Name: "new_order_rollbacks", Value: rollbacks, Unit: "%"})
}

// bytesPerWarehouse is the simulator's memory per warehouse at --scale 1,
// measured (docs/models.md: 63.1 MiB live after the load); stock and
// customers, which dominate it, shrink with the scale.
const bytesPerWarehouse = 64 << 20

// LoadBytes implements workloads.Sized.
func (w *Workload) LoadBytes() (int64, string) {
	return int64(float64(w.opts.Warehouses) * w.opts.Scale * bytesPerWarehouse), fmt.Sprintf("--warehouses %d", w.opts.Warehouses)
}
