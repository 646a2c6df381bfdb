package ycsb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads"
)

// Transaction type names.
const (
	TypeRead   = "read"
	TypeUpdate = "update"
	TypeInsert = "insert"
	TypeScan   = "scan"
	TypeRMW    = "rmw"
	TypeTxn    = "txn"
)

// TableName and KeyColumn name the one table and its primary key; the value
// columns are field0, field1, ... With --partitions, PartColumn follows them:
// the logical partition, the table's shard key and the first primary-key
// column.
const (
	TableName  = "usertable"
	KeyColumn  = "ycsb_key"
	PartColumn = "ycsb_part"
)

// spec is one registered workload.
type spec struct {
	name, desc string
	// Operation proportions of a core workload (YCSB's readproportion,
	// updateproportion, insertproportion, scanproportion,
	// readmodifywriteproportion).
	read, update, insert, scan, rmw float64
	dist                            string // default request distribution
	transactional                   bool   // the multi-operation variant
}

// specs are YCSB's core workloads (workloads/workloada .. workloadf in the
// YCSB distribution) and the transactional variant.
var specs = []spec{
	{name: "ycsb-a", desc: "YCSB core workload A (update heavy): 50% read, 50% update of one field; scrambled zipfian keys",
		read: 0.5, update: 0.5, dist: DistScrambledZipfian},
	{name: "ycsb-b", desc: "YCSB core workload B (read mostly): 95% read, 5% update of one field; scrambled zipfian keys",
		read: 0.95, update: 0.05, dist: DistScrambledZipfian},
	{name: "ycsb-c", desc: "YCSB core workload C (read only): 100% read; scrambled zipfian keys",
		read: 1, dist: DistScrambledZipfian},
	{name: "ycsb-d", desc: "YCSB core workload D (read latest): 95% read, 5% insert; reads favour the newest keys",
		read: 0.95, insert: 0.05, dist: DistLatest},
	{name: "ycsb-e", desc: "YCSB core workload E (short ranges): 95% scan of 1..100 rows, 5% insert; scrambled zipfian start keys",
		scan: 0.95, insert: 0.05, dist: DistScrambledZipfian},
	{name: "ycsb-f", desc: "YCSB core workload F (read-modify-write): 50% read, 50% read-modify-write of one field; scrambled zipfian keys",
		read: 0.5, rmw: 0.5, dist: DistScrambledZipfian},
	{name: "ycsb", desc: "transactional YCSB (DBx1000/Deneva): each transaction reads or read-modify-writes --ops-per-txn distinct zipfian(--theta) keys",
		dist: DistZipfian, transactional: true},
}

func lookupSpec(name string) (*spec, error) {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i], nil
		}
	}
	return nil, fmt.Errorf("ycsb: unknown workload %q", name)
}

func init() {
	for i := range specs {
		s := &specs[i]
		workloads.Register(&workloads.Meta{
			Name:        s.name,
			Description: s.desc,
			Configure: func(set *option.Set) workloads.Builder {
				o := DefaultOptions()
				o.Declare(set, s)
				return func(seed uint64) (workloads.Workload, error) { return New(s.name, o, seed) }
			},
		})
	}
}

// Value pool. Field values are FieldLength-byte strings. Allocating fresh
// random bytes for each of the simulator's million-odd values would cost
// about a gigabyte per million rows, so instead the workload builds one pool
// of random printable bytes from the seed and every value is a substring of
// it at a random offset: Go substrings share the pool's memory, so a value
// costs its 16-byte string header. The consequence, stated plainly: there are
// only poolSize distinct values and they overlap each other, so the data are
// far more compressible than YCSB's independent random bytes. Engines here do
// not compress, and sizes (Value.Size, what a real database stores) are the
// full FieldLength bytes.
const poolSize = 64 << 10

// Independent random streams derived from the seed.
const (
	streamPool uint64 = 0x9c5b_7e1a_0000_0001
	streamLoad uint64 = 0x9c5b_7e1a_0000_0002
)

// loadBatch is how many rows Load hands to the callback at a time.
const loadBatch = 1000

// Workload is one configured ycsb workload. It implements workloads.Workload.
type Workload struct {
	spec    *spec
	opts    Options
	dist    string
	seed    uint64
	schema  *engines.Schema
	table   *engines.Table
	pool    string
	ordered bool
	// partCol is PartColumn's index when --partitions is set.
	partCol int

	// seq is the insert counter shared by all clients; key numbers below
	// opts.Records come from the load.
	seq *KeySequence
	// zetas is ζ for the request distribution, shared by the clients.
	zetas *ZetaCache
	// expectedNew enlarges the scrambled zipfian key space for inserts.
	expectedNew int64

	// part of parts: this process's share of the keys (--partition i/n):
	// key numbers ≡ part (mod parts).
	part, parts int64

	types []string
	// cumulative operation proportions, in types order, for core workloads
	cum []float64
	ops []OpKind
}

// New builds the named workload (ycsb, ycsb-a .. ycsb-f) from validated
// options and the run seed.
func New(name string, o Options, seed uint64) (*Workload, error) {
	s, err := lookupSpec(name)
	if err != nil {
		return nil, err
	}
	if err := o.Validate(name); err != nil {
		return nil, err
	}
	w := &Workload{spec: s, opts: o, seed: seed, dist: s.dist, ordered: o.InsertOrder == InsertOrdered}
	if o.Distribution != "" {
		w.dist = o.Distribution
	}

	cols := []engines.Column{{Name: KeyColumn, Type: engines.TypeString, Size: 255}}
	for i := 0; i < o.FieldCount; i++ {
		cols = append(cols, engines.Column{Name: "field" + strconv.Itoa(i), Type: engines.TypeString})
	}
	w.table = &engines.Table{Name: TableName, Columns: cols, PrimaryKey: []int{0}, ShardKey: 0}
	if o.Partitions > 0 {
		w.partCol = len(cols)
		w.table.Columns = append(cols, engines.Column{Name: PartColumn, Type: engines.TypeInt})
		w.table.PrimaryKey = []int{w.partCol, 0}
		w.table.ShardKey = w.partCol
	}
	w.schema = &engines.Schema{Tables: []*engines.Table{w.table}}

	rng := rand.New(rand.NewPCG(seed, streamPool))
	pool := make([]byte, poolSize+o.FieldLength-1)
	for i := range pool {
		pool[i] = byte('!' + rng.IntN('~'-'!'+1))
	}
	// Registered, so that packed rows keep where a value lies in the pool
	// rather than a copy of its bytes (engines.ShareStrings).
	w.pool = engines.ShareStrings(string(pool))

	w.seq = NewKeySequence(o.Records)

	if s.transactional {
		w.types = []string{TypeTxn}
	} else {
		total := 0.0
		for _, p := range []struct {
			kind OpKind
			frac float64
		}{{OpRead, s.read}, {OpUpdate, s.update}, {OpInsert, s.insert}, {OpScan, s.scan}, {OpRMW, s.rmw}} {
			if p.frac <= 0 {
				continue
			}
			total += p.frac
			w.types = append(w.types, p.kind.String())
			w.cum = append(w.cum, total)
			w.ops = append(w.ops, p.kind)
		}
		for i := range w.cum {
			w.cum[i] /= total
		}
		// YCSB sizes the scrambled zipfian space for the inserts it
		// expects: operationcount × insertproportion × 2. txbench runs
		// have no operation count; YCSB's workload files set
		// operationcount = recordcount, so that is the count used here.
		w.expectedNew = int64(float64(o.Records) * s.insert * 2)
	}

	theta := o.ZipfConstant
	if s.transactional {
		theta = o.Theta
	}
	w.zetas = NewZetaCache(theta)
	// ζ once, before clients share it. The scrambled distribution's ζ (over
	// 10^10 items, whatever the record count) is left to the first client:
	// a workload made only to check a plan's options (bench sweep and
	// validate check every point before running any) then costs nothing,
	// and the sum is remembered by θ (zetaHead).
	if w.dist == DistZipfian || w.dist == DistLatest {
		w.zetas.Zeta(o.Records)
	}
	return w, nil
}

// Name is the workload's registered name.
func (w *Workload) Name() string { return w.spec.name }

// Options are the options the workload was built from.
func (w *Workload) Options() Options { return w.opts }

// Distribution is the request distribution in use.
func (w *Workload) Distribution() string { return w.dist }

// Table is usertable.
func (w *Workload) Table() *engines.Table { return w.table }

// Schema implements workloads.Workload: one table, usertable(ycsb_key
// primary key, field0 ..), sharded by the key; with --partitions,
// usertable(ycsb_key, field0 .., ycsb_part) with primary key (ycsb_part,
// ycsb_key), sharded by ycsb_part.
func (w *Workload) Schema() *engines.Schema { return w.schema }

// TxnTypes implements workloads.Workload: the types the workload draws, in
// YCSB's order (read, update, insert, scan, rmw), or "txn".
func (w *Workload) TxnTypes() []string { return append([]string(nil), w.types...) }

// Inserted is the number of key numbers handed out to inserts so far.
func (w *Workload) Inserted() int64 { return w.seq.Allocated() - w.opts.Records }

// KeyName is the primary key of key number n: "user" + FNVHash64(n) for
// --insert-order hashed, "user" + n zero-padded to 19 digits for ordered.
func (w *Workload) KeyName(n int64) string {
	// Built in a buffer on the stack: one allocation (the string) per key
	// instead of the number's string and then the concatenation.
	var buf keyNameBuf
	return string(w.appendKeyName(buf[:0], n))
}

// keyNameBuf holds any key name: "user" and at most 20 digits.
type keyNameBuf [keyNameLen]byte

const keyNameLen = 4 + 20

// appendKeyName appends KeyName(n) to b.
func (w *Workload) appendKeyName(b []byte, n int64) []byte {
	b = append(b, "user"...)
	if !w.ordered {
		return appendDecimal(b, FNVHash64(n))
	}
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	const width = 19
	if len(d) < width {
		b = append(b, zeros[:width-len(d)]...)
	}
	return append(b, d...)
}

const zeros = "0000000000000000000"

// value draws one field value: a FieldLength substring of the pool.
func (w *Workload) value(rng *rand.Rand) engines.Value {
	off := rng.IntN(poolSize)
	return engines.String(w.pool[off : off+w.opts.FieldLength])
}

// fillRow fills r with the full row of key number n, values drawn from rng.
func (w *Workload) fillRow(r engines.Row, n int64, rng *rand.Rand) {
	r[0] = engines.String(w.KeyName(n))
	for f := 1; f <= w.opts.FieldCount; f++ {
		r[f] = w.value(rng)
	}
	if w.partCol > 0 {
		r[w.partCol] = engines.Int(w.Partition(n))
	}
}

// Partition is key number n's logical partition (n mod --partitions), or 0
// without partitions.
func (w *Workload) Partition(n int64) int64 {
	if w.opts.Partitions <= 0 {
		return 0
	}
	return n % int64(w.opts.Partitions)
}

// KeyOf is the primary key of key number n: (name), or (partition, name)
// with --partitions.
func (w *Workload) KeyOf(n int64) engines.Key {
	var k keyBuf
	return w.keyInto(&k, n)
}

// keyBuf is the storage of one key: its values and its name's bytes.
type keyBuf struct {
	vals [2]engines.Value
	name keyNameBuf
}

// keyInto is KeyOf(n) built in k: the key's values and the name's bytes
// live in k, so a key inside a larger allocation costs none of its own
// (a drawn transaction holds its key; KeyName and the Key were two
// allocations of every transaction).
func (w *Workload) keyInto(k *keyBuf, n int64) engines.Key {
	b := w.appendKeyName(k.name[:0], n)
	// The bytes are k's and never written again once the name is built.
	name := engines.String(engines.BytesString(b))
	if w.partCol > 0 {
		k.vals = [2]engines.Value{engines.Int(w.Partition(n)), name}
		return k.vals[:2:2]
	}
	k.vals[0] = name
	return k.vals[:1:1]
}

// Load implements workloads.Workload: key numbers 0 .. records-1 in number
// order, in batches of 1000 rows, values drawn from a stream of the seed.
func (w *Workload) Load(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.Row) error) error {
	return w.LoadRecycling(ctx, load, nil)
}

// loadBatchMem is the memory of one batch of loaded rows: the rows, their
// values, and their key names' bytes (a slot of keyNameLen bytes a
// row), one allocation each per batch.
type loadBatchMem struct {
	rows  []engines.Row
	vals  []engines.Value
	names []byte
}

// LoadRecycling implements workloads.Recycler: Load, refilling the batches
// that came back on done (an engine that copies what it loads) instead of
// allocating new ones. The rows are the same either way.
func (w *Workload) LoadRecycling(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.Row) error, done <-chan []engines.Row) error {
	if w.opts.ImplicitRows {
		return nil // the engine has them as a function (ImplicitRows)
	}
	// The values' offsets are drawn from the PCG itself: rng.IntN(poolSize)
	// of rand.New(pcg) is pcg.Uint64() & (poolSize-1) for a power of two
	// (math/rand/v2's uint64n and uint32n mask), the same draws without
	// two calls each (TestLoadDraws).
	pcg := rand.NewPCG(w.seed, streamLoad)
	width := len(w.table.Columns)
	var out []*loadBatchMem // handed over and not back yet, oldest first
	var m *loadBatchMem     // the batch being filled
	for start := int64(0); start < w.opts.Records; start += loadBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(int64(loadBatch), w.opts.Records-start))
		if m == nil {
			m = reuseBatch(done, &out)
		}
		if m == nil {
			m = &loadBatchMem{
				rows:  make([]engines.Row, 0, loadBatch),
				vals:  make([]engines.Value, loadBatch*width),
				names: make([]byte, loadBatch*keyNameLen),
			}
		}
		rows := m.rows[:0]
		for i := range n {
			k := start + int64(i)
			r := engines.Row(m.vals[i*width : (i+1)*width : (i+1)*width])
			// The name in its own slot: a longer one could not spill into
			// the next (append would move it), and its bytes stay put.
			slot := m.names[i*keyNameLen : i*keyNameLen : (i+1)*keyNameLen]
			r[0] = engines.String(engines.BytesString(w.appendKeyName(slot, k)))
			for f := 1; f <= w.opts.FieldCount; f++ {
				off := int(pcg.Uint64() & (poolSize - 1))
				r[f] = engines.String(w.pool[off : off+w.opts.FieldLength])
			}
			if w.partCol > 0 {
				r[w.partCol] = engines.Int(w.Partition(k))
			}
			// Every row is generated (the values come from one stream), and
			// a partitioned process loads only its share.
			if w.owns(k) {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue // m is still ours
		}
		m.rows = rows
		if done != nil {
			out = append(out, m)
		}
		m = nil
		if err := load(ctx, w.table, rows); err != nil {
			return err
		}
	}
	return nil
}

// LoadsPacked implements workloads.PackedLoader: every configuration but
// --partitions (its rows have a second key column) and --implicit-rows
// (nothing is loaded), while the value pool is registered.
func (w *Workload) LoadsPacked() bool {
	_, ok := engines.PoolOf(w.pool)
	return ok && w.partCol == 0 && !w.opts.ImplicitRows
}

// LoadPacked implements workloads.PackedLoader: the rows of Load, with
// the same draws, packed as they are generated (each field a reference
// to the pool at the offset drawn).
func (w *Workload) LoadPacked(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.PackedRow) error, done <-chan []engines.PackedRow) error {
	pool, ok := engines.PoolOf(w.pool)
	if !ok || !w.LoadsPacked() {
		return errors.New("ycsb: this configuration loads rows, not packed rows")
	}
	pcg := rand.NewPCG(w.seed, streamLoad) // as in LoadRecycling
	width := len(w.table.Columns)
	var rb engines.RowBuilder
	var name keyNameBuf
	offs := make([]int, w.opts.FieldCount)
	for start := int64(0); start < w.opts.Records; start += loadBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		var rows []engines.PackedRow
		select {
		case b := <-done:
			rows = b[:0]
		default:
			rows = make([]engines.PackedRow, 0, loadBatch)
		}
		for k := start; k < min(start+loadBatch, w.opts.Records); k++ {
			key := [1]engines.Value{engines.String(engines.BytesString(w.appendKeyName(name[:0], k)))}
			rb.Begin(key[:], width)
			rb.Value(key[0])
			for f := range offs {
				offs[f] = int(pcg.Uint64() & (poolSize - 1))
			}
			rb.SharedAll(pool, w.opts.FieldLength, offs)
			if w.owns(k) {
				rows = append(rows, rb.Finish())
			}
		}
		if len(rows) == 0 {
			continue
		}
		if err := load(ctx, w.table, rows); err != nil {
			return err
		}
	}
	return nil
}

// reuseBatch returns the batch whose rows came back on done, if one has,
// and drops from out the ones handed over before it (they did not come
// back, and are the engine's or garbage).
func reuseBatch(done <-chan []engines.Row, out *[]*loadBatchMem) *loadBatchMem {
	select {
	case rows := <-done:
		for i, m := range *out {
			if unsafe.SliceData(m.rows) == unsafe.SliceData(rows) {
				*out = (*out)[i+1:]
				return m
			}
		}
		panic("ycsb: a batch came back that Load did not hand over")
	default:
		return nil
	}
}

// poolSize must be a power of two for Load's draws (a compile-time check:
// the constant is negative otherwise).
const _ uint = -(poolSize & (poolSize - 1))

// SetPartition implements workloads.Partitioned: partition i of n loads the
// key numbers ≡ i (mod n) and its clients draw only those, each draw k of
// the configured distribution becoming k − k mod n + i, so every share keeps
// the distribution's shape. Inserting workloads (D, E) are refused: their
// key counter would have to be shared across processes.
func (w *Workload) SetPartition(i, n int) error {
	if w.spec.insert > 0 {
		return fmt.Errorf("%s inserts new keys, which cannot be split among processes yet", w.spec.name)
	}
	if w.opts.Partitions > 0 {
		return errors.New("--partitions (a partition column) and --partition i/n cannot be combined yet")
	}
	if int64(n) > w.opts.Records {
		return fmt.Errorf("%d partitions for %d records", n, w.opts.Records)
	}
	w.part, w.parts = int64(i), int64(n)
	return nil
}

// owns reports whether key number k belongs to this process's share.
func (w *Workload) owns(k int64) bool { return w.parts <= 1 || k%w.parts == w.part }

// share maps a draw to a key number of this process's share.
func (w *Workload) share(k int64) int64 {
	if w.parts <= 1 {
		return k
	}
	k = k - k%w.parts + w.part
	if k >= w.opts.Records {
		k -= w.parts
	}
	return k
}

// NewClient implements workloads.Workload.
func (w *Workload) NewClient(id int, rng *rand.Rand) workloads.Client {
	return w.newClient(id, rng)
}

// LoadBytes implements workloads.Sized: a row holds its key (about 40
// bytes with its header), a 16-byte string header per field (the values
// share one pool, see poolSize) and about 100 bytes of row, version and
// index overhead. An estimate, not a measurement.
func (w *Workload) LoadBytes() (int64, string) {
	if w.opts.ImplicitRows {
		return 0, "--records"
	}
	perRow := int64(40 + 16*w.opts.FieldCount + 100)
	return w.opts.Records * perRow, fmt.Sprintf("--records %d", w.opts.Records)
}
