package ycsb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

// OpKind is one YCSB operation.
type OpKind uint8

const (
	OpRead   OpKind = iota // Get of the whole row
	OpUpdate               // Update of one field
	OpInsert               // Insert of a whole row
	OpScan                 // Scan of up to ScanLength rows from Key on
	OpRMW                  // Get of the whole row, then Update of one field
)

func (k OpKind) String() string {
	switch k {
	case OpRead:
		return TypeRead
	case OpUpdate:
		return TypeUpdate
	case OpInsert:
		return TypeInsert
	case OpScan:
		return TypeScan
	case OpRMW:
		return TypeRMW
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one operation with all its inputs, fixed when it is drawn.
type Op struct {
	Kind OpKind
	// Key is the row's primary key (for a scan, the start key).
	Key engines.Key
	// Field is the index of the updated field (column Field+1) for
	// OpUpdate and OpRMW, and Value the value written to it.
	Field int
	Value engines.Value
	// Row is the inserted row for OpInsert.
	Row engines.Row
	// ScanLength is the row limit of an OpScan.
	ScanLength int
	// set holds the Update's one assignment for Run: a variadic argument
	// to an interface method is a new slice every call, an allocation of
	// every update attempt.
	set [1]engines.Set
}

// Txn is one drawn transaction: a single operation for ycsb-a .. ycsb-f, or
// --ops-per-txn reads and read-modify-writes for ycsb. It implements
// workloads.Txn.
type Txn struct {
	typ      string
	readOnly bool
	// released: the runner gave the record back (Client.Release); Run
	// panics on it, so that a runner reusing a record still in use is
	// caught (a cut-off attempt going on to its next operation).
	released bool
	// gen numbers the client's transactions: a record reused while a
	// Run on it still goes on changes it under that Run.
	gen uint32
	c   *Client // its table, and the buffer reads unpack into
	Ops []Op
}

// Type implements workloads.Txn.
func (t *Txn) Type() string { return t.typ }

// ReadOnly implements workloads.Txn: true when no operation writes.
func (t *Txn) ReadOnly() bool { return t.readOnly }

// SingleStatement implements workloads.SingleStatement: a core-workload
// operation other than read-modify-write is one statement.
func (t *Txn) SingleStatement() bool { return len(t.Ops) == 1 && t.Ops[0].Kind != OpRMW }

// Run implements workloads.Txn. It issues, per operation: Get (read); Update
// of one column (update); Insert (insert); Scan from the key with a limit
// (scan); Get then Update (rmw; the Update alone in a one-shot
// transaction, workloads.OneShot). A read that finds no row is not an error
// (the key may belong to an insert that has not committed); every error of a
// statement ends Run and is returned — an abort as it is, anything else
// (ErrDuplicateKey, ErrNotFound from an update) wrapped with the operation.
func (t *Txn) Run(ctx context.Context, tx engines.Txn) error {
	table := t.c.w.table
	gen := t.gen
	for i := range t.Ops {
		t.mustBeHeld(gen)
		op := &t.Ops[i]
		var err error
		switch op.Kind {
		case OpRead:
			_, _, err = engines.GetInto(ctx, tx, table, op.Key, engines.Discard)
		case OpUpdate:
			err = tx.Update(ctx, table, op.Key, op.sets()...)
		case OpInsert:
			// A clone, so that an engine keeping the row cannot be
			// affected by a retry handing the same row again.
			err = tx.Insert(ctx, table, op.Row.Clone())
		case OpScan:
			_, err = tx.Scan(ctx, table, engines.ScanSpec{Start: op.Key, Limit: op.ScanLength})
		case OpRMW:
			// One-shot (stored procedure) transactions write without
			// reading first: the update alone, as Deneva's YCSB does.
			if workloads.OneShot(ctx) {
				err = tx.Update(ctx, table, op.Key, op.sets()...)
			} else if _, _, err = engines.GetInto(ctx, tx, table, op.Key, engines.Discard); err == nil {
				err = tx.Update(ctx, table, op.Key, op.sets()...)
			}
		default:
			err = fmt.Errorf("ycsb: unknown operation %v", op.Kind)
		}
		if err != nil {
			if _, abort := engines.AsAbort(err); abort {
				return err
			}
			return fmt.Errorf("ycsb %s %s: %w", op.Kind, keyName(op.Key), err)
		}
	}
	t.mustBeHeld(gen)
	return nil
}

// mustBeHeld panics if the runner released t, or t's record was reused,
// since a Run that began as transaction gen.
func (t *Txn) mustBeHeld(gen uint32) {
	if t.released || t.gen != gen {
		panic("ycsb: a transaction runs after the runner released it")
	}
}

// sets is the update's assignment: field Field (column Field+1) to Value.
func (op *Op) sets() []engines.Set {
	op.set[0] = engines.Set{Col: op.Field + 1, Val: op.Value}
	return op.set[:]
}

// keyName is the key's ycsb_key value: its last column, after the partition
// when there is one.
func keyName(k engines.Key) string { return k[len(k)-1].Str() }

// Client draws the transactions of one client. It implements
// workloads.Client.
type Client struct {
	w   *Workload
	id  int
	rng *rand.Rand
	key func() int64 // the request distribution
	// pending is the key number of the last drawn insert, acknowledged to
	// the workload's KeySequence when the next transaction is drawn: by
	// then the insert has committed or been given up (YCSB acknowledges in
	// a finally block, whatever the outcome).
	pending int64
	// last is the core workload's latest transaction, spare the one the
	// runner released for Next to reuse (Release).
	last, spare *oneOp
	gens        uint32
	seen        map[int64]struct{} // distinct keys of a large transaction
	parts       []int64            // the partitions of the transaction being drawn
}

// maxKeyRetries bounds the redraws of a key chooser that keeps drawing keys
// not yet inserted (scrambled zipfian) or already used in the transaction;
// after that a deterministic fallback picks the key.
const maxKeyRetries = 1000

func (w *Workload) newClient(id int, rng *rand.Rand) *Client {
	c := &Client{w: w, id: id, rng: rng, pending: -1}
	o := w.opts
	last := w.seq.Last
	switch w.dist {
	case DistUniform:
		// YCSB: uniform over the loaded keys only.
		c.key = NewUniform(rng, 0, o.Records-1).Next
	case DistHotspot:
		// YCSB: the hot set is a fraction of the loaded keys only.
		c.key = NewHotspot(rng, 0, o.Records-1, o.HotspotDataFrac, o.HotspotOpFrac).Next
	case DistLatest:
		c.key = NewSkewedLatest(rng, last, w.zetas).Next
	case DistZipfian:
		z := NewZipfianWithCache(rng, 0, o.Records-1, w.zetas)
		c.key = func() int64 { return z.NextN(last() + 1) }
	case DistScrambledZipfian:
		// YCSB's core key chooser: a scrambled zipfian over the loaded
		// keys plus the expected inserts (the key space must not change
		// size, or the modulus would move the popular keys), redrawing
		// keys that have not been inserted yet.
		z := NewScrambledZipfianWithCache(rng, 0, o.Records+w.expectedNew, w.zetas)
		c.key = func() int64 {
			l := last()
			for range maxKeyRetries {
				if k := z.Next(); k <= l {
					return k
				}
			}
			return rng.Int64N(l + 1)
		}
	default:
		panic("ycsb: unknown distribution " + w.dist)
	}
	if w.parts > 1 {
		draw := c.key
		c.key = func() int64 { return w.share(draw()) }
	}
	return c
}

// Next implements workloads.Client.
func (c *Client) Next() workloads.Txn {
	if c.pending >= 0 {
		c.w.seq.Acknowledge(c.pending)
		c.pending = -1
	}
	if c.w.spec.transactional {
		return c.nextMulti()
	}
	u := c.rng.Float64()
	kind := c.w.ops[len(c.w.ops)-1]
	for i, p := range c.w.cum {
		if u < p {
			kind = c.w.ops[i]
			break
		}
	}
	// The record the runner released last is reused (Release), its key's
	// storage included: the runner releases a transaction only once every
	// statement has returned (not one cut off by a timeout), and engines
	// keep no key past their transaction (a 2pc wound keeps the
	// requester's row by name, TestWoundNamesTheRowItWasFor).
	t := c.spare
	if t == nil {
		t = new(oneOp)
	}
	c.spare, c.last = nil, t
	*t = oneOp{Txn: Txn{
		typ:      kind.String(),
		readOnly: kind == OpRead || kind == OpScan,
		c:        c,
		gen:      c.gens,
	}}
	c.gens++
	t.Ops = t.op[:]
	op := &t.op[0]
	op.Kind = kind
	key := &t.key
	switch kind {
	case OpRead:
		op.Key = c.w.keyInto(key, c.key())
	case OpUpdate, OpRMW:
		op.Key = c.w.keyInto(key, c.key())
		op.Field = c.rng.IntN(c.w.opts.FieldCount)
		op.Value = c.w.value(c.rng)
	case OpInsert:
		n := c.w.seq.Next()
		c.pending = n
		op.Row = make(engines.Row, len(c.w.table.Columns))
		c.w.fillRow(op.Row, n, c.rng)
		op.Key = c.w.keyInto(key, n)
	case OpScan:
		op.Key = c.w.keyInto(key, c.key())
		op.ScanLength = 1 + c.rng.IntN(c.w.opts.MaxScanLength)
	}
	return &t.Txn
}

// oneOp is a core workload's transaction and its one operation in one
// allocation instead of two, reused once released (Client.Release).
type oneOp struct {
	key keyBuf // the operation's key's values and name
	Txn
	op [1]Op
}

// Release implements workloads.Releaser: the core workload's last
// transaction, once the runner is done with it, is the next one's record.
func (c *Client) Release(t workloads.Txn) {
	if o := c.last; o != nil && t == workloads.Txn(&o.Txn) {
		o.released = true
		c.spare, c.last = o, nil
	}
}

// nextMulti draws a transaction of the transactional variant: OpsPerTxn
// operations on distinct keys, each a read-modify-write with probability
// WriteFrac and a read otherwise.
func (c *Client) nextMulti() *Txn {
	o := c.w.opts
	ops := make([]Op, o.OpsPerTxn)
	keys := make([]keyBuf, o.OpsPerTxn) // one allocation for every key
	nums := make([]int64, 0, o.OpsPerTxn)
	big := o.OpsPerTxn > 16 // a map beats a linear search
	if big {
		if c.seen == nil {
			c.seen = map[int64]struct{}{}
		}
		clear(c.seen)
	}
	used := func(k int64) bool {
		if big {
			_, ok := c.seen[k]
			return ok
		}
		for _, x := range nums {
			if x == k {
				return true
			}
		}
		return false
	}
	// With --partitions-per-txn K, the transaction's partitions are K
	// distinct ones drawn uniformly; operation i goes to partition i mod K.
	// Keys keep the request distribution's skew within a partition: a
	// drawn key number n is moved to the same rank, n div P, of its
	// operation's partition.
	k := o.PartitionsPerTxn
	c.parts = c.parts[:0]
	for len(c.parts) < k {
		if p := c.rng.Int64N(int64(o.Partitions)); !slices.Contains(c.parts, p) {
			c.parts = append(c.parts, p)
		}
	}
	draw := func(i int) int64 {
		n := c.key()
		if k > 0 {
			n = c.inPartition(n, c.parts[i%k])
		}
		return n
	}
	readOnly := true
	for i := range ops {
		op := &ops[i]
		op.Kind = OpRead
		if c.rng.Float64() < o.WriteFrac {
			op.Kind = OpRMW
			readOnly = false
		}
		n := draw(i)
		for try := 0; used(n); try++ {
			if try < maxKeyRetries {
				n = draw(i)
				continue
			}
			// A key chooser that cannot find a fresh key (a tiny key
			// space under heavy skew): walk to the next unused one, in
			// the same partition when partitions are drawn.
			if k > 0 {
				if n += int64(o.Partitions); n > c.w.seq.Last() {
					n = c.parts[i%k]
				}
				continue
			}
			n = (n + 1) % (c.w.seq.Last() + 1)
		}
		nums = append(nums, n)
		if big {
			c.seen[n] = struct{}{}
		}
		op.Key = c.w.keyInto(&keys[i], n)
		if op.Kind == OpRMW {
			op.Field = c.rng.IntN(o.FieldCount)
			op.Value = c.w.value(c.rng)
		}
	}
	return &Txn{typ: TypeTxn, readOnly: readOnly, c: c, Ops: ops}
}

func (c *Client) keyOf(n int64) engines.Key { return c.w.KeyOf(n) }

// inPartition moves key number n to partition part at the same rank
// (n div P), staying among the existing keys.
func (c *Client) inPartition(n, part int64) int64 {
	p := int64(c.w.opts.Partitions)
	m := n/p*p + part
	if m > c.w.seq.Last() {
		m -= p
	}
	return m
}
