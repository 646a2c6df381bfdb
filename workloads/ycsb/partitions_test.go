package ycsb

import (
	"context"
	"strings"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

// --partitions adds the shard-key column and leads the primary key with
// it; every loaded row is in partition n mod P, and KeyOf names it.
func TestPartitionsSchemaAndLoad(t *testing.T) {
	o := smallOptions()
	o.Partitions = 4
	w := mustNew(t, "ycsb-a", o, 1)
	tb := w.Table()
	if err := w.Schema().Validate(); err != nil {
		t.Fatal(err)
	}
	pc := tb.Col(PartColumn)
	if pc != o.FieldCount+1 || tb.ShardKey != pc || len(tb.PrimaryKey) != 2 || tb.PrimaryKey[0] != pc || tb.PrimaryKey[1] != 0 {
		t.Fatalf("columns %d, primary key %v, shard key %d: want %s last, leading the key, as shard key", len(tb.Columns), tb.PrimaryKey, tb.ShardKey, PartColumn)
	}
	db := newFakeDB()
	if err := w.Load(context.Background(), db.load); err != nil {
		t.Fatal(err)
	}
	if len(db.rows) != 1000 {
		t.Fatalf("%d rows loaded", len(db.rows))
	}
	for n := int64(0); n < 1000; n++ {
		r, ok := db.rows[w.KeyOf(n).Encode()]
		if !ok {
			t.Fatalf("key %d (%v) not loaded under KeyOf", n, w.KeyOf(n))
		}
		if got := r[pc].Int(); got != n%4 || tb.ShardValue(w.KeyOf(n)).Int() != n%4 {
			t.Fatalf("key %d in partition %d, want %d", n, got, n%4)
		}
	}
	// Without the flag the schema is the plain one.
	if tb := mustNew(t, "ycsb-a", smallOptions(), 1).Table(); len(tb.Columns) != 11 || len(tb.PrimaryKey) != 1 {
		t.Fatalf("default schema changed: %d columns, key %v", len(tb.Columns), tb.PrimaryKey)
	}
}

// --partitions alone changes no draw: the same key names in the same
// order, each with its partition in front.
func TestPartitionsAloneKeepTheKeyStream(t *testing.T) {
	for _, name := range []string{"ycsb", "ycsb-a", "ycsb-d", "ycsb-e"} {
		draw := func(parts int) []string {
			o := smallOptions()
			o.Partitions = parts
			w := mustNew(t, name, o, 1)
			cl := w.NewClient(0, newRNG(3))
			var out []string
			for range 200 {
				for _, op := range cl.Next().(*Txn).Ops {
					if parts > 0 && op.Key[0].Int() != w.Partition(numberOf(t, w, op.Key)) {
						t.Fatalf("%s: key %v in the wrong partition", name, op.Key)
					}
					out = append(out, op.Kind.String()+keyName(op.Key))
				}
			}
			return out
		}
		if a, b := draw(0), draw(7); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: --partitions changed the keys drawn", name)
		}
	}
}

// numberOf finds a key's number among the first 2000 (the loaded keys
// and a few inserts).
func numberOf(t *testing.T, w *Workload, k engines.Key) int64 {
	t.Helper()
	for n := int64(0); n < 2000; n++ {
		if w.KeyName(n) == keyName(k) {
			return n
		}
	}
	t.Fatalf("key %v is no key number below 2000", k)
	return -1
}

// --partitions-per-txn K: every transaction's keys come from exactly K
// distinct partitions, stay distinct and exist; each partition is drawn
// about equally often, and within a partition the skew survives (its
// rank-0 key is its hottest).
func TestPartitionsPerTxn(t *testing.T) {
	for _, k := range []int{1, 2, 4} {
		o := smallOptions()
		o.Partitions, o.PartitionsPerTxn, o.OpsPerTxn, o.Theta = 4, k, 10, 0.9
		w := mustNew(t, "ycsb", o, 1)
		numbers := map[string]int64{}
		for n := int64(0); n < o.Records; n++ {
			numbers[w.KeyName(n)] = n
		}
		cl := w.NewClient(0, newRNG(9))
		perPart := map[int64]int{}
		hits := map[int64]int{}
		const draws = 4000
		for range draws {
			tx := cl.Next().(*Txn)
			parts := map[int64]bool{}
			seen := map[string]bool{}
			for _, op := range tx.Ops {
				n, ok := numbers[keyName(op.Key)]
				if !ok {
					t.Fatalf("K=%d: key %v was never loaded", k, op.Key)
				}
				if p := op.Key[0].Int(); p != n%4 {
					t.Fatalf("K=%d: key %d carries partition %d", k, n, p)
				}
				if seen[keyName(op.Key)] {
					t.Fatalf("K=%d: key %v twice in one transaction", k, op.Key)
				}
				seen[keyName(op.Key)] = true
				parts[n%4] = true
				hits[n]++
			}
			if len(parts) != k {
				t.Fatalf("K=%d: a transaction touched %d partitions", k, len(parts))
			}
			for p := range parts {
				perPart[p]++
			}
		}
		for p := int64(0); p < 4; p++ {
			if want := draws * k / 4; perPart[p] < want*8/10 || perPart[p] > want*12/10 {
				t.Errorf("K=%d: partition %d in %d transactions, want about %d", k, p, perPart[p], want)
			}
			for n := p + 4; n < o.Records; n += 4 {
				if hits[n] > hits[p] {
					t.Fatalf("K=%d: key %d (%d draws) hotter than its partition's first key %d (%d)", k, n, hits[n], p, hits[p])
				}
			}
		}
	}
}

// A tiny partition under heavy skew still yields distinct keys (the walk
// stays inside the partition).
func TestPartitionsPerTxnWalksWithinThePartition(t *testing.T) {
	o := DefaultOptions()
	o.Records, o.Partitions, o.PartitionsPerTxn, o.OpsPerTxn, o.Theta = 40, 4, 2, 20, 0.99
	w := mustNew(t, "ycsb", o, 1)
	cl := w.NewClient(0, newRNG(2))
	for range 100 {
		tx := cl.Next().(*Txn)
		seen := map[string]bool{}
		parts := map[int64]bool{}
		for _, op := range tx.Ops {
			seen[keyName(op.Key)] = true
			parts[op.Key[0].Int()] = true
		}
		if len(seen) != 20 || len(parts) != 2 {
			t.Fatalf("%d distinct keys over %d partitions, want 20 over 2", len(seen), len(parts))
		}
	}
}

func TestPartitionFlagValidation(t *testing.T) {
	cases := []struct {
		workload string
		args     []string
		want     string
	}{
		{"ycsb", []string{"--partitions=-1"}, "--partitions must be in [0, 1048576], got -1"},
		{"ycsb", []string{"--records=10", "--ops-per-txn=2", "--partitions=11"}, "--partitions must be at most --records=10, got 11"},
		{"ycsb", []string{"--partitions-per-txn=2"}, "--partitions-per-txn needs --partitions"},
		{"ycsb", []string{"--partitions=2", "--partitions-per-txn=3"}, "--partitions-per-txn must be at most --partitions=2, got 3"},
		{"ycsb", []string{"--partitions=8", "--partitions-per-txn=4", "--ops-per-txn=3"}, "--partitions-per-txn must be at most --ops-per-txn=3"},
		{"ycsb", []string{"--records=40", "--partitions=8", "--partitions-per-txn=1", "--ops-per-txn=6"}, "--records=40 gives 5 keys per partition, fewer than the 6 distinct keys"},
		{"ycsb", []string{"--partitions=4", "--partitions-per-txn=-1"}, "--partitions-per-txn must be in [0, 1048576] partitions, got -1"},
		{"ycsb-a", []string{"--partitions=4", "--partitions-per-txn=2"}, "--partitions-per-txn is not an option of workload ycsb-a"},
	}
	for _, c := range cases {
		m, err := workloads.Lookup(c.workload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := workloads.New(m.Name, argsMap(c.args), 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.workload, c.args, err, c.want)
		}
	}
	// K = 1 is every single-operation transaction: allowed everywhere.
	o := smallOptions()
	o.Partitions, o.PartitionsPerTxn = 4, 1
	if err := o.Validate("ycsb-a"); err != nil {
		t.Errorf("ycsb-a with --partitions-per-txn 1: %v", err)
	}
}
