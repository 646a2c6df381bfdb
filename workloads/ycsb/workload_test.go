package ycsb

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/workloads"
)

func mustNew(t *testing.T, name string, o Options, seed uint64) *Workload {
	t.Helper()
	w, err := New(name, o, seed)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return w
}

func smallOptions() Options {
	o := DefaultOptions()
	o.Records = 1000
	return o
}

func TestRegistered(t *testing.T) {
	for _, n := range []string{"ycsb", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-d", "ycsb-e", "ycsb-f"} {
		m, err := workloads.Lookup(n)
		if err != nil {
			t.Errorf("%s not registered: %v", n, err)
			continue
		}
		w, err := workloads.New(m.Name, map[string]string{"records": "500"}, 1)
		if err != nil {
			t.Errorf("%s with defaults: %v", n, err)
			continue
		}
		if err := w.Schema().Validate(); err != nil {
			t.Errorf("%s schema: %v", n, err)
		}
		if got := w.(*Workload).Options().Records; got != 500 {
			t.Errorf("%s: --records=500 gave %d", n, got)
		}
	}
	// Each variant declares what it uses, with YCSB's defaults.
	for _, c := range []struct {
		workload string
		defaults map[string]string
	}{
		{"ycsb-e", map[string]string{"records": "100000", "field-count": "10", "field-length": "100", "distribution": "scrambled-zipfian",
			"zipf-constant": "0.99", "hotspot-data-frac": "0.2", "hotspot-op-frac": "0.8", "insert-order": "hashed", "max-scan-length": "100"}},
		{"ycsb", map[string]string{"distribution": "zipfian", "ops-per-txn": "10", "write-frac": "0.5", "theta": "0.6"}},
	} {
		m, _ := workloads.Lookup(c.workload)
		s, _ := workloads.DeclareOptions(m)
		for name, def := range c.defaults {
			if o := s.Lookup(name); o == nil {
				t.Errorf("%s: --%s not declared", c.workload, name)
			} else if o.Default != def {
				t.Errorf("%s: --%s default %q, want %q", c.workload, name, o.Default, def)
			}
		}
	}
}

// argsMap turns ["--name=value", ...] into options.
func argsMap(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		m[k] = v
	}
	return m
}

func TestFlagValidation(t *testing.T) {
	cases := []struct {
		workload string
		args     []string
		want     []string
	}{
		{"ycsb", []string{"--write-frac=1.5"}, []string{"--write-frac must be in [0, 1], got 1.5"}},
		{"ycsb", []string{"--theta=1", "--ops-per-txn=0", "--records=0"}, []string{"--theta", "--ops-per-txn", "--records"}},
		{"ycsb", []string{"--records=5", "--ops-per-txn=6"}, []string{"--ops-per-txn"}},
		{"ycsb-a", []string{"--distribution=zipf", "--zipf-constant=-0.1"}, []string{"--distribution", "--zipf-constant"}},
		{"ycsb-b", []string{"--hotspot-data-frac=2", "--hotspot-op-frac=-1", "--insert-order=random"}, []string{"--hotspot-data-frac", "--hotspot-op-frac", "--insert-order"}},
		{"ycsb-c", []string{"--field-count=0", "--field-length=0"}, []string{"--field-count", "--field-length"}},
		{"ycsb-e", []string{"--max-scan-length=0"}, []string{"--max-scan-length"}},
		{"ycsb-a", []string{"--zipf-constant=NaN"}, []string{"--zipf-constant"}},
	}
	for _, c := range cases {
		m, err := workloads.Lookup(c.workload)
		if err != nil {
			t.Fatal(err)
		}
		_, err = workloads.New(m.Name, argsMap(c.args), 1)
		if err == nil {
			t.Errorf("%s %v: no error", c.workload, c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q does not mention %s", c.workload, c.args, err, w)
			}
		}
	}

	// A value that does not parse is reported by name too.
	if _, err := workloads.New("ycsb-a", map[string]string{"records": "lots"}, 1); err == nil || !strings.Contains(err.Error(), "--records") {
		t.Errorf("unparsable --records: error %v", err)
	}
	// Options irrelevant to a workload are not held against it.
	o := DefaultOptions()
	o.WriteFrac = 7
	if err := o.Validate("ycsb-a"); err != nil {
		t.Errorf("ycsb-a rejected --write-frac: %v", err)
	}
}

func TestLoad(t *testing.T) {
	for _, order := range []string{InsertHashed, InsertOrdered} {
		o := DefaultOptions()
		o.Records = 2500
		o.InsertOrder = order
		w := mustNew(t, "ycsb-a", o, 42)
		if err := w.Schema().Validate(); err != nil {
			t.Fatal(err)
		}
		tab := w.Schema().Tables[0]
		if tab.Name != "usertable" || len(tab.Columns) != 11 || tab.Columns[0].Name != "ycsb_key" ||
			tab.Columns[10].Name != "field9" || tab.PrimaryKey[0] != 0 || tab.ShardKey != 0 {
			t.Fatalf("schema %+v", tab)
		}
		var batches []int
		db := newFakeDB()
		err := w.Load(context.Background(), func(ctx context.Context, tt *engines.Table, rows []engines.Row) error {
			if tt != tab {
				t.Fatal("load for another table")
			}
			batches = append(batches, len(rows))
			return db.load(ctx, tt, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(db.rows) != 2500 || len(batches) != 3 || batches[0] != 1000 || batches[2] != 500 {
			t.Fatalf("loaded %d rows in batches %v", len(db.rows), batches)
		}
		for _, r := range db.rows {
			for _, v := range r[1:] {
				if len(v.Str()) != 100 {
					t.Fatalf("field of %d bytes", len(v.Str()))
				}
				for _, b := range []byte(v.Str()) {
					if b < '!' || b > '~' {
						t.Fatalf("unprintable byte %q", b)
					}
				}
			}
			break
		}
		// Deterministic from the seed.
		first := func(seed uint64) engines.Row {
			var r engines.Row
			w := mustNew(t, "ycsb-a", o, seed)
			_ = w.Load(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
				if r == nil {
					r = rows[7]
				}
				return nil
			})
			return r
		}
		a, b, c := first(42), first(42), first(43)
		for i := range a {
			if !a[i].Equal(b[i]) {
				t.Fatalf("same seed, different rows: %v vs %v", a, b)
			}
		}
		if a[1].Equal(c[1]) && a[2].Equal(c[2]) {
			t.Errorf("different seeds, same values")
		}
	}
}

func TestKeyNames(t *testing.T) {
	o := smallOptions()
	w := mustNew(t, "ycsb-a", o, 1)
	if got, want := w.KeyName(17), "user"+uintStr(FNVHash64(17)); got != want {
		t.Errorf("hashed KeyName(17) = %q, want %q", got, want)
	}
	o.InsertOrder = InsertOrdered
	w = mustNew(t, "ycsb-a", o, 1)
	if got := w.KeyName(17); got != "user0000000000000000017" {
		t.Errorf("ordered KeyName(17) = %q", got)
	}
	var keys []string
	for _, n := range []int64{5, 50, 500, 5000, 123456789} {
		keys = append(keys, w.KeyName(n))
	}
	if !sort.StringsAreSorted(keys) {
		t.Errorf("ordered keys not in number order: %v", keys)
	}
	// Every request names a key: the string should be its only allocation.
	if a := testing.AllocsPerRun(100, func() { nameSink = w.KeyName(123456789) }); a != 1 {
		t.Errorf("KeyName allocates %v times a call, want 1", a)
	}
}

var nameSink string

// TestNextAllocs: a core workload's drawn transaction, its operation and
// its key are one allocation; a transaction the runner released is the
// next one's record (workloads.Releaser), its key's storage included:
// nothing is allocated.
func TestNextAllocs(t *testing.T) {
	for _, part := range []int{0, 4} {
		o := smallOptions()
		o.Partitions = part
		w := mustNew(t, "ycsb-a", o, 1)
		c := w.NewClient(0, rand.New(rand.NewPCG(1, 2)))
		var tx workloads.Txn
		if a := testing.AllocsPerRun(100, func() { tx = c.Next() }); a != 1 {
			t.Errorf("partitions %d: Next allocates %v times a call, want 1", part, a)
		}
		r := c.(workloads.Releaser)
		if a := testing.AllocsPerRun(100, func() { r.Release(tx); tx = c.Next() }); a != 0 {
			t.Errorf("partitions %d: Next after Release allocates %v times a call, want 0", part, a)
		}
		old := tx
		r.Release(old)
		if tx = c.Next(); tx != old {
			t.Errorf("partitions %d: the released record was not reused", part)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("partitions %d: a released transaction ran", part)
				}
			}()
			r.Release(tx)
			_ = tx.Run(context.Background(), &fakeTxn{db: newFakeDB()})
		}()
		// A transaction not released keeps its key while others are drawn.
		held := c.Next().(*Txn)
		name := held.Ops[0].Key.String()
		for range 20 {
			r.Release(c.Next())
		}
		if got := held.Ops[0].Key.String(); got != name {
			t.Errorf("partitions %d: a held transaction's key changed from %s to %s", part, name, got)
		}
		tx = c.Next()
		k := tx.(*Txn).Ops[0].Key
		if want := w.KeyOf(0); len(k) != len(want) {
			t.Errorf("partitions %d: key %v, want the shape of %v", part, k, want)
		}
	}
}

// BenchmarkNext draws YCSB-A transactions (half reads, half updates).
func BenchmarkNext(b *testing.B) {
	w, err := New("ycsb-a", DefaultOptions(), 1)
	if err != nil {
		b.Fatal(err)
	}
	c := w.NewClient(0, rand.New(rand.NewPCG(1, 2)))
	b.ReportAllocs()
	for b.Loop() {
		c.Next()
	}
}

func uintStr(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b []byte
	for ; u > 0; u /= 10 {
		b = append([]byte{byte('0' + u%10)}, b...)
	}
	return string(b)
}

func TestCoreMix(t *testing.T) {
	cases := []struct {
		name string
		mix  map[string]float64
	}{
		{"ycsb-a", map[string]float64{"read": 0.5, "update": 0.5}},
		{"ycsb-b", map[string]float64{"read": 0.95, "update": 0.05}},
		{"ycsb-c", map[string]float64{"read": 1}},
		{"ycsb-d", map[string]float64{"read": 0.95, "insert": 0.05}},
		{"ycsb-e", map[string]float64{"scan": 0.95, "insert": 0.05}},
		{"ycsb-f", map[string]float64{"read": 0.5, "rmw": 0.5}},
	}
	const draws = 100_000
	for _, c := range cases {
		w := mustNew(t, c.name, smallOptions(), 1)
		if len(w.TxnTypes()) != len(c.mix) {
			t.Errorf("%s: TxnTypes %v", c.name, w.TxnTypes())
		}
		for _, ty := range w.TxnTypes() {
			if _, ok := c.mix[ty]; !ok {
				t.Errorf("%s: unexpected type %s", c.name, ty)
			}
		}
		cl := w.NewClient(0, newRNG(9))
		count := map[string]int{}
		scanMin, scanMax, scanSum, scans := math.MaxInt, 0, 0, 0
		for range draws {
			tx := cl.Next().(*Txn)
			count[tx.Type()]++
			if len(tx.Ops) != 1 || tx.Ops[0].Kind.String() != tx.Type() {
				t.Fatalf("%s: txn %s with ops %+v", c.name, tx.Type(), tx.Ops)
			}
			ro := tx.Type() == "read" || tx.Type() == "scan"
			if tx.ReadOnly() != ro {
				t.Fatalf("%s: %s declared ReadOnly=%v", c.name, tx.Type(), tx.ReadOnly())
			}
			op := tx.Ops[0]
			switch op.Kind {
			case OpScan:
				scans++
				scanSum += op.ScanLength
				scanMin = min(scanMin, op.ScanLength)
				scanMax = max(scanMax, op.ScanLength)
			case OpUpdate, OpRMW:
				if op.Field < 0 || op.Field >= 10 || len(op.Value.Str()) != 100 {
					t.Fatalf("%s: update of field %d with %d bytes", c.name, op.Field, len(op.Value.Str()))
				}
			case OpInsert:
				if len(op.Row) != 11 {
					t.Fatalf("%s: insert of %d values", c.name, len(op.Row))
				}
			}
		}
		for ty, want := range c.mix {
			if got := float64(count[ty]) / draws; math.Abs(got-want) > 0.01 {
				t.Errorf("%s: %s fraction %.4f, want %.2f", c.name, ty, got, want)
			}
		}
		if scans > 0 {
			if scanMin != 1 || scanMax != 100 || math.Abs(float64(scanSum)/float64(scans)-50.5) > 1 {
				t.Errorf("%s: scan lengths min %d max %d mean %.2f, want uniform 1..100", c.name, scanMin, scanMax, float64(scanSum)/float64(scans))
			}
		}
		if c.mix["insert"] > 0 {
			if got := w.Inserted(); got != int64(count["insert"]) {
				t.Errorf("%s: %d inserts drawn, sequence handed out %d", c.name, count["insert"], got)
			}
		}
	}
}

func TestCoreKeysFollowDistribution(t *testing.T) {
	// ycsb-a's keys are YCSB's scrambled zipfian: the hottest key is the
	// image of zipfian item 0.
	o := smallOptions()
	w := mustNew(t, "ycsb-a", o, 1)
	cl := w.NewClient(0, newRNG(3))
	cnt := map[string]int{}
	for range 100_000 {
		cnt[cl.Next().(*Txn).Ops[0].Key[0].Str()]++
	}
	hot := w.KeyName(int64(FNVHash64(0) % uint64(o.Records+1)))
	for k, c := range cnt {
		if c > cnt[hot] {
			t.Fatalf("key %s drawn %d times, more than the expected hot key %s (%d)", k, c, hot, cnt[hot])
		}
	}
	// Uniform override: no key much hotter than average.
	o.Distribution = DistUniform
	w = mustNew(t, "ycsb-a", o, 1)
	cl = w.NewClient(0, newRNG(3))
	clear(cnt)
	for range 100_000 {
		cnt[cl.Next().(*Txn).Ops[0].Key[0].Str()]++
	}
	for k, c := range cnt {
		if c > 200 {
			t.Fatalf("uniform: key %s drawn %d times of 100000 over 1000 keys", k, c)
		}
	}
}

func TestLatestReadsFollowInserts(t *testing.T) {
	w := mustNew(t, "ycsb-d", smallOptions(), 1)
	c1 := w.NewClient(1, newRNG(1))
	c2 := w.NewClient(2, newRNG(2))
	db := newFakeDB()
	if err := w.Load(context.Background(), db.load); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	missing, reads := 0, 0
	newest := map[string]bool{}
	for i := range 40_000 {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		tx := c.Next().(*Txn)
		op := tx.Ops[0]
		if op.Kind == OpRead {
			reads++
			if _, ok := db.rows[op.Key.Encode()]; !ok {
				missing++
			}
			if i > 30_000 {
				newest[op.Key[0].Str()] = true
			}
		}
		// Each insert runs (and, here, commits) before the client's next draw.
		if err := tx.Run(ctx, &fakeTxn{db: db, readOnly: tx.ReadOnly()}); err != nil {
			t.Fatal(err)
		}
	}
	if missing != 0 {
		t.Errorf("%d of %d reads chose keys that were not inserted yet", missing, reads)
	}
	// Late reads hit keys inserted during the run.
	fresh := 0
	for n := int64(1000); n < 1000+w.Inserted(); n++ {
		if newest[w.KeyName(n)] {
			fresh++
		}
	}
	if fresh < 100 {
		t.Errorf("late reads touched only %d inserted keys", fresh)
	}
}

func TestTransactionalVariant(t *testing.T) {
	o := smallOptions()
	o.OpsPerTxn = 4
	o.WriteFrac = 0.3
	o.Theta = 0.9
	w := mustNew(t, "ycsb", o, 1)
	if got := w.TxnTypes(); len(got) != 1 || got[0] != "txn" {
		t.Fatalf("TxnTypes %v", got)
	}
	if w.Distribution() != DistZipfian {
		t.Fatalf("distribution %s", w.Distribution())
	}
	cl := w.NewClient(0, newRNG(5))
	const draws = 50_000
	writes, ops, ro := 0, 0, 0
	keyCount := map[string]int{}
	for range draws {
		tx := cl.Next().(*Txn)
		if tx.Type() != "txn" || len(tx.Ops) != 4 {
			t.Fatalf("txn %s with %d ops", tx.Type(), len(tx.Ops))
		}
		seen := map[string]bool{}
		hasWrite := false
		for _, op := range tx.Ops {
			k := op.Key[0].Str()
			if seen[k] {
				t.Fatalf("key %s twice in one transaction", k)
			}
			seen[k] = true
			keyCount[k]++
			ops++
			switch op.Kind {
			case OpRMW:
				writes++
				hasWrite = true
			case OpRead:
			default:
				t.Fatalf("op %v in the transactional variant", op.Kind)
			}
		}
		if tx.ReadOnly() == hasWrite {
			t.Fatalf("ReadOnly=%v with writes=%v", tx.ReadOnly(), hasWrite)
		}
		if tx.ReadOnly() {
			ro++
		}
	}
	if f := float64(writes) / float64(ops); math.Abs(f-0.3) > 0.01 {
		t.Errorf("write fraction %.4f, want 0.3", f)
	}
	if f, want := float64(ro)/draws, math.Pow(0.7, 4); math.Abs(f-want) > 0.01 {
		t.Errorf("read-only fraction %.4f, want %.4f", f, want)
	}
	// Skewed: key 0 (plain zipfian) is the hottest.
	hot := w.KeyName(0)
	for k, c := range keyCount {
		if c > keyCount[hot] {
			t.Fatalf("key %s (%d) hotter than key 0 (%d)", k, c, keyCount[hot])
		}
	}

	// Every key in every transaction: the chooser must still find distinct
	// keys in a tiny, very skewed key space.
	o = DefaultOptions()
	o.Records, o.OpsPerTxn, o.Theta, o.WriteFrac = 20, 20, 0.99, 1
	w = mustNew(t, "ycsb", o, 1)
	cl = w.NewClient(0, newRNG(6))
	for range 100 {
		tx := cl.Next().(*Txn)
		seen := map[string]bool{}
		for _, op := range tx.Ops {
			seen[op.Key[0].Str()] = true
		}
		if len(seen) != 20 || tx.ReadOnly() {
			t.Fatalf("%d distinct keys, ReadOnly %v", len(seen), tx.ReadOnly())
		}
	}
}

func TestClientDeterministic(t *testing.T) {
	for _, name := range []string{"ycsb", "ycsb-a", "ycsb-d", "ycsb-e"} {
		seq := func(seed uint64) []string {
			w := mustNew(t, name, smallOptions(), 1)
			cl := w.NewClient(0, newRNG(seed))
			var out []string
			for range 300 {
				tx := cl.Next().(*Txn)
				for _, op := range tx.Ops {
					out = append(out, op.Kind.String()+op.Key[0].Str())
				}
			}
			return out
		}
		a, b, c := seq(1), seq(1), seq(2)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: same seed, different transactions", name)
		}
		if strings.Join(a, ",") == strings.Join(c, ",") {
			t.Errorf("%s: different seeds, same transactions", name)
		}
	}
}

// drawType draws until the client produces a transaction of type ty.
func drawType(t *testing.T, cl workloads.Client, ty string) *Txn {
	t.Helper()
	for range 10_000 {
		if tx := cl.Next().(*Txn); tx.Type() == ty {
			return tx
		}
	}
	t.Fatalf("no %s transaction drawn", ty)
	return nil
}

func TestRunIssuesStatements(t *testing.T) {
	ctx := context.Background()
	for _, order := range []string{InsertHashed, InsertOrdered} {
		o := smallOptions()
		o.InsertOrder = order
		db := newFakeDB()
		wA := mustNew(t, "ycsb-a", o, 1)
		if err := wA.Load(ctx, db.load); err != nil {
			t.Fatal(err)
		}
		run := func(tx *Txn) (*fakeTxn, error) {
			f := &fakeTxn{db: db, readOnly: tx.ReadOnly()}
			return f, tx.Run(ctx, f)
		}

		// read
		tx := drawType(t, wA.NewClient(0, newRNG(1)), "read")
		f, err := run(tx)
		if err != nil || len(f.log) != 1 || f.log[0] != "get "+tx.Ops[0].Key[0].Str() {
			t.Fatalf("read: log %v, err %v", f.log, err)
		}

		// update: one field, the drawn value; a retry does the same.
		tx = drawType(t, wA.NewClient(0, newRNG(1)), "update")
		op := tx.Ops[0]
		col := "field" + uintStr(uint64(op.Field))
		for range 2 {
			f, err = run(tx)
			if err != nil || len(f.log) != 1 || f.log[0] != "update "+op.Key[0].Str()+" "+col {
				t.Fatalf("update: log %v, err %v", f.log, err)
			}
		}
		if got := db.rows[op.Key.Encode()][op.Field+1]; !got.Equal(op.Value) {
			t.Fatalf("update did not write the drawn value")
		}

		// rmw: get, then update of the same key.
		wF := mustNew(t, "ycsb-f", o, 1)
		tx = drawType(t, wF.NewClient(0, newRNG(1)), "rmw")
		op = tx.Ops[0]
		f, err = run(tx)
		want := []string{"get " + op.Key[0].Str(), "update " + op.Key[0].Str() + " field" + uintStr(uint64(op.Field))}
		if err != nil || strings.Join(f.log, ";") != strings.Join(want, ";") {
			t.Fatalf("rmw: log %v, err %v; want %v", f.log, err, want)
		}

		// insert: a whole new row; inserting it again is the
		// transaction's error.
		wE := mustNew(t, "ycsb-e", o, 1)
		clE := wE.NewClient(0, newRNG(1))
		tx = drawType(t, clE, "insert")
		op = tx.Ops[0]
		if op.Key[0].Str() != wE.KeyName(1000) {
			t.Fatalf("first insert has key %s, want key number 1000 (%s)", op.Key[0].Str(), wE.KeyName(1000))
		}
		f, err = run(tx)
		if err != nil || len(f.log) != 1 || f.log[0] != "insert "+op.Key[0].Str() {
			t.Fatalf("insert: log %v, err %v", f.log, err)
		}
		if r, ok := db.rows[op.Key.Encode()]; !ok || len(r) != 11 {
			t.Fatalf("inserted row missing")
		}
		if _, err = run(tx); !errors.Is(err, engines.ErrDuplicateKey) {
			t.Fatalf("duplicate insert: err %v, want ErrDuplicateKey", err)
		}

		// scan: from the drawn key, the following ScanLength rows in key order.
		tx = drawType(t, clE, "scan")
		op = tx.Ops[0]
		f, err = run(tx)
		if err != nil || len(f.log) != 1 || f.log[0] != "scan "+op.Key[0].Str()+" "+uintStr(uint64(op.ScanLength)) {
			t.Fatalf("scan: log %v, err %v", f.log, err)
		}
		rows, _ := (&fakeTxn{db: db}).Scan(ctx, wE.Table(), engines.ScanSpec{Start: op.Key, Limit: op.ScanLength})
		if len(rows) == 0 || !rows[0][0].Equal(op.Key[0]) {
			t.Fatalf("scan does not start at its (existing) start key")
		}

		// The transactional variant: reads are Gets, writes Get+Update.
		o2 := o
		o2.OpsPerTxn, o2.WriteFrac = 6, 0.5
		wT := mustNew(t, "ycsb", o2, 1)
		tx = wT.NewClient(0, newRNG(1)).Next().(*Txn)
		f, err = run(tx)
		if err != nil {
			t.Fatal(err)
		}
		var want2 []string
		for _, op := range tx.Ops {
			want2 = append(want2, "get "+op.Key[0].Str())
			if op.Kind == OpRMW {
				want2 = append(want2, "update "+op.Key[0].Str()+" field"+uintStr(uint64(op.Field)))
			}
		}
		if strings.Join(f.log, ";") != strings.Join(want2, ";") {
			t.Fatalf("txn: log %v, want %v", f.log, want2)
		}
	}
}

func TestRunReturnsAborts(t *testing.T) {
	w := mustNew(t, "ycsb-a", smallOptions(), 1)
	tx := drawType(t, w.NewClient(0, newRNG(1)), "update")
	abort := engines.Abort(engines.ReasonConflict)
	err := tx.Run(context.Background(), &abortTxn{fakeTxn{db: newFakeDB()}, abort})
	if err != abort {
		t.Fatalf("abort came back as %v", err)
	}
	// A non-abort statement error is wrapped, and still matches.
	err = tx.Run(context.Background(), &fakeTxn{db: newFakeDB()})
	if !errors.Is(err, engines.ErrNotFound) || !strings.Contains(err.Error(), "update") {
		t.Fatalf("update of a missing row: %v", err)
	}
}

type abortTxn struct {
	fakeTxn
	err error
}

func (a *abortTxn) Update(context.Context, *engines.Table, engines.Key, ...engines.Set) error {
	return a.err
}

// Load draws what fillRow draws from rand.New of the load stream (its
// offsets straight from the PCG, the batch's memory its own), and
// LoadRecycling refills the batches that come back with the same rows.
func TestLoadDraws(t *testing.T) {
	for _, c := range []struct {
		order       string
		parts       int
		part, procs int
	}{{InsertHashed, 0, 0, 1}, {InsertOrdered, 0, 0, 1}, {InsertHashed, 4, 0, 1}, {InsertHashed, 0, 1, 3}} {
		o := DefaultOptions()
		o.Records = 2500
		o.InsertOrder = c.order
		o.Partitions = c.parts
		w := mustNew(t, "ycsb-a", o, 42)
		if c.procs > 1 {
			if err := w.SetPartition(c.part, c.procs); err != nil {
				t.Fatal(err)
			}
		}
		var want []engines.Row
		rng := rand.New(rand.NewPCG(42, streamLoad))
		for n := range o.Records {
			r := make(engines.Row, len(w.Table().Columns))
			w.fillRow(r, n, rng)
			if w.owns(n) {
				want = append(want, r)
			}
		}
		check := func(how string, got []engines.Row) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%+v %s: %d rows, want %d", c, how, len(got), len(want))
			}
			for i := range want {
				for j := range want[i] {
					if !got[i][j].Equal(want[i][j]) || got[i][j].Kind() != want[i][j].Kind() {
						t.Fatalf("%+v %s: row %d value %d is %v, want %v", c, how, i, j, got[i][j], want[i][j])
					}
				}
			}
		}
		var got []engines.Row
		if err := w.Load(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
			got = append(got, rows...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		check("Load", got)

		got = nil
		done := make(chan []engines.Row, 1)
		batches := map[*engines.Row]bool{}
		if err := w.LoadRecycling(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
			got = append(got, enginetest.Copies(rows)...)
			batches[unsafe.SliceData(rows)] = true
			done <- rows
			return nil
		}, done); err != nil {
			t.Fatal(err)
		}
		check("LoadRecycling", got)
		if len(batches) != 1 {
			t.Errorf("%+v: %d batches' memory used, want 1 (each one came back before the next)", c, len(batches))
		}

		// Packed, the rows are what the engines would pack of Load's.
		if packs := w.LoadsPacked(); packs != (c.parts == 0) {
			t.Fatalf("%+v: LoadsPacked %v, want it only without --partitions", c, packs)
		} else if !packs {
			continue
		}
		var packed []engines.PackedRow
		packedDone := make(chan []engines.PackedRow, 1)
		if err := w.LoadPacked(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.PackedRow) error {
			packed = append(packed, rows...)
			packedDone <- rows
			return nil
		}, packedDone); err != nil {
			t.Fatal(err)
		}
		if len(packed) != len(want) {
			t.Fatalf("%+v LoadPacked: %d rows, want %d", c, len(packed), len(want))
		}
		for i, r := range want {
			if key, p := w.Table().PackKeyed(r); packed[i].Key != key || packed[i].Row != p {
				t.Fatalf("%+v LoadPacked: row %d is %q %q, want %q %q", c, i, packed[i].Key, packed[i].Row, key, p)
			}
		}
	}
}
