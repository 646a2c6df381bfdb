// Package isokit is what the isolation-checking workloads (append and
// register) share: their options, a key space whose keys are retired after
// a number of writes (as Elle does, so lists stay short and fresh keys
// keep revealing the order of their first writes), unique values, and the
// drawing of a transaction's operations.
package isokit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads/ycsb"
)

// Options configure both workloads.
type Options struct {
	Keys      int     // live keys at any time
	TxnOps    int     // operations per transaction
	ReadFrac  float64 // probability that an operation is a read
	Dist      string  // uniform | zipfian | hotkey
	Theta     float64 // zipfian constant
	HotFrac   float64 // hotkey: probability that an operation is on the hot key
	MaxWrites int     // writes to a key before it is retired for a fresh one
	Pool      int     // rows loaded: keys ever used
}

// Dists are the key distributions.
var Dists = []string{"uniform", "zipfian", "hotkey"}

// DefaultOptions are the documented defaults.
func DefaultOptions() Options {
	return Options{Keys: 8, TxnOps: 4, ReadFrac: 0.5, Dist: "uniform", Theta: 0.99, HotFrac: 0.5, MaxWrites: 32, Pool: 50000}
}

// Declare declares the options (both workloads declare the same ones).
func (o *Options) Declare(s *option.Set) {
	s.Int(&o.Keys, "keys", 1, 1_000_000, "live keys (fewer keys, more conflicts and anomalies)").WithUnit("keys")
	s.Int(&o.TxnOps, "txn-ops", 1, 1000, "operations per transaction")
	s.Float(&o.ReadFrac, "read-frac", 0, 1, "probability that an operation is a read")
	s.Choice(&o.Dist, "key-dist", Dists, "key distribution (hotkey: --hot-frac of operations on one key)")
	s.Float(&o.Theta, "key-theta", 0.01, 1, "zipfian constant of --key-dist zipfian").Below()
	s.Float(&o.HotFrac, "hot-frac", 0, 1, "with --key-dist hotkey, the probability that an operation is on the hot key")
	s.Int(&o.MaxWrites, "max-writes-per-key", 1, 1<<30, "writes to a key before it is retired for a fresh one (keeps lists short)")
	s.Int(&o.Pool, "key-pool", 1, 10_000_000, "rows loaded, i.e. keys ever used; once they are used up the last keys stay live").WithUnit("rows").ChangesData()
	s.Rule(func() error {
		if o.Pool < o.Keys {
			return fmt.Errorf("--key-pool (%d) must be at least --keys (%d)", o.Pool, o.Keys)
		}
		return nil
	})
}

// Keyspace hands out keys: slot s (0..Keys-1, drawn from the distribution)
// is key g·Keys + s while in its generation g; after MaxWrites writes are
// drawn for it, the slot moves to generation g+1, a fresh key. Clients of
// one run share it (in wall time from several goroutines, hence the lock;
// in the simulation they draw in the kernel's deterministic order).
type Keyspace struct {
	o      Options
	mu     sync.Mutex
	gen    []int64
	writes []int
	values atomic.Int64
}

// NewKeyspace starts every slot at generation 0.
func NewKeyspace(o Options) *Keyspace {
	return &Keyspace{o: o, gen: make([]int64, o.Keys), writes: make([]int, o.Keys)}
}

// key returns the slot's current key and counts a write to it.
func (ks *Keyspace) key(slot int, write bool) int64 {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	k := ks.gen[slot]*int64(ks.o.Keys) + int64(slot)
	if write {
		ks.writes[slot]++
		// Retire the key unless the pool has no fresh one left.
		if next := (ks.gen[slot]+1)*int64(ks.o.Keys) + int64(slot); ks.writes[slot] >= ks.o.MaxWrites && next < int64(ks.o.Pool) {
			ks.gen[slot]++
			ks.writes[slot] = 0
		}
	}
	return k
}

// Planned is one operation of a drawn transaction.
type Planned struct {
	Key   int64
	Write bool
}

// Client draws transactions for one client.
type Client struct {
	ks    *Keyspace
	rng   *rand.Rand
	slots ycsb.Generator
}

// NewClient returns client id's generator.
func NewClient(ks *Keyspace, id int, rng *rand.Rand) *Client {
	c := &Client{ks: ks, rng: rng}
	n := int64(ks.o.Keys)
	switch ks.o.Dist {
	case "zipfian":
		c.slots = ycsb.NewZipfian(rng, 0, n-1, ks.o.Theta)
	case "hotkey":
		c.slots = hotKey{rng: rng, n: n, frac: ks.o.HotFrac}
	default:
		c.slots = ycsb.NewUniform(rng, 0, n-1)
	}
	return c
}

// hotKey draws slot 0 with probability frac, otherwise a uniform slot.
type hotKey struct {
	rng  *rand.Rand
	n    int64
	frac float64
}

func (h hotKey) Next() int64 {
	if h.rng.Float64() < h.frac {
		return 0
	}
	return h.rng.Int64N(h.n)
}

// Plan draws a transaction's operations; reads with probability ReadFrac.
func (c *Client) Plan() []Planned {
	p := make([]Planned, c.ks.o.TxnOps)
	for i := range p {
		write := c.rng.Float64() >= c.ks.o.ReadFrac
		p[i] = Planned{Key: c.ks.key(int(c.slots.Next()), write), Write: write}
	}
	return p
}

// ReadOnly reports whether a plan writes nothing.
func ReadOnly(p []Planned) bool {
	for _, o := range p {
		if o.Write {
			return false
		}
	}
	return true
}

// Attempt records one attempt's operations. Every planned write gets its
// value when the attempt begins, from a counter the clients share, so no
// two writes of a run share a value (small numbers read better in
// evidence; in the simulation clients draw in a deterministic order) and a
// retry's writes are told apart from the aborted attempt's.
type Attempt struct {
	plan   []Planned
	kind   history.Kind // OpAppend or OpWrite
	values []int64
	issued []bool
	ops    []history.Op
}

// Begin starts recording an attempt of plan, whose writes are of kind.
func (c *Client) Begin(plan []Planned, kind history.Kind) *Attempt {
	a := &Attempt{plan: plan, kind: kind, values: make([]int64, len(plan)), issued: make([]bool, len(plan)),
		ops: make([]history.Op, 0, 2*len(plan))}
	for i, p := range plan {
		if p.Write {
			a.values[i] = c.ks.values.Add(1)
		}
	}
	return a
}

// Read records a read and what it returned.
func (a *Attempt) Read(op history.Op) { a.ops = append(a.ops, op) }

// Write records planned write i, before its statement runs, and returns
// its value.
func (a *Attempt) Write(i int) int64 {
	a.issued[i] = true
	a.ops = append(a.ops, history.Op{Kind: a.kind, Key: a.plan[i].Key, Value: a.values[i]})
	return a.values[i]
}

// Ops returns the operations recorded so far followed by the planned
// writes not yet issued: an attempt cut off by a timeout may still issue
// and commit them, and the checker must know who wrote what it reads.
// An attempt that committed issued every write; an aborted one's unissued
// writes never reach the database, so listing them is harmless.
func (a *Attempt) Ops() []history.Op {
	out := slices.Clone(a.ops)
	for i, p := range a.plan {
		if p.Write && !a.issued[i] {
			out = append(out, history.Op{Kind: a.kind, Key: p.Key, Value: a.values[i]})
		}
	}
	return out
}

// Table is a key-value table: k int primary key, v of the given type.
func Table(name string, t engines.Type) *engines.Table {
	return &engines.Table{
		Name:       name,
		Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: t}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
	}
}
