package ycsb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

func implicitOptions() Options {
	o := smallOptions()
	o.ImplicitRows, o.InsertOrder = true, InsertOrdered
	return o
}

// With --implicit-rows nothing is loaded, and the rows are found by their
// encoded keys, the same for the same seed whichever row is asked first,
// with or without a partition column.
func TestImplicitRows(t *testing.T) {
	for _, parts := range []int{0, 4} {
		o := implicitOptions()
		o.Partitions = parts
		w := mustNew(t, "ycsb", o, 1)
		loaded := 0
		if err := w.Load(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
			loaded += len(rows)
			return nil
		}); err != nil || loaded != 0 {
			t.Fatalf("partitions %d: Load handed over %d rows (err %v); want none", parts, loaded, err)
		}
		table, row := w.ImplicitRows()
		if table != w.Table() {
			t.Fatalf("partitions %d: ImplicitRows gave table %v", parts, table)
		}
		var first []engines.Row
		for _, n := range []int64{999, 0, 517} {
			r, ok := row(w.KeyOf(n).Encode())
			if !ok {
				t.Fatalf("partitions %d: key number %d not found", parts, n)
			}
			if got := table.KeyOf(r).Encode(); got != w.KeyOf(n).Encode() {
				t.Errorf("partitions %d: row %d has key %q, want %q", parts, n, got, w.KeyOf(n).Encode())
			}
			if len(r) != len(table.Columns) || r[1].Size() != o.FieldLength {
				t.Errorf("partitions %d: row %d = %v: wrong shape", parts, n, r)
			}
			first = append(first, r)
		}
		// Another workload, the same seed, the rows in another order.
		_, again := mustNew(t, "ycsb", o, 1).ImplicitRows()
		for i, n := range []int64{517, 0, 999} {
			r, _ := again(w.KeyOf(n).Encode())
			if want := first[2-i]; fmt.Sprint(r) != fmt.Sprint(want) {
				t.Errorf("partitions %d: row %d is %v, then %v", parts, n, want, r)
			}
		}
		_, other := mustNew(t, "ycsb", o, 2).ImplicitRows()
		if r, _ := other(w.KeyOf(0).Encode()); fmt.Sprint(r) == fmt.Sprint(first[1]) {
			t.Errorf("partitions %d: seeds 1 and 2 gave row 0 the same values %v", parts, r)
		}
		// Not rows: beyond --records, another table's kind of key, a
		// name spelling a key number under another partition.
		for _, key := range []string{
			w.KeyOf(1000).Encode(),
			engines.Key{engines.Int(3)}.Encode(),
			engines.Key{engines.String("user")}.Encode(),
			"",
		} {
			if r, ok := row(key); ok {
				t.Errorf("partitions %d: key %q found as %v", parts, key, r)
			}
		}
		if parts > 0 {
			k := engines.Key{engines.Int(w.Partition(5) + 1), engines.String(w.KeyName(5))}
			if r, ok := row(k.Encode()); ok {
				t.Errorf("key number 5 in the wrong partition found as %v", r)
			}
		}
	}
	// Without the option there are no implicit rows.
	if table, _ := mustNew(t, "ycsb", smallOptions(), 1).ImplicitRows(); table != nil {
		t.Errorf("implicit rows without --implicit-rows")
	}
}

func TestImplicitRowsValidation(t *testing.T) {
	for _, c := range []struct {
		workload string
		opts     map[string]string
		want     string
	}{
		{"ycsb", map[string]string{"implicit-rows": "true"}, "--implicit-rows needs --insert-order ordered"},
		{"ycsb-e", map[string]string{"implicit-rows": "true", "insert-order": "ordered"}, "--implicit-rows: ycsb-e scans"},
	} {
		_, err := workloads.New(c.workload, c.opts, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v; want %q", c.workload, c.opts, err, c.want)
		}
	}
	if _, err := workloads.New("ycsb", map[string]string{"implicit-rows": "true", "insert-order": "ordered", "records": "268435456"}, 1); err != nil {
		t.Errorf("Deneva's table with implicit rows: %v", err)
	}
}
